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
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from accounts.login import account_unlock
from accounts.models import ActivationCode, JurisdictionRole, PendingLink, UnitRole, User
from accounts.sms import phone_masked, sms_send_soon
from audit.recorder import record_event
from tenants.models import Unit
from tenants.services import unit_run

from .models import Member

SMS_CODE_TTL = timedelta(minutes=15)
HANDOVER_CODE_TTL = timedelta(days=14)
MAX_ATTEMPTS = 5  # wrong guesses before a code dies
WRONG_GUESSES_PER_NUMBER_PER_DAY = 10  # before the number takes no code until tomorrow
SMS_PER_NUMBER_PER_HOUR = 5  # from unit admins, and separately from the person
SMS_PER_NUMBER_PER_DAY = 20
HANDOVER_PER_UNIT_PER_DAY = 2000
_HANDOVER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
_SENT = "activation-sms-to:"
_WRONG = "activation-wrong-guesses:"
_LETTERS = "activation-letters-of-unit:"


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
    # In number order, so two imports with the same numbers lock identities in the same order.
    for member in sorted(members, key=lambda m: m.phone):
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
    if activated:
        member = Member.objects.filter(pk=member_id).first()
        if member is not None:
            record_event(instance=member, after={"login_activated_at": member.login_activated_at.isoformat()})


def member_login_state(member: Member) -> str:
    if not member.phone:
        return "none"
    return "active" if member.login_activated_at else "pending"


# --- Activation codes -------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuedCode:
    method: str
    phone: str  # masked
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


def _within(key: str, limit: int, seconds: int) -> bool:
    """Counts one more event under `key` (Redis, per window) and says whether it is within `limit`."""
    store = caches["security"]
    if store.add(key, 1, timeout=seconds):
        return True
    try:
        return store.incr(key) <= limit
    except ValueError:  # expired between add and incr
        return store.add(key, 1, timeout=seconds)


def _sms_allowed(phone: str, *, source: str) -> bool:
    # Unit admins and the person have separate hourly quotas, so neither can use up the other's.
    return _within(f"{_SENT}{source}:{phone}", SMS_PER_NUMBER_PER_HOUR, 3600) and _within(f"{_SENT}day:{phone}", SMS_PER_NUMBER_PER_DAY, 86400)


def _code_create(*, phone: str, method: str, unit: Unit | None, by: User | None) -> tuple[str, ActivationCode]:
    """A new code for the number; it replaces any earlier one (only the newest works)."""
    code = _new_code(method)
    now = timezone.now()
    ttl = SMS_CODE_TTL if method == ActivationCode.Method.SMS else HANDOVER_CODE_TTL
    ActivationCode.objects.filter(phone=phone, used_at__isnull=True).update(used_at=now)
    row = ActivationCode.objects.create(phone=phone, method=method, unit=unit, code_hash=_code_hash(phone, code),
                                        created_by=by, expires_at=now + ttl)
    if method == ActivationCode.Method.SMS:
        text = _("【践诺】Your code is %(code)s (valid %(minutes)d minutes). Use it in the Jiannuo app to activate your account or set a new password. Never tell it to anyone.") % {
            "code": code, "minutes": int(ttl.total_seconds() // 60)}
        transaction.on_commit(lambda: sms_send_soon(phone=phone, text=text))
    return code, row


def _codes_shown_to_admins() -> bool:
    """Only the demo, where no SMS is really sent, shows an SMS code on the admin's screen."""
    return settings.JIANNUO_DEMO and settings.JIANNUO_SMS_PROVIDER == "accounts.sms.LogProvider"


@transaction.atomic
def member_activation_issue(*, member: Member, unit: Unit, method: str, by: User | None) -> IssuedCode:
    """A unit admin starts a member's activation: a code by SMS to the member's phone, or
    one to hand over. The answer is the same whether or not the number has a login elsewhere."""
    if not member.phone:
        raise ValidationError(_("This member has no mobile number: add one first."))
    if member.status not in (Member.Status.ACTIVE, Member.Status.MOBILE):
        raise ValidationError(_("Only active members can be given a login."))
    if method == ActivationCode.Method.SMS and not _sms_allowed(member.phone, source="admin"):
        raise ValidationError(_("Several codes were sent to this number in the last hour. Try again later."), code="throttled")
    if method == ActivationCode.Method.HANDOVER and not _within(f"{_LETTERS}{unit.pk}", HANDOVER_PER_UNIT_PER_DAY, 86400):
        raise ValidationError(_("Your unit has printed many activation letters today. Try again tomorrow."), code="throttled")
    code, row = _code_create(phone=member.phone, method=method, unit=unit, by=by)
    record_event(instance=member, after={"activation": method, "expires_at": row.expires_at.isoformat()})
    shown = code if method == ActivationCode.Method.HANDOVER or _codes_shown_to_admins() else None
    return IssuedCode(method=method, phone=phone_masked(member.phone), expires_at=row.expires_at, code=shown)


def member_unlock(*, member: Member) -> None:
    """Forget the failed sign-ins of the member's login — only a login activated in this unit.
    The answer is the same for any member: no unit learns about another's logins."""
    if member.user_id and member.login_activated_at:
        user = User.objects.filter(pk=member.user_id).first()
        if user is not None:
            account_unlock(user=user)
    record_event(instance=member, after={"login": "unlocked"})


def self_service_code_send(*, phone: str) -> None:
    """"Send me a code" from the sign-in screen (first activation, forgotten password).
    Sent only to numbers some unit enrolled, through a task: the caller is told the same,
    as fast, either way."""
    known = User.objects.filter(phone=phone).exists() or PendingLink.objects.filter(phone=phone).exists()
    if known and _sms_allowed(phone, source="self"):
        with transaction.atomic():
            _code_create(phone=phone, method=ActivationCode.Method.SMS, unit=None, by=None)


class ActivationRefused(Exception):
    pass


def _code_match(*, phone: str, code: str) -> ActivationCode:
    """The number's live code if it matches, or ActivationRefused after counting the wrong
    guess (committed, whatever happens next). A number with too many wrong guesses today
    takes no code at all, so spreading guesses over many codes gains nothing."""
    if caches["security"].get(_WRONG + phone, 0) >= WRONG_GUESSES_PER_NUMBER_PER_DAY:
        raise ActivationRefused()
    digest = _code_hash(phone, _normalised(code))
    with transaction.atomic():
        live = list(ActivationCode.objects.select_for_update().filter(
            phone=phone, used_at__isnull=True, expires_at__gt=timezone.now(), attempts__lt=MAX_ATTEMPTS))
        match = next((c for c in live if constant_time_compare(c.code_hash, digest)), None)
        if match is None:
            ActivationCode.objects.filter(pk__in=[c.pk for c in live]).update(attempts=F("attempts") + 1)
    if match is None:
        _within(_WRONG + phone, WRONG_GUESSES_PER_NUMBER_PER_DAY, 86400)
        raise ActivationRefused()
    return match


def activation_redeem(*, phone: str, code: str, password: str) -> User:
    """The person sets their password with a code; an SMS code also confirms every unit that
    waits for this number. Raises ActivationRefused (one message whatever the reason) or
    ValidationError for a password the rules refuse (the code then stays usable)."""
    match = _code_match(phone=phone, code=code)
    now = timezone.now()
    refused = False
    with transaction.atomic():
        user = User.objects.select_for_update().filter(phone=phone).first()  # the person first, then the code: one lock order
        match = ActivationCode.objects.select_for_update().get(pk=match.pk)
        if match.used_at is not None:
            raise ActivationRefused()
        try:
            validate_password(password, user or User(username=phone, phone=phone))
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages})
        if match.method == ActivationCode.Method.HANDOVER and user is not None and not _handover_may_activate(user, match.unit):
            # A unit admin's code never touches a login someone else has a hold on. The code is
            # used up, so it answers this question once, not as often as it is asked.
            ActivationCode.objects.filter(pk=match.pk).update(used_at=now)
            refused = True
        else:
            user = user or _identity_for_new_number(phone, "")
            if user is None:  # created elsewhere this very moment: ask again
                raise ActivationRefused()
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
    if refused:
        raise ActivationRefused()
    return user


def _handover_may_activate(user: User, unit: Unit | None) -> bool:
    """Whether a code this unit's admin handed over may set this identity's password: only
    when nobody but this unit could have a hold on it — no other unit, no pending enrolment
    elsewhere, no admin or jurisdiction role, and no password the person set themselves."""
    if user.is_staff or user.is_superuser or JurisdictionRole.objects.filter(user=user).exists():
        return False
    if user.phone_verified_at is not None and user.has_usable_password():
        return False
    if UnitRole.objects.filter(user=user).filter(Q(role=UnitRole.Role.UNIT_ADMIN) | ~Q(unit=unit)).exists():
        return False
    return not PendingLink.objects.filter(phone=user.phone).exclude(unit=unit).exists()


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
