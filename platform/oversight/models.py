"""The county layer's records: figures copied up from the units, and campaigns
(rounds launched for every unit of a jurisdiction). The jurisdiction tree itself is the
kernel's (tenants.models.Jurisdiction)."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from pledges.models import PhaseDates
from tenants.models import Jurisdiction


class UnitFigures(models.Model):
    """A unit's headline figures, copied up by a task running in the unit's schema, so
    that county roll-ups read one public table instead of every unit's schema."""

    unit = models.OneToOneField("tenants.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, primary_key=True, related_name="figures")
    members = models.PositiveIntegerField(_("members"), default=0)
    active_members = models.PositiveIntegerField(_("active members"), default=0)
    mobile_members = models.PositiveIntegerField(_("mobile members"), default=0)
    branches = models.PositiveIntegerField(_("branches"), default=0)
    # The unit's current pledge round (DOMAIN.md: roll-ups follow the hierarchy).
    round_theme = models.CharField(_("current round"), max_length=200, blank=True)
    round_phase = models.CharField(_("phase"), max_length=20, blank=True)
    members_pledged = models.PositiveIntegerField(_("members who pledged"), default=0)
    pledge_items = models.PositiveIntegerField(_("pledge items"), default=0)
    items_closed = models.PositiveIntegerField(_("items closed out"), default=0)
    items_overdue = models.PositiveIntegerField(_("items overdue"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("unit figures")
        verbose_name_plural = _("unit figures")


class UnitEvaluationFigures(models.Model):
    """A unit's evaluation figures for one round, pushed up in the same transaction as every
    change of its scores (ballot by ballot, and by each full recompute), so the county reads one
    public table, never the units' schemas. Sums as well as rates, so a county adds them up exactly."""

    unit = models.ForeignKey("tenants.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="evaluation_figures")
    evaluation_id = models.BigIntegerField()  # in the unit's schema
    year = models.PositiveSmallIntegerField(_("year"))
    round_title = models.CharField(_("round"), max_length=200)
    members = models.PositiveIntegerField(_("members"), default=0)
    scored = models.PositiveIntegerField(_("members scored"), default=0)
    score_sum = models.DecimalField(_("sum of scores"), max_digits=12, decimal_places=1, default=0)
    grades = models.JSONField(_("members per final grade"), default=dict)
    public_grades = models.PositiveIntegerField(_("public grades given"), default=0)
    public_top_two = models.PositiveIntegerField(_("public grades among the two best"), default=0)
    items = models.PositiveIntegerField(_("pledge items"), default=0)
    items_closed = models.PositiveIntegerField(_("items closed out"), default=0)
    fresh_as_of = models.DateTimeField(_("fresh as of"))

    class Meta:
        verbose_name = _("unit evaluation figures")
        verbose_name_plural = _("unit evaluation figures")
        constraints = [models.UniqueConstraint(fields=["unit", "evaluation_id"], name="unit_evaluation_figures_once")]


class Campaign(PhaseDates):
    """A round launched from above (e.g. a county): every unit below gets its own copy
    of the round, whose dates it may then adjust (DOMAIN.md, source 001)."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="campaigns")
    # The evaluation scheme pushed to every unit with its round (weights, scale, missing, quorum;
    # what is left out keeps 004's defaults). Each unit may adjust it before its evaluation opens.
    evaluation_scheme = models.JSONField(_("evaluation scheme"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", verbose_name=_("launched by"), null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class CampaignLaunch(models.Model):
    """One unit's part in a campaign: written for every unit below the jurisdiction when the
    campaign is launched, then advanced by the unit task that opens the unit's round."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be opened")
        LAUNCHED = "launched", _("Round opened")
        UNAVAILABLE = "unavailable", _("Unit being set up or upgraded")
        FAILED = "failed", _("Failed (launch again to retry)")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="launches")
    unit = models.ForeignKey("tenants.Unit", on_delete=models.CASCADE, related_name="campaign_launches")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    round_id = models.BigIntegerField(null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="campaign_launch_once_per_unit")]


class CountyNotice(models.Model):
    """A notice from a jurisdiction (a county, say) to its units: recorded here with one row per unit
    (CountyNoticeUnit), then carried into each unit by a unit task, which resolves the recipients in
    the unit's own schema. The county never reads a unit's members."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="notices")
    sender = models.ForeignKey("accounts.User", verbose_name=_("sender"), null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    channels = models.JSONField(_("channels"), default=list)
    role = models.CharField(_("role"), max_length=20, default="members")  # members, secretaries or unit_admins
    whole_jurisdiction = models.BooleanField(_("every unit"), default=True)
    reminders = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("county notice")
        verbose_name_plural = _("county notices")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class CountyNoticeUnit(models.Model):
    """One unit's part of a county notice: the public schema's outbox for sending it into the unit
    (pending until the unit has it; a sweep sends again what a broker outage left behind), and the
    unit's delivery and read counts, pushed up by the unit's own tasks."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being sent")
        DELIVERED = "delivered", _("Delivered")

    notice = models.ForeignKey(CountyNotice, on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey("tenants.Unit", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)  # last handed to the broker
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    delivered = models.PositiveIntegerField(_("delivered"), default=0)
    read = models.PositiveIntegerField(_("read"), default=0)
    by_organisation = models.JSONField(default=list)  # [{id, name, delivered, read}]
    delivered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "unit"], name="county_notice_once_per_unit")]
        indexes = [models.Index(fields=["sent_at"], condition=models.Q(status="pending"), name="county_notice_pending")]


class FiguresSlot(models.TextChoices):
    """Which of a unit's rounds a roll-up row is about: the county compares them side by side."""

    CURRENT = "current", _("Current round")
    PREVIOUS = "previous", _("Previous round")


class PledgeCounts(models.Model):
    """The pledge figures the county console shows, for a unit or a branch in one round."""

    members_required = models.PositiveIntegerField(_("members required to pledge"), default=0)
    pledged = models.PositiveIntegerField(_("members who pledged"), default=0)
    pending_review = models.PositiveIntegerField(_("pledges pending review"), default=0)
    approved = models.PositiveIntegerField(_("pledges approved"), default=0)
    published = models.PositiveIntegerField(_("pledges published"), default=0)
    items = models.PositiveIntegerField(_("pledge items"), default=0)
    closed = models.PositiveIntegerField(_("items closed out"), default=0)
    overdue = models.PositiveIntegerField(_("items overdue"), default=0)
    records_30d = models.PositiveIntegerField(_("progress records in the last 30 days"), default=0)

    COUNTS = ("members_required", "pledged", "pending_review", "approved", "published", "items", "closed", "overdue", "records_30d")

    class Meta:
        abstract = True


class UnitRoundFigures(PledgeCounts):
    """A unit's figures for its current and its previous round, written by the unit's own figures
    task (oversight.refresh_unit_figures) so the county console reads one public table."""

    unit = models.ForeignKey("tenants.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="round_figures")
    round_id = models.BigIntegerField()  # in the unit's schema
    slot = models.CharField(_("which round"), max_length=10, choices=FiguresSlot.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    round_title = models.CharField(_("round"), max_length=220)
    phase = models.CharField(_("phase"), max_length=20, blank=True)
    evaluation_id = models.BigIntegerField(null=True, blank=True)  # its grades: UnitEvaluationFigures
    grade_labels = models.JSONField(_("grades"), default=dict)  # code -> label, best first
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("unit round figures")
        verbose_name_plural = _("unit round figures")
        constraints = [models.UniqueConstraint(fields=["unit", "round_id"], name="unit_round_figures_once")]
        indexes = [models.Index(fields=["slot", "unit"], name="unit_round_figures_slot")]


class BranchFigures(PledgeCounts):
    """A branch's figures in one of its unit's two rounds (same task, same transaction)."""

    unit = models.ForeignKey("tenants.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="branch_figures")
    round_id = models.BigIntegerField()
    organization_id = models.BigIntegerField()  # in the unit's schema
    name = models.CharField(_("name"), max_length=200)
    parent_id = models.BigIntegerField(null=True, blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    scored = models.PositiveIntegerField(_("members scored"), default=0)
    grades = models.JSONField(_("members per final grade"), default=dict)
    public_grades = models.PositiveIntegerField(_("public grades given"), default=0)
    public_top_two = models.PositiveIntegerField(_("public grades among the two best"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("branch figures")
        verbose_name_plural = _("branch figures")
        constraints = [models.UniqueConstraint(fields=["unit", "round_id", "organization_id"], name="branch_figures_once")]


class UnitFiguresDay(models.Model):
    """A unit's figures in a round as they stood on a day: the round's trend over time. Today's
    row is rewritten by each refresh; earlier days stay as they were."""

    unit = models.ForeignKey("tenants.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="figures_days")
    round_id = models.BigIntegerField()
    day = models.DateField(_("date"))
    members_required = models.PositiveIntegerField(default=0)
    pledged = models.PositiveIntegerField(default=0)
    published = models.PositiveIntegerField(default=0)
    items = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    records_30d = models.PositiveIntegerField(default=0)

    COUNTS = ("members_required", "pledged", "published", "items", "closed", "overdue", "records_30d")

    class Meta:
        verbose_name = _("unit figures of a day")
        verbose_name_plural = _("unit figures of a day")
        constraints = [models.UniqueConstraint(fields=["unit", "round_id", "day"], name="unit_figures_day_once")]
