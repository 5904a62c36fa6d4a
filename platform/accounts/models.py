"""One identity per person, in the public schema, with roles per unit and per jurisdiction."""
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

phone_validator = RegexValidator(r"^1\d{10}$", _("Enter a mainland mobile number of 11 digits starting with 1."))


class User(AbstractUser):
    phone = models.CharField(_("mobile phone"), max_length=11, unique=True, null=True, blank=True, validators=[phone_validator])
    full_name = models.CharField(_("full name"), max_length=50, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username


class UnitRole(models.Model):
    """What a person may do in one unit. Checked in the public schema before any
    query runs in the unit's schema. Secretaries are members whose organisation
    names them secretary (inside the unit)."""

    class Role(models.TextChoices):
        UNIT_ADMIN = "unit_admin", _("Unit admin")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="unit_roles", verbose_name=_("user"))
    unit = models.ForeignKey("tenants.Unit", on_delete=models.CASCADE, related_name="roles", verbose_name=_("unit"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("unit role")
        verbose_name_plural = _("unit roles")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="unit_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class JurisdictionRole(models.Model):
    """A county admin reads every unit of the county (read-only) and its roll-ups."""

    class Role(models.TextChoices):
        COUNTY_ADMIN = "county_admin", _("County admin")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="jurisdiction_roles", verbose_name=_("user"))
    jurisdiction = models.ForeignKey("oversight.Jurisdiction", on_delete=models.CASCADE, related_name="roles", verbose_name=_("jurisdiction"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.COUNTY_ADMIN)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("jurisdiction role")
        verbose_name_plural = _("jurisdiction roles")
        constraints = [models.UniqueConstraint(fields=["user", "jurisdiction", "role"], name="jurisdiction_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.jurisdiction} · {self.get_role_display()}"
