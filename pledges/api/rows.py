"""Fast read paths: list rows built from `.values()` instead of model instances and
ModelSerializers, for the lists members and secretaries open most. Each builder produces
exactly what the serializer named beside it produces (tests/pledges/test_rows.py compares
them); the serializers stay the documented shape in the OpenAPI schema."""
from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

from django.urls import reverse

from tenants.api.formats import datetimes, iso_date
from tenants.organization.caller import Caller

from .. import selectors
from ..models import Pledge, PledgeItem
from .serializers import attachment_addresses


def _named(pk, name):
    return None if pk is None else {"id": pk, "name": name}


# ------------------------------------------------------------------ pledges (PledgeListSerializer)

def pledge_rows(pledges) -> list[dict]:
    """PledgeListSerializer's output for a page of pledges read with
    `selectors.pledge_list_values` (their item counts from each row's item states)."""
    dt = datetimes()
    rows = []
    for p in pledges:
        by_state = Counter(p["item_states"])
        rows.append({
            "id": p["id"], "round": p["round_id"], "round_theme": p["round__theme"], "subject": p["subject"],
            "member": _named(p["member_id"], p["member__name"]),
            "organization": _named(p["organization_id"], p["organization__name"]),
            "title": p["title"], "state": p["state"], "version": p["version"],
            "item_count": sum(by_state.values()), "closed_count": by_state[PledgeItem.State.CLOSED],
            "overdue_count": by_state[PledgeItem.State.OVERDUE],
            "submitted_at": dt(p["submitted_at"]), "approved_at": dt(p["approved_at"]),
            "published_at": dt(p["published_at"]), "updated_at": dt(p["updated_at"]),
        })
    return rows


# ------------------------------------------------------------------ items (ItemRowSerializer)

def item_rows(items) -> list[dict]:
    """ItemRowSerializer's output (everything, as for the item's overseers) for items read with `selectors.item_row_values`."""
    dt = datetimes()
    return [{
        "id": i["id"], "pledge": i["pledge_id"], "pledge_state": i["pledge__state"], "subject": i["pledge__subject"],
        "member": _named(i["pledge__member_id"], i["pledge__member__name"]),
        "organization": _named(i["pledge__organization_id"], i["pledge__organization__name"]),
        "content": i["content"], "area": i["area"], "kind": i["kind"], "measures": i["measures"], "deadline": iso_date(i["deadline"]),
        "expected_effect": i["expected_effect"], "shortcoming": i["shortcoming"], "state": i["state"],
        "rectify_by": iso_date(i["rectify_by"]), "record_count": i["record_count"], "last_record_on": iso_date(i["last_record_on"]),
        "closed_at": dt(i["closed_at"]), "closed_by_name": i["closed_by_name"],
    } for i in items]


# ------------------------------------------------------------------ progress records (RecordSerializer)

def _file(a: dict, unit_slug: str) -> dict:
    return {"id": a["id"], "name": a["name"], "content_type": a["content_type"], "size": a["size"],
            **attachment_addresses(unit_slug, a["id"], a["content_type"])}


def record_rows(records: list[dict], *, unit_slug: str) -> list[dict]:
    """RecordSerializer's output for records read with `selectors.RECORD_COLUMNS`, with their
    photos and files from one read."""
    dt = datetimes()
    files: dict[int, list[dict]] = {}
    for a in selectors.record_attachment_rows(record_ids=[r["id"] for r in records]) if records else ():
        files.setdefault(a["record_id"], []).append(_file(a, unit_slug))
    return [{
        "id": r["id"], "item": r["item_id"], "recorded_on": iso_date(r["recorded_on"]), "text": r["text"],
        "author": r["author_id"], "author_name": r["author__name"], "attachments": files.get(r["id"], []),
        "created_at": dt(r["created_at"]),
    } for r in records]


# ------------------------------------------------------------------ a member's ledger (MemberLedger)

def member_ledger(*, member, round, unit_slug: str) -> dict:
    """The member's ledger screen: each item of their approved pledges (ItemSerializer's
    output, with the pledge and its subject) and the item's progress records."""
    dt = datetimes()
    items = selectors.member_ledger_item_rows(round=round, member=member)
    item_ids = [i["id"] for i in items]
    files = _close_files(items, unit_slug)
    records: dict[int, list[dict]] = {}
    for record in record_rows(selectors.record_rows_of_items(item_ids=item_ids), unit_slug=unit_slug) if items else ():
        records.setdefault(record["item"], []).append(record)
    return {
        "member": {"id": member.pk, "name": member.name, "branch": member.branch.name, "post": member.post},
        "round": {"id": round.pk, "year": round.year, "theme": round.theme},
        "items": [{**_item(i, files, involved=True, dt=dt), "pledge": i["pledge_id"], "subject": i["pledge__subject"],
                   "records": records.get(i["id"], [])} for i in items],
    }


# ------------------------------------------------------------------ a pledge's page (PledgeDetailSerializer / PublicPledgeSerializer)

_LETTER_STATES = (Pledge.State.APPROVED, Pledge.State.PUBLISHED, Pledge.State.COMPLETED)


def _named_list(ids, names) -> list[dict]:
    return [{"id": pk, "name": name} for pk, name in zip(ids, names)]


def pledge_detail(*, pledge_id: int, who: Caller, unit_slug: str) -> dict | None:
    """PledgeDetailSerializer's output for whoever made, reviews or runs the pledge,
    PublicPledgeSerializer's for everyone else who may see it; None when the caller may not.
    Compiled reads: the pledge (with who pledges together), its items, and only what the
    caller's view shows (close-out files, the history)."""
    dt = datetimes()
    p = selectors.pledge_detail_row(pledge_id=pledge_id, who=who)
    if p is None:
        return None
    involved = selectors.is_involved(pledge=SimpleNamespace(**p), who=who, co_member_ids=set(p["co_member_ids"]))
    items = selectors.pledge_item_rows(pledge_id=pledge_id)
    files = _close_files(items, unit_slug) if involved else {}
    body = {
        "id": p["id"], "round": p["round_id"], "round_theme": p["round__theme"], "subject": p["subject"],
        "member": _named(p["member_id"], p["member__name"]),
        "organization": _named(p["organization_id"], p["organization__name"]),
        "title": p["title"], "state": p["state"], "version": p["version"],
        "submitted_at": dt(p["submitted_at"]), "approved_at": dt(p["approved_at"]),
        "published_at": dt(p["published_at"]), "updated_at": dt(p["updated_at"]),
        "items": [_item(i, files, involved, dt) for i in items],
    }
    if involved:
        body["events"] = [{
            "id": e["id"], "action": e["action"], "item": e["item_id"], "actor": e["actor_id"], "actor_name": e["actor__name"],
            "comment": e["comment"], "snapshot": e["snapshot"], "created_at": dt(e["created_at"]),
        } for e in selectors.pledge_event_rows(pledge_id=pledge_id)]
    body["co_members"] = _named_list(p["co_member_ids"], p["co_member_names"])
    body["co_organizations"] = _named_list(p["co_organization_ids"], p["co_organization_names"])
    body["reviewer_organization"] = _named(p["reviewer_organization_id"], p["reviewer_organization__name"])
    if involved:
        body["reviewed_by_name"] = p["reviewed_by__name"]
        body["checklist"] = p["checklist"]
    body["letter_url"] = reverse("pledge-letter", kwargs={"pk": p["id"]}) if p["state"] in _LETTER_STATES else None
    return body


def _close_files(items: list[dict], unit_slug: str) -> dict[int, list[dict]]:
    """The close-out files of these items, by item. Read only when an item was closed out:
    files are attached to an item by its close-out only."""
    files: dict[int, list[dict]] = {}
    if any(i["closed_at"] for i in items):
        for a in selectors.close_attachment_rows(item_ids=[i["id"] for i in items]):
            files.setdefault(a["item_id"], []).append(_file(a, unit_slug))
    return files


def _item(i: dict, files: dict, involved: bool, dt) -> dict:
    row = {
        "id": i["id"], "position": i["position"], "content": i["content"], "area": i["area"], "kind": i["kind"],
        "measures": i["measures"], "deadline": iso_date(i["deadline"]), "expected_effect": i["expected_effect"],
    }
    if involved:
        row["shortcoming"] = i["shortcoming"]
    row["state"] = i["state"]
    if involved:
        row["review_comment"] = i["review_comment"]
    row.update({
        "rectify_by": iso_date(i["rectify_by"]), "record_count": i["record_count"], "last_record_on": iso_date(i["last_record_on"]),
        "closed_at": dt(i["closed_at"]), "closed_by": i["closed_by_id"], "closed_by_name": i["closed_by__name"],
    })
    if involved:
        row["close_evidence"] = i["close_evidence"]
        row["close_attachments"] = files.get(i["id"], [])
    return row
