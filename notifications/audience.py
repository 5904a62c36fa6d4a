"""Who a notice reaches, resolved inside the unit's own schema when it is fanned out.

An audience is `{"kind": ..., "organisations": [...], "role": ..., "user_ids": [...]}`:
- kind "unit": everyone in the unit with the role; "organisations": the chosen organisations and
  everything below them; "people": the users named (event notices from the other parts).
- role "members" (default: every member still in the unit, secretaries included), "secretaries"
  (those who run an organisation in scope) or "unit_admins" (unit-wide only).
Only people with a login can be reached; members without one are counted, so the sender knows.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import UnitRole
from tenants.organization.caller import organization_children, subtree_ids
from tenants.organization.models import Member, Organization

KIND_CHOICES = [("unit", "全单位 / the unit"), ("organisations", "选定组织 / chosen organisations"), ("people", "指定人员 / named people")]
ROLE_CHOICES = [("members", "党员 / members"), ("secretaries", "书记 / secretaries"), ("unit_admins", "单位管理员 / unit admins")]
ROLES = tuple(name for name, _label in ROLE_CHOICES)
IN_UNIT = (Member.Status.ACTIVE, Member.Status.MOBILE)
MAX_ORGANISATIONS = 500


def audience_check(audience, *, allowed_organisations: set[int] | None = None) -> dict:
    """The audience in its stored form, or ValidationError (translated) saying what is wrong.
    `allowed_organisations`: the organisations the sender may address (None: the whole unit)."""
    if not isinstance(audience, dict):
        raise ValidationError({"audience": _("Say who the notice is for.")})
    kind = audience.get("kind", "unit")
    role = audience.get("role", "members")
    if kind not in ("unit", "organisations"):
        raise ValidationError({"audience": _("Send a notice to the unit or to chosen organisations.")})
    if role not in ROLES:
        raise ValidationError({"audience": _("Unknown role: choose members, secretaries or unit admins.")})
    if kind == "unit":
        if allowed_organisations is not None:
            raise ValidationError({"audience": _("You may send notices only to the organisations you lead.")})
        return {"kind": "unit", "role": role}
    if role == "unit_admins":
        raise ValidationError({"audience": _("Unit admins are addressed unit-wide, not per organisation.")})
    ids = audience.get("organisations")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ValidationError({"audience": _("Choose at least one organisation.")})
    if len(ids) > MAX_ORGANISATIONS:
        raise ValidationError({"audience": _("Choose at most %(n)d organisations.") % {"n": MAX_ORGANISATIONS}})
    ids = sorted(set(ids))
    known = set(Organization.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if known != set(ids) or (allowed_organisations is not None and not set(ids) <= allowed_organisations):
        # A foreign or unknown organisation: the same answer, so nothing about other units shows.
        raise ValidationError({"audience": _("Some of the chosen organisations are not yours to address.")})
    return {"kind": "organisations", "organisations": ids, "role": role}


def recipient_ids(audience: dict) -> list[int]:
    """The users an audience reaches in this unit, sorted (the people with a login)."""
    if audience["kind"] == "people":
        return sorted(set(audience.get("user_ids", [])))
    role = audience.get("role", "members")
    if role == "unit_admins":
        return sorted(UnitRole.objects.filter(unit_id=connection.tenant.pk, role=UnitRole.Role.UNIT_ADMIN).values_list("user_id", flat=True).distinct())
    scope = audience_scope(audience)
    if role == "secretaries":
        organisations = Organization.objects.filter(secretary__user_id__isnull=False, secretary__status__in=IN_UNIT)
        if scope is not None:
            organisations = organisations.filter(pk__in=scope)
        return sorted(set(organisations.values_list("secretary__user_id", flat=True)))
    return sorted(set(_members(scope).filter(user_id__isnull=False).values_list("user_id", flat=True)))


def without_login(audience: dict) -> int:
    """Members the audience covers who have no login (they cannot be reached in the app)."""
    if audience["kind"] == "people" or audience.get("role", "members") != "members":
        return 0
    return _members(audience_scope(audience)).filter(user_id__isnull=True).count()


def audience_scope(audience: dict) -> set[int] | None:
    if audience["kind"] != "organisations":
        return None
    return subtree_ids(audience["organisations"], organization_children())


def _members(scope: set[int] | None):
    members = Member.objects.filter(status__in=IN_UNIT)
    if scope is not None:
        members = members.filter(Q(branch_id__in=scope) | Q(group_id__in=scope))
    return members
