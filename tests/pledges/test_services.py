"""The pledge state machine: who may take which step, in which phase, from which state."""
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from pledges import services
from pledges.models import Pledge, PledgeEvent, PledgeItem
from pledges.selectors import rules_current
from tenants.organization.models import Member
from tenants.services import unit_run

from .support import (
    IN_FULFIL, IN_PROPOSE, IN_PUBLISH, IN_REVIEW, TODAY, item, member_items, member_of, published_pledge, round_around_today,
    submitted_pledge, who,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _in_english():
    # The messages are checked in English here; the API tests check the Chinese ones.
    from django.utils import translation

    with translation.override("en"):
        yield


def _conflict(excinfo) -> bool:
    return getattr(excinfo.value, "code", None) == "conflict"


def test_propose_return_with_item_comments_resubmit_approve_publish_keeps_history(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        pledge = services.pledge_create(round=round, who=who(A.member), items=member_items(), today=IN_PROPOSE)
        services.pledge_submit(pledge=pledge, who=who(A.member), today=IN_PROPOSE)
        first = pledge.items.order_by("position").first()
        services.pledge_return(pledge=pledge, who=who(A.secretary), comment="Tie it to your post",
                               item_comments={first.pk: "Too vague: say which households"}, today=IN_REVIEW)
        pledge.refresh_from_db()
        first.refresh_from_db()
        assert pledge.state == Pledge.State.RETURNED
        assert first.review_comment == "Too vague: say which households"

        items = [{**item(content="Visit the 12 households of group 3"), "id": first.pk}, *member_items(main=1)]
        services.pledge_update(pledge=pledge, who=who(A.member), items=items, today=IN_REVIEW)
        services.pledge_submit(pledge=pledge, who=who(A.member), today=IN_REVIEW)
        services.pledge_approve(pledge=pledge, who=who(A.secretary), checklist=rules_current().review_checklist, today=IN_REVIEW)
        services.pledge_publish(pledge=pledge, who=who(A.secretary), today=IN_PUBLISH)

        pledge.refresh_from_db()
        assert pledge.state == Pledge.State.PUBLISHED
        assert set(pledge.items.values_list("state", flat=True)) == {PledgeItem.State.IN_PROGRESS}
        actions = list(pledge.events.values_list("action", flat=True))
        assert actions == ["create", "submit", "return", "comment", "edit", "submit", "approve", "publish"]
        snapshots = [e.snapshot for e in pledge.events.filter(action="submit")]
        assert snapshots[0][0]["content"] == "Item 1" and snapshots[1][0]["content"] == "Visit the 12 households of group 3"
        assert snapshots[1][0]["id"] == first.pk  # the commented item kept its identity
        assert AuditEntry.objects.filter(model="pledges.Pledge", object_id=str(pledge.pk), action="update").count() >= 5


@pytest.mark.parametrize("items, field, words", [
    (member_items(main=1), "items", "Too few"),
    (member_items(main=4), "items", "Too many"),
    (member_items(corrections=0), "items", "shortcoming"),
])
def test_submission_enforces_the_item_counts(world, db, items, field, words):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        pledge = services.pledge_create(round=round, who=who(A.member), items=items, today=IN_PROPOSE)
        with pytest.raises(ValidationError) as excinfo:
            services.pledge_submit(pledge=pledge, who=who(A.member), today=IN_PROPOSE)
        assert words in " ".join(excinfo.value.message_dict[field])
        pledge.refresh_from_db()
        assert pledge.state == Pledge.State.DRAFT


def test_items_must_fall_in_the_round_and_use_its_areas(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        late = item(deadline=round.ends_on + timedelta(days=1))
        correction_without_shortcoming = item("correction", "discipline", shortcoming="")
        with pytest.raises(ValidationError) as excinfo:
            services.pledge_create(round=round, who=who(A.member), items=[late, item(area="leisure"), correction_without_shortcoming], today=IN_PROPOSE)
        errors = excinfo.value.message_dict
        assert "deadline must fall within the round" in errors["items.0.deadline"][0]
        assert "items.1.area" in errors and "items.2.shortcoming" in errors
        assert not Pledge.objects.filter(round=round).exists()


def test_leaders_and_secretaries_pledge_more(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        pledge = services.pledge_create(round=round, who=who(A.secretary), items=member_items(main=2), today=IN_PROPOSE)
        with pytest.raises(ValidationError, match="at least 3"):
            services.pledge_submit(pledge=pledge, who=who(A.secretary), today=IN_PROPOSE)


def test_a_member_without_a_post_is_given_one_before_pledging(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        Member.objects.filter(user_id=A.member.pk).update(post="")
        with pytest.raises(ValidationError, match="assigns a post first"):
            services.pledge_create(round=round, who=who(A.member), items=member_items(), today=IN_PROPOSE)


def test_exempt_members_pledge_within_their_strength(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        Member.objects.filter(user_id=A.member.pk).update(is_exempt=True)
        pledge = services.pledge_create(round=round, who=who(A.member), items=[item()], today=IN_PROPOSE)
        services.pledge_submit(pledge=pledge, who=who(A.member), today=IN_PROPOSE)
        assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.SUBMITTED


def test_steps_outside_their_phase_are_refused_with_the_reason(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        with pytest.raises(ValidationError) as excinfo:
            services.pledge_create(round=round, who=who(A.member), items=member_items(), today=IN_FULFIL)
        assert _conflict(excinfo) and "Fulfil" in excinfo.value.messages[0]
        pledge = submitted_pledge(A, round)
        with pytest.raises(ValidationError) as excinfo:
            services.pledge_approve(pledge=pledge, who=who(A.secretary), checklist=rules_current().review_checklist, today=IN_FULFIL)
        assert _conflict(excinfo)


def test_only_the_reviewer_reviews_and_never_their_own_pledge(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        pledge = submitted_pledge(A, round)
        checklist = rules_current().review_checklist
        with pytest.raises(PermissionDenied):
            services.pledge_approve(pledge=pledge, who=who(A.other_member), checklist=checklist, today=IN_REVIEW)
        with pytest.raises(PermissionDenied):
            services.pledge_approve(pledge=pledge, who=who(A.member), checklist=checklist, today=IN_REVIEW)
        with pytest.raises(ValidationError, match="checklist"):
            services.pledge_approve(pledge=pledge, who=who(A.secretary), checklist=checklist[:1], today=IN_REVIEW)
        # The secretary's own pledge goes to the organisation above (here: no secretary, so the unit admins).
        own = submitted_pledge(A, round, user=A.secretary, items=member_items(main=3))
        assert own.reviewer_organization_id == A.committee_id
        with pytest.raises(PermissionDenied):
            services.pledge_approve(pledge=own, who=who(A.secretary), checklist=checklist, today=IN_REVIEW)
        services.pledge_approve(pledge=own, who=who(A.admin, admin=True), checklist=checklist, today=IN_REVIEW)


def test_illegal_transitions_are_conflicts(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        pledge = submitted_pledge(A, round)
        with pytest.raises(ValidationError) as excinfo:
            services.pledge_submit(pledge=pledge, who=who(A.member), today=IN_PROPOSE)
        assert _conflict(excinfo) and "already been submitted" in excinfo.value.messages[0]
        with pytest.raises(ValidationError) as excinfo:
            services.pledge_publish(pledge=pledge, who=who(A.secretary), today=IN_PUBLISH)
        assert _conflict(excinfo)
        with pytest.raises(ValidationError) as excinfo:
            services.pledge_create(round=round, who=who(A.member), items=member_items(), today=IN_PROPOSE)
        assert _conflict(excinfo) and "already a pledge" in excinfo.value.messages[0]


def test_stale_version_is_refused(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        pledge = services.pledge_create(round=round, who=who(A.member), items=member_items(), today=IN_PROPOSE)
        services.pledge_update(pledge=pledge, who=who(A.member), title="First edit", version=1, today=IN_PROPOSE)
        with pytest.raises(ValidationError) as excinfo:
            services.pledge_update(pledge=pledge, who=who(A.member), title="Stale edit", version=1, today=IN_PROPOSE)
        assert _conflict(excinfo)
        assert Pledge.objects.get(pk=pledge.pk).title == "First edit"


def test_rule_changes_apply_to_the_next_round_only(world, db):
    A = world["A"]
    with unit_run(A.unit):
        running = round_around_today()
        services.rules_update(changes={"member_items_min": 3, "member_items_max": 4})
        later = round_around_today(theme="Next round")
        assert running.rules["member_items_min"] == 2 and later.rules["member_items_min"] == 3
        pledge = services.pledge_create(round=running, who=who(A.member), items=member_items(main=2), today=IN_PROPOSE)
        services.pledge_submit(pledge=pledge, who=who(A.member), today=IN_PROPOSE)  # the running round keeps 2–3


def test_bad_rules_are_refused(world, db):
    with unit_run(world["A"].unit):
        with pytest.raises(ValidationError) as excinfo:
            services.rules_update(changes={"member_items_min": 5, "member_items_max": 2, "common_templates": {"nobody": ["x"]}})
        assert {"member_items_min", "common_templates"} <= set(excinfo.value.message_dict)
        assert rules_current().member_items_min == 2


@pytest.mark.parametrize("changes, field", [
    ({"member_items_min": 0}, "member_items_min"),  # a pledge of no items
    ({"organization_items_min": 0, "organization_items_max": 0}, "organization_items_min"),
    ({"member_items_max": 21}, "member_items_max"),
    ({"review_checklist": ["联系岗位实际", "切实可行", "联系岗位实际"]}, "review_checklist"),  # one point twice
    ({"review_checklist": ["切实\x00可行"]}, "review_checklist"),  # PostgreSQL keeps no NUL
    ({"review_checklist": ["  "]}, "review_checklist"),
    ({"review_checklist": [f"要点{n}" for n in range(21)]}, "review_checklist"),
    ({"common_templates": {"rural_member": ["带头致富\x00"]}}, "common_templates"),
    ({"common_templates": {"community_member": [f"承诺{n}" for n in range(21)]}}, "common_templates"),
    ({"common_templates": {"rural_member": [""]}}, "common_templates"),
])
def test_rules_a_round_could_not_use_are_refused_and_change_nothing(world, db, changes, field):
    with unit_run(world["A"].unit):
        before = rules_current()
        with pytest.raises(ValidationError) as excinfo:
            services.rules_update(changes=changes)
        assert list(excinfo.value.message_dict) == [field]
        after = rules_current()
        assert (after.member_items_min, after.review_checklist, after.common_templates) == (
            before.member_items_min, before.review_checklist, before.common_templates)


def test_a_bad_tiers_common_pledges_are_named_by_the_tier(world, db):
    with unit_run(world["A"].unit), pytest.raises(ValidationError) as excinfo:
        services.rules_update(changes={"common_templates": {"rural_member": ["x" * 1001]}})
    assert "Rural member" in excinfo.value.message_dict["common_templates"][0]


def test_fulfil_record_report_close_out_completes_the_pledge(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        pledge = published_pledge(A, round, items=member_items(main=2))
        items = list(pledge.items.order_by("position"))
        with pytest.raises(ValidationError, match="Record what was done"):
            services.item_request_close(item=items[0], who=who(A.member), today=IN_FULFIL)
        photo = SimpleUploadedFile("visit.png", PNG, content_type="image/png")
        record = services.record_add(item=items[0], who=who(A.member), text="Visited 5 households", recorded_on=TODAY, files=[photo], today=IN_FULFIL)
        assert record.attachments.get().content_type == "image/png"
        services.item_request_close(item=items[0], who=who(A.member), today=IN_FULFIL)
        services.item_send_back(item=items[0], who=who(A.secretary), comment="Photos of the other 7 households", today=IN_FULFIL)
        assert PledgeItem.objects.get(pk=items[0].pk).state == PledgeItem.State.IN_PROGRESS
        for each in items:
            if each.record_count == 0 and each.pk != items[0].pk:
                services.record_add(item=each, who=who(A.member), text="Done", recorded_on=TODAY, today=IN_FULFIL)
            with pytest.raises(PermissionDenied):
                services.item_close(item=each, who=who(A.member), evidence="I say so", today=IN_FULFIL)
            services.item_close(item=each, who=who(A.secretary), evidence="Checked the visit log", today=IN_FULFIL)
        pledge.refresh_from_db()
        assert pledge.state == Pledge.State.COMPLETED
        closed = PledgeItem.objects.get(pk=items[0].pk)
        assert closed.closed_by == member_of(A.secretary) and closed.close_evidence == "Checked the visit log"
        with pytest.raises(ValidationError) as excinfo:
            services.item_close(item=closed, who=who(A.secretary), evidence="again", today=IN_FULFIL)
        assert _conflict(excinfo)


@pytest.mark.parametrize("name, content, words", [
    ("virus.png", b"MZ\x90\x00 not an image", "not an accepted type"),
    ("big.jpg", b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), "too large"),
    ("empty.png", b"", "empty"),
])
def test_attachments_are_checked_and_nothing_is_half_saved(world, db, name, content, words):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        first = published_pledge(A, round).items.first()
        upload = SimpleUploadedFile(name, content)
        with pytest.raises(ValidationError) as excinfo:
            services.record_add(item=first, who=who(A.member), text="x", recorded_on=TODAY, files=[upload], today=IN_FULFIL)
        assert words in " ".join(m for ms in excinfo.value.message_dict.values() for m in ms)
        first.refresh_from_db()
        assert first.record_count == 0 and not first.records.exists()


def test_records_are_dated_within_the_round(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        first = published_pledge(A, round).items.first()
        for day in (TODAY + timedelta(days=1), round.publish_on - timedelta(days=1)):
            with pytest.raises(ValidationError):
                services.record_add(item=first, who=who(A.member), text="x", recorded_on=day, today=IN_FULFIL)


def test_overdue_items_are_chased_and_rectified(world, db):
    from pledges.cadence import overdue_detect

    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        items = member_items(deadline=IN_PUBLISH + timedelta(days=1))
        pledge = published_pledge(A, round, items=items)
        assert overdue_detect(today=TODAY) == 3
        assert overdue_detect(today=TODAY) == 0  # a second run changes nothing
        overdue = pledge.items.first()
        assert overdue.state == PledgeItem.State.OVERDUE
        assert pledge.events.filter(action=PledgeEvent.Action.OVERDUE).count() == 3
        services.item_rectify(item=overdue, who=who(A.secretary), rectify_by=TODAY + timedelta(days=10), comment="Finish the visits", today=TODAY)
        assert PledgeItem.objects.get(pk=overdue.pk).state == PledgeItem.State.RECTIFYING
        assert overdue_detect(today=TODAY + timedelta(days=11)) == 1
        assert PledgeItem.objects.get(pk=overdue.pk).state == PledgeItem.State.OVERDUE


def test_opening_a_round_tells_every_member_with_a_login(world, db):
    from notifications.models import Notification
    from notifications.services import outbox_deliver_pending

    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today(theme="Year of service")
        outbox_deliver_pending()
        told = set(Notification.objects.filter(title__contains="Year of service").values_list("recipient_id", flat=True))
        assert told == {A.secretary.pk, A.member.pk, A.other_member.pk}
        assert round.rules["common_templates"]["agency_member"]  # the default texts travel with the round


def test_organisation_and_collective_pledges_go_to_the_level_above(world, db):
    from tenants.organization.models import Organization

    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        branch = Organization.objects.get(pk=A.branch_id)
        deeds = [item("deed", "service", content=f"Deed {i}") for i in range(3)]
        org_pledge = services.pledge_create(round=round, who=who(A.secretary), subject=Pledge.Subject.ORGANIZATION, organization=branch, items=deeds, today=IN_PROPOSE)
        services.pledge_submit(pledge=org_pledge, who=who(A.secretary), today=IN_PROPOSE)
        assert Pledge.objects.get(pk=org_pledge.pk).reviewer_organization_id == A.committee_id
        with pytest.raises(PermissionDenied):  # the branch secretary proposed it and cannot approve it
            services.pledge_approve(pledge=org_pledge, who=who(A.secretary), checklist=rules_current().review_checklist, today=IN_REVIEW)

        members = list(Member.objects.filter(branch_id=A.branch_id))
        with pytest.raises(PermissionDenied):  # only the organisation's secretary proposes for it
            services.pledge_create(round=round, who=who(A.member), subject=Pledge.Subject.COLLECTIVE, organization=branch, co_members=members, items=member_items(corrections=0), today=IN_PROPOSE)
        collective = services.pledge_create(round=round, who=who(A.secretary), subject=Pledge.Subject.COLLECTIVE, organization=branch,
                                            co_members=members, items=member_items(corrections=0), today=IN_PROPOSE)
        services.pledge_submit(pledge=collective, who=who(A.secretary), today=IN_PROPOSE)  # corrections are personal, not required here
        assert Pledge.objects.get(pk=collective.pk).reviewer_organization_id == A.committee_id
        services.pledge_approve(pledge=collective, who=who(A.admin, admin=True), checklist=rules_current().review_checklist, today=IN_REVIEW)
        services.pledge_publish(pledge=collective, who=who(A.admin, admin=True), today=IN_PUBLISH)
        # A member pledging together records progress; the unit admin may record too (no member record of their own).
        first = collective.items.first()
        services.record_add(item=first, who=who(A.member), text="一起走访", recorded_on=TODAY, today=IN_FULFIL)
        record = services.record_add(item=first, who=who(A.admin, admin=True), text="单位补记", recorded_on=TODAY, today=IN_FULFIL)
        assert record.author is None
        with pytest.raises(PermissionDenied):
            services.record_add(item=first, who=who(A.other_member), text="not mine", recorded_on=TODAY, today=IN_FULFIL)


def test_a_collective_pledge_names_members_of_the_organisation(world, db):
    from tenants.organization.models import Organization

    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        outsider = Member.objects.get(pk=A.member_ids[2])  # in branch 2
        with pytest.raises(ValidationError, match="belongs to the organisation"):
            services.pledge_create(round=round, who=who(A.secretary), subject=Pledge.Subject.COLLECTIVE,
                                   organization=Organization.objects.get(pk=A.branch_id), co_members=[member_of(A.member), outsider],
                                   items=member_items(), today=IN_PROPOSE)


def test_unit_admins_do_not_approve_their_own_pledge_either(world, db):
    from accounts.models import UnitRole

    A = world["A"]
    UnitRole.objects.create(user=A.member, unit=A.unit, role=UnitRole.Role.UNIT_ADMIN)
    with unit_run(A.unit):
        round = round_around_today()
        pledge = submitted_pledge(A, round)
        with pytest.raises(PermissionDenied):
            services.pledge_approve(pledge=pledge, who=who(A.member, admin=True), checklist=rules_current().review_checklist, today=IN_REVIEW)


def test_item_ids_in_an_edit_must_be_this_pledges_and_unique(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        pledge = services.pledge_create(round=round, who=who(A.member), items=member_items(), today=IN_PROPOSE)
        first = pledge.items.first().pk
        for ids in ([first, first, None], [first, 999999, None]):
            items = [{**data, "id": pk} for data, pk in zip(member_items(), ids)]
            with pytest.raises(ValidationError, match="item id"):
                services.pledge_update(pledge=pledge, who=who(A.member), items=items, today=IN_PROPOSE)
        assert pledge.items.count() == 3


def test_round_dates_stay_near_the_rounds_year(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        with pytest.raises(ValidationError, match="Keep the dates"):
            services.round_update(round=round, dates={"ends_on": TODAY.replace(year=9999)})


def test_the_same_campaign_opens_one_round_however_often_it_arrives(world, db):
    A = world["A"]
    from .support import round_dates

    with unit_run(A.unit):
        first = services.round_open(year=TODAY.year, theme="Campaign", dates=round_dates(), campaign_id=77)
        again = services.round_open(year=TODAY.year, theme="Campaign", dates=round_dates(), campaign_id=77)
        assert first.pk == again.pk


def test_members_hear_of_a_new_round_by_its_name_with_the_year_once(world, db):
    from django.utils import translation

    from notifications.models import OutboxMessage

    from .support import round_dates

    with unit_run(world["A"].unit), translation.override("zh-hans"):
        plain = services.round_open(year=TODAY.year, theme="亮身份 作表率", dates=round_dates())
        said = services.round_open(year=TODAY.year, theme=f"{TODAY.year}年度党员公开承诺", dates=round_dates())
        titles = [OutboxMessage.objects.get(dedupe_key=f"round-open:{r.pk}").payload["title"] for r in (plain, said)]
    assert f"{TODAY.year}年度亮身份 作表率" in titles[0] and f"{TODAY.year}年度党员公开承诺" in titles[1]
    assert [title.count(str(TODAY.year)) for title in titles] == [1, 1]


def test_sending_back_a_late_item_makes_it_overdue_with_history(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today()
        pledge = published_pledge(A, round)
        item_ = pledge.items.first()
        services.record_add(item=item_, who=who(A.member), text="done", recorded_on=TODAY, today=IN_FULFIL)
        services.item_request_close(item=item_, who=who(A.member), today=IN_FULFIL)
        services.item_send_back(item=item_, who=who(A.secretary), comment="not yet", today=item_.deadline + timedelta(days=1))
        item_.refresh_from_db()
        assert item_.state == PledgeItem.State.OVERDUE
        assert pledge.events.filter(item=item_, action=PledgeEvent.Action.OVERDUE).exists()
