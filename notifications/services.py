"""Messages: the outbox (`outbox_enqueue` records a message with the change that causes it,
`outbox_deliver_pending` delivers), notices (`notify` for events from the other parts, `notice_send`
for announcements, `notice_remind`, `notice_carry` for a county's notice) fanned out set-based inside
the unit, the outside channels' deliveries (`deliveries_send_due`) and the inbox (`inbox_read`)."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable, Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from django_tenants.utils import get_public_schema_name
from tenants.models import OutboxPending
from tenants.organization.caller import Caller

from .audience import audience_check, audience_scope, recipient_ids
from .channels import Message, PermanentFailure, provider_for
from .models import OUTSIDE_CHANNELS, Channel, ChatRobot, Delivery, Notice, Notification, OutboxMessage, Preference

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxMessage], None]
_HANDLERS: dict[str, Handler] = {}

TOPIC_INBOX = "inbox.notify"  # recorded before notices existed; still delivered
TOPIC_FAN_OUT = "notice.fan_out"

MAX_TITLE = 200
MAX_BODY = 5000
FAN_OUT_BATCH = 5000  # recipients per INSERT statement
PERSONAL_ADDRESS = {Channel.EMAIL: "email", Channel.SMS: "phone"}  # the login's column each channel sends to
REMIND_AGAIN_AFTER = timedelta(minutes=10)

# Sent inside the transaction that changed them, for those above (the county's counts) to follow.
notice_delivered = Signal()  # notice: fanned out in this unit
notices_read = Signal()  # notice_ids: their read counts changed


def handles(topic: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _HANDLERS[topic] = func
        return func

    return register


def outbox_enqueue(*, topic: str, payload: dict, dedupe_key: str | None = None) -> OutboxMessage:
    """Record a message inside the caller's transaction; it is delivered only if that commits."""
    if topic not in _HANDLERS:
        raise ValueError(f"No handler for outbox topic {topic!r}")
    with transaction.atomic():
        if dedupe_key is not None:
            existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
            if existing is not None:
                return existing
        try:
            with transaction.atomic():
                message = OutboxMessage.objects.create(topic=topic, payload=payload, dedupe_key=dedupe_key)
        except IntegrityError:
            # A concurrent caller enqueued the same key first.
            return OutboxMessage.objects.get(dedupe_key=dedupe_key)
        _pending_flag_set()

    _nudge_delivery()
    return message


def _pending_flag_set() -> None:
    """Mark this unit as having outbox messages waiting (public schema), in the message's own
    transaction: the periodic sweep visits only marked units. The mark is written even when it is
    there already, so this transaction holds its row until it commits (see _pending_flag_clear)."""
    unit = getattr(connection, "tenant", None)
    if unit is None or connection.schema_name == get_public_schema_name():
        return
    table = OutboxPending._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (unit_id, since) VALUES (%s, %s) ON CONFLICT (unit_id) DO UPDATE SET since = {table}.since",
                       [unit.pk, timezone.now()])


def _pending_flag_clear() -> None:
    """Unmark this unit once nothing waits. The mark's row is locked first: a transaction that is
    recording a message holds it until it commits, so the check below, made after, sees its message
    (and one that marks after this lock waits, then marks anew)."""
    unit = getattr(connection, "tenant", None)
    if unit is None or connection.schema_name == get_public_schema_name():
        return
    with transaction.atomic():
        if not OutboxPending.objects.select_for_update().filter(unit_id=unit.pk).exists():
            return
        if OutboxMessage.objects.filter(delivered_at__isnull=True).exists():
            return  # a failed message waits for the sweep's retry; a new one for its delivery
        OutboxPending.objects.filter(unit_id=unit.pk).delete()


def _nudge_delivery() -> None:
    """After commit, ask a worker to deliver — once per transaction, however many messages
    it recorded. A nudge only: the periodic sweep delivers anything a lost nudge left behind."""
    from .tasks import deliver_outbox

    _nudge_once(deliver_outbox, "outbox_nudge")


def _nudge_once(task, flag: str) -> None:
    """Send `task` after this transaction commits, once however often it is asked for."""
    # Callbacks of rolled-back savepoints leave this list, so a pending nudge here will run.
    if any(getattr(entry[1], flag, False) for entry in connection.run_on_commit):
        return

    def nudge():
        task.delay()

    setattr(nudge, flag, True)
    # robust: a broker outage must not turn a committed change into an error for the caller.
    transaction.on_commit(nudge, robust=True)


def notify(*, recipient_ids: Iterable[int], title: str, body: str = "", dedupe_key: str | None = None, topic: str = "event",
           routine: bool = False, urgent: bool = False) -> OutboxMessage:
    """An event notice from another part of the platform (a pledge to review, an item overdue, results
    published...): recorded in the caller's transaction and fanned out by the same pipeline as every
    notice. `routine` ones (reminders) go out on settings.JIANNUO_REMINDER_CHANNELS too, and wait for
    the daily digest of those who want one. Returns the fan-out message."""
    notice = _notice_record(
        dedupe_key=dedupe_key, kind=Notice.Kind.EVENT, topic=topic, title=title[:MAX_TITLE], body=body, routine=routine, urgent=urgent,
        channels=list(settings.JIANNUO_REMINDER_CHANNELS) if routine else [],
        audience={"kind": "people", "user_ids": sorted({int(pk) for pk in recipient_ids if pk})},
    )
    return getattr(notice, "fan_out_message", None) or OutboxMessage.objects.get(dedupe_key=_fan_out_key(notice))


def _fan_out_key(notice: Notice) -> str:
    return notice.dedupe_key or f"notice:{notice.pk}"


def _notice_record(*, dedupe_key: str | None = None, **fields) -> Notice:
    """Record a notice and its fan-out in the caller's transaction: it goes out only if that commits,
    and, through the outbox, even if the broker is down at that moment. The same `dedupe_key`
    records it once."""
    with transaction.atomic():
        if dedupe_key is not None:
            existing = Notice.objects.filter(dedupe_key=dedupe_key).first()
            if existing is not None:
                return existing
        try:
            with transaction.atomic():
                notice = Notice.objects.create(dedupe_key=dedupe_key, **fields)
        except IntegrityError:
            # A concurrent caller recorded the same notice first.
            return Notice.objects.get(**({"dedupe_key": dedupe_key} if dedupe_key else {"county_notice_id": fields.get("county_notice_id")}))
        notice.fan_out_message = outbox_enqueue(topic=TOPIC_FAN_OUT, payload={"notice_id": notice.pk, "title": notice.title}, dedupe_key=_fan_out_key(notice))
    return notice


@handles(TOPIC_FAN_OUT)
def _fan_out(message: OutboxMessage) -> None:
    notice = Notice.objects.select_for_update().filter(pk=message.payload["notice_id"]).first()
    if notice is not None:  # a notice deleted since has nobody left to reach
        notice_fan_out(notice)


@handles(TOPIC_INBOX)
def _legacy_inbox(message: OutboxMessage) -> None:
    """Messages recorded before notices existed (still pending at the upgrade): delivered as event notices."""
    payload = message.payload
    notice = _notice_record(kind=Notice.Kind.EVENT, topic="inbox", title=payload["title"][:MAX_TITLE], body=payload.get("body", ""),
                            audience={"kind": "people", "user_ids": payload.get("recipient_ids", [])}, dedupe_key=f"outbox:{message.pk}")
    notice_fan_out(notice)


def notice_fan_out(notice: Notice) -> int:
    """Deliver a notice to everyone it reaches in this unit: the inbox rows and the outside channels'
    delivery rows, written set-based (one statement per batch of recipients, one per channel), at most
    once per (notice, recipient, channel) by constraint — so running it again, after a killed worker or
    a duplicated task, adds nothing. Runs inside the outbox's transaction, which marks it delivered."""
    ids = recipient_ids(notice.audience)
    now = timezone.now()
    inbox = Notification._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(ids), FAN_OUT_BATCH):
            cursor.execute(
                f"INSERT INTO {inbox} (recipient_id, notice_id, title, body, created_at) "
                f"SELECT u, %s, %s, %s, %s FROM unnest(%s::bigint[]) AS u ON CONFLICT (notice_id, recipient_id) DO NOTHING",
                [notice.pk, notice.title, notice.body, now, ids[start:start + FAN_OUT_BATCH]],
            )
    outside = deliveries_write(notice=notice, now=now)
    Notice.objects.filter(pk=notice.pk).update(recipients=len(ids), fanned_out_at=now)
    notice.recipients, notice.fanned_out_at = len(ids), now
    notice_delivered.send(sender=Notice, notice=notice)
    if outside:
        _nudge_sending()
    return len(ids)


def deliveries_write(*, notice: Notice, now) -> int:
    """The outside channels' rows of a fanned-out notice, one statement per channel: people by their
    inbox rows (where they allow the channel and have an address), robots by the audience's scope.
    A routine notice waits for the digest of those who asked for one; a notice that is not urgent
    waits for the end of the person's quiet hours."""

    channels = [c for c in notice.channels if c in OUTSIDE_CHANNELS]
    if not channels or notice.audience.get("kind") == "people" and not any(c in PERSONAL_ADDRESS for c in channels):
        return 0
    local = timezone.localtime(now)
    params = {
        "notice": notice.pk, "now": now, "urgent": notice.urgent, "routine": notice.routine,
        "local_date": local.date(), "local_time": local.time(), "tz": str(local.tzinfo), "digest_at": _next_digest(now),
    }
    delivery, preference, user = Delivery._meta.db_table, Preference._meta.db_table, User._meta.db_table
    written = 0
    with connection.cursor() as cursor:
        for channel in channels:
            if channel in PERSONAL_ADDRESS:
                column = PERSONAL_ADDRESS[channel]
                cursor.execute(
                    f"""INSERT INTO {delivery} (notice_id, channel, recipient_id, robot_id, address, status, attempts, due_at, last_error)
                    SELECT n.notice_id, %(channel)s, n.recipient_id, NULL, u.{column},
                           CASE WHEN %(routine)s AND coalesce(p.digest, false) THEN 'digest' ELSE 'pending' END, 0,
                           CASE WHEN %(routine)s AND coalesce(p.digest, false) THEN %(digest_at)s
                                WHEN NOT %(urgent)s AND p.quiet_from IS NOT NULL AND p.quiet_until IS NOT NULL AND p.quiet_from <> p.quiet_until
                                     AND CASE WHEN p.quiet_from < p.quiet_until THEN %(local_time)s::time >= p.quiet_from AND %(local_time)s::time < p.quiet_until
                                              ELSE %(local_time)s::time >= p.quiet_from OR %(local_time)s::time < p.quiet_until END
                                THEN ((%(local_date)s::date + p.quiet_until)
                                      + CASE WHEN p.quiet_until <= %(local_time)s::time THEN interval '1 day' ELSE interval '0' END) AT TIME ZONE %(tz)s
                                ELSE %(now)s END, ''
                    FROM {Notification._meta.db_table} n
                    JOIN {user} u ON u.id = n.recipient_id
                    LEFT JOIN {preference} p ON p.user_id = n.recipient_id
                    WHERE n.notice_id = %(notice)s AND coalesce(p.{channel}, true) AND coalesce(u.{column}, '') <> ''
                    ON CONFLICT DO NOTHING""",
                    {**params, "channel": channel},
                )
            elif notice.audience.get("kind") in ("unit", "organisations"):
                scope = audience_scope(notice.audience)
                cursor.execute(
                    f"""INSERT INTO {delivery} (notice_id, channel, recipient_id, robot_id, address, status, attempts, due_at, last_error)
                    SELECT %(notice)s, r.channel, NULL, r.id, r.webhook_url, 'pending', 0, %(now)s, ''
                    FROM {ChatRobot._meta.db_table} r
                    WHERE r.is_active AND r.channel = %(channel)s AND (%(unit_wide)s OR r.organization_id = ANY(%(scope)s))
                    ON CONFLICT DO NOTHING""",
                    {**params, "channel": channel, "unit_wide": scope is None, "scope": sorted(scope or [])},
                )
            written += cursor.rowcount
    return written


def _next_digest(now):
    """The next daily digest: settings.JIANNUO_DIGEST_HOUR, local time."""
    local = timezone.localtime(now)
    due = local.replace(hour=settings.JIANNUO_DIGEST_HOUR, minute=0, second=0, microsecond=0)
    return due if due > local else due + timedelta(days=1)


def _nudge_sending() -> None:
    from .tasks import send_deliveries

    _nudge_once(send_deliveries, "sending_nudge")


def outbox_deliver_pending(*, batch_size: int = 100) -> int:
    """Deliver pending messages of the current schema; safe to run concurrently and repeatedly."""
    delivered = 0
    failed: set = set()  # retried by the next sweep, not in a tight loop here
    while True:
        with transaction.atomic():
            batch = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(delivered_at__isnull=True)
                .exclude(id__in=failed)
                .order_by("created_at")[:batch_size]
            )
            if not batch:
                break
            for message in batch:
                try:
                    with transaction.atomic():
                        _HANDLERS[message.topic](message)
                        message.delivered_at = timezone.now()
                        message.attempts += 1
                        message.save(update_fields=["delivered_at", "attempts"])
                        delivered += 1
                except Exception as exc:  # one bad message must not block the rest
                    logger.exception("Outbox message %s failed", message.id)
                    failed.add(message.id)
                    message.attempts += 1
                    message.last_error = repr(exc)[:2000]
                    message.save(update_fields=["attempts", "last_error"])
        if len(batch) < batch_size:
            break
    _pending_flag_clear()
    return delivered


# --- Announcements and reminders -----------------------------------------------------------------

def notice_text_check(*, title, body) -> tuple[str, str]:
    errors = {}
    title = title.strip() if isinstance(title, str) else ""
    body = body.strip() if isinstance(body, str) else ""
    if not title:
        errors["title"] = _("Give the notice a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("A title has at most %(n)d characters.") % {"n": MAX_TITLE}
    if len(body) > MAX_BODY:
        errors["body"] = _("A notice has at most %(n)d characters.") % {"n": MAX_BODY}
    if "\x00" in title or "\x00" in body:
        errors["body"] = _("The text contains a character that cannot be stored.")
    if errors:
        raise ValidationError(errors)
    return title, body


def channels_check(channels) -> list[str]:
    if channels is None:
        return []
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise ValidationError({"channels": _("List the channels by name.")})
    unknown = sorted({c for c in channels if c not in Channel.values})
    if unknown:
        raise ValidationError({"channels": _("Unknown channel: %(names)s. Choose from %(known)s.") % {
            "names": ", ".join(unknown), "known": ", ".join(Channel.values)}})
    return sorted({c for c in channels if c in OUTSIDE_CHANNELS})


def _sender_name(who: Caller) -> str:
    if who.member is not None:
        return who.member.name
    user = User.objects.filter(pk=who.user_id).first()
    return str(user) if user else ""


@transaction.atomic
def notice_send(*, who: Caller, title, body="", audience, channels=None, urgent: bool = False) -> Notice:
    """A unit admin's notice to the unit, chosen organisations or a role; a secretary's to the
    organisations they lead. Fanned out by a task after commit; refused (and nothing sent) when it
    reaches nobody."""
    if who.is_read_only or not (who.is_unit_admin or who.led_ids):
        raise PermissionDenied(_("Only unit admins and secretaries send notices."))
    title, body = notice_text_check(title=title, body=body)
    channels = channels_check(channels)
    audience = audience_check(audience, allowed_organisations=None if who.is_unit_admin else set(who.oversees_ids))
    if not recipient_ids(audience):
        raise ValidationError({"audience": _("Nobody with a login is in this audience: the notice would reach no one.")})
    return _notice_record(kind=Notice.Kind.ANNOUNCEMENT, title=title, body=body, audience=audience, channels=channels,
                          urgent=bool(urgent), sender_id=who.user_id, sender_name=_sender_name(who))


def notice_carry(*, county_notice_id: int, title: str, body: str, audience: dict, channels: list[str], urgent: bool, sender_name: str) -> Notice:
    """A county's notice, in this unit (the unit task of its fan-out): recorded once whatever the
    retries, and fanned out here like any notice."""
    existing = Notice.objects.filter(county_notice_id=county_notice_id).first()
    if existing is not None:
        return existing
    return _notice_record(kind=Notice.Kind.ANNOUNCEMENT, title=title, body=body, audience=audience, channels=channels,
                          urgent=urgent, sender_name=sender_name, county_notice_id=county_notice_id)


def unread_ids(notice: Notice) -> list[int]:
    return sorted(Notification.objects.filter(notice=notice, read_at__isnull=True).values_list("recipient_id", flat=True))


def remind_again_check(*, last) -> None:
    """Refuse a reminder within REMIND_AGAIN_AFTER of the last one (`last`: its time, or None)."""
    if last is not None and last > timezone.now() - REMIND_AGAIN_AFTER:
        raise ValidationError(_("A reminder went out at %(time)s; wait %(minutes)d minutes between reminders.") % {
            "time": timezone.localtime(last).strftime("%H:%M"), "minutes": REMIND_AGAIN_AFTER.seconds // 60}, code="conflict")


@transaction.atomic
def notice_remind(*, notice: Notice, who: Caller | None, dedupe_key: str | None = None) -> Notice:
    """Remind those who have not read a notice yet (a new notice to them, with the same channels).
    `who` None: the county's reminder, carried by a unit task (`dedupe_key` keeps it once)."""
    if who is not None and (who.is_read_only or not (who.is_unit_admin or notice.sender_id == who.user_id)):
        raise PermissionDenied(_("Only the sender and unit admins remind people of a notice."))
    if dedupe_key is not None and Notice.objects.filter(dedupe_key=dedupe_key).exists():
        return Notice.objects.get(dedupe_key=dedupe_key)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)  # two reminders at once: one waits and sees the other
    if notice.fanned_out_at is None:
        raise ValidationError(_("The notice is still being delivered; remind people once it has arrived."), code="conflict")
    if who is not None:
        remind_again_check(last=notice.reminders.order_by("-created_at").values_list("created_at", flat=True).first())
    unread = unread_ids(notice)
    if not unread:
        raise ValidationError(_("Everyone has read this notice."), code="conflict")
    return _notice_record(kind=Notice.Kind.REMINDER, reminder_of=notice, title=(_("Reminder: %(title)s") % {"title": notice.title})[:MAX_TITLE],
                          body=notice.body, audience={"kind": "people", "user_ids": unread}, channels=notice.channels, urgent=notice.urgent,
                          sender_id=who.user_id if who else None, sender_name=notice.sender_name, dedupe_key=dedupe_key)


# --- The inbox -----------------------------------------------------------------------------------

def inbox_read(*, user_id: int, notification: Notification) -> Notification:
    """Mark one of the person's messages read (once: the first time counts)."""
    now = timezone.now()
    with transaction.atomic():
        if Notification.objects.filter(pk=notification.pk, recipient_id=user_id, read_at__isnull=True).update(read_at=now):
            notification.read_at = now
            notices_read.send(sender=Notice, notice_ids=[notification.notice_id])
    return notification


def inbox_read_all(*, user_id: int) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Notification._meta.db_table} SET read_at = %s WHERE recipient_id = %s AND read_at IS NULL RETURNING notice_id",
                       [timezone.now(), user_id])
        notice_ids = sorted({row[0] for row in cursor.fetchall()})
        if notice_ids:
            notices_read.send(sender=Notice, notice_ids=notice_ids)
    return len(notice_ids)


# --- Preferences ---------------------------------------------------------------------------------

PREFERENCE_FIELDS = ("email", "sms", "quiet_from", "quiet_until", "digest")


def preference_update(*, user_id: int, changes: dict) -> Preference:
    preference, _created = Preference.objects.get_or_create(user_id=user_id)
    for name in PREFERENCE_FIELDS:
        if name in changes:
            setattr(preference, name, changes[name])
    if (preference.quiet_from is None) != (preference.quiet_until is None):
        raise ValidationError({"quiet_until": _("Give quiet hours both a start and an end, or neither.")})
    if preference.quiet_from is not None and preference.quiet_from == preference.quiet_until:
        raise ValidationError({"quiet_until": _("Quiet hours must end at another time than they start.")})
    preference.save()
    return preference


# --- Outside channels ----------------------------------------------------------------------------

CLAIM_FOR = timedelta(minutes=5)  # a row a killed worker was sending is tried again after this
MAX_ATTEMPTS = 6


def retry_after(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min, then every 2 hours."""
    return timedelta(seconds=min(30 * 4 ** (attempts - 1), 7200))


def deliveries_send_due(*, limit: int = 200) -> int:
    """Send this unit's outside deliveries that are due: claimed under SKIP LOCKED (so workers share
    them), marked sent one by one; a failure is retried with backoff and recorded as final after
    MAX_ATTEMPTS. At least once: a worker killed between sending and marking leaves the row claimed,
    and it is sent again once the claim lapses; the provider gets the delivery's id to de-duplicate."""
    sent = 0
    while True:
        now = timezone.now()
        with transaction.atomic():
            rows = list(Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                        .filter(status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING], due_at__lte=now)
                        .select_related("notice", "robot").order_by("due_at", "pk")[:limit])
            Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(status=Delivery.Status.SENDING, attempts=F("attempts") + 1, due_at=now + CLAIM_FOR)
        for row in rows:
            row.attempts += 1
            secret = row.robot.secret if row.robot_id else ""
            sent += _send_one(row, Message(to=row.address, title=row.notice.title, body=row.notice.body, key=str(row.pk), secret=secret), [row.pk])
        if len(rows) < limit:
            break
    return sent + digests_send_due()


def _send_one(row: Delivery, message: Message, pks: list[int], *, waiting=Delivery.Status.PENDING) -> int:
    try:
        provider_for(row.channel).send(message)
    except Exception as exc:  # noqa: BLE001 — every failure is recorded; only PermanentFailure is final at once
        final = isinstance(exc, PermanentFailure) or row.attempts >= MAX_ATTEMPTS
        logger.warning("Delivery %s (%s) failed, attempt %d: %s", row.pk, row.channel, row.attempts, exc)
        Delivery.objects.filter(pk__in=pks).update(
            status=Delivery.Status.FAILED if final else waiting, last_error=str(exc)[:500] or exc.__class__.__name__,
            due_at=timezone.now() + retry_after(row.attempts))
        return 0
    Delivery.objects.filter(pk__in=pks).update(status=Delivery.Status.SENT, sent_at=timezone.now(), last_error="")
    return 1


def digests_send_due(*, limit: int = 200) -> int:
    """One message per person and channel with every routine notice that waited for their digest."""
    sent = 0
    now = timezone.now()
    with transaction.atomic():
        rows = list(Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(status=Delivery.Status.DIGEST, due_at__lte=now).select_related("notice").order_by("recipient_id", "channel", "pk")[:limit * 20])
        Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(attempts=F("attempts") + 1, due_at=now + CLAIM_FOR)
    groups: dict[tuple, list[Delivery]] = {}
    for row in rows:
        row.attempts += 1
        groups.setdefault((row.recipient_id, row.channel), []).append(row)
    for (_user, _channel), group in groups.items():
        lines = [f"{i}. {row.notice.title}" for i, row in enumerate(group, 1)]
        message = Message(to=group[0].address, title=_("%(n)d reminders") % {"n": len(group)}, body="\n".join(lines), key=f"digest-{group[0].pk}")
        sent += _send_one(group[0], message, [row.pk for row in group], waiting=Delivery.Status.DIGEST)
    return sent
