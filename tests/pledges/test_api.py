"""Pledges over the mobile API: the cycle as members and secretaries run it, errors, filters, query counts."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pledges.models import Pledge, PledgeItem
from tenants.services import unit_run
from tests.conftest import api_client_for, unit_url

from .support import TODAY, member_items, round_around_today, round_dates

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _json_items(items):
    return [{**i, "deadline": i["deadline"].isoformat()} for i in items]


def _round_in_phase(admin, A, phase_today):
    """Open a round over the API whose dates put today in the phase that `phase_today` was in."""
    shift = TODAY - phase_today
    dates = {k: (v + shift).isoformat() for k, v in round_dates().items()}
    response = admin.post(unit_url(A, "rounds/"), {"year": TODAY.year, "theme": "API round", **dates}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_member_and_secretary_run_the_cycle_over_the_api(world, db):
    from .support import IN_PROPOSE, IN_REVIEW

    A = world["A"]
    admin, member, secretary = api_client_for(A.admin), api_client_for(A.member), api_client_for(A.secretary)
    round = _round_in_phase(admin, A, IN_PROPOSE)
    assert round["phase"] == "propose" and round["rules"]["member_items_min"] == 2

    items = _json_items(member_items(deadline=TODAY + timedelta(days=60)))
    created = member.post(unit_url(A, "pledges/"), {"round": round["id"], "items": items}, format="json")
    assert created.status_code == 201, created.content
    pledge = created.json()
    assert pledge["state"] == "draft" and len(pledge["items"]) == 3 and pledge["letter_url"] is None

    submitted = member.post(unit_url(A, f"pledges/{pledge['id']}/submit/"), {"version": pledge["version"]}, format="json")
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    again = member.post(unit_url(A, f"pledges/{pledge['id']}/submit/"), {}, format="json")
    assert again.status_code == 409 and "已提交" in again.json()["error"]["message"]

    first_item = pledge["items"][0]["id"]
    returned = secretary.post(unit_url(A, f"pledges/{pledge['id']}/return/"),
                              {"item_comments": {str(first_item): "说清楚走访哪些户"}}, format="json")
    assert returned.status_code == 200
    body = returned.json()
    assert body["state"] == "returned" and body["items"][0]["review_comment"] == "说清楚走访哪些户"

    edited_items = [{**items[0], "id": first_item, "content": "走访第三村民小组12户"}, *items[1:]]
    edited = member.patch(unit_url(A, f"pledges/{pledge['id']}/"), {"items": edited_items, "version": body["version"]}, format="json")
    assert edited.status_code == 200 and edited.json()["items"][0]["content"] == "走访第三村民小组12户"
    stale = member.patch(unit_url(A, f"pledges/{pledge['id']}/"), {"title": "stale", "version": body["version"]}, format="json")
    assert stale.status_code == 409

    assert member.post(unit_url(A, f"pledges/{pledge['id']}/submit/"), {}, format="json").status_code == 200
    refused = member.post(unit_url(A, f"pledges/{pledge['id']}/approve/"), {"checklist": round["rules"]["review_checklist"]}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["message"]
    half = secretary.post(unit_url(A, f"pledges/{pledge['id']}/approve/"), {"checklist": ["具体明确"]}, format="json")
    assert half.status_code == 400 and "checklist" in half.json()["error"]["fields"]
    # The review phase begins: the unit admin moves the round's dates.
    shift = TODAY - IN_REVIEW
    admin.patch(unit_url(A, f"rounds/{round['id']}/"), {k: (v + shift).isoformat() for k, v in round_dates().items()}, format="json")
    approved = secretary.post(unit_url(A, f"pledges/{pledge['id']}/approve/"), {"checklist": round["rules"]["review_checklist"]}, format="json")
    assert approved.status_code == 200, approved.content
    detail = approved.json()
    assert detail["state"] == "approved" and detail["letter_url"].endswith(f"/pledges/{pledge['id']}/letter/")
    assert [e["action"] for e in detail["events"]] == ["create", "submit", "return", "comment", "edit", "submit", "approve"]


def test_phase_and_state_errors_are_translated_conflicts(world, db):
    A = world["A"]
    member = api_client_for(A.member)
    items = _json_items(member_items())
    response = member.post(unit_url(A, "pledges/"), {"round": A.round_id, "items": items}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 409
    assert "阶段" in response.json()["error"]["message"]  # "not possible in the 践诺 phase" in Chinese
    english = member.post(unit_url(A, "pledges/"), {"round": A.round_id, "items": items}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert "phase" in english.json()["error"]["message"]


@pytest.mark.parametrize("payload, field", [
    ({"items": [{"content": "x"}]}, "items.0.area"),
    ({"items": [{**_json_items(member_items())[0], "deadline": "2026-02-30"}]}, "items.0.deadline"),
    ({"items": [{**_json_items(member_items())[0], "kind": "bribe"}]}, "items.0.kind"),
    ({"items": "not a list"}, "items"),
    ({"round": "abc"}, "round"),
])
def test_bad_pledge_input_gets_field_errors_and_changes_nothing(world, db, payload, field):
    A = world["A"]
    before = _count_pledges(A)
    body = {"round": A.round_id, "items": _json_items(member_items()), **payload}
    response = api_client_for(A.member).post(unit_url(A, "pledges/"), body, format="json")
    assert response.status_code == 400
    assert any(name == field or name.startswith(field + ".") for name in response.json()["error"]["fields"])
    assert _count_pledges(A) == before


def _count_pledges(A) -> int:
    with unit_run(A.unit):
        return Pledge.objects.count()


def test_progress_record_with_photo_from_the_phone(world, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    A = world["A"]
    member = api_client_for(A.member)
    photo = SimpleUploadedFile("visit.png", PNG, content_type="image/png")
    response = member.post(unit_url(A, f"items/{A.item_id}/records/"), {"text": "走访5户", "files": [photo]}, format="multipart")
    assert response.status_code == 201, response.content
    record = response.json()
    assert record["attachments"][0]["content_type"] == "image/png"
    served = member.get(record["attachments"][0]["url"])  # with the same token (tests/pledges/test_attachments.py for the rest)
    assert served.status_code == 200 and b"".join(served.streaming_content) == PNG
    fake = SimpleUploadedFile("visit.jpg", b"GIF89a not allowed", content_type="image/jpeg")
    refused = member.post(unit_url(A, f"items/{A.item_id}/records/"), {"text": "x", "files": [fake]}, format="multipart")
    assert refused.status_code == 400 and "files.0" in refused.json()["error"]["fields"]
    listed = member.get(unit_url(A, f"items/{A.item_id}/records/")).json()
    assert listed["count"] == 1
    # Someone else's item: the other member cannot record on it.
    assert api_client_for(A.other_member).post(unit_url(A, f"items/{A.item_id}/records/"), {"text": "x"}, format="multipart").status_code == 403


def test_secretary_closes_out_and_sends_back(world, db):
    A = world["A"]
    member, secretary = api_client_for(A.member), api_client_for(A.secretary)
    member.post(unit_url(A, f"items/{A.item_id}/records/"), {"text": "完成"}, format="multipart")
    assert member.post(unit_url(A, f"items/{A.item_id}/close-request/"), {}, format="json").json()["state"] == "close_requested"
    back = secretary.post(unit_url(A, f"items/{A.item_id}/send-back/"), {"comment": ""}, format="json")
    assert back.status_code == 400
    closed = secretary.post(unit_url(A, f"items/{A.item_id}/close/"), {"evidence": "查看走访记录"}, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert secretary.post(unit_url(A, f"items/{A.item_id}/close/"), {"evidence": "again"}, format="json").status_code == 409


def test_secretary_sees_overdue_and_rectifying_items_of_the_branch(world, db):
    from pledges.cadence import overdue_detect

    A = world["A"]
    with unit_run(A.unit):
        PledgeItem.objects.filter(pk=A.item_id).update(deadline=TODAY - timedelta(days=1))
        overdue_detect(today=TODAY)
    secretary = api_client_for(A.secretary)
    rows = secretary.get(unit_url(A, "items/?overdue=true")).json()["results"]
    assert [r["id"] for r in rows] == [A.item_id] and rows[0]["state"] == "overdue"
    rectify = secretary.post(unit_url(A, f"items/{A.item_id}/rectify/"), {"rectify_by": (TODAY + timedelta(days=7)).isoformat(), "comment": "一周内完成"}, format="json")
    assert rectify.status_code == 200 and rectify.json()["state"] == "rectifying"
    # An ordinary member of another branch sees only published items, and no overdue ones of others to chase.
    other = api_client_for(A.other_member).get(unit_url(A, "pledges/?overdue=true&mine=true")).json()
    assert other["count"] == 0


def test_pledge_list_filters(world, db):
    A = world["A"]
    secretary = api_client_for(A.secretary)
    assert secretary.get(unit_url(A, f"pledges/?round={A.round_id}&state=published")).json()["count"] == 1
    assert secretary.get(unit_url(A, f"pledges/?branch={A.branch2_id}")).json()["count"] == 0
    assert secretary.get(unit_url(A, f"pledges/?branch={A.branch_id}")).json()["count"] == 1
    assert secretary.get(unit_url(A, "pledges/?state=draft")).json()["count"] == 0
    assert api_client_for(A.member).get(unit_url(A, "pledges/?mine=true")).json()["results"][0]["id"] == A.pledge_id
    bad = secretary.get(unit_url(A, "pledges/?state=nonsense&branch=x"))
    assert bad.status_code == 400
    error = bad.json()["error"]  # the phone's error envelope, in the caller's language (zh-hans by default)
    assert set(error["fields"]) == {"state", "branch"} and all("\u4e00" <= ch <= "\u9fff" for ch in error["message"][:1])


def test_members_see_drafts_only_of_their_own(world, db):
    from .support import IN_PROPOSE, who
    from pledges import services

    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today(theme="Drafts")
        services.pledge_create(round=round, who=who(A.other_member), items=member_items(), today=IN_PROPOSE)
    mine = api_client_for(A.other_member).get(unit_url(A, f"pledges/?round={round.pk}")).json()
    assert mine["count"] == 1
    assert api_client_for(A.member).get(unit_url(A, f"pledges/?round={round.pk}")).json()["count"] == 0
    # The secretary of branch 1 does not lead branch 2 either.
    assert api_client_for(A.secretary).get(unit_url(A, f"pledges/?round={round.pk}")).json()["count"] == 0
    assert api_client_for(A.admin).get(unit_url(A, f"pledges/?round={round.pk}")).json()["count"] == 1


def _queries(client, path) -> int:
    """Statements a request runs, not counting `SET search_path` (set only when the connection's
    path changes: it depends on the request before, not on this one)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return sum(1 for q in captured.captured_queries if not q["sql"].startswith("SET search_path"))


def test_list_queries_do_not_grow_with_page_size(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today(theme="Many")
        from pledges import services
        from tenants.organization.models import Member
        from .support import IN_PROPOSE, who

        admin = who(A.admin, admin=True)
        for member in Member.objects.all():
            services.pledge_create(round=round, who=admin, member=member, items=member_items(), today=IN_PROPOSE)
    client = api_client_for(A.admin)
    for path in ("pledges/", "items/", f"ledger/branches/{A.branch_id}/"):
        small = _queries(client, unit_url(A, f"{path}?page_size=1&round={round.pk}" if "ledger" not in path else f"{path}?page_size=1"))
        large = _queries(client, unit_url(A, f"{path}?page_size=100&round={round.pk}" if "ledger" not in path else f"{path}?page_size=100"))
        # A first page that holds the whole list needs no COUNT: one query fewer, never more.
        assert large <= small <= large + 1, path
    one = _queries(client, unit_url(A, f"ledger/members/{A.member_ids[1]}/"))
    with unit_run(A.unit):
        from pledges import services
        from .support import who

        item = PledgeItem.objects.get(pk=A.item_id)
        for _ in range(3):
            services.record_add(item=item, who=who(A.member), text="又一次", recorded_on=TODAY)
    assert _queries(client, unit_url(A, f"ledger/members/{A.member_ids[1]}/")) == one


def test_ledgers_and_excel_exports(world, db):
    import io

    from openpyxl import load_workbook

    A = world["A"]
    with unit_run(A.unit):
        from pledges import services
        from .support import who

        services.record_add(item=PledgeItem.objects.get(pk=A.item_id), who=who(A.member), text="走访记录一", recorded_on=TODAY)
    member = api_client_for(A.member)
    ledger = member.get(unit_url(A, f"ledger/members/{A.member_ids[1]}/")).json()
    assert ledger["member"]["name"] == "A Member"
    first = next(i for i in ledger["items"] if i["id"] == A.item_id)
    assert first["records"][0]["text"] == "走访记录一"
    # A member reads their own ledger, not a colleague's (out of their sight: as if it did not exist) nor the branch's.
    assert member.get(unit_url(A, f"ledger/members/{A.member_ids[2]}/")).status_code == 404
    assert member.get(unit_url(A, f"ledger/branches/{A.branch_id}/")).status_code == 403
    secretary = api_client_for(A.secretary)
    rows = secretary.get(unit_url(A, f"ledger/branches/{A.branch_id}/")).json()
    assert rows["count"] == 3 and rows["results"][0]["member"]["name"] == "A Member"
    bogus = secretary.get(unit_url(A, f"ledger/branches/{A.branch_id}/?state=bogus"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert bogus.status_code == 400 and bogus.json()["error"]["code"] == "invalid" and list(bogus.json()["error"]["fields"]) == ["state"]
    assert "closed" in bogus.json()["error"]["fields"]["state"][0]
    assert secretary.get(unit_url(A, f"ledger/branches/{A.branch_id}/?round=x")).status_code == 404
    export = secretary.get(unit_url(A, f"ledger/branches/{A.branch_id}/export/"))
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.content))
    ledger_rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert ledger_rows[1][0] == "承诺主体" and any(r[2] == "A pledge item 1" for r in ledger_rows[2:])
    records = list(book.worksheets[1].iter_rows(values_only=True))
    assert any(r[3] == "走访记录一" for r in records[1:])


def test_rules_are_read_by_members_and_changed_by_admins(world, db):
    A = world["A"]
    member, admin = api_client_for(A.member), api_client_for(A.admin)
    rules = member.get(unit_url(A, "pledge-rules/")).json()
    assert rules["member_items_min"] == 2 and rules["review_checklist"]
    assert member.patch(unit_url(A, "pledge-rules/"), {"member_items_min": 1}, format="json").status_code == 403
    bad = admin.patch(unit_url(A, "pledge-rules/"), {"member_items_min": 9}, format="json")
    assert bad.status_code == 400 and "member_items_min" in bad.json()["error"]["fields"]
    ok = admin.patch(unit_url(A, "pledge-rules/"), {"common_templates": {"agency_member": ["认真学习党章"]}, "monthly_reminder_day": 25}, format="json")
    assert ok.status_code == 200 and ok.json()["monthly_reminder_day"] == 25


def test_the_rules_refuse_a_checklist_point_given_twice_in_chinese(world, db):
    A = world["A"]
    admin = api_client_for(A.admin)
    before = admin.get(unit_url(A, "pledge-rules/")).json()["review_checklist"]
    bad = admin.patch(unit_url(A, "pledge-rules/"), {"review_checklist": ["切实可行", "切实可行"]}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert bad.status_code == 400
    assert "审核要点重复" in " ".join(bad.json()["error"]["fields"]["review_checklist"])
    assert admin.get(unit_url(A, "pledge-rules/")).json()["review_checklist"] == before


def test_pledge_letter_is_a_pdf_once_approved(world, db):
    A = world["A"]
    response = api_client_for(A.member).get(unit_url(A, f"pledges/{A.pledge_id}/letter/"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_round_dates_must_follow_one_another(world, db):
    A = world["A"]
    dates = {k: v.isoformat() for k, v in round_dates().items()}
    dates["review_on"] = dates["mobilise_on"]
    response = api_client_for(A.admin).post(unit_url(A, "rounds/"), {"year": TODAY.year, "theme": "Bad", **dates}, format="json")
    assert response.status_code == 400 and "review_on" in response.json()["error"]["fields"]
    assert api_client_for(A.member).post(unit_url(A, "rounds/"), {"year": TODAY.year, "theme": "x", **dates}, format="json").status_code == 403


def test_unit_admin_publishes_all_approved_pledges(world, db):
    from .support import approved_pledge

    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today(theme="Publish all")
        pledge = approved_pledge(A, round)
    response = api_client_for(A.admin).post(unit_url(A, f"rounds/{round.pk}/publish/"), {}, format="json")
    # Today is in the fulfil phase of this round, when publishing is still allowed.
    assert response.status_code == 200 and response.json() == {"published": 1}
    with unit_run(A.unit):
        from audit.models import AuditEntry
        from notifications.models import Notice

        pledge.refresh_from_db()
        assert pledge.state == "published" and set(pledge.items.values_list("state", flat=True)) == {"in_progress"}
        assert pledge.events.filter(action="publish").count() == 1
        assert AuditEntry.objects.filter(model="pledges.Pledge", object_id=str(pledge.pk), after__state="published").exists()
        assert Notice.objects.filter(audience__user_ids__contains=[A.member.pk], title__in=["Pledge published", "承诺已公示"]).exists()
    assert api_client_for(A.admin).post(unit_url(A, f"rounds/{round.pk}/publish/"), {}, format="json").json() == {"published": 0}
    assert api_client_for(A.secretary).post(unit_url(A, f"rounds/{round.pk}/publish/"), {}, format="json").status_code == 403



def test_secretary_assigns_a_post_then_the_member_may_pledge(world, db):
    A = world["A"]
    with unit_run(A.unit):
        from tenants.organization.models import Member

        Member.objects.filter(user_id=A.member.pk).update(post="")
    secretary = api_client_for(A.secretary)
    # Another member does not even see this member: 404, as for a member who does not exist.
    assert api_client_for(A.other_member).post(unit_url(A, f"members/{A.member_ids[1]}/post/"), {"post": "网格员"}, format="json").status_code == 404
    assert secretary.post(unit_url(A, f"members/{A.member_ids[1]}/post/"), {"post": "  "}, format="json").status_code == 400
    response = secretary.post(unit_url(A, f"members/{A.member_ids[1]}/post/"), {"post": "网格员"}, format="json")
    assert response.status_code == 200 and response.json()["post"] == "网格员"
    # The secretary of branch 1 does not assign posts in branch 2.
    assert secretary.post(unit_url(A, f"members/{A.member_ids[2]}/post/"), {"post": "x"}, format="json").status_code == 404  # out of their sight
    with unit_run(A.unit):
        from pledges import services

        from .support import IN_PROPOSE, who

        pledge = services.pledge_create(round=round_around_today(theme="After the post"), who=who(A.member), items=member_items(), today=IN_PROPOSE)
        assert pledge.member.post == "网格员"


HUGE = "99999999999999999999"  # beyond a bigint: must be "not found" or "invalid", never a crash


@pytest.mark.parametrize("path, expected", [
    (f"pledges/?round={HUGE}", 400), (f"pledges/?branch={HUGE}", 400), (f"items/?round={HUGE}", 400),
    # Numbers whose conversion alone would take the CPU for seconds are refused at once.
    ("pledges/?round=-1E%2B300000", 400), ("items/?member=-1E%2B5000", 400), ("rounds/?year=-1E%2B300000", 400),
    ("audit/?actor_id=-1E%2B300000", 400),
    ("ledger/branches/1/?round=%C2%B2", 404), ("rounds/1/progress/?branch=%C2%B2", 404), ("pledges/?mine=true&round=1", 200),
    (f"ledger/members/{HUGE}/", 404), (f"pledges/{HUGE}/", 404), (f"items/{HUGE}/records/", 404),
    (f"pledges/{HUGE}/letter/", 404), ("items/?state=x", 400),
])
def test_odd_ids_and_filters_are_answered_cleanly(world, db, path, expected):
    A = world["A"]
    assert api_client_for(A.admin).get(unit_url(A, path)).status_code == expected


def test_odd_dates_and_ids_in_bodies_are_400s(world, db):
    A = world["A"]
    admin = api_client_for(A.admin)
    assert admin.post(unit_url(A, "pledges/"), {"round": HUGE, "items": []}, format="json").status_code == 400
    assert admin.post(unit_url(A, "pledges/"), {"round": A.round_id, "co_members": [HUGE], "items": []}, format="json").status_code == 400
    assert admin.patch(unit_url(A, f"rounds/{A.round_id}/"), {"ends_on": "0001-01-01"}, format="json").status_code == 400
    assert admin.post(unit_url(A, f"items/{A.item_id}/records/"), {"text": "x", "recorded_on": "0001-01-01"}, format="json").status_code == 400
    assert admin.patch(unit_url(A, "pledge-rules/"), {"attachment_max_mb": 99999}, format="json").status_code == 400


def test_round_progress_shows_who_has_not_pledged(world, db):
    A = world["A"]
    with unit_run(A.unit):
        from tenants.organization.models import Member

        Member.objects.filter(pk=A.member_ids[0]).update(post="")  # the secretary has no post yet, and no pledge
    secretary = api_client_for(A.secretary)
    body = secretary.get(unit_url(A, f"rounds/{A.round_id}/progress/?branch={A.branch_id}")).json()
    assert [b["branch"]["id"] for b in body["branches"]] == [A.branch_id]  # branch 2 is not theirs
    row = body["branches"][0]
    assert row["members"] == 2 and row["pledged"] == 1 and row["pledges"] == {"published": 1} and row["without_post"] == 1
    assert row["items"] == {"in_progress": 3}
    assert body["not_pledged"] == [{"id": A.member_ids[0], "name": "A Secretary", "post": "", "needs_post": True}]
    assert secretary.get(unit_url(A, f"rounds/{A.round_id}/progress/?branch={A.branch2_id}")).status_code == 404
    admin_rows = api_client_for(A.admin).get(unit_url(A, f"rounds/{A.round_id}/progress/")).json()["branches"]
    assert len(admin_rows) == 2
    assert api_client_for(A.member).get(unit_url(A, f"rounds/{A.round_id}/progress/")).status_code == 403


def test_other_members_see_a_published_pledge_as_the_board_does(world, db):
    from .support import IN_PROPOSE, IN_PUBLISH, IN_REVIEW, who
    from pledges import services

    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today(theme="Privacy")
        pledge = services.pledge_create(round=round, who=who(A.member), items=member_items(shortcoming="SECRET shortcoming"), today=IN_PROPOSE)
        services.pledge_submit(pledge=pledge, who=who(A.member), today=IN_PROPOSE)
        services.pledge_return(pledge=pledge, who=who(A.secretary), comment="SECRET review comment", today=IN_REVIEW)
        services.pledge_submit(pledge=pledge, who=who(A.member), today=IN_REVIEW)
        services.pledge_approve(pledge=pledge, who=who(A.secretary), checklist=round.rules["review_checklist"], today=IN_REVIEW)
        services.pledge_publish(pledge=pledge, who=who(A.secretary), today=IN_PUBLISH)
        item_id = pledge.items.get(kind="correction").pk
    other = api_client_for(A.other_member)
    seen = other.get(unit_url(A, f"pledges/{pledge.pk}/"))
    assert seen.status_code == 200 and "Item 1" in seen.content.decode()
    for private in ("SECRET", "events", "snapshot"):
        assert private not in seen.content.decode(), private
    assert "SECRET" not in other.get(unit_url(A, f"items/?round={round.pk}")).content.decode()
    assert other.get(unit_url(A, f"items/{item_id}/records/")).status_code == 403
    # The member, their secretary and the unit admin see the whole record.
    for insider in (A.member, A.secretary, A.admin):
        text = api_client_for(insider).get(unit_url(A, f"pledges/{pledge.pk}/")).content.decode()
        assert "SECRET review comment" in text and "SECRET shortcoming" in text


def test_secretaries_see_drafts_only_once_submitted(world, db):
    from .support import IN_PROPOSE, who
    from pledges import services

    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today(theme="Drafts stay private")
        pledge = services.pledge_create(round=round, who=who(A.member), items=member_items(), today=IN_PROPOSE)
    secretary = api_client_for(A.secretary)
    assert secretary.get(unit_url(A, f"pledges/{pledge.pk}/")).status_code == 404
    with unit_run(A.unit):
        services.pledge_submit(pledge=pledge, who=who(A.member), today=IN_PROPOSE)
    assert secretary.get(unit_url(A, f"pledges/{pledge.pk}/")).status_code == 200


def test_ledger_export_keeps_pasted_text_and_runs_no_formulas(world, db):
    import io

    from openpyxl import load_workbook

    A = world["A"]
    member = api_client_for(A.member)
    for text in ("第一行\x0b第二行", '=HYPERLINK("http://evil.example","点我")'):
        assert member.post(unit_url(A, f"items/{A.item_id}/records/"), {"text": text}, format="multipart").status_code == 201
    export = api_client_for(A.secretary).get(unit_url(A, f"ledger/branches/{A.branch_id}/export/"))
    assert export.status_code == 200
    records = load_workbook(io.BytesIO(export.content)).worksheets[1]
    cells = {row[3].value: row[3].data_type for row in records.iter_rows(min_row=2)}
    assert cells['=HYPERLINK("http://evil.example","点我")'] == "s"  # text, not a formula
    assert "第一行第二行" in cells


def test_ledgers_hold_approved_pledges_only(world, db):
    from .support import IN_PROPOSE, who
    from pledges import services

    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today(theme="Ledger scope")
        services.pledge_create(round=round, who=who(A.member), items=member_items(content_prefix="DRAFT item"), today=IN_PROPOSE)
    rows = api_client_for(A.secretary).get(unit_url(A, f"ledger/branches/{A.branch_id}/?round={round.pk}")).json()
    assert rows["count"] == 0


def test_a_retried_record_with_the_same_idempotency_key_is_recorded_once(world, db):
    A = world["A"]
    member = api_client_for(A.member)
    path = unit_url(A, f"items/{A.item_id}/records/")
    first = member.post(path, {"text": "走访三户"}, format="multipart", HTTP_IDEMPOTENCY_KEY="phone-42-record-1")
    again = member.post(path, {"text": "走访三户"}, format="multipart", HTTP_IDEMPOTENCY_KEY="phone-42-record-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    other = member.post(path, {"text": "又走访两户"}, format="multipart", HTTP_IDEMPOTENCY_KEY="phone-42-record-2")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    with unit_run(A.unit):
        assert PledgeItem.objects.get(pk=A.item_id).records.count() == 2
    # The key is the caller's own: the same key from someone else is a different request.
    assert api_client_for(A.secretary).post(path, {"text": "x"}, format="multipart", HTTP_IDEMPOTENCY_KEY="phone-42-record-1").status_code == 403
    assert member.post(path, {"text": "x"}, format="multipart", HTTP_IDEMPOTENCY_KEY="x" * 101).status_code == 400


def test_a_retry_while_the_first_request_runs_is_a_conflict(world, db):
    from django.core.cache import cache

    A = world["A"]
    path = unit_url(A, f"items/{A.item_id}/records/")
    with unit_run(A.unit):  # the first request is still running
        cache.set(f"idempotency:{A.member.pk}:{path}:in-flight", "pending", 60)
    response = api_client_for(A.member).post(path, {"text": "x"}, format="multipart", HTTP_IDEMPOTENCY_KEY="in-flight")
    assert response.status_code == 409
    with unit_run(A.unit):
        assert PledgeItem.objects.get(pk=A.item_id).records.count() == 0
