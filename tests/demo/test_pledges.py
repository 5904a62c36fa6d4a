"""The demo round `make run` seeds: today in the fulfil phase, pledges and items in every state."""
from datetime import date

from django.utils import timezone

from notifications.models import OutboxMessage
from demo.pledges import demo_pledges_seed
from pledges.models import Phase, Pledge, PledgeItem, ProgressRecord, Round
from tenants.organization.models import Member, Organization
from tenants.organization.services import member_create
from tenants.services import unit_run

POSTS = ["网格员", "教师", "村务监督员", "会计", "护林员", "Clerk"]


def _more_members(unit_world) -> tuple[Member, Member]:
    """Enough members for every outcome, plus one without a post and one exempt."""
    branch = Organization.objects.get(pk=unit_world.branch_id)
    for i in range(18):
        member_create(
            unit=unit_world.unit, name=f"C 党员{i}", gender="male" if i % 2 else "female", birth_date=date(1980, 1, 1 + i),
            joined_on=date(2005, 7, 1), phone=f"1365550{i:04d}", post=POSTS[i % len(POSTS)], tier="agency_member", branch=branch,
        )
    no_post = member_create(unit=unit_world.unit, name="C 待设岗", gender="male", birth_date=date(1990, 1, 1), joined_on=date(2015, 7, 1),
                            phone="13655509998", post="", tier="agency_member", branch=branch)
    exempt = member_create(unit=unit_world.unit, name="C 老党员", gender="female", birth_date=date(1948, 1, 1), joined_on=date(1970, 7, 1),
                           phone="13655509999", post="", tier="agency_member", branch=branch, is_exempt=True)
    return no_post, exempt


def test_demo_round_is_in_fulfilment_with_every_state(world, db):
    today = timezone.localdate()
    with unit_run(world["C"].unit):
        Pledge.objects.all().delete()  # the shared world's round; the demo seeds units without one
        Round.objects.all().delete()
        no_post, exempt = _more_members(world["C"])

    counts = demo_pledges_seed(unit=world["C"].unit, today=today)

    assert counts is not None
    with unit_run(world["C"].unit):
        round = Round.objects.get()
        assert round.year == today.year and round.phase_on(today) == Phase.FULFIL
        pledges = Pledge.objects.filter(round=round)
        assert set(pledges.values_list("state", flat=True)) == set(Pledge.State.values)
        assert {Pledge.Subject.MEMBER, Pledge.Subject.ORGANIZATION, Pledge.Subject.COLLECTIVE} <= set(pledges.values_list("subject", flat=True))
        items = PledgeItem.objects.filter(pledge__round=round)
        assert set(items.values_list("state", flat=True)) == set(PledgeItem.State.values)
        assert not pledges.filter(member__in=[no_post, exempt]).exists()

        for item in items.filter(pledge__state__in=(Pledge.State.PUBLISHED, Pledge.State.COMPLETED)):
            assert item.record_count >= 1 and item.records.count() == item.record_count
        assert not ProgressRecord.objects.filter(recorded_on__gt=today).exists()
        assert not ProgressRecord.objects.filter(recorded_on__lt=round.publish_on).exists()
        assert all(i.deadline < today for i in items.filter(state=PledgeItem.State.OVERDUE))
        assert all(i.rectify_by > today for i in items.filter(state=PledgeItem.State.RECTIFYING))
        assert all(i.close_evidence for i in items.filter(state=PledgeItem.State.CLOSED))
        returned = items.filter(pledge__state=Pledge.State.RETURNED)
        assert returned.exclude(review_comment="").exists()
        assert items.filter(kind="correction").exclude(shortcoming="").exists()
        assert OutboxMessage.objects.exists()

    assert demo_pledges_seed(unit=world["C"].unit, today=today) is None  # once per unit
