"""County notices: sent from a county to its units, carried into each unit by a unit task, delivered
there by the unit's own pipeline, with delivery and read counts per unit and organisation pushed back up."""
import pytest
from django.db import connection

from notifications.models import Notice
from notifications.services import outbox_deliver_pending
from oversight import notices
from oversight.models import CountyNotice, CountyNoticeUnit
from tenants.models import Unit
from tenants.services import unit_run
from tests.conftest import api_client_for

URL = "/api/v1/oversight/notices/"


def _carry(world, keys, county_notice_id):
    """What each unit's task does (oversight.carry_notice, then the unit's outbox)."""
    for key in keys:
        with unit_run(world[key].unit):
            notices.county_notice_carry(county_notice_id=county_notice_id)
            notices.county_notice_carry(county_notice_id=county_notice_id)  # the task delivered twice: once
            outbox_deliver_pending()
    connection.set_schema_to_public()


def test_a_county_notice_reaches_every_unit_of_the_county_and_counts_come_back_per_unit_and_branch(world, db):
    county = api_client_for(world.county_admin_k1)
    sent = county.post(URL, {"title": "县委通知", "body": "请各单位组织学习。"}, format="json")
    assert sent.status_code == 202, sent.json()
    body = sent.json()
    assert body["units_total"] == 2 and body["units_delivered"] == 0 and {u["slug"] for u in body["units"]} == {"unit-a", "unit-b"}
    _carry(world, "AB", body["id"])
    for key in "AB":
        with unit_run(world[key].unit):
            notice = Notice.objects.get(county_notice_id=body["id"])
            assert notice.sender_name == "County K1" and notice.inbox.count() == 3
    with unit_run(world["C"].unit):
        assert not Notice.objects.filter(county_notice_id=body["id"]).exists()
    # A member of A reads it: A's counts go up (the debounced task's work, done here directly).
    A = world["A"]
    member = api_client_for(A.member)
    [message] = [n for n in member.get("/api/v1/u/unit-a/notifications/").json()["results"] if n["title"] == "县委通知"]
    member.post(f"/api/v1/u/unit-a/notifications/{message['id']}/read/")
    with unit_run(A.unit):
        notices.counts_push(Notice.objects.get(county_notice_id=body["id"]))
    connection.set_schema_to_public()
    detail = county.get(f"{URL}{body['id']}/").json()
    assert (detail["units_delivered"], detail["recipients"], detail["delivered"], detail["read"]) == (2, 6, 6, 1)
    unit_a = next(u for u in detail["units"] if u["slug"] == "unit-a")
    assert unit_a["status"] == "delivered" and {o["name"]: (o["delivered"], o["read"]) for o in unit_a["by_organisation"]} == {
        "A Branch 1": (2, 1), "A Branch 2": (1, 0)}


def test_county_admins_see_and_reach_only_their_own_county(world, db):
    k1 = api_client_for(world.county_admin_k1)
    sent = k1.post(URL, {"title": "只给本县"}, format="json").json()
    k2 = api_client_for(world.county_admin_k2)
    assert k2.get(f"{URL}{sent['id']}/").status_code == 404
    assert all(n["id"] != sent["id"] for n in k2.get(URL).json()["results"])
    assert k2.post(f"{URL}{sent['id']}/remind/").status_code == 404
    foreign = k2.post(URL, {"title": "越界", "units": ["unit-a"]}, format="json")
    assert foreign.status_code == 400 and "units" in foreign.json()["error"]["fields"]
    for outsider in (world.outsider, world["A"].admin, world["A"].member):
        refused = api_client_for(outsider).post(URL, {"title": "无权"}, format="json")
        assert refused.status_code == 400 and "jurisdiction" in refused.json()["error"]["fields"]
    assert CountyNotice.objects.filter(title__in=["越界", "无权"]).count() == 0


@pytest.mark.parametrize("body, field", [
    ({"title": ""}, "title"),
    ({"title": "长文", "body": "字" * 5001}, "body"),
    ({"title": "渠道", "channels": ["fax"]}, "channels"),
    ({"title": "角色", "role": "everyone"}, "role"),
    ({"title": "空", "units": []}, "units"),
    ({"title": "无此单位", "units": ["no-such-unit"]}, "units"),
])
def test_bad_county_notices_are_refused_and_send_nothing(world, db, body, field):
    before = CountyNotice.objects.count()
    response = api_client_for(world.county_admin_k1).post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert CountyNotice.objects.count() == before


def test_a_notice_to_a_unit_being_migrated_is_refused_whole(world, db):
    Unit.objects.filter(pk=world["B"].unit.pk).update(status=Unit.Status.MIGRATING)
    response = api_client_for(world.county_admin_k1).post(URL, {"title": "升级中"}, format="json")
    assert response.status_code == 409 and "Unit B" in response.json()["error"]["message"]
    assert not CountyNotice.objects.filter(title="升级中").exists()
    chosen = api_client_for(world.county_admin_k1).post(URL, {"title": "只发A", "units": ["unit-a"]}, format="json")
    assert chosen.status_code == 202 and chosen.json()["units_total"] == 1


def test_county_reminders_reach_those_who_have_not_read(world, db, django_capture_on_commit_callbacks):
    county = api_client_for(world.county_admin_k1)
    sent = county.post(URL, {"title": "请阅读"}, format="json").json()
    _carry(world, "AB", sent["id"])
    with django_capture_on_commit_callbacks(execute=False):
        reminded = county.post(f"{URL}{sent['id']}/remind/")
    assert reminded.status_code == 202 and reminded.json()["reminders"] == 1
    for key in "AB":
        with unit_run(world[key].unit):
            reminder = notices.county_notice_remind_in_unit(county_notice_id=sent["id"], number=1)
            assert notices.county_notice_remind_in_unit(county_notice_id=sent["id"], number=1).pk == reminder.pk  # once
            outbox_deliver_pending()
            assert reminder.inbox.count() == 3 and reminder.reminder_of.county_notice_id == sent["id"]
    connection.set_schema_to_public()
    assert county.post(f"{URL}{sent['id']}/remind/").status_code == 409  # not again within minutes


def test_the_sweep_sends_again_what_is_still_pending(world, db):
    notice = CountyNotice.objects.create(jurisdiction=world.counties["K1"], title="补发")
    CountyNoticeUnit.objects.create(notice=notice, unit=world["A"].unit)  # never handed to the broker
    delivered = CountyNoticeUnit.objects.create(notice=notice, unit=world["B"].unit, status=CountyNoticeUnit.Status.DELIVERED)
    assert notices.notices_sweep() == 1
    assert CountyNoticeUnit.objects.get(notice=notice, unit=world["A"].unit).sent_at is not None
    assert notices.notices_sweep() == 0  # sent a moment ago: not again yet
    delivered.refresh_from_db()
    assert delivered.sent_at is None


def test_reads_reach_the_countys_counts_through_one_debounced_task_per_notice(world, db, django_capture_on_commit_callbacks):
    """Marking a county notice read queues one counts task for the notice (on the aggregation queue,
    a couple of seconds later), however many people read it in that window."""
    import json

    import redis
    from django.conf import settings

    from oversight.tasks import push_notice_counts

    county = api_client_for(world.county_admin_k1)
    sent = county.post(URL, {"title": "阅读计数", "units": ["unit-a"]}, format="json").json()
    _carry(world, "A", sent["id"])
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    client.delete("aggregation")
    A = world["A"]
    for person in (A.member, A.secretary, A.other_member):
        reader = api_client_for(person)
        [message] = [n for n in reader.get("/api/v1/u/unit-a/notifications/").json()["results"] if n["title"] == "阅读计数"]
        with django_capture_on_commit_callbacks(execute=True):
            assert reader.post(f"/api/v1/u/unit-a/notifications/{message['id']}/read/").status_code == 200
    queued = [json.loads(raw) for raw in client.lrange("aggregation", 0, -1)]
    counts_tasks = [m for m in queued if m["headers"]["task"] == push_notice_counts.name]
    assert len(counts_tasks) == 1 and counts_tasks[0]["headers"]["_schema_name"] == world["A"].unit.schema_name
    with unit_run(A.unit):  # the task itself
        push_notice_counts.run(Notice.objects.get(county_notice_id=sent["id"]).pk)
    connection.set_schema_to_public()
    assert county.get(f"{URL}{sent['id']}/").json()["read"] == 3
    client.delete("aggregation")
    with unit_run(A.unit):
        from django.core.cache import cache

        cache.delete(f"notice-counts-due:{Notice.objects.get(county_notice_id=sent['id']).pk}")
