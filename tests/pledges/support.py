"""Building blocks for pledge tests: a round whose phases sit around today, items that
satisfy the default rules, and pledges walked through the cycle by the right people."""
from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from pledges import services
from tenants.organization.caller import caller_for
from pledges.services import rules_of
from tenants.organization.models import Member

TODAY = timezone.localdate()
# Days, relative to today, at which each phase of `round_around_today` is running.
IN_PROPOSE = TODAY - timedelta(days=80)
IN_REVIEW = TODAY - timedelta(days=50)
IN_PUBLISH = TODAY - timedelta(days=35)
IN_FULFIL = TODAY


def round_dates(today: date = TODAY) -> dict[str, date]:
    return {
        "mobilise_on": today - timedelta(days=100), "propose_on": today - timedelta(days=90), "review_on": today - timedelta(days=60),
        "publish_on": today - timedelta(days=40), "fulfil_on": today - timedelta(days=30), "evaluate_on": today + timedelta(days=60),
        "ends_on": today + timedelta(days=90),
    }


def round_around_today(theme: str = "Test round", **dates):
    return services.round_open(year=TODAY.year, theme=theme, dates={**round_dates(), **dates})


def who(user, *, admin: bool = False):
    return caller_for(user_id=user.pk, is_unit_admin=admin)


def item(kind: str = "post", area: str = "work", *, deadline: date | None = None, content: str = "Visit every household", **extra) -> dict:
    data = {"content": content, "area": area, "kind": kind, "measures": "Weekly visits", "deadline": deadline or TODAY + timedelta(days=30),
            "expected_effect": "Every household visited"}
    if kind == "correction":
        data["shortcoming"] = extra.pop("shortcoming", "Too few visits last year")
    data.update(extra)
    return data


def member_items(main: int = 2, corrections: int = 1, content_prefix: str = "Item", **extra) -> list[dict]:
    return [item(content=f"{content_prefix} {i + 1}", **extra) for i in range(main)] + [
        item("correction", "discipline", content=f"Correction {i + 1}", **extra) for i in range(corrections)
    ]


def member_of(user) -> Member:
    return Member.objects.get(user_id=user.pk)


def submitted_pledge(unit_world, round, *, user=None, items=None):
    user = user or unit_world.member
    pledge = services.pledge_create(round=round, who=who(user), items=items or member_items(), today=IN_PROPOSE)
    return services.pledge_submit(pledge=pledge, who=who(user), today=IN_PROPOSE)


def approved_pledge(unit_world, round, **kwargs):
    pledge = submitted_pledge(unit_world, round, **kwargs)
    return services.pledge_approve(pledge=pledge, who=who(unit_world.secretary), checklist=rules_of(round).review_checklist, today=IN_REVIEW)


def published_pledge(unit_world, round, **kwargs):
    pledge = approved_pledge(unit_world, round, **kwargs)
    return services.pledge_publish(pledge=pledge, who=who(unit_world.secretary), today=IN_PUBLISH)
