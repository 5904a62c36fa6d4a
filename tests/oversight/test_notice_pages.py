"""The county console's notices pages: send from the web, follow delivery and reads per unit and
branch, remind; only the county's own admins see them, and bad input sends nothing."""
from django.db import connection

from notifications.services import outbox_deliver_pending
from oversight import notices
from oversight.models import CountyNotice
from tenants.models import Unit
from tenants.services import unit_run
from tests.conftest import console_client


def _carry(world, key, county_notice_id):
    with unit_run(world[key].unit):
        notices.county_notice_carry(county_notice_id=county_notice_id)
        outbox_deliver_pending()
    connection.set_schema_to_public()


def test_a_county_admin_sends_a_notice_from_the_console_and_follows_it_unit_by_unit(world, db):
    browser = console_client(world.county_admin_k1)
    page = browser.get("/county/notices/")
    text = page.content.decode()
    assert page.status_code == 200 and "发送通知" in text and "Unit A" in text and "Unit B" in text and "Unit C" not in text
    sent = browser.post("/county/notices/", {"title": "网页发送的通知", "body": "请阅读。", "units": ["unit-a"], "role": "members", "channels": ["sms"]})
    notice = CountyNotice.objects.get(title="网页发送的通知")
    assert sent.status_code == 302 and sent["Location"] == f"/county/notices/{notice.pk}/"
    assert notice.channels == ["sms"] and list(notice.units.values_list("unit__slug", flat=True)) == ["unit-a"]
    detail = browser.get(f"/county/notices/{notice.pk}/").content.decode()
    assert "发送中" in detail and 'http-equiv="refresh"' in detail  # refreshes itself until every unit has it
    _carry(world, "A", notice.pk)
    detail = browser.get(f"/county/notices/{notice.pk}/").content.decode()
    assert "已送达" in detail and 'http-equiv="refresh"' not in detail and "A Branch 1" in detail
    assert '<b id="recipients">3</b>' in detail and '<b id="read">0</b>' in detail
    export = browser.get(f"/county/notices/{notice.pk}/?export=units")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    reminded = browser.post(f"/county/notices/{notice.pk}/")
    assert reminded.status_code == 302
    notice.refresh_from_db()
    assert notice.reminders == 1
    again = browser.post(f"/county/notices/{notice.pk}/").content.decode()
    assert "分钟" in again  # not again within minutes, said in Chinese


def test_bad_input_on_the_page_is_shown_in_chinese_and_sends_nothing(world, db):
    browser = console_client(world.county_admin_k1)
    before = CountyNotice.objects.count()
    empty = browser.post("/county/notices/", {"title": "", "role": "members"})
    assert empty.status_code == 200 and "该字段为必填项" in empty.content.decode()
    Unit.objects.filter(pk=world["B"].unit.pk).update(status=Unit.Status.MIGRATING)
    migrating = browser.post("/county/notices/", {"title": "全县通知", "role": "members"}).content.decode()
    assert "正在开通或升级" in migrating and "Unit B" in migrating
    foreign = browser.post("/county/notices/", {"title": "越界", "role": "members", "units": ["unit-c"]})
    assert foreign.status_code == 200 and "有效" in foreign.content.decode()  # not one of the choices offered
    assert CountyNotice.objects.count() == before


def test_only_the_countys_admins_see_its_notices(world, db):
    notice = notices.county_notice_send(user=world.county_admin_k1, title="本县内部")
    assert console_client(world.county_admin_k2).get(f"/county/notices/{notice.pk}/").status_code == 404
    assert "本县内部" not in console_client(world.county_admin_k2).get("/county/notices/").content.decode()
    for outsider in (world["A"].admin, world["A"].member):
        assert console_client(outsider).get("/county/notices/").status_code == 404
    assert console_client(world.city_admin).get(f"/county/notices/{notice.pk}/").status_code == 200  # the city above sees it


def test_the_list_and_the_notice_show_when_it_was_sent_in_beijing_time(world, db):
    from datetime import datetime, timezone

    notice = notices.county_notice_send(user=world.county_admin_k1, title="时间一致")
    CountyNotice.objects.filter(pk=notice.pk).update(created_at=datetime(2026, 3, 1, 1, 30, tzinfo=timezone.utc))
    client = console_client(world.county_admin_k1)
    for page in ("/county/notices/", f"/county/notices/{notice.pk}/"):
        text = client.get(page).content.decode()
        assert "2026-03-01 09:30" in text and "2026-03-01 01:30" not in text, page  # UTC+8, as everywhere else
