"""The fast list rows (pledges.api.rows) are exactly what the documented serializers give,
for pledges and items in every state the cycle reaches: drafts, submitted, published, with
items closed (by whom, when), overdue and rectifying, progress records, a pledge without items."""
from datetime import timedelta

from django.db.models import Count, Q

from pledges import services
from pledges.api import rows, serializers as s
from pledges.cadence import overdue_detect
from pledges.models import Pledge, PledgeItem
from tenants.services import unit_run
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
        got = rows.pledge_rows(pledges.values(*rows.PLEDGE_COLUMNS))
    assert len(got) == 3 and {p["state"] for p in got} == {"draft", "submitted", "published"}
    assert any(p["item_count"] == 0 for p in got) and any(p["closed_count"] == 1 and p["overdue_count"] == 1 for p in got)
    assert got == [dict(p) for p in expected]


def test_item_rows_are_the_row_serializers_output(world, db):
    A = world["A"]
    with unit_run(A.unit):
        round = _every_kind_of_pledge(A)
        items = PledgeItem.objects.filter(pledge__round=round).order_by("id")
        expected = s.ItemRowSerializer(items.select_related("pledge__member", "pledge__organization", "closed_by"), many=True).data
        got = rows.item_rows(items.values(*rows.ITEM_COLUMNS))
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
        got = rows.record_rows(records.values(*rows.RECORD_COLUMNS), unit_slug=A.unit.slug)
    assert len(got) == 2 and sum(len(r["attachments"]) for r in got) == 1
    assert got[0]["attachments"] == [] or got[1]["attachments"] == []
    assert got == [dict(r) for r in expected]
