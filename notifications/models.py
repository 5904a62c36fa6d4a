"""The outbox (messages recorded with the change that causes them) and the in-app inbox."""
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """Written in the same transaction as the business change; delivered by a task.

    Delivery marks `delivered_at` in the same transaction as its effects, so a
    killed worker leaves the message pending and a re-run never doubles it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    topic = models.CharField(_("topic"), max_length=100)
    payload = models.JSONField(_("payload"))
    # Same key, same message: a retried service call does not enqueue twice.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [models.Index(fields=["created_at"], condition=models.Q(delivered_at__isnull=True), name="outbox_pending")]

    def __str__(self) -> str:
        return f"{self.topic} {self.id}"


class Notification(models.Model):
    """One message in one person's in-app inbox."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    source = models.ForeignKey(OutboxMessage, verbose_name=_("source"), on_delete=models.PROTECT, related_name="notifications")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "recipient"], name="notification_once_per_source")]

    def __str__(self) -> str:
        return self.title
