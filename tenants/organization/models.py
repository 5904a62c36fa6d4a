"""Inside a unit: the organisation tree (committee → general branch → branch → group) and its members."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import phone_validator
from audit.models import AuditedModel


class Organization(AuditedModel):
    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("Party committee")
        GENERAL_BRANCH = "general_branch", _("General branch")
        BRANCH = "branch", _("Branch")
        GROUP = "group", _("Party group")

    # Which kinds a node of each kind may hang under (None: the root of the unit's tree).
    ALLOWED_PARENTS = {
        Kind.COMMITTEE: {None},
        Kind.GENERAL_BRANCH: {Kind.COMMITTEE},
        Kind.BRANCH: {None, Kind.COMMITTEE, Kind.GENERAL_BRANCH},
        Kind.GROUP: {Kind.BRANCH},
    }

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey("self", verbose_name=_("parent organisation"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    secretary = models.ForeignKey("Member", verbose_name=_("secretary"), null=True, blank=True, on_delete=models.SET_NULL, related_name="secretary_of")
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="organization_unique_name_per_parent")]

    def __str__(self) -> str:
        return self.name


class Member(AuditedModel):
    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class Tier(models.TextChoices):
        # Each tier has its own common-pledge template (DOMAIN.md, source 004).
        COUNTY_LEADER = "county_leader", _("County-level leader")
        TOWNSHIP_LEADER = "township_leader", _("Township / agency leader")
        AGENCY_MEMBER = "agency_member", _("Agency member")
        INSTITUTION_MEMBER = "institution_member", _("Institution member")
        ENTERPRISE_MEMBER = "enterprise_member", _("State-enterprise member")
        # Most members of a township are one of these two (003: rural and community members).
        RURAL_MEMBER = "rural_member", _("Rural member")
        COMMUNITY_MEMBER = "community_member", _("Community member")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MOBILE = "mobile", _("Mobile (working elsewhere)")
        TRANSFERRED_OUT = "transferred_out", _("Transferred out")
        DECEASED = "deceased", _("Deceased")

    # The person's platform identity (public schema); no DB constraint across schemas.
    # Kept out of the audit trail: whether a phone number already had an identity must not show.
    audit_hidden = ("user_id",)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("login"), null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    # When the person activated their login for this unit (set a password with a code).
    login_activated_at = models.DateTimeField(_("login activated at"), null=True, blank=True, editable=False)
    name = models.CharField(_("full name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    joined_on = models.DateField(_("date joined the Party"))
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True, validators=[phone_validator])
    post = models.CharField(_("post"), max_length=100, blank=True, help_text=_("Members without a post are assigned one before they pledge."))
    tier = models.CharField(_("tier"), max_length=30, choices=Tier.choices)
    is_exempt = models.BooleanField(_("retired or frail"), default=False, help_text=_("Pledges voluntarily, within their strength."))
    branch = models.ForeignKey(Organization, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="members")
    group = models.ForeignKey(Organization, verbose_name=_("party group"), null=True, blank=True, on_delete=models.SET_NULL, related_name="group_members")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["branch_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["phone"], condition=~models.Q(phone=""), name="member_unique_phone"),
            models.UniqueConstraint(fields=["user"], condition=models.Q(user__isnull=False), name="member_unique_user"),
            models.CheckConstraint(condition=models.Q(joined_on__gt=models.F("birth_date")), name="member_joined_after_birth"),
        ]

    def __str__(self) -> str:
        return self.name
