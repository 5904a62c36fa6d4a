"""The one internal interface for messages: `outbox_enqueue` records, `outbox_deliver_pending` delivers."""
from __future__ import annotations

import logging
from typing import Callable, Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Notification, OutboxMessage

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxMessage], None]
_HANDLERS: dict[str, Handler] = {}

TOPIC_INBOX = "inbox.notify"


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

    _nudge_delivery()
    return message


def _nudge_delivery() -> None:
    """After commit, ask a worker to deliver — once per transaction, however many messages
    it recorded. A nudge only: the periodic sweep delivers anything a lost nudge left behind."""
    from django.db import connection

    from .tasks import deliver_outbox

    # Callbacks of rolled-back savepoints leave this list, so a pending nudge here will run.
    if any(getattr(entry[1], "outbox_nudge", False) for entry in connection.run_on_commit):
        return

    def nudge():
        deliver_outbox.delay()

    nudge.outbox_nudge = True
    # robust: a broker outage must not turn a committed change into an error for the caller.
    transaction.on_commit(nudge, robust=True)


def notify(*, recipient_ids: Iterable[int], title: str, body: str = "", dedupe_key: str | None = None) -> OutboxMessage:
    return outbox_enqueue(
        topic=TOPIC_INBOX,
        payload={"recipient_ids": sorted(set(recipient_ids)), "title": title, "body": body},
        dedupe_key=dedupe_key,
    )


@handles(TOPIC_INBOX)
def _deliver_to_inbox(message: OutboxMessage) -> None:
    Notification.objects.bulk_create(
        [
            Notification(recipient_id=user_id, source=message, title=message.payload["title"], body=message.payload.get("body", ""))
            for user_id in message.payload["recipient_ids"]
        ],
        ignore_conflicts=True,
    )


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
                return delivered
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
            return delivered
