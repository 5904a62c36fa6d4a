"""Scheduled supervision: monthly reminders, deadline warnings, quarterly checks, half-year
bulletins — each once per period, however often beat (or a retried worker) runs them."""
from datetime import date, timedelta

from django.utils import translation

from notifications.models import Notification, OutboxMessage
from notifications.services import outbox_deliver_pending
from pledges import cadence, services
from pledges.models import Bulletin, PledgeItem
from tenants.organization.models import Member
from tenants.services import unit_run

from .support import TODAY, who

REMINDER_DAY = TODAY.replace(day=28)  # after the default reminder day (20th), still in the fulfil phase


def _next_period_start(today: date, months: int) -> date:
    """The first day of the next quarter (months=3) or half year (months=6)."""
    index = (today.month - 1) // months + 1
    month = index * months + 1
    return date(today.year + (month > 12), (month - 1) % 12 + 1, 1)


def _inbox(user) -> list[str]:
    outbox_deliver_pending()
    return list(Notification.objects.filter(recipient_id=user.pk).values_list("title", flat=True))


def test_monthly_reminder_goes_once_to_members_without_a_record_this_month(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round_id = A.round_id
        from pledges.models import Round

        round = Round.objects.get(pk=round_id)
        assert cadence.monthly_reminders_send(round=round, today=REMINDER_DAY.replace(day=5)) == 0  # before the reminder day
        assert cadence.monthly_reminders_send(round=round, today=REMINDER_DAY) == 1
        assert cadence.monthly_reminders_send(round=round, today=REMINDER_DAY) == 0
        assert any("Record your pledge progress" in t or "践诺" in t for t in _inbox(A.member))
        assert OutboxMessage.objects.filter(dedupe_key__startswith=f"monthly-reminder:{round.pk}:").count() == 1


def test_members_who_recorded_or_are_exempt_are_not_reminded(world, db):
    B = world["B"]
    with unit_run(B.unit):
        from pledges.models import Round

        round = Round.objects.get(pk=B.round_id)
        services.record_add(item=PledgeItem.objects.get(pk=B.item_id), who=who(B.member), text="本月走访", recorded_on=TODAY.replace(day=1))
        assert cadence.monthly_reminders_send(round=round, today=REMINDER_DAY) == 0
    A = world["A"]
    with unit_run(A.unit):
        Member.objects.filter(user_id=A.member.pk).update(is_exempt=True)
        assert cadence.monthly_reminders_send(round=Round.objects.get(pk=A.round_id), today=REMINDER_DAY) == 0


def test_deadline_warning_once_per_item_and_deadline(world, db):
    A = world["A"]
    with unit_run(A.unit):
        from pledges.models import Round

        PledgeItem.objects.filter(pk=A.item_id).update(deadline=TODAY + timedelta(days=3))
        round = Round.objects.get(pk=A.round_id)
        assert cadence.deadline_warnings_send(round=round, today=TODAY) == 1
        assert cadence.deadline_warnings_send(round=round, today=TODAY) == 0
        assert any(str(TODAY + timedelta(days=3)) in t for t in _inbox(A.member))


def test_quarterly_check_summary_reaches_each_branch_secretary_once(world, db):
    A = world["A"]
    day = _next_period_start(TODAY, 3)
    with unit_run(A.unit):
        from pledges.models import Round

        round = Round.objects.get(pk=A.round_id)
        assert cadence.quarterly_summaries_send(round=round, today=day) == 1  # branch 2 has no secretary
        assert cadence.quarterly_summaries_send(round=round, today=day) == 0
        titles = _inbox(A.secretary)
        quarter = cadence.last_quarter(day)
        with translation.override("zh-hans"):
            label = quarter.label
        assert label == f"{quarter.start.year}年第{(quarter.start.month + 2) // 3}季度"
        assert f"A Branch 1：{label}检查" in titles and not any(quarter.name in t for t in titles)  # words, not the code 2026Q4


def test_half_year_bulletin_names_who_is_ahead_and_behind(world, db):
    A = world["A"]
    day = _next_period_start(TODAY, 6)
    with unit_run(A.unit):
        from pledges.models import Round

        round = Round.objects.get(pk=A.round_id)
        assert cadence.half_year_bulletins_publish(round=round, today=day) == 1
        assert cadence.half_year_bulletins_publish(round=round, today=day) == 0
        bulletin = Bulletin.objects.get(round=round)
        assert bulletin.figures["behind"] == ["A Member"]  # no record in the half year
        assert bulletin.figures["members"][0]["items"] == 3
        assert _inbox(A.member) and _inbox(A.secretary)  # every member of the branch gets it
        half = cadence.last_half(day)
        part = "上半年" if half.start.month == 1 else "下半年"
        assert f"A Branch 1 {half.start.year}年{part}践诺通报" in _inbox(A.member)  # words, not the code 2026H2


def test_periods():
    assert cadence.last_quarter(date(2026, 1, 15)) == cadence.Period("2025Q4", date(2025, 10, 1), date(2025, 12, 31))
    assert cadence.last_quarter(date(2026, 8, 1)) == cadence.Period("2026Q2", date(2026, 4, 1), date(2026, 6, 30))
    assert cadence.last_half(date(2026, 7, 1)).name == "2026H1"
    assert cadence.last_half(date(2026, 3, 1)) == cadence.Period("2025H2", date(2025, 7, 1), date(2025, 12, 31))
    with translation.override("zh-hans"):
        assert [cadence.last_half(date(2026, 7, 1)).label, cadence.last_half(date(2026, 3, 1)).label] == ["2026年上半年", "2025年下半年"]
        assert cadence.last_quarter(date(2026, 1, 15)).label == "2025年第4季度"
    with translation.override("en"):
        assert cadence.last_quarter(date(2026, 8, 1)).label == "Q2 2026"
        assert cadence.last_half(date(2026, 7, 1)).label == "first half of 2026"


def test_cadence_run_does_everything_due_and_nothing_twice(world, db):
    A = world["A"]
    with unit_run(A.unit):
        PledgeItem.objects.filter(pk=A.item_id).update(deadline=TODAY - timedelta(days=1))
        first = cadence.cadence_run(today=TODAY)
        second = cadence.cadence_run(today=TODAY)
        assert first["overdue"] == 1 and second["overdue"] == 0
        assert all(v == 0 for v in second.values())


def test_the_scheduled_task_runs_the_cadence_in_its_own_unit(world, db):
    from pledges.tasks import run_cadence
    from tenants.scheduling import UNIT_SCHEDULES

    assert "pledges.run_cadence" in {s.task for s in UNIT_SCHEDULES}
    A, B = world["A"], world["B"]
    for key in "AB":
        with unit_run(world[key].unit):
            PledgeItem.objects.filter(pk=world[key].item_id).update(deadline=TODAY - timedelta(days=1))
    with unit_run(A.unit):
        result = run_cadence.apply(throw=True).get()
        assert result["overdue"] == 1
        assert PledgeItem.objects.get(pk=A.item_id).state == PledgeItem.State.OVERDUE
    with unit_run(B.unit):  # unit B's items are B's business: untouched by A's run
        assert PledgeItem.objects.get(pk=B.item_id).state == PledgeItem.State.IN_PROGRESS


def test_an_organisations_items_warn_its_secretary(world, db):
    from pledges.models import Pledge, Round
    from tenants.organization.models import Organization

    from .support import IN_PROPOSE, IN_PUBLISH, IN_REVIEW, item

    A = world["A"]
    with unit_run(A.unit):
        round = Round.objects.get(pk=A.round_id)
        deeds = [item("deed", "service", content=f"Branch deed {i}", deadline=TODAY + timedelta(days=2)) for i in range(3)]
        pledge = services.pledge_create(round=round, who=who(A.secretary), subject=Pledge.Subject.ORGANIZATION,
                                        organization=Organization.objects.get(pk=A.branch_id), items=deeds, today=IN_PROPOSE)
        services.pledge_submit(pledge=pledge, who=who(A.secretary), today=IN_PROPOSE)
        admin = who(A.admin, admin=True)
        services.pledge_approve(pledge=pledge, who=admin, checklist=round.rules["review_checklist"], today=IN_REVIEW)
        services.pledge_publish(pledge=pledge, who=admin, today=IN_PUBLISH)
        assert cadence.deadline_warnings_send(round=round, today=TODAY) == 3
        assert sum("Branch deed" in t for t in _inbox(A.secretary)) == 3


def test_the_last_days_of_proposing_and_reviewing_remind_who_is_late(world, db):
    from .support import round_around_today, submitted_pledge

    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today(theme="Late ones")
        before_review = round.review_on - timedelta(days=2)
        submitted_pledge(A, round)  # the member has pledged; the secretary and the other member have not
        assert cadence.phase_reminders_send(round=round, today=before_review) == 2
        assert cadence.phase_reminders_send(round=round, today=before_review) == 0
        assert any("Propose your pledge" in t or "提出承诺" in t for t in _inbox(A.other_member))
        assert not any("Propose your pledge" in t or "提出承诺" in t for t in _inbox(A.member))
        before_publish = round.publish_on - timedelta(days=1)
        assert cadence.phase_reminders_send(round=round, today=before_publish) == 1  # the branch secretary
        assert any("wait for your review" in t or "待您审核" in t for t in _inbox(A.secretary))
