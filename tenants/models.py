"""Units and the jurisdictions above them. Each township or institution is one PostgreSQL
schema (django-tenants); jurisdictions (province → city → county) live in the public schema."""
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

slug_validator = RegexValidator(r"^[a-z][a-z0-9-]{1,38}$", _("Use 2–39 lowercase letters, digits or hyphens, starting with a letter."))


class Jurisdiction(models.Model):
    """The tree above the units: province → city → county (any depth is read with one
    recursive query, tenants.hierarchy)."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County")

    # Which level a parent must have; a province has none.
    PARENT_LEVEL = {Level.PROVINCE: None, Level.CITY: Level.PROVINCE, Level.COUNTY: Level.CITY}

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True, help_text=_("Stable identifier, e.g. an administrative division code."))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["level", "name"]
        db_table = "oversight_jurisdiction"  # its table from before it moved to the kernel
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="jurisdiction_unique_name_per_parent"),
            models.CheckConstraint(
                condition=models.Q(level="province", parent__isnull=True) | (~models.Q(level="province") & models.Q(parent__isnull=False)),
                name="jurisdiction_only_provinces_are_roots",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Unit(TenantMixin):
    class Kind(models.TextChoices):
        TOWNSHIP = "township", _("Township")
        AGENCY = "agency", _("Agency")
        INSTITUTION = "institution", _("Institution")
        SCHOOL = "school", _("School")
        STATE_ENTERPRISE = "state_enterprise", _("State enterprise")
        COMMUNITY = "community", _("Community")

    class Status(models.TextChoices):
        # Only ACTIVE units receive requests and scheduled tasks.
        PROVISIONING = "provisioning", _("Provisioning")
        ACTIVE = "active", _("Active")
        MIGRATING = "migrating", _("Migrating")
        SUSPENDED = "suspended", _("Suspended")

    # The schema is created by tenants.services.unit_provision, which controls status.
    auto_create_schema = False
    auto_drop_schema = False

    name = models.CharField(_("name"), max_length=100)
    slug = models.CharField(_("slug"), max_length=39, unique=True, validators=[slug_validator], help_text=_("Appears in URLs: /u/<slug>/"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    county = models.ForeignKey(Jurisdiction, verbose_name=_("county"), on_delete=models.PROTECT, related_name="units", limit_choices_to={"level": "county"})
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PROVISIONING, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["county__name", "name"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="unit_unique_name_per_county")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Domain(DomainMixin):
    """Custom host names for a unit's public board (optional; the API uses one host)."""

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")


class OutboxPending(models.Model):
    """A unit with outbox messages waiting (notifications' outbox, in the unit's schema): the periodic
    outbox sweep visits only these units, not every unit of the platform. Set in the transaction that
    records a message; cleared by the unit's delivery once nothing is left."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, primary_key=True, related_name="+")
    since = models.DateTimeField(auto_now_add=True)


class FanOutMark(models.Model):
    """The last minute a periodic unit task was fanned out for (tenants.tasks.fan_out): the next
    fan-out sends the minutes after it, so a minute beat skipped or a fan-out dropped for waiting
    too long is caught up, and one beat fired twice or delivered again sends nothing more."""

    task = models.CharField(max_length=200, primary_key=True)
    minute = models.BigIntegerField(help_text="minutes since the epoch")

