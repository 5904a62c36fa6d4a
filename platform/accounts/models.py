"""One identity per person, in the public schema, with roles per unit and per jurisdiction.

An identity is keyed by the person's mobile number and may be shared by several units,
so no unit admin ever controls it: linking it to a unit and setting its password need
proof from the person (an activation code, see `ActivationCode` and `PendingLink`).
"""
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

# [0-9], not \d: full-width or other scripts' digits would make a second identity for one number.
phone_validator = RegexValidator(r"^1[0-9]{10}$", _("Enter a mainland mobile number of 11 digits starting with 1."))


class User(AbstractUser):
    phone = models.CharField(_("mobile phone"), max_length=11, unique=True, null=True, blank=True, validators=[phone_validator])
    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    # Bumped when every session and token of the person must end without a new password
    # (suspension, "sign out everywhere"). Sessions and tokens carry a stamp of the password
    # hash and this version, so a new password ends them too, whichever way it was set.
    credential_version = models.PositiveIntegerField(_("credential version"), default=0, editable=False)
    # When the person last proved they hold the phone (an SMS code). A password set that
    # way is the person's own; one set with a code a unit admin handed over is not.
    phone_verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True, editable=False)
    # A password someone else has seen (a new unit's first admin gets a one-time password from
    # the operator): the consoles ask for a new one before anything else. Any new password clears it.
    password_is_temporary = models.BooleanField(_("one-time password"), default=False, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        # The consoles greet people by name (欢迎，红星镇管理员), not by login.
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_is_temporary = False

    def get_session_auth_hash(self):
        return salted_hmac(
            "accounts.User.get_session_auth_hash", f"{self.password}:{self.credential_version}", algorithm="sha256"
        ).hexdigest()


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
    jurisdiction = models.ForeignKey("tenants.Jurisdiction", on_delete=models.CASCADE, related_name="roles", verbose_name=_("jurisdiction"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.COUNTY_ADMIN)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("jurisdiction role")
        verbose_name_plural = _("jurisdiction roles")
        constraints = [models.UniqueConstraint(fields=["user", "jurisdiction", "role"], name="jurisdiction_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.jurisdiction} · {self.get_role_display()}"


class PendingLink(models.Model):
    """A unit enrolled a member with a phone number that is already someone's identity.
    The member stays unlinked until the person proves they hold the phone."""

    phone = models.CharField(_("mobile phone"), max_length=11, db_index=True)
    unit = models.ForeignKey("tenants.Unit", on_delete=models.CASCADE, related_name="pending_links", verbose_name=_("unit"))
    member_id = models.BigIntegerField(_("member"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pending link")
        verbose_name_plural = _("pending links")
        constraints = [models.UniqueConstraint(fields=["unit", "member_id"], name="pending_link_unique_member")]

    def __str__(self) -> str:
        return f"{self.phone} → {self.unit}"


class ActivationCode(models.Model):
    """A one-time code that proves who may set a login's password.

    `sms`: sent to the phone, so whoever redeems it holds the phone — it may link every
    pending enrolment of that phone and set or reset the password.
    `handover`: given by a unit admin on paper or in person; it can only activate an
    identity that belongs to no unit but the admin's own. Only a hash is stored."""

    class Method(models.TextChoices):
        SMS = "sms", _("SMS to the member's phone")
        HANDOVER = "handover", _("Handed over by the unit admin")

    phone = models.CharField(_("mobile phone"), max_length=11, db_index=True)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    unit = models.ForeignKey("tenants.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("unit"))
    code_hash = models.CharField(max_length=128)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("activation code")
        verbose_name_plural = _("activation codes")
        indexes = [models.Index(fields=["phone", "expires_at"], name="activation_code_live")]

    def __str__(self) -> str:
        return f"{self.phone} · {self.get_method_display()}"
