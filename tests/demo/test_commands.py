"""The demo's commands refuse to run outside the demo: its password and authenticator key are published."""
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings


def test_the_demo_county_is_not_loaded_outside_demo_settings(world, db):
    with pytest.raises(CommandError, match="JIANNUO_DEMO"):
        call_command("seed_demo")


def test_demo_codes_are_read_out_only_in_the_demo(world, db):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from io import StringIO

    device = TOTPDevice.objects.create(user=world.operator, name="demo", confirmed=True)
    with pytest.raises(CommandError):
        call_command("demo_otp", "operator")
    out = StringIO()
    with override_settings(JIANNUO_DEMO=True):
        call_command("demo_otp", "operator", stdout=out)
    assert out.getvalue().strip() == f"{TOTP(device.bin_key).token():06d}"


def test_the_demo_township_has_rural_and_community_members():
    """Most township members are villagers or residents (003): 红星镇 has both tiers."""
    from demo.management.commands.seed_demo import UNITS, _member_tier
    from tenants.organization.models import Member

    slug, name, kind, county, admin, leader_tier, tree = next(spec for spec in UNITS if spec[0] == "hongxing")
    tiers = {_member_tier(kind, branch) for branch, groups, count in tree}
    assert {Member.Tier.RURAL_MEMBER, Member.Tier.COMMUNITY_MEMBER} <= tiers
