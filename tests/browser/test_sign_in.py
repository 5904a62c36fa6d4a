"""Signing in as a county admin in a real browser: first sign-in sets up two-step
verification, the next asks for the code, logging out ends it; wrong passwords lock."""
from __future__ import annotations

import re
from base64 import b32decode

from django_otp.oath import TOTP

from accounts.models import JurisdictionRole


def totp_now(secret: str, *, offset_steps: int = 0) -> str:
    generator = TOTP(b32decode(secret))
    generator.time = generator.time + offset_steps * 30
    return f"{generator.token():06d}"


def sign_in(page, site: str, username: str, password: str) -> None:
    page.goto(f"{site}/accounts/login/?next=/admin/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_county_admin_sets_up_two_step_verification_then_signs_in_with_it(live_site, page, person, world, django_db_blocker):
    admin = person("browser-county", full_name="浏览器县管理员")
    with django_db_blocker.unblock():
        JurisdictionRole.objects.create(user=admin, jurisdiction=world.counties["K1"])

    sign_in(page, live_site, "browser-county", "Browser-pass-2026")
    assert "/accounts/two-factor/" in page.url
    assert page.get_by_text("两步验证").first.is_visible()
    assert page.locator(".qr svg").count() == 1  # the QR code to scan
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("动态码").fill(totp_now(secret))
    page.get_by_role("button", name="开启").click()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="继续").click()
    assert page.url.endswith("/admin/")
    page.screenshot(path="/tmp/county-console.png")
    assert page.get_by_text("Unit A").count() + page.get_by_text("单位").count() > 0, page.content()[:3000]

    page.get_by_role("button", name="注销").or_(page.get_by_role("button", name="退出")).first.click()
    page.goto(f"{live_site}/admin/")
    assert "/accounts/login/" in page.url  # logged out: the console asks to sign in again

    sign_in(page, live_site, "browser-county", "Browser-pass-2026")
    assert page.url.endswith("/accounts/login/verify/")
    page.get_by_label(re.compile("6 位动态码")).fill(totp_now(secret, offset_steps=1))
    page.get_by_role("button", name="验证").click()
    assert page.url.endswith("/admin/")


def test_wrong_passwords_lock_the_account_with_a_chinese_explanation(live_site, page, person):
    person("browser-unlucky")
    for _ in range(5):
        sign_in(page, live_site, "browser-unlucky", "not-the-password")
    alert = page.get_by_role("alert")
    assert "锁定" in alert.inner_text() and "管理员" in alert.inner_text()
    sign_in(page, live_site, "browser-unlucky", "Browser-pass-2026")
    assert "锁定" in page.get_by_role("alert").inner_text()  # the right password waits for the lock to end
