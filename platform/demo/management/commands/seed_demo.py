"""Demo data for `make run`: a province, a city, two counties, five units with
organisation trees, members, logins and figures, each unit in the middle of this
year's pledge round (demo/pledges.py). Safe to run again (it skips what exists)."""
import random
import time
from datetime import date

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import JurisdictionRole, UnitRole, User
from audit.context import acting
from notifications.services import notify, outbox_deliver_pending
from tenants.models import Jurisdiction
from oversight.services import unit_figures_refresh
from tenants.services import jurisdiction_create
from demo.evaluations import demo_evaluation_seed
from demo.notices import demo_notices_seed
from demo.pledges import demo_pledges_seed
from tenants.models import Unit
from tenants.organization.models import Member, Organization
from tenants.organization.services import member_create, organization_create, organization_update
from tenants.services import unit_create, unit_run

PASSWORD = "jiannuo-demo"
EVALUATING_UNIT = "gongdian"
# Operators and county admins sign in with two-step verification. The demo's authenticator
# key is published (README): add it to any authenticator app, or `make otp WHO=operator`.
DEMO_TOTP_KEY = "6a69616e6e756f2d64656d6f2d746f74702d6b65"  # base32: NJUWC3TOOVXS2ZDFNVXS25DPORYC223F
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志强海燕春梅晓东国庆立新"
POSTS = ["党建专干", "村务监督员", "网格员", "会计", "教师", "班主任", "线路工", "调度员", "科员", "办事员", "综治专干", "护林员", "卫生监督员", "团支书"]

# (slug, name, kind, county code, unit-admin login, tier, tree)
# tree: list of (branch name, [group names], member count)
UNITS = [
    ("hongxing", "红星镇", Unit.Kind.TOWNSHIP, "hongxing-xian", "hongxing-admin", Member.Tier.TOWNSHIP_LEADER,
     [("镇机关党支部", [], 18), ("红星村党支部", ["第一党小组", "第二党小组"], 26), ("东岭村党支部", [], 20), ("离退休党支部", [], 12),
      ("红星社区党支部", [], 10)]),
    ("xianwei-jiguan", "县委机关", Unit.Kind.AGENCY, "hongxing-xian", "jiguan-admin", Member.Tier.AGENCY_MEMBER,
     [("办公室党支部", [], 14), ("组织部党支部", [], 12), ("宣传部党支部", [], 10)]),
    ("yizhong", "县第一中学", Unit.Kind.SCHOOL, "hongxing-xian", "yizhong-admin", Member.Tier.INSTITUTION_MEMBER,
     [("高一年级党支部", [], 12), ("高二年级党支部", [], 11), ("后勤党支部", [], 8)]),
    ("gongdian", "县供电公司", Unit.Kind.STATE_ENTERPRISE, "hongxing-xian", "gongdian-admin", Member.Tier.ENTERPRISE_MEMBER,
     [("运维检修党支部", ["一班党小组"], 16), ("营销服务党支部", [], 12)]),
    ("qingshan", "青山镇", Unit.Kind.TOWNSHIP, "qingshan-xian", "qingshan-admin", Member.Tier.TOWNSHIP_LEADER,
     [("青山村党支部", [], 15), ("镇机关党支部", [], 10)]),
]


def _member_tier(kind: str, branch_name: str) -> str:
    """A township's village branches hold rural members, its residential community's branch
    community members, its other branches agency staff."""
    if kind == Unit.Kind.TOWNSHIP:
        if "社区" in branch_name:
            return Member.Tier.COMMUNITY_MEMBER
        return Member.Tier.RURAL_MEMBER if "村" in branch_name else Member.Tier.AGENCY_MEMBER
    return {Unit.Kind.AGENCY: Member.Tier.AGENCY_MEMBER, Unit.Kind.SCHOOL: Member.Tier.INSTITUTION_MEMBER,
            Unit.Kind.STATE_ENTERPRISE: Member.Tier.ENTERPRISE_MEMBER}.get(kind, Member.Tier.COMMUNITY_MEMBER)


class Command(BaseCommand):
    help = "Create the demo county with units, branches, members and logins (idempotent)."

    def handle(self, *args, **options):
        from django.conf import settings
        from django.core.management.base import CommandError

        if not settings.JIANNUO_DEMO:
            raise CommandError("The demo's logins share a published password: load it only with JIANNUO_DEMO=1 (make run sets it).")
        rng = random.Random(20261121)
        self.password_hash = make_password(PASSWORD)  # hashed once: the demo has hundreds of logins
        with acting(source="seed_demo"):
            counties = self._jurisdictions()
            self._people_above(counties)
            phone_counter = iter(range(1, 100000))
            for spec in UNITS:
                unit = Unit.objects.filter(slug=spec[0]).first()
                created = unit is None
                if created:
                    unit = self._unit(spec, counties, rng, phone_counter)
                else:
                    self.stdout.write(f"unit {spec[0]} exists, skipped")
                # 红星镇 is the showcase, with a record every month on every item. Elsewhere each item has
                # one record in one of the months, about a record a month per member (每月一记实): quicker to seed.
                started = time.monotonic()
                pledges = demo_pledges_seed(unit=unit, records_per_item=3 if unit.slug == "hongxing" else 1)
                if pledges is not None:
                    self.stdout.write(f"unit {unit.slug}: pledge round seeded in {time.monotonic() - started:.1f} s "
                                      f"({', '.join(f'{k} {v}' for k, v in pledges.items())})")
                # 县供电公司 has moved on to its evaluation: ballots in, one branch past its quorum, one short of it.
                evaluation = demo_evaluation_seed(unit=unit) if unit.slug == EVALUATING_UNIT else None
                if evaluation is not None:
                    self.stdout.write(f"unit {unit.slug}: evaluation under way ({', '.join(f'{k} {v}' for k, v in evaluation.items())})")
                if created or pledges is not None or evaluation is not None:
                    with unit_run(unit):
                        outbox_deliver_pending()  # the welcome, review and close-out messages reach the inboxes
                        unit_figures_refresh()
            # 红星县's notice to its units, delivered and partly read; 红星镇's own notice to a branch.
            county = counties["hongxing-xian"]
            reached = demo_notices_seed(
                county_admin=User.objects.get(username="county-admin"),
                units=list(Unit.objects.filter(county=county, status=Unit.Status.ACTIVE).order_by("pk")),
                unit_admin_of={"hongxing": User.objects.get(username="hongxing-admin")},
            )
            if reached is not None:
                self.stdout.write(f"county notice from {county.name}: delivered to {reached} people")
        self.stdout.write(self.style.SUCCESS("demo data ready"))

    def _jurisdictions(self):
        province = Jurisdiction.objects.filter(code="shifan-sheng").first() or jurisdiction_create(name="示范省", code="shifan-sheng", level="province")
        city = Jurisdiction.objects.filter(code="shifan-shi").first() or jurisdiction_create(name="示范市", code="shifan-shi", level="city", parent=province)
        counties = {}
        for code, name in (("hongxing-xian", "红星县"), ("qingshan-xian", "青山县")):
            counties[code] = Jurisdiction.objects.filter(code=code).first() or jurisdiction_create(name=name, code=code, level="county", parent=city)
        return counties

    def _login(self, username, full_name, **extra):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, full_name=full_name, password=self.password_hash, **extra)
            user.save()
        return user

    def _people_above(self, counties):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        operator = self._login("operator", "平台运维", is_superuser=True, is_staff=True)
        county_admin = self._login("county-admin", "红星县组织部")
        JurisdictionRole.objects.get_or_create(user=county_admin, jurisdiction=counties["hongxing-xian"])
        qingshan_admin = self._login("qingshan-county-admin", "青山县组织部")
        JurisdictionRole.objects.get_or_create(user=qingshan_admin, jurisdiction=counties["qingshan-xian"])
        for user in (operator, county_admin, qingshan_admin):
            TOTPDevice.objects.get_or_create(user=user, name="demo", defaults={"confirmed": True, "key": DEMO_TOTP_KEY})

    def _unit(self, spec, counties, rng, phone_counter):
        slug, name, kind, county_code, admin_login, leader_tier, tree = spec
        unit = unit_create(name=name, slug=slug, kind=kind, county=counties[county_code])
        admin = self._login(admin_login, f"{name}管理员")
        UnitRole.objects.get_or_create(user=admin, unit=unit, role=UnitRole.Role.UNIT_ADMIN)
        unit_prefix = {"hongxing": "139", "xianwei-jiguan": "138", "yizhong": "137", "gongdian": "136", "qingshan": "135"}[slug]
        with unit_run(unit), transaction.atomic():
            committee = organization_create(name=f"{name}党委", kind=Organization.Kind.COMMITTEE)
            recipients = []
            for order, (branch_name, groups, count) in enumerate(tree):
                branch = organization_create(name=branch_name, kind=Organization.Kind.BRANCH, parent=committee, sort_order=order)
                group_nodes = [organization_create(name=g, kind=Organization.Kind.GROUP, parent=branch) for g in groups]
                members = []
                for i in range(count):
                    retired = "离退休" in branch_name
                    born = date(rng.randint(1945, 1960) if retired else rng.randint(1965, 1998), rng.randint(1, 12), rng.randint(1, 28))
                    joined = date(min(born.year + rng.randint(20, 35), 2024), rng.randint(1, 12), rng.randint(1, 28))
                    members.append(member_create(
                        unit=unit,
                        name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
                        gender=rng.choice([Member.Gender.MALE, Member.Gender.FEMALE]),
                        birth_date=born, joined_on=joined,
                        phone=f"{unit_prefix}{next(phone_counter):08d}",
                        post="" if (retired or i % 9 == 8) else rng.choice(POSTS),
                        tier=leader_tier if i == 0 else _member_tier(kind, branch_name),
                        is_exempt=retired and i % 2 == 0,
                        branch=branch,
                        group=group_nodes[i % len(group_nodes)] if group_nodes else None,
                        status=Member.Status.MOBILE if i % 11 == 10 else Member.Status.ACTIVE,
                    ))
                organization_update(organization=branch, secretary=members[0])
                recipients += [m.user_id for m in members if m.user_id]
            organization_update(organization=committee, secretary=Member.objects.filter(branch__parent=committee).order_by("id").first())
            # The demo skips activation: every login already has the published password.
            User.objects.filter(pk__in=recipients).update(password=self.password_hash)
            Member.objects.filter(user_id__in=recipients).update(login_activated_at=timezone.now())
            notify(recipient_ids=recipients, title=f"欢迎使用{name}践诺平台", body="请在本轮承诺开始前核对个人信息。", dedupe_key=f"demo-welcome-{slug}")
        self.stdout.write(f"unit {slug} created")
        return unit
