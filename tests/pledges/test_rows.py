"""The fast list rows (pledges.api.rows) are exactly what the documented serializers give,
for pledges and items in every state the cycle reaches: drafts, submitted, published, with
items closed (by whom, when), overdue and rectifying, progress records, a pledge without items."""
from datetime import timedelta

from django.db.models import Count, Q

from pledges import selectors, services
from pledges.api import rows, serializers as s
from pledges.cadence import overdue_detect
from pledges.models import Pledge, PledgeItem
from tenants.services import unit_run
from tenants.organization.caller import caller_for
from tests.pledges.support import TODAY, member_items, member_of, published_pledge, round_around_today, submitted_pledge, who


def _every_kind_of_pledge(A):
    round = round_around_today(theme="行 rows")
    services.pledge_create(round=round, who=who(A.other_member), items=[], today=TODAY - timedelta(days=80))  # a draft, no items
    submitted_pledge(A, round, user=A.secretary, items=member_items(main=3))
    pledge = published_pledge(A, round, user=A.member, items=member_items(main=3))
    first, second, third = list(pledge.items.order_by("position"))[:3]
    services.record_add(item=first, who=who(A.member), text="走访 12 户", recorded_on=TODAY)
    services.item_request_close(item=first, who=who(A.member), comment="")
    services.item_close(item=PledgeItem.objects.get(pk=first.pk), who=who(A.secretary), evidence="记录齐全")
    PledgeItem.objects.filter(pk__in=[second.pk, third.pk]).update(deadline=TODAY - timedelta(days=1))
    overdue_detect(today=TODAY)
    services.item_rectify(item=PledgeItem.objects.get(pk=third.pk), who=who(A.secretary), rectify_by=TODAY + timedelta(days=7), comment="限期整改")
    return round


def test_pledge_rows_are_the_list_serializers_output(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = _every_kind_of_pledge(A)
        pledges = Pledge.objects.filter(round=round).order_by("id")
        expected = s.PledgeListSerializer(pledges.select_related("round", "member", "organization").annotate(
            item_count=Count("items", distinct=True),
            closed_count=Count("items", filter=Q(items__state=PledgeItem.State.CLOSED), distinct=True),
            overdue_count=Count("items", filter=Q(items__state=PledgeItem.State.OVERDUE), distinct=True),
        ), many=True).data
        got = rows.pledge_rows(selectors.pledge_list_values(pledges))
    assert len(got) == 3 and {p["state"] for p in got} == {"draft", "submitted", "published"}
    assert any(p["item_count"] == 0 for p in got) and any(p["closed_count"] == 1 and p["overdue_count"] == 1 for p in got)
    assert got == [dict(p) for p in expected]


def test_item_rows_are_the_row_serializers_output(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = _every_kind_of_pledge(A)
        items = PledgeItem.objects.filter(pledge__round=round).order_by("id")
        expected = s.ItemRowSerializer(items.select_related("pledge__member", "pledge__organization", "closed_by"), many=True).data
        got = rows.item_rows(selectors.item_row_values(items))
        verifier = member_of(A.secretary).name
    assert {i["state"] for i in got} >= {"closed", "overdue", "rectifying"}
    assert any(i["closed_by_name"] == verifier and i["closed_at"] for i in got)
    assert got == [dict(i) for i in expected]


def test_record_rows_are_the_record_serializers_output(world, db):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIRequestFactory

    from pledges.models import ProgressRecord

    A = world["A"]
    with unit_run(A.unit):
        item = PledgeItem.objects.get(pk=A.item_id)
        photo = SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff\xe0" + b"0" * 64, content_type="image/jpeg")
        services.record_add(item=item, who=who(A.member), text="走访 3 户，附照片", recorded_on=TODAY, files=[photo])
        services.record_add(item=item, who=who(A.member), text="又走访 2 户", recorded_on=TODAY - timedelta(days=3))
        records = ProgressRecord.objects.filter(item=item).order_by("item_id", "recorded_on", "id")
        request = APIRequestFactory().get("/")
        request.unit = A.unit
        expected = s.RecordSerializer(records.select_related("author").prefetch_related("attachments"), many=True,
                                      context={"request": request}).data
        got = rows.record_rows(list(records.values(*selectors.RECORD_COLUMNS)), unit_slug=A.unit.slug)
    assert len(got) == 2 and sum(len(r["attachments"]) for r in got) == 1
    assert got[0]["attachments"] == [] or got[1]["attachments"] == []
    assert got == [dict(r) for r in expected]


def test_a_pledges_page_is_the_detail_serializers_output_for_every_caller(world, db):
    """Every pledge of the round (draft, submitted, published with closed, overdue and
    rectifying items and a close-out photo, a collective pledge with co-members and
    co-organisations), read by its maker, a fellow member, the secretary and the unit admin:
    the whole record for the involved, the public view for the others, nothing for drafts
    that are not theirs."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIRequestFactory

    from django.urls import set_urlconf

    from tenants.organization.models import Organization
    from tenants.routing import _unit_urlconf

    A = world["A"]
    with unit_run(A.unit):
        round = _every_kind_of_pledge(A)
        pledge = Pledge.objects.get(round=round, member=member_of(A.member))
        open_item = pledge.items.exclude(state__in=["closed", "overdue", "rectifying"]).first()
        services.record_add(item=open_item, who=who(A.member), text="整改到位", recorded_on=TODAY)
        services.item_request_close(item=PledgeItem.objects.get(pk=open_item.pk), who=who(A.member), comment="")
        photo = SimpleUploadedFile("销号.jpg", b"\xff\xd8\xff\xe0" + b"0" * 64, content_type="image/jpeg")
        services.item_close(item=PledgeItem.objects.get(pk=open_item.pk), who=who(A.secretary), evidence="照片为证", files=[photo])
        services.pledge_create(
            round=round, who=who(A.secretary), subject=Pledge.Subject.COLLECTIVE, organization=Organization.objects.get(pk=A.branch_id),
            co_members=[member_of(A.member), member_of(A.secretary)], co_organizations=[Organization.objects.get(pk=A.group_id)],
            items=member_items(corrections=0), today=TODAY - timedelta(days=80),
        )
        request = APIRequestFactory().get("/")
        request.unit = A.unit
        set_urlconf(_unit_urlconf()(A.unit.slug))  # as the routing middleware does: letter addresses are the unit's
        callers = {"maker": who(A.member), "fellow": who(A.other_member), "secretary": who(A.secretary), "admin": who(A.admin, admin=True)}
        seen = {"whole": 0, "public": 0, "none": 0}
        for name, caller in callers.items():
            for pk in Pledge.objects.filter(round=round).values_list("pk", flat=True):
                got = rows.pledge_detail(pledge_id=pk, who=caller, unit_slug=A.unit.slug)
                pledge = selectors.pledge_detail(who=caller).filter(pk=pk).first()
                if pledge is None:
                    assert got is None, (name, pk)
                    seen["none"] += 1
                    continue
                co_member_ids = {m.pk for m in pledge.co_members.all()}
                involved = selectors.is_involved(pledge=pledge, who=caller, co_member_ids=co_member_ids)
                serializer = s.PledgeDetailSerializer if involved else s.PublicPledgeSerializer
                assert got == serializer(pledge, context={"request": request}).data, (name, pk)
                seen["whole" if involved else "public"] += 1
                if involved and pledge.co_members.exists():
                    assert len(got["co_members"]) == 2 and len(got["co_organizations"]) == 1
                if involved and any(i["close_attachments"] for i in got["items"]):
                    seen["files"] = seen.get("files", 0) + 1
    set_urlconf(None)
    assert seen["whole"] and seen["public"] and seen["none"] and seen.get("files"), seen


def test_a_members_ledger_is_the_item_and_record_serializers_output(world, db):
    """The member's ledger screen (own and shared pledges, closed items with a photo, records
    with and without files) is ItemSerializer's and RecordSerializer's output, item by item."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIRequestFactory

    from pledges.models import ProgressRecord
    from tenants.organization.models import Organization

    A = world["A"]
    with unit_run(A.unit):
        round = _every_kind_of_pledge(A)
        member = member_of(A.member)
        item = PledgeItem.objects.filter(pledge__round=round, pledge__member=member, state="in_progress").first() or \
            PledgeItem.objects.filter(pledge__round=round, pledge__member=member).exclude(state__in=["closed"]).first()
        photo = SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff\xe0" + b"0" * 64, content_type="image/jpeg")
        services.record_add(item=item, who=who(A.member), text="附照片", recorded_on=TODAY, files=[photo])
        shared = services.pledge_create(
            round=round, who=who(A.secretary), subject=Pledge.Subject.COLLECTIVE, organization=Organization.objects.get(pk=A.branch_id),
            co_members=[member, member_of(A.secretary)], items=member_items(corrections=0), today=TODAY - timedelta(days=80))
        Pledge.objects.filter(pk=shared.pk).update(state=Pledge.State.PUBLISHED)
        request = APIRequestFactory().get("/")
        request.unit = A.unit
        got = rows.member_ledger(member=member, round=round, unit_slug=A.unit.slug)
        items = list(PledgeItem.objects.filter(pledge__round=round, pledge__state__in=selectors.LEDGER_STATES)
                     .filter(Q(pledge__member=member) | Q(pledge__co_members=member)).distinct()
                     .select_related("pledge", "closed_by").prefetch_related("close_attachments").order_by("pledge_id", "position", "id"))
        expected = []
        for i, data in zip(items, s.ItemSerializer(items, many=True, context={"request": request}).data):
            records = ProgressRecord.objects.filter(item=i).select_related("author").prefetch_related("attachments").order_by("recorded_on", "id")
            expected.append({**data, "pledge": i.pledge_id, "subject": i.pledge.subject,
                             "records": [dict(r) for r in s.RecordSerializer(records, many=True, context={"request": request}).data]})
    assert {i["subject"] for i in got["items"]} == {"member", "collective"}
    assert any(r["attachments"] for i in got["items"] for r in i["records"]) and any(i["close_attachments"] == [] for i in got["items"])
    assert any(i["closed_by_name"] for i in got["items"])
    assert got["member"] == {"id": member.pk, "name": member.name, "branch": member.branch.name, "post": member.post}
    assert got["items"] == expected


def test_the_compiled_pledge_list_is_the_filter_sets_list_for_every_caller_and_filter(world, db):
    """pledge_list_rows (what phones open: theirs, a branch's, by state, overdue) gives the
    rows, order and count of the general path (PledgeFilter over pledge_list_visible_to) for
    each kind of caller and each filter, alone and combined."""
    from types import SimpleNamespace

    from django.http import QueryDict

    from pledges.api.views import PledgeFilter
    from tenants.compiled import Paged

    A = world["A"]
    with unit_run(A.unit):
        round = _every_kind_of_pledge(A)
        member = member_of(A.member)
        callers = {"member": who(A.member), "other": who(A.other_member), "secretary": who(A.secretary),
                   "admin": who(A.admin, admin=True), "viewer": caller_for(user_id=world.county_admin_k1.pk, is_read_only=True)}
        queries = ["", "mine=true", "mine=false", f"branch={A.branch_id}", f"branch={A.committee_id}", "state=published",
                   "state=draft&state=submitted", "overdue=true", "overdue=false", "subject=member", f"member={member.pk}",
                   f"round={round.pk}", f"round={round.pk}&branch={A.branch_id}&state=published&overdue=false", "mine=true&overdue=true"]
        compared = 0
        for name, caller in callers.items():
            request = SimpleNamespace(parser_context={"view": SimpleNamespace(caller=caller)})
            visible = selectors.pledge_list_visible_to(who=caller).order_by(*selectors.PLEDGE_LIST_ORDER)
            for query in queries:
                filters = PledgeFilter(QueryDict(query), queryset=visible, request=request)
                assert filters.is_valid(), query
                expected = list(selectors.pledge_list_values(filters.qs))
                chosen = {k: v for k, v in filters.form.cleaned_data.items() if v not in (None, "", [])}
                got = selectors.pledge_list_rows(who=caller, **chosen)
                assert isinstance(got, Paged)
                assert got[0:100] == expected, (name, query)
                assert rows.pledge_rows(got[0:100]) == rows.pledge_rows(expected), (name, query)
                assert got.count() == len(expected), (name, query)
                page, total = got.page(offset=1, limit=2)  # a page and the count in one read
                assert page == got[1:3] and total == (len(expected) if len(expected) > 1 else None), (name, query)
                compared += bool(expected)
    assert compared > 30  # most combinations hold pledges: the comparison is not of empty lists


def test_a_ledger_page_is_the_orm_ledger_for_one_organisation_or_several_and_for_a_state(world, db):
    """The compiled ledger (selectors.ledger_page) has a shape for one organisation and one for
    several, each with and without an item state: every shape gives the ORM ledger's rows
    (selectors.ledger_items) in its order, page after page, with the whole ledger's count."""
    from pledges.models import Round

    A = world["A"]
    with unit_run(A.unit):
        round = Round.objects.get(pk=_every_kind_of_pledge(A).pk)
        seen = {}
        for organizations in ([A.branch_id], [A.branch_id, A.branch2_id, A.group_id]):
            for state in (None, "in_progress", "overdue", "closed", "close_requested"):
                expected = [i.pk for i in selectors.ledger_items(round=round, organization_ids=set(organizations))
                            if state is None or i.state == state]
                paged = selectors.ledger_page(round_id=round.pk, organization_ids=organizations, state=state)
                got, counts = [], set()
                for offset in range(0, len(expected) + 3, 3):
                    page, total = paged.page(offset=offset, limit=3)
                    got += [row["id"] for row in page]
                    counts.add(total)
                assert got == expected, (organizations, state)
                assert counts - {None} == ({len(expected)} if expected else set()) and paged.count() == len(expected)
                seen[state] = seen.get(state, 0) + len(expected)
        assert seen[None] >= 8 and seen["overdue"] >= 2 and seen["closed"] >= 2 and seen["in_progress"] >= 2 and seen["close_requested"] == 0
