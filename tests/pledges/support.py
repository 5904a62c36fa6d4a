"""Building blocks for pledge tests: a round whose phases sit around today, items that
satisfy the default rules, and pledges walked through the cycle by the right people."""
from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
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


@pytest.fixture
def stored_files_removed(world):
    """The files a test stores in the units' folders are removed after it (the database rolls
    back, the disk does not)."""
    from django.core.files.storage import default_storage

    from tenants.services import unit_run

    def stored() -> set[str]:
        paths = set()
        for key in ("A", "B"):
            with unit_run(world[key].unit):
                root = default_storage.location
            paths |= {os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files}
        return paths

    before = stored()
    yield
    for path in stored() - before:
        os.unlink(path)


def attachment_on_record(unit_world, *, content: bytes, name: str, content_type: str):
    """A file on a progress record of the unit's member's item, stored as an upload would be."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pledges.models import PledgeItem

    item = PledgeItem.objects.get(pk=unit_world.item_id)
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    record = services.record_add(item=item, who=who(unit_world.member), text="附件", recorded_on=TODAY, files=[upload])
    return record.attachments.get()
