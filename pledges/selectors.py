"""Reads of rounds, pledges, items and ledgers in the current unit's schema.

Every scope is built from the caller (tenants.organization.caller.Caller): their member
record, the organisations they lead (with everything below them), whether they run the unit,
so a member never sees a draft that is not theirs.
"""
from __future__ import annotations

from datetime import date

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from tenants.api.filters import parse_id
from tenants.compiled import CompiledQuery, Paged, compiled, model_from_row

from tenants.organization.caller import Caller
from tenants.organization.models import Member, Organization

from .models import Attachment, Pledge, PledgeEvent, PledgeItem, PledgeRules, ProgressRecord, Round


def rules_current() -> PledgeRules:
    """The unit's rules for its next round; created with the defaults on first use."""
    rules = PledgeRules.objects.order_by("pk").first()
    if rules is None:
        rules, _ = PledgeRules.objects.get_or_create(pk=1)
    return rules


def round_list() -> QuerySet[Round]:
    return Round.objects.annotate(pledge_count=Count("pledges"))


_ROUND_FIELDS = [f.attname for f in Round._meta.concrete_fields]


@compiled(today=date)
def _rounds_running(*, today):
    return Round.objects.filter(mobilise_on__lte=today, ends_on__gte=today).order_by("-mobilise_on", "-id").values_list(*_ROUND_FIELDS)


@compiled()
def _rounds_latest():
    return Round.objects.order_by("-ends_on", "-id").values_list(*_ROUND_FIELDS)


def round_current(*, today: date | None = None) -> Round | None:
    """The round running today, else the latest one. Compiled: most screens open on it."""
    found = _rounds_running(today=today or timezone.localdate(), limit=1) or _rounds_latest(limit=1)
    return model_from_row(Round, _ROUND_FIELDS, found[0]) if found else None


def round_asked(*, raw: str | None) -> Round | None:
    """The round a query string names (`?round=<id>`), else the current one (None: no round yet).
    An id that is malformed or names no round raises Http404."""
    if raw is None or raw == "":
        return round_current()
    pk = parse_id(raw)
    round = Round.objects.filter(pk=pk).first() if pk is not None else None
    if round is None:
        raise Http404
    return round


def _pledge_base() -> QuerySet[Pledge]:
    return Pledge.objects.select_related("round", "member", "organization", "reviewer_organization")


_PUBLIC_STATES = (Pledge.State.PUBLISHED, Pledge.State.COMPLETED)


def _visible(*, member_id, led_ids, oversees_ids) -> Q:
    """Who sees which pledge, for anyone who does not run the unit: whatever is published; their
    own and those they pledge together in; the organisation pledges of the organisations they
    lead, drafts included; what they review and follow, once it has been submitted. A clause
    whose value is missing is left out (a compiled read passes markers, so it has them all)."""
    visible = Q(state__in=_PUBLIC_STATES)
    if member_id is not None:
        shared = Pledge.co_members.through.objects.filter(pledge_id=OuterRef("pk"), member_id=member_id)
        visible |= Q(member_id=member_id) | Q(Exists(shared))
    if led_ids:
        visible |= Q(organization_id__any=led_ids) & ~Q(subject=Pledge.Subject.MEMBER)
    if oversees_ids:
        visible |= (Q(organization_id__any=oversees_ids) | Q(reviewer_organization_id__any=oversees_ids)) & ~Q(
            state=Pledge.State.DRAFT, submitted_at__isnull=True
        )
    return visible


def pledge_list_visible_to(*, who: Caller) -> QuerySet[Pledge]:
    """Admins and county viewers: all. Members: see `_visible`."""
    pledges = _pledge_base()
    if who.sees_everything:
        return pledges
    return pledges.filter(_visible(member_id=who.member_id, led_ids=sorted(who.led_ids), oversees_ids=sorted(who.oversees_ids)))


PLEDGE_COLUMNS = (
    "id", "round_id", "round__theme", "subject", "member_id", "member__name", "organization_id", "organization__name",
    "title", "state", "version", "submitted_at", "approved_at", "published_at", "updated_at",
)
PLEDGE_LIST_ORDER = ("organization__sort_order", "organization_id", "member__name", "id")
# The list's filters (pledges.api.views.PledgeFilter) and the kind of value each takes here.
def pledge_list_values(pledges: QuerySet[Pledge]) -> QuerySet[Pledge]:
    """A list's columns (PLEDGE_COLUMNS) and each pledge's item states in its row, for the
    list's counts without another read (pledges.api.rows.pledge_rows)."""
    states = PledgeItem.objects.filter(pledge_id=OuterRef("pk")).order_by().values("state")
    return pledges.values(*PLEDGE_COLUMNS, item_states=ArraySubquery(states))


_PLEDGE_LIST_FILTERS = {"round": int, "state": list, "subject": str, "member": int, "organizations": list, "overdue": None,
                        "not_overdue": None, "mine": int}
_VISIBILITY = {"member_id": int, "led_ids": list, "oversees_ids": list}
_pledge_lists: dict[tuple, tuple[CompiledQuery, CompiledQuery]] = {}


def _pledge_list_reads(*, everything: bool, filters: tuple[str, ...]) -> tuple[CompiledQuery, CompiledQuery]:
    """The compiled reads (rows, keys to count) for one shape of the list: the caller's kind
    and the filters in use."""
    key = (everything, filters)
    reads = _pledge_lists.get(key)
    if reads is None:
        def filtered(p) -> QuerySet[Pledge]:
            pledges = Pledge.objects.all()
            if not everything:
                pledges = pledges.filter(_visible(member_id=p["member_id"], led_ids=p["led_ids"], oversees_ids=p["oversees_ids"]))
            overdue = Exists(PledgeItem.objects.filter(pledge_id=OuterRef("pk"), state=PledgeItem.State.OVERDUE))
            for name in filters:
                pledges = {
                    "round": lambda: pledges.filter(round_id=p["round"]), "state": lambda: pledges.filter(state__any=p["state"]),
                    "subject": lambda: pledges.filter(subject=p["subject"]), "member": lambda: pledges.filter(member_id=p["member"]),
                    "organizations": lambda: pledges.filter(organization_id__any=p["organizations"]),
                    "overdue": lambda: pledges.filter(overdue), "not_overdue": lambda: pledges.exclude(overdue),
                    "mine": lambda: pledges.filter(member_id=p["mine"]),
                }[name]()
            return pledges

        def rows(**p):
            return pledge_list_values(filtered(p).order_by(*PLEDGE_LIST_ORDER))

        def keys(**p):
            return filtered(p).order_by().values_list("pk")

        rows.__qualname__, keys.__qualname__ = f"pledge list rows {key}", f"pledge list keys {key}"
        kinds = {name: _PLEDGE_LIST_FILTERS[name] for name in filters if _PLEDGE_LIST_FILTERS[name]}
        kinds.update({} if everything else _VISIBILITY)
        reads = _pledge_lists.setdefault(key, (CompiledQuery(rows, kinds), CompiledQuery(keys, kinds)))
    return reads


def pledge_list_rows(*, who: Caller, round: int | None = None, state: list[str] | None = None, subject: str | None = None,
                     member: int | None = None, branch: int | None = None, overdue: bool | None = None,
                     mine: bool | None = None) -> Paged:
    """The pledges the caller may see (`_visible`), filtered as the list's query string asks,
    in list order (PLEDGE_COLUMNS), to be read a page at a time: the same rows as the list's
    general path (PledgeFilter over pledge_list_visible_to), compiled once per shape."""
    values = {"round": round, "state": state or None, "subject": subject or None, "member": member,
              "organizations": sorted(who.subtree_of(branch)) if branch is not None else None,
              "overdue": True if overdue else None, "not_overdue": True if overdue is False else None,
              "mine": who.member_id if mine else None}
    if mine and who.member_id is None:
        values["mine"] = 0  # no member record: none are theirs (ids start at 1)
    filters = tuple(name for name, value in values.items() if value is not None)
    given = {name: values[name] for name in filters if _PLEDGE_LIST_FILTERS[name]}
    if who.sees_everything:
        return Paged(*_pledge_list_reads(everything=True, filters=filters), **given)
    return Paged(*_pledge_list_reads(everything=False, filters=filters), **given, member_id=who.member_id,
                 led_ids=sorted(who.led_ids), oversees_ids=sorted(who.oversees_ids))


PLEDGE_DETAIL_COLUMNS = (
    *PLEDGE_COLUMNS, "reviewer_organization_id", "reviewer_organization__name", "reviewed_by__name", "checklist",
)


def _with_detail_columns(pledges: QuerySet[Pledge]) -> QuerySet[Pledge]:
    """A pledge's own columns and, as arrays in the same row, who pledges together in it."""
    co_members = Member.objects.filter(collective_pledges=OuterRef("pk")).order_by("branch_id", "name", "id")
    co_organizations = Organization.objects.filter(joint_pledges=OuterRef("pk")).order_by("sort_order", "id")
    return pledges.values(
        *PLEDGE_DETAIL_COLUMNS,
        co_member_ids=ArraySubquery(co_members.values("id")), co_member_names=ArraySubquery(co_members.values("name")),
        co_organization_ids=ArraySubquery(co_organizations.values("id")),
        co_organization_names=ArraySubquery(co_organizations.values("name")),
    )


@compiled(pledge_id=int)
def _pledge_row(*, pledge_id):
    return _with_detail_columns(Pledge.objects.filter(pk=pledge_id))


@compiled(pledge_id=int, member_id=int, led_ids=list, oversees_ids=list)
def _pledge_row_visible(*, pledge_id, member_id, led_ids, oversees_ids):
    return _with_detail_columns(Pledge.objects.filter(_visible(member_id=member_id, led_ids=led_ids, oversees_ids=oversees_ids), pk=pledge_id))


def pledge_detail_row(*, pledge_id: int, who: Caller) -> dict | None:
    """One pledge as a row (PLEDGE_DETAIL_COLUMNS and co_member_/co_organization_ ids and names)
    if the caller may see it, else None. Compiled: a pledge's page is opened on every phone."""
    if who.sees_everything:
        found = _pledge_row(pledge_id=pledge_id)
    else:
        found = _pledge_row_visible(pledge_id=pledge_id, member_id=who.member_id, led_ids=sorted(who.led_ids),
                                    oversees_ids=sorted(who.oversees_ids))
    return found[0] if found else None


ITEM_DETAIL_COLUMNS = (
    "id", "position", "content", "area", "kind", "measures", "deadline", "expected_effect", "shortcoming", "state",
    "review_comment", "rectify_by", "record_count", "last_record_on", "closed_at", "closed_by_id", "closed_by__name",
    "close_evidence",
)


@compiled(pledge_id=int)
def pledge_item_rows(*, pledge_id):
    """A pledge's items, in their order, with who verified each close-out."""
    return PledgeItem.objects.filter(pledge_id=pledge_id).order_by("position", "id").values(*ITEM_DETAIL_COLUMNS)


@compiled(item_ids=list)
def close_attachment_rows(*, item_ids):
    return Attachment.objects.filter(item_id__any=item_ids).order_by("id").values(*ATTACHMENT_COLUMNS)


@compiled(pledge_id=int)
def pledge_event_rows(*, pledge_id):
    """A pledge's history, oldest first, with each actor's name."""
    return PledgeEvent.objects.filter(pledge_id=pledge_id).order_by("created_at", "id").values(
        "id", "action", "item_id", "actor_id", "actor__name", "comment", "snapshot", "created_at")


def _account_name(user_id):
    """An account's name (public schema, on every unit's search path): its full name, else its login."""
    account = User.objects.filter(pk=user_id)
    return Coalesce(NullIf(Subquery(account.values("full_name")[:1]), Value("")), Subquery(account.values("username")[:1]))


def events_named(events: QuerySet[PledgeEvent]) -> QuerySet[PledgeEvent]:
    """Each step with who took it by name (`actor_named`): the member, else the account that acted
    without a member record (a unit admin), else nobody (the scheduler marking an item overdue)."""
    return events.annotate(actor_named=Coalesce("actor__name", _account_name(OuterRef("actor_user_id"))))


def items_named(items: QuerySet[PledgeItem]) -> QuerySet[PledgeItem]:
    """Items with who verified each close-out by name (`verifier_named`): the verifying member,
    else whoever took the item's last close-out step."""
    closing = events_named(PledgeEvent.objects.filter(item_id=OuterRef("pk"), action=PledgeEvent.Action.CLOSE))
    return items.annotate(verifier_named=Coalesce("closed_by__name", Subquery(closing.order_by("-created_at", "-id").values("actor_named")[:1])))


def reviewer_name(*, pledge: Pledge) -> str | None:
    """Who reviewed a pledge by name: the reviewing member, else whoever took its last review step."""
    if pledge.reviewed_by_id is not None:
        return pledge.reviewed_by.name
    review = PledgeEvent.Action.APPROVE, PledgeEvent.Action.RETURN, PledgeEvent.Action.REDO
    step = events_named(pledge.events.filter(action__in=review)).order_by("-created_at", "-id").values("actor_named").first()
    return step["actor_named"] if step else None


def account_name(*, user_id: int | None) -> str | None:
    return User.objects.filter(pk=user_id).values_list(Coalesce(NullIf("full_name", Value("")), "username"), flat=True).first() if user_id else None


def is_involved(*, pledge: Pledge, who: Caller, co_member_ids: set[int] | frozenset[int] = frozenset()) -> bool:
    """Whoever made, reviews or runs the pledge sees its whole record (history, review comments,
    shortcomings, evidence, progress records); everyone else sees what the public board shows."""
    return (
        who.sees_everything
        or (who.member_id is not None and (pledge.member_id == who.member_id or who.member_id in co_member_ids))
        or pledge.organization_id in who.oversees_ids
        or (pledge.reviewer_organization_id is not None and pledge.reviewer_organization_id in who.oversees_ids)
    )


def _involved(*, member_id, oversees_ids) -> Q:
    """`is_involved` as a condition on pledges, for anyone who does not run the unit."""
    shared = Pledge.co_members.through.objects.filter(pledge_id=OuterRef("pk"), member_id=member_id)
    return (Q(member_id=member_id) | Q(Exists(shared)) | Q(organization_id__any=oversees_ids)
            | Q(reviewer_organization_id__any=oversees_ids))


ATTACHMENT_FILE_COLUMNS = ("id", "file", "name", "content_type", "size")


def _attachments_with_pledge():
    """Attachments with the pledge each belongs to: its record's item's, or its close-out item's."""
    return Attachment.objects.annotate(pledge_id=Coalesce("record__item__pledge_id", "item__pledge_id"))


def _attachment_readable_by(attachments, *, member_id, led_ids, oversees_ids):
    readable = Pledge.objects.filter(_visible(member_id=member_id, led_ids=led_ids, oversees_ids=oversees_ids),
                                     _involved(member_id=member_id, oversees_ids=oversees_ids), pk=OuterRef("pledge_id"))
    return attachments.filter(Exists(readable))


@compiled(attachment_id=int)
def _attachment_row(*, attachment_id):
    return Attachment.objects.filter(pk=attachment_id).values(*ATTACHMENT_FILE_COLUMNS)


@compiled(attachment_id=int, member_id=int, led_ids=list, oversees_ids=list)
def _attachment_row_readable(*, attachment_id, member_id, led_ids, oversees_ids):
    return _attachment_readable_by(_attachments_with_pledge().filter(pk=attachment_id), member_id=member_id, led_ids=led_ids,
                                   oversees_ids=oversees_ids).values(*ATTACHMENT_FILE_COLUMNS)


@compiled(stored_name=str)
def _attachment_row_named(*, stored_name):
    return Attachment.objects.filter(file=stored_name).values(*ATTACHMENT_FILE_COLUMNS)


@compiled(stored_name=str, member_id=int, led_ids=list, oversees_ids=list)
def _attachment_row_named_readable(*, stored_name, member_id, led_ids, oversees_ids):
    return _attachment_readable_by(_attachments_with_pledge().filter(file=stored_name), member_id=member_id, led_ids=led_ids,
                                   oversees_ids=oversees_ids).values(*ATTACHMENT_FILE_COLUMNS)


def attachment_readable(*, who: Caller, attachment_id: int | None = None, stored_name: str | None = None) -> dict | None:
    """A photo or document (ATTACHMENT_FILE_COLUMNS), by id or by stored name, if the caller
    may read the record or close-out it belongs to: they see the pledge and are involved in it
    (`is_involved`: others see no records or evidence). None otherwise, as for a missing one.
    One compiled read: phones fetch a list's thumbnails one request each."""
    if who.sees_everything:
        found = _attachment_row(attachment_id=attachment_id) if stored_name is None else _attachment_row_named(stored_name=stored_name)
    else:
        scope = {"member_id": who.member_id, "led_ids": sorted(who.led_ids), "oversees_ids": sorted(who.oversees_ids)}
        found = (_attachment_row_readable(attachment_id=attachment_id, **scope) if stored_name is None
                 else _attachment_row_named_readable(stored_name=stored_name, **scope))
    return found[0] if found else None


def pledge_detail(*, who: Caller) -> QuerySet[Pledge]:
    return pledge_list_visible_to(who=who).select_related("reviewed_by").prefetch_related(
        Prefetch("items", queryset=PledgeItem.objects.select_related("closed_by").prefetch_related("close_attachments")),
        Prefetch("events", queryset=PledgeEvent.objects.select_related("actor")),  # the item by id only
        "co_members",
        "co_organizations",
    )


def item_list_visible_to(*, who: Caller) -> QuerySet[PledgeItem]:
    return PledgeItem.objects.select_related("pledge__round", "pledge__member", "pledge__organization").filter(
        pledge__in=pledge_list_visible_to(who=who).values("pk")
    )


def record_list(*, item: PledgeItem) -> QuerySet[ProgressRecord]:
    return ProgressRecord.objects.filter(item=item).select_related("author").prefetch_related("attachments")


LEDGER_STATES = (Pledge.State.APPROVED, Pledge.State.PUBLISHED, Pledge.State.COMPLETED)


def _pledges_of(member: Member):
    """The member's own pledges and those they share: a union of a few ids, which the items are
    then found by through their index (an OR across the two scanned every item of the round)."""
    own = Pledge.objects.filter(member_id=member.pk).values("pk")
    shared = Pledge.co_members.through.objects.filter(member_id=member.pk).values("pledge_id")
    return own.union(shared)


@compiled(round_id=int, member_id=int, states=list)
def _member_ledger_item_rows(*, round_id, member_id, states):
    own = Pledge.objects.filter(member_id=member_id).values("pk")
    shared = Pledge.co_members.through.objects.filter(member_id=member_id).values("pledge_id")
    return (PledgeItem.objects.filter(pledge__round_id=round_id, pledge__state__any=states, pledge_id__in=own.union(shared))
            .order_by("pledge_id", "position", "id").values(*ITEM_DETAIL_COLUMNS, "pledge_id", "pledge__subject"))


def member_ledger_item_rows(*, round: Round, member: Member) -> list[dict]:
    """One member's ledger rows, for the screen: the items of their approved pledges, own and
    shared (found through those few pledge ids: an OR across the two scanned every item of the
    round), in pledge order, with ITEM_DETAIL_COLUMNS and the pledge's id and subject."""
    return _member_ledger_item_rows(round_id=round.pk, member_id=member.pk, states=list(LEDGER_STATES))


def ledger_items(*, round: Round, organization_ids: set[int] | None = None, member: Member | None = None) -> QuerySet[PledgeItem]:
    """A ledger's rows: each item of the approved pledges, with its pledge, subject and verifier
    (drafts and pledges under review are not yet commitments to account for)."""
    items = PledgeItem.objects.filter(pledge__round=round, pledge__state__in=LEDGER_STATES).select_related(
        "pledge__member", "pledge__organization", "closed_by"
    )
    if member is not None:
        items = items.filter(pledge_id__in=_pledges_of(member))
    if organization_ids is not None:
        items = items.filter(pledge__organization_id__in=organization_ids)
    return items.order_by(*LEDGER_ORDER)


ITEM_COLUMNS = (
    "id", "pledge_id", "pledge__state", "pledge__subject", "pledge__member_id", "pledge__member__name",
    "pledge__organization_id", "pledge__organization__name", "content", "area", "kind", "measures", "deadline",
    "expected_effect", "shortcoming", "state", "rectify_by", "record_count", "last_record_on", "closed_at",
)
LEDGER_ORDER = ("pledge__organization__sort_order", "pledge__organization_id", "pledge__member__name", "pledge_id", "position", "id")


def _ledger_items_of(*, round_id, organization_ids=None, organization_id=None, state=None) -> QuerySet[PledgeItem]:
    items = PledgeItem.objects.filter(pledge__round_id=round_id, pledge__state__any=list(LEDGER_STATES))
    if organization_id is not None:
        items = items.filter(pledge__organization_id=organization_id)
    else:
        items = items.filter(pledge__organization_id__any=organization_ids)
    return items if state is None else items.filter(state=state)


def item_row_values(items: QuerySet[PledgeItem]) -> QuerySet[PledgeItem]:
    """A ledger row's columns (ITEM_COLUMNS) and the verifier's name, as a subquery PostgreSQL
    runs for the page's rows only (a fifth table in the join cost more to plan than the whole
    read takes to run)."""
    verifier = Member.objects.filter(pk=OuterRef("closed_by_id")).order_by().values("name")
    return items.values(*ITEM_COLUMNS, closed_by_name=Subquery(verifier))


def _ledger_reads(*, one: bool, in_state: bool) -> tuple[CompiledQuery, CompiledQuery]:
    """The ledger of some organisations (ITEM_COLUMNS) in ledger order, compiled as (rows, keys
    to count) for each shape: of one organisation (a branch without groups: `=`, which the planner
    estimates right even in a cached generic plan, where `= ANY` of an unknown list is guessed
    at ten) or of several, and of every item state or of one (a condition on every state would
    steer the planner to the state index over all the unit's items)."""
    kinds = {"round_id": int, **({"organization_id": int} if one else {"organization_ids": list}), **({"state": str} if in_state else {})}

    def rows(**p):
        return item_row_values(_ledger_items_of(**p).order_by(*LEDGER_ORDER))

    def keys(**p):
        return _ledger_items_of(**p).order_by().values_list("pk")

    rows.__qualname__, keys.__qualname__ = f"ledger rows (one={one}, in_state={in_state})", f"ledger keys (one={one}, in_state={in_state})"
    return CompiledQuery(rows, kinds), CompiledQuery(keys, kinds)


_LEDGER_READS = {(one, in_state): _ledger_reads(one=one, in_state=in_state) for one in (True, False) for in_state in (True, False)}


def ledger_page(*, round_id: int, organization_ids: list[int], state: str | None = None) -> Paged:
    """The items of these organisations' ledger, of one item state when `state` is given."""
    one = len(organization_ids) == 1
    where = {"organization_id": organization_ids[0]} if one else {"organization_ids": organization_ids}
    if state is not None:
        where["state"] = state
    return Paged(*_LEDGER_READS[one, state is not None], round_id=round_id, **where)


def ledger_records(*, items: QuerySet[PledgeItem]) -> QuerySet[ProgressRecord]:
    """The records of a ledger's items (exports)."""
    return ProgressRecord.objects.filter(item_id__in=items.values("pk")).select_related("author").order_by("item_id", "recorded_on", "id")


RECORD_COLUMNS = ("id", "item_id", "recorded_on", "text", "author_id", "author__name", "created_at")
ATTACHMENT_COLUMNS = ("id", "record_id", "item_id", "name", "content_type", "size", "file")


@compiled(item_ids=list)
def record_rows_of_items(*, item_ids):
    """The progress records of these items (RECORD_COLUMNS), oldest first per item."""
    return ProgressRecord.objects.filter(item_id__any=item_ids).order_by("item_id", "recorded_on", "id").values(*RECORD_COLUMNS)


@compiled(record_ids=list)
def record_attachment_rows(*, record_ids):
    return Attachment.objects.filter(record_id__any=record_ids).order_by("id").values(*ATTACHMENT_COLUMNS)


def board_pledges(*, round: Round) -> QuerySet[Pledge]:
    """What the public board shows: published pledges only, never drafts or comments."""
    return (
        Pledge.objects.filter(round=round, state__in=(Pledge.State.PUBLISHED, Pledge.State.COMPLETED))
        .select_related("member", "organization")
        .prefetch_related(Prefetch("items", queryset=PledgeItem.objects.only(
            "id", "pledge_id", "position", "content", "area", "kind", "deadline", "expected_effect", "state", "closed_at",
        )))
        .order_by("organization__sort_order", "organization_id", "subject", "member__name", "id")
    )


def members_without_record_in_month(*, round: Round, month_start: date) -> QuerySet[Member]:
    """Members with an open published item and no progress record since the month began."""
    open_items = PledgeItem.objects.filter(
        pledge__round=round, pledge__state=Pledge.State.PUBLISHED, state__in=PledgeItem.OPEN_STATES,
    )
    has_open = Exists(open_items.filter(pledge__member_id=OuterRef("pk")))
    # Each item keeps the date of its latest record, so this reads items, not every record.
    recorded = Exists(PledgeItem.objects.filter(pledge__round=round, pledge__member_id=OuterRef("pk"), last_record_on__gte=month_start))
    return Member.objects.filter(has_open, ~recorded, is_exempt=False, user_id__isnull=False)


def round_progress(*, round: Round, branch_ids: set[int] | None = None) -> list[dict]:
    """Per branch: members (exempt, without a post), pledges by state, items by state — three grouped queries."""
    branches = Organization.objects.filter(kind=Organization.Kind.BRANCH).order_by("sort_order", "id")
    if branch_ids is not None:
        branches = branches.filter(pk__in=branch_ids)
    enrolled = (Member.Status.ACTIVE, Member.Status.MOBILE)
    members = {
        row["branch_id"]: row
        for row in Member.objects.filter(status__in=enrolled).values("branch_id").annotate(
            total=Count("id"), exempt=Count("id", filter=Q(is_exempt=True)), without_post=Count("id", filter=Q(post="")),
        )
    }
    pledges: dict[int, dict[str, int]] = {}
    for row in Pledge.objects.filter(round=round, subject=Pledge.Subject.MEMBER).values("organization_id", "state").annotate(n=Count("id")):
        pledges.setdefault(row["organization_id"], {})[row["state"]] = row["n"]
    items: dict[int, dict[str, int]] = {}
    for row in PledgeItem.objects.filter(pledge__round=round).values("pledge__organization_id", "state").annotate(n=Count("id")):
        items.setdefault(row["pledge__organization_id"], {})[row["state"]] = row["n"]
    rows = []
    for branch in branches:
        m = members.get(branch.pk, {"total": 0, "exempt": 0, "without_post": 0})
        by_state = pledges.get(branch.pk, {})
        rows.append({
            "branch": {"id": branch.pk, "name": branch.name},
            "members": m["total"], "exempt": m["exempt"], "without_post": m["without_post"],
            "pledged": sum(by_state.values()), "pledges": by_state, "items": items.get(branch.pk, {}),
        })
    return rows


def members_not_pledged(*, round: Round, branch_id: int) -> QuerySet[Member]:
    """Who in the branch still has to pledge: enrolled, not exempt, no pledge of their own in the round."""
    return (
        Member.objects.filter(branch_id=branch_id, status__in=(Member.Status.ACTIVE, Member.Status.MOBILE), is_exempt=False)
        .exclude(Exists(Pledge.objects.filter(round=round, member_id=OuterRef("pk"))))
        .order_by("name", "id")
    )
