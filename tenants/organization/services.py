"""Writes to a unit's organisation tree and member roll. Business rules are checked
here (`check_*` may refuse), so the API, the admin console and imports behave alike."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .identity import member_identity_link, member_identity_unlink
from .models import Member, Organization

MEMBER_FIELDS = ("name", "gender", "birth_date", "joined_on", "phone", "post", "tier", "is_exempt", "branch", "group", "status")


def check_organization_placement(*, kind: str, parent: Organization | None, organization: Organization | None = None) -> None:
    allowed = Organization.ALLOWED_PARENTS[kind]
    parent_kind = parent.kind if parent is not None else None
    if parent_kind not in allowed:
        raise ValidationError({"parent": _("A %(kind)s cannot be placed under %(parent)s.") % {
            "kind": Organization.Kind(kind).label,
            "parent": Organization.Kind(parent_kind).label if parent_kind else _("the top of the tree"),
        }})
    if organization is not None and organization.pk is not None:
        node = parent
        while node is not None:
            if node.pk == organization.pk:
                raise ValidationError({"parent": _("An organisation cannot be placed under itself.")})
            node = node.parent
        for child in organization.children.all():
            if organization.kind not in {k for k in Organization.ALLOWED_PARENTS[child.kind] if k}:
                raise ValidationError({"kind": _("Its sub-organisations could not stay under a %(kind)s.") % {"kind": Organization.Kind(kind).label}})
        if kind != Organization.Kind.BRANCH and organization.members.exists():
            raise ValidationError({"kind": _("Only a branch can have members; move its members first.")})


@transaction.atomic
def organization_create(*, name: str, kind: str, parent: Organization | None = None, sort_order: int = 0) -> Organization:
    check_organization_placement(kind=kind, parent=parent)
    organization = Organization(name=name, kind=kind, parent=parent, sort_order=sort_order)
    organization.full_clean()
    organization.save()
    return organization


@transaction.atomic
def organization_update(*, organization: Organization, **changes) -> Organization:
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    kind = changes.get("kind", organization.kind)
    parent = changes.get("parent", organization.parent)
    check_organization_placement(kind=kind, parent=parent, organization=organization)
    if "secretary" in changes and changes["secretary"] is not None:
        check_secretary(organization=organization, member=changes["secretary"])
    for field, value in changes.items():
        setattr(organization, field, value)
    organization.full_clean()
    organization.save()
    return organization


def check_secretary(*, organization: Organization, member: Member) -> None:
    if member.status not in (Member.Status.ACTIVE, Member.Status.MOBILE):
        raise ValidationError({"secretary": _("The secretary must be an active member.")})
    # The secretary belongs to the organisation or to one below it.
    node = member.branch
    while node is not None and node.pk != organization.pk:
        node = node.parent
    if node is None:
        raise ValidationError({"secretary": _("The secretary must be a member of this organisation.")})


@transaction.atomic
def organization_delete(*, organization: Organization) -> None:
    if organization.children.exists():
        raise ValidationError(_("Remove or move its sub-organisations first."))
    if organization.members.exists():
        raise ValidationError(_("Move its members to another branch first."))
    organization.delete()


def check_member(*, member: Member) -> None:
    """Rules beyond field shapes. Raises ValidationError with field-level messages."""
    errors: dict[str, str] = {}
    today = date.today()
    if member.branch_id and member.branch.kind != Organization.Kind.BRANCH:
        errors["branch"] = _("Members belong to a branch.")
    if member.group_id and (member.group.kind != Organization.Kind.GROUP or member.group.parent_id != member.branch_id):
        errors["group"] = _("The party group must be one of the member's branch.")
    if member.birth_date and not (date(1900, 1, 1) <= member.birth_date <= today):
        errors["birth_date"] = _("Enter a birth date between 1900 and today.")
    if member.joined_on and member.joined_on > today:
        errors["joined_on"] = _("The joining date cannot be in the future.")
    if member.birth_date and member.joined_on and member.joined_on < _add_years(member.birth_date, 18):
        errors["joined_on"] = _("A member joins the Party at 18 or older.")
    if errors:
        raise ValidationError(errors)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def member_create(*, unit, **fields) -> Member:
    member = Member(**{k: v for k, v in fields.items() if k in MEMBER_FIELDS})
    member.full_clean(exclude=["user"])
    check_member(member=member)
    member.save()
    member_identity_link(member=member, unit=unit)
    return member


@transaction.atomic
def member_update(*, member: Member, unit, **changes) -> Member:
    member = Member.objects.select_for_update().get(pk=member.pk)
    phone_changed = "phone" in changes and changes["phone"] != member.phone
    for field, value in changes.items():
        if field in MEMBER_FIELDS:
            setattr(member, field, value)
    member.full_clean(exclude=["user"])
    check_member(member=member)
    if phone_changed:
        member_identity_unlink(member=member, unit=unit)
    member.save()
    if phone_changed:
        member_identity_link(member=member, unit=unit)
    return member


@transaction.atomic
def member_delete(*, member: Member, unit) -> None:
    if member.secretary_of.exists():
        raise ValidationError(_("This member is a secretary; name another secretary first."))
    member_identity_unlink(member=member, unit=unit)
    member.delete()
