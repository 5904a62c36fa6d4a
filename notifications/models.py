"""The outbox (messages recorded with the change that causes them), notices and their
deliveries: the in-app inbox and the outside channels (e-mail, SMS, chat robots)."""
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


class Channel(models.TextChoices):
    """Where a notice reaches a person. The inbox always; the others as the sender asks and the
    person allows (Preference), through the provider configured for each (notifications.channels)."""

    INBOX = "inbox", _("In-app inbox")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom robot")
    DINGTALK = "dingtalk", _("DingTalk robot")


OUTSIDE_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.WECOM, Channel.DINGTALK)
ROBOT_CHANNELS = (Channel.WECOM, Channel.DINGTALK)


class Notice(models.Model):
    """One message to a set of people in this unit: an announcement someone sent (from this unit
    or, carried by a unit task, from the county above), a reminder of one, or an event from another
    part (a pledge to review, an item overdue, results published...). Recipients are resolved here,
    in the unit's own schema, when the notice is fanned out."""

    class Kind(models.TextChoices):
        ANNOUNCEMENT = "announcement", _("Announcement")
        REMINDER = "reminder", _("Reminder")
        EVENT = "event", _("Event")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    topic = models.CharField(_("topic"), max_length=60, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    # Urgent notices go out during quiet hours too; routine ones may wait for the daily digest.
    urgent = models.BooleanField(_("urgent"), default=False)
    routine = models.BooleanField(_("routine"), default=False)
    channels = models.JSONField(_("channels"), default=list)  # outside channels asked for; the inbox always
    # {"kind": "unit"|"organisations"|"role"|"people", "organisations": [ids], "role": name, "user_ids": [ids]}
    audience = models.JSONField(_("audience"))
    sender_id = models.BigIntegerField(_("sender"), null=True, blank=True)  # a user (public schema); none for events
    sender_name = models.CharField(_("from"), max_length=200, blank=True)
    county_notice_id = models.BigIntegerField(null=True, blank=True, unique=True)  # the county's notice it carries
    reminder_of = models.ForeignKey("self", verbose_name=_("reminder of"), null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    fanned_out_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "-created_at"], name="notice_kind_recent")]

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    """A notice in one person's in-app inbox: the inbox channel's delivery row, once per
    (notice, recipient) by constraint, whatever retries or duplicate tasks do."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    notice = models.ForeignKey(Notice, verbose_name=_("notice"), on_delete=models.CASCADE, related_name="inbox")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["notice", "recipient"], name="notification_once_per_notice")]
        indexes = [models.Index(fields=["recipient", "-created_at", "-id"], name="inbox_recent"),
                   models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="inbox_unread")]

    def __str__(self) -> str:
        return self.title


class ChatRobot(models.Model):
    """A WeCom or DingTalk group robot (webhook) an organisation's group chat listens to."""

    # No database constraint: this app's tables are also created in the public schema (the outbox),
    # where organisations do not exist.
    organization = models.ForeignKey("organization.Organization", verbose_name=_("organisation"), null=True, blank=True, db_constraint=False,
                                     on_delete=models.CASCADE, related_name="+", help_text=_("Empty: the whole unit."))
    channel = models.CharField(_("channel"), max_length=20, choices=[(c.value, c.label) for c in ROBOT_CHANNELS])
    name = models.CharField(_("name"), max_length=100)
    webhook_url = models.URLField(_("webhook address"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True, help_text=_("DingTalk's signing secret, when the robot uses one."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("chat robot")
        verbose_name_plural = _("chat robots")

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """A notice on an outside channel to one person (or one group robot): at most one row per
    (notice, channel, recipient) by constraint, sent at least once by tasks that retry with backoff
    and record a final failure."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DIGEST = "digest", _("In the next digest")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    robot = models.ForeignKey(ChatRobot, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    address = models.CharField(_("address"), max_length=500)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Not before: the end of the person's quiet hours, or the next retry.
    due_at = models.DateTimeField(_("due at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel", "recipient"], condition=models.Q(recipient__isnull=False), name="delivery_once_per_person"),
            models.UniqueConstraint(fields=["notice", "channel", "robot"], condition=models.Q(robot__isnull=False), name="delivery_once_per_robot"),
            models.CheckConstraint(condition=models.Q(recipient__isnull=True) ^ models.Q(robot__isnull=True), name="delivery_person_or_robot"),
        ]
        indexes = [models.Index(fields=["due_at"], condition=models.Q(status__in=["pending", "sending"]), name="delivery_due")]


class Preference(models.Model):
    """How one person wants notices in this unit: which outside channels, quiet hours (urgent
    notices still come through) and a daily digest for routine reminders."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", primary_key=True)
    email = models.BooleanField(_("by e-mail"), default=True)
    sms = models.BooleanField(_("by SMS"), default=True)
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet until"), null=True, blank=True)
    digest = models.BooleanField(_("routine reminders in a daily digest"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
