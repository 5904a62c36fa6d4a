"""Linking a unit's members to people's platform identities, and activating logins.

A mobile number is one person's identity across every unit, so no unit admin may
control an identity that another unit (or the person) uses:

- enrolling a number that has no identity yet creates one, linked to this unit only and
  without a password: nobody can sign in with it until the person activates it;
- enrolling a number that already is an identity creates a `PendingLink`; the member is
  linked only when the person proves they hold the phone (an SMS code);
- a code the unit admin hands over (activation letter) can only activate an identity
  that belongs to no other unit, and it never links one.

Whatever the case, the unit admin sees the same answers ("pending" until activated), and
neither the member list nor the audit trail tells which case it was.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from accounts.login import account_unlock
from accounts.models import ActivationCode, JurisdictionRole, PendingLink, UnitRole, User
from accounts.sms import phone_masked, sms_send
from tenants.models import Unit
from tenants.services import unit_run

from .models import Member

SMS_CODE_TTL = timedelta(minutes=15)
HANDOVER_CODE_TTL = timedelta(days=14)
MAX_ATTEMPTS = 5  # wrong guesses before every live code of the number dies
SMS_PER_NUMBER_PER_HOUR = 5
_HANDOVER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
_SENT = "activation-sms-to:"


# --- Enrolment --------------------------------------------------------------------------------

def _free(user: User) -> bool:
    """Nobody but the unit about to enrol it could have any hold on this identity."""
    return not (
        user.has_usable_password() or user.is_staff or user.is_superuser
        or UnitRole.objects.filter(user=user).exists() or JurisdictionRole.objects.filter(user=user).exists()
    )


def _username_for(phone: str) -> str:
    return phone if not User.objects.filter(username=phone).exists() else f"{phone}-{secrets.token_hex(3)}"


def _identity_for_new_number(phone: str, name: str) -> User | None:
    """A new identity for the number, or None when one exists (made meanwhile by another unit, too)."""
    try:
        with transaction.atomic():
            return User.objects.create(username=_username_for(phone), phone=phone, full_name=name, password=make_password(None))
    except IntegrityError:
        return None


def member_identity_link(*, member: Member, unit: Unit) -> None:
    """For a saved member with a phone number: link a new identity, or leave a pending link."""
    if not member.phone:
        return
    user = User.objects.select_for_update().filter(phone=member.phone).first()
    if user is None:
        user = _identity_for_new_number(member.phone, member.name)
        if user is None:  # another unit enrolled the number at the same moment
            user = User.objects.select_for_update().get(phone=member.phone)
        else:
            _link(member_id=member.pk, user=user, unit=unit, activated=False)
            member.user_id = user.pk
            return
    # Locked: an enrolment elsewhere in the same moment waits for this decision.
    if _free(user):
        _link(member_id=member.pk, user=user, unit=unit, activated=False)
        member.user_id = user.pk
        return
    PendingLink.objects.get_or_create(unit=unit, member_id=member.pk, defaults={"phone": member.phone})


def members_identity_link(*, members: list[Member], unit: Unit) -> None:
    for member in members:
        member_identity_link(member=member, unit=unit)


def member_identity_unlink(*, member: Member, unit: Unit) -> None:
    PendingLink.objects.filter(unit=unit, member_id=member.pk).delete()
    if member.user_id:
        UnitRole.objects.filter(user_id=member.user_id, unit=unit, role=UnitRole.Role.MEMBER).delete()
        Member.objects.filter(pk=member.pk).update(user=None, login_activated_at=None)
        member.user_id = None
        member.login_activated_at = None


def _link(*, member_id: int, user: User, unit: Unit, activated: bool) -> None:
    """In the unit's schema (the caller is in it): the member is this person; the role lets them in.
    Written with update(), not save(): the identity a member is linked to stays out of the audit trail."""
    Member.objects.filter(pk=member_id).update(user=user, **({"login_activated_at": timezone.now()} if activated else {}))
    UnitRole.objects.get_or_create(user=user, unit=unit, role=UnitRole.Role.MEMBER)


def member_login_state(member: Member) -> str:
    if not member.phone:
        return "none"
    return "active" if member.login_activated_at else "pending"


# --- Activation codes -------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuedCode:
    method: str
    sent_to: str
    expires_at: datetime
    code: str | None  # handed-over codes, and SMS codes in the demo only


def _code_hash(phone: str, code: str) -> str:
    return salted_hmac("jiannuo.activation-code", f"{phone}:{code.upper()}", algorithm="sha256").hexdigest()


def _new_code(method: str) -> str:
    if method == ActivationCode.Method.SMS:
        return f"{secrets.randbelow(10**6):06d}"
    raw = "".join(secrets.choice(_HANDOVER_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def _normalised(code: str) -> str:
    code = (code or "").strip().upper().replace(" ", "")
    if len(code) == 8 and "-" not in code and not code.isdigit():
        code = f"{code[:4]}-{code[4:]}"
    return code


def _sms_allowed(phone: str) -> bool:
    store, key = caches["security"], _SENT + phone
    if store.add(key, 1, timeout=3600):
        return True
    try:
        return store.incr(key) <= SMS_PER_NUMBER_PER_HOUR
    except ValueError:
        return store.add(key, 1, timeout=3600)


def _code_create(*, phone: str, method: str, unit: Unit | None, by: User | None) -> tuple[str, ActivationCode]:
    code = _new_code(method)
    ttl = SMS_CODE_TTL if method == ActivationCode.Method.SMS else HANDOVER_CODE_TTL
    row = ActivationCode.objects.create(phone=phone, method=method, unit=unit, code_hash=_code_hash(phone, code),
                                        created_by=by, expires_at=timezone.now() + ttl)
    if method == ActivationCode.Method.SMS:
        text = _("【践诺】Your code is %(code)s (valid %(minutes)d minutes). Use it in the Jiannuo app to activate your account or set a new password. Never tell it to anyone.") % {
            "code": code, "minutes": int(ttl.total_seconds() // 60)}
        transaction.on_commit(lambda: sms_send(phone=phone, text=text))
    return code, row


@transaction.atomic
def member_activation_issue(*, member: Member, unit: Unit, method: str, by: User | None) -> IssuedCode:
    """A unit admin starts a member's activation: a code by SMS to the member's phone, or
    one to hand over. The answer is the same whether or not the number has a login elsewhere."""
    if not member.phone:
        raise ValidationError(_("This member has no mobile number: add one first."))
    if member.status not in (Member.Status.ACTIVE, Member.Status.MOBILE):
        raise ValidationError(_("Only active members can be given a login."))
    if method == ActivationCode.Method.SMS and not _sms_allowed(member.phone):
        raise ValidationError(_("Several codes were sent to this number in the last hour. Try again later."), code="throttled")
    code, row = _code_create(phone=member.phone, method=method, unit=unit, by=by)
    shown = code if method == ActivationCode.Method.HANDOVER or settings.JIANNUO_DEMO else None
    return IssuedCode(method=method, sent_to=phone_masked(member.phone), expires_at=row.expires_at, code=shown)


def member_unlock(*, member: Member) -> None:
    """Forget the failed sign-ins of the member's login (same answer whatever the identity)."""
    user = User.objects.filter(pk=member.user_id).first() if member.user_id else None
    account_unlock(user=user, phone=member.phone)


def self_service_code_send(*, phone: str) -> None:
    """"Send me a code" from the sign-in screen (first activation, forgotten password).
    Sent only to numbers some unit enrolled; the caller is told the same either way."""
    known = User.objects.filter(phone=phone).exists() or PendingLink.objects.filter(phone=phone).exists()
    if known and _sms_allowed(phone):
        with transaction.atomic():
            _code_create(phone=phone, method=ActivationCode.Method.SMS, unit=None, by=None)


class ActivationRefused(Exception):
    pass


def _code_match(*, phone: str, code: str) -> ActivationCode:
    """The live code of the number that matches, or ActivationRefused after counting the
    wrong guess against every live code of the number (committed, whatever happens next)."""
    digest = _code_hash(phone, _normalised(code))
    with transaction.atomic():
        live = list(ActivationCode.objects.select_for_update().filter(
            phone=phone, used_at__isnull=True, expires_at__gt=timezone.now(), attempts__lt=MAX_ATTEMPTS))
        match = next((c for c in live if constant_time_compare(c.code_hash, digest)), None)
        if match is None:
            ActivationCode.objects.filter(pk__in=[c.pk for c in live]).update(attempts=F("attempts") + 1)
    if match is None:
        raise ActivationRefused()
    return match


def activation_redeem(*, phone: str, code: str, password: str) -> User:
    """The person sets their password with a code; an SMS code also confirms every unit that
    waits for this number. Raises ActivationRefused (one message whatever the reason) or
    ValidationError for a password the rules refuse (the code then stays usable)."""
    match = _code_match(phone=phone, code=code)
    now = timezone.now()
    with transaction.atomic():
        match = ActivationCode.objects.select_for_update().get(pk=match.pk)
        user = User.objects.select_for_update().filter(phone=phone).first()
        if match.used_at is not None:
            raise ActivationRefused()
        if match.method == ActivationCode.Method.HANDOVER and user is not None and not _belongs_only_to(user, match.unit):
            raise ActivationRefused()  # a unit admin's code never touches an identity another unit uses
        try:
            validate_password(password, user or User(username=phone, phone=phone))
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages})
        if user is None:
            user = _identity_for_new_number(phone, "") or User.objects.select_for_update().get(phone=phone)
        user.set_password(password)
        user.phone_verified_at = now if match.method == ActivationCode.Method.SMS else None
        user.save(update_fields=["password", "phone_verified_at"])
        # One redemption ends every other live code of the number.
        ActivationCode.objects.filter(phone=phone, used_at__isnull=True).update(used_at=now)
        if match.method == ActivationCode.Method.SMS:
            members = _units_confirmed_by_phone(user=user, phone=phone)
        else:
            members = {match.unit_id: _member_ids_in(match.unit, user, phone)}
        for unit in Unit.objects.filter(pk__in=members.keys(), status=Unit.Status.ACTIVE):
            with unit_run(unit):
                for member_id in members[unit.pk]:
                    _link(member_id=member_id, user=user, unit=unit, activated=True)
            PendingLink.objects.filter(phone=phone, unit=unit).delete()
    return user


def _belongs_only_to(user: User, unit: Unit | None) -> bool:
    if user.is_staff or user.is_superuser or JurisdictionRole.objects.filter(user=user).exists():
        return False
    return not UnitRole.objects.filter(user=user).exclude(unit=unit).exists()


def _member_ids_in(unit: Unit, user: User, phone: str) -> list[int]:
    ids = list(PendingLink.objects.filter(unit=unit, phone=phone).values_list("member_id", flat=True))
    with unit_run(unit):
        ids += list(Member.objects.filter(user=user).values_list("pk", flat=True))
    return ids


def _units_confirmed_by_phone(*, user: User, phone: str) -> dict[int, list[int]]:
    """Every unit where the person is a member (their login is now activated there) and every
    unit that enrolled the number and waits for the person (now linked)."""
    units: dict[int, list[int]] = {}
    for link in PendingLink.objects.filter(phone=phone, unit__status=Unit.Status.ACTIVE):
        units.setdefault(link.unit_id, []).append(link.member_id)
    for unit in Unit.objects.filter(roles__user=user, roles__role=UnitRole.Role.MEMBER, status=Unit.Status.ACTIVE).distinct():
        with unit_run(unit):
            units.setdefault(unit.pk, []).extend(Member.objects.filter(user=user).values_list("pk", flat=True))
    return units
