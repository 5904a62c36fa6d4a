"""Pledges inside a unit: the unit's rules, rounds with phases, pledges and their items,
progress records, close-outs and the history of every step (DOMAIN.md "The cycle", "Pledges").

A round copies the unit's rules when it is opened, so changing the rules affects the
next round only, never pledges already under way.
"""
from __future__ import annotations

import unicodedata
from datetime import date

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models import AuditedModel
from tenants.organization.models import Member, Organization


class Area(models.TextChoices):
    STUDY = "study", _("Study")
    WORK = "work", _("Work")
    DISCIPLINE = "discipline", _("Self-discipline")
    SERVICE = "service", _("Service")


class ItemKind(models.TextChoices):
    COMMON = "common", _("Common pledge")
    POST = "post", _("Post pledge")
    DEED = "deed", _("Practical deed")
    DISCIPLINE = "discipline", _("Self-discipline pledge")
    CORRECTION = "correction", _("Correction of a shortcoming")


class Reviewer(models.TextChoices):
    BRANCH = "branch", _("The member's branch")
    PARENT = "parent", _("The organisation above")
    UNIT_ADMIN = "unit_admin", _("The unit admins")


DEFAULT_CHECKLIST = [
    "体现“五带头”和先进性",
    "联系岗位实际",
    "切实可行",
    "具体明确",
]


# Common-pledge texts per member tier (004: each tier has its own; figures from 003's
# long-term mechanism). Units edit them in their rules.
DEFAULT_COMMON_TEMPLATES = {
    "county_leader": [
        "带头学习贯彻党的理论和路线方针政策，全年学习笔记不少于3万字",
        "带头深入基层调查研究，每年蹲点调研不少于2个月",
        "带头遵守廉洁自律各项规定，管好亲属和身边工作人员",
    ],
    "township_leader": [
        "带头学习，全年学习笔记不少于3万字",
        "落实领导干部接待日制度，每月固定时间、地点接待群众",
        "带头廉洁自律，不吃拿卡要，不推诿扯皮",
    ],
    "agency_member": [
        "认真学习党章党规，全年集中学习不少于12个工作日",
        "落实首问责任制，热情服务办事群众",
        "严守工作纪律，按时办结承办事项",
    ],
    "institution_member": [
        "全年集中学习不少于12个工作日，学习笔记不少于1.5万字",
        "亮明党员身份，钻研业务，在岗位上作表率",
        "遵守职业道德，廉洁从业",
    ],
    "enterprise_member": [
        "全年集中学习不少于6天，学习笔记不少于1.5万字",
        "立足岗位，带头安全生产、优质服务",
        "遵章守纪，廉洁从业",
    ],
    # 003 §(二): in the countryside, learning practical skills and leading the way to prosperity;
    # in the community, volunteering and everyday service to residents.
    "rural_member": [
        "带头学习实用技术，带头致富、带领群众共同致富",
        "带头参与村级事务和新农村建设，经常联系服务群众",
        "遵纪守法，带头移风易俗、文明新风",
    ],
    "community_member": [
        "参加党员志愿服务，开展便民利民活动",
        "带头参与治安联防、环境整治等公益活动",
        "遵守社区公约，带头邻里互助、和谐共处",
    ],
}


def default_common_templates() -> dict[str, list[str]]:
    return {tier: list(texts) for tier, texts in DEFAULT_COMMON_TEMPLATES.items()}


def default_checklist() -> list[str]:
    return list(DEFAULT_CHECKLIST)


def default_areas() -> list[str]:
    return list(Area.values)


def default_kinds() -> list[str]:
    return list(ItemKind.values)


def default_attachment_types() -> list[str]:
    return ["jpeg", "png", "webp", "pdf"]


class PledgeRules(AuditedModel):
    """The unit's rules for its next round (one row per unit). Defaults from DOMAIN.md."""

    member_items_min = models.PositiveSmallIntegerField(_("member: fewest items"), default=2)
    member_items_max = models.PositiveSmallIntegerField(_("member: most items"), default=3)
    organization_items_min = models.PositiveSmallIntegerField(_("organisation: fewest items"), default=3)
    organization_items_max = models.PositiveSmallIntegerField(_("organisation: most items"), default=5)
    corrections_min = models.PositiveSmallIntegerField(_("member: fewest corrections"), default=1)
    corrections_max = models.PositiveSmallIntegerField(_("member: most corrections"), default=2)
    leader_extra_items = models.PositiveSmallIntegerField(
        _("extra items for leaders and secretaries"), default=1,
        help_text=_("Leaders and secretaries pledge to a higher standard: this many more items at least."),
    )
    areas = ArrayField(models.CharField(max_length=20, choices=Area.choices), verbose_name=_("areas in use"), default=default_areas)
    kinds = ArrayField(models.CharField(max_length=20, choices=ItemKind.choices), verbose_name=_("kinds in use"), default=default_kinds)
    common_templates = models.JSONField(
        _("common-pledge templates per tier"), default=default_common_templates, blank=True,
        help_text=_("For each member tier, the standard texts offered as common pledges."),
    )
    review_checklist = ArrayField(models.CharField(max_length=100), verbose_name=_("review checklist"), default=default_checklist, blank=True)
    member_reviewer = models.CharField(_("who reviews members"), max_length=20, choices=Reviewer.choices, default=Reviewer.BRANCH)
    organization_reviewer = models.CharField(_("who reviews organisations"), max_length=20, choices=Reviewer.choices, default=Reviewer.PARENT)
    require_post = models.BooleanField(_("members need a post before pledging"), default=True)
    monthly_record = models.BooleanField(_("monthly progress record"), default=True)
    monthly_reminder_day = models.PositiveSmallIntegerField(_("day of the month for the record reminder"), default=20)
    quarterly_check = models.BooleanField(_("quarterly check"), default=True)
    half_year_bulletin = models.BooleanField(_("half-year bulletin"), default=True)
    deadline_warning_days = models.PositiveSmallIntegerField(_("warn this many days before a deadline"), default=7)
    attachment_max_mb = models.PositiveSmallIntegerField(_("largest attachment (MB)"), default=5)
    attachments_per_record = models.PositiveSmallIntegerField(_("attachments per record"), default=9)
    attachment_types = ArrayField(models.CharField(max_length=10), verbose_name=_("attachment types"), default=default_attachment_types)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("pledge rules")
        verbose_name_plural = _("pledge rules")
        constraints = [
            models.CheckConstraint(condition=models.Q(member_items_min__lte=models.F("member_items_max")), name="rules_member_items_range"),
            models.CheckConstraint(condition=models.Q(organization_items_min__lte=models.F("organization_items_max")), name="rules_org_items_range"),
            models.CheckConstraint(condition=models.Q(corrections_min__lte=models.F("corrections_max")), name="rules_corrections_range"),
            models.CheckConstraint(condition=models.Q(monthly_reminder_day__gte=1, monthly_reminder_day__lte=28), name="rules_reminder_day"),
        ]

    def __str__(self) -> str:
        return str(_("Pledge rules"))


class Phase(models.TextChoices):
    UPCOMING = "upcoming", _("Not started")
    MOBILISE = "mobilise", _("Mobilise")
    PROPOSE = "propose", _("Propose")
    REVIEW = "review", _("Review")
    PUBLISH = "publish", _("Publish")
    FULFIL = "fulfil", _("Fulfil")
    EVALUATE = "evaluate", _("Evaluate")
    ENDED = "ended", _("Ended")


PHASE_FIELDS = ("mobilise_on", "propose_on", "review_on", "publish_on", "fulfil_on", "evaluate_on", "ends_on")


def year_said(text: str, year: int) -> bool:
    """Does the text name the year, in digits (full-width too) or in Chinese (二〇二六, 二零二六)?"""
    text = unicodedata.normalize("NFKC", text)
    in_chinese = ["".join(zero_to_nine[int(d)] for d in str(year)) for zero_to_nine in ("〇一二三四五六七八九", "零一二三四五六七八九")]
    return any(spelled in text for spelled in [str(year), *in_chinese])


class PhaseDates(models.Model):
    """A round's year, theme and phase dates — for a unit's round and for a campaign from above."""

    year = models.PositiveSmallIntegerField(_("year"))
    theme = models.CharField(_("theme"), max_length=200)
    mobilise_on = models.DateField(_("mobilise from"))
    propose_on = models.DateField(_("propose from"))
    review_on = models.DateField(_("review from"))
    publish_on = models.DateField(_("publish from"))
    fulfil_on = models.DateField(_("fulfil from"))
    evaluate_on = models.DateField(_("evaluate from"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        abstract = True

    def phase_dates(self) -> dict[str, date]:
        return {name: getattr(self, name) for name in PHASE_FIELDS}

    @property
    def title(self) -> str:
        """The round as people name it, wherever it is shown (letter, board, messages, ledgers,
        a county's campaigns): its theme, with the year in front only when the theme does not
        already say it ("2026年度党员公开承诺", not "2026 2026年度党员公开承诺")."""
        theme = self.theme.strip()
        if year_said(theme, self.year):
            return theme
        return str(_("%(year)d: %(theme)s") % {"year": self.year, "theme": theme})


class Round(PhaseDates, AuditedModel):
    # The unit's rules as they were when the round opened.
    rules = models.JSONField(_("rules of this round"), default=dict, editable=False)
    campaign_id = models.BigIntegerField(_("campaign"), null=True, blank=True, editable=False, help_text=_("Launched by a county campaign."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["-year", "-mobilise_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign_id"], condition=models.Q(campaign_id__isnull=False), name="round_one_per_campaign"),
            models.CheckConstraint(
                condition=models.Q(propose_on__gte=models.F("mobilise_on"), review_on__gte=models.F("propose_on"),
                                   publish_on__gte=models.F("review_on"), fulfil_on__gte=models.F("publish_on"),
                                   evaluate_on__gte=models.F("fulfil_on"), ends_on__gte=models.F("evaluate_on")),
                name="round_phases_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def phase_on(self, day: date) -> str:
        if day < self.mobilise_on:
            return Phase.UPCOMING
        if day > self.ends_on:
            return Phase.ENDED
        current = Phase.MOBILISE
        for phase, field in zip(Phase.values[1:7], PHASE_FIELDS[:6]):
            if day >= getattr(self, field):
                current = phase
        return current


class Pledge(AuditedModel):
    class Subject(models.TextChoices):
        MEMBER = "member", _("Member")
        ORGANIZATION = "organization", _("Organisation")
        COLLECTIVE = "collective", _("Collective (several members)")
        JOINT = "joint", _("Joint (several organisations)")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for revision")
        REDO = "redo", _("To be proposed again")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        COMPLETED = "completed", _("All items closed")

    round = models.ForeignKey(Round, verbose_name=_("round"), on_delete=models.PROTECT, related_name="pledges")
    subject = models.CharField(_("subject"), max_length=20, choices=Subject.choices, default=Subject.MEMBER)
    member = models.ForeignKey(Member, verbose_name=_("member"), null=True, blank=True, on_delete=models.PROTECT, related_name="pledges")
    # The organisation that pledges (organisation, joint: the lead) or that the members belong to (member, collective).
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="pledges")
    co_members = models.ManyToManyField(Member, verbose_name=_("members pledging together"), blank=True, related_name="collective_pledges")
    co_organizations = models.ManyToManyField(Organization, verbose_name=_("organisations pledging together"), blank=True, related_name="joint_pledges")
    title = models.CharField(_("title"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT, db_index=True)
    # Who reviews: the secretary of this organisation (none: the unit admins).
    reviewer_organization = models.ForeignKey(Organization, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="pledges_to_review")
    reviewed_by = models.ForeignKey(Member, verbose_name=_("reviewer"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    checklist = models.JSONField(_("review checklist answers"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by_user_id = models.BigIntegerField(_("created by"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["organization_id", "member_id", "id"]
        constraints = [
            # One pledge per member and per organisation in a round: a second submission is refused.
            models.UniqueConstraint(fields=["round", "member"], condition=models.Q(subject="member"), name="pledge_one_per_member_per_round"),
            models.UniqueConstraint(fields=["round", "organization"], condition=models.Q(subject="organization"), name="pledge_one_per_org_per_round"),
            models.CheckConstraint(
                condition=(models.Q(subject="member", member__isnull=False) | ~models.Q(subject="member")),
                name="pledge_member_subject_names_member",
            ),
        ]
        indexes = [models.Index(fields=["round", "organization", "state"])]

    def __str__(self) -> str:
        who = self.member.name if self.subject == self.Subject.MEMBER and self.member_id else self.organization.name
        return f"{who} — {self.round}"

    @property
    def is_public(self) -> bool:
        return self.state in (self.State.PUBLISHED, self.State.COMPLETED)


class PledgeItem(AuditedModel):
    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        IN_PROGRESS = "in_progress", _("In progress")
        CLOSE_REQUESTED = "close_requested", _("Reported done")
        CLOSED = "closed", _("Closed out")
        OVERDUE = "overdue", _("Overdue")
        RECTIFYING = "rectifying", _("Rectifying")

    OPEN_STATES = (State.IN_PROGRESS, State.CLOSE_REQUESTED, State.OVERDUE, State.RECTIFYING)

    pledge = models.ForeignKey(Pledge, verbose_name=_("pledge"), on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    content = models.TextField(_("content"), max_length=1000)
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=ItemKind.choices)
    measures = models.TextField(_("measures"), max_length=1000)
    deadline = models.DateField(_("deadline"))
    expected_effect = models.TextField(_("expected effect"), max_length=1000, blank=True)
    shortcoming = models.TextField(_("shortcoming"), max_length=500, blank=True, help_text=_("For a correction: the shortcoming to correct."))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PROPOSED, db_index=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    rectify_by = models.DateField(_("rectify by"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(Member, verbose_name=_("verified by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    close_evidence = models.TextField(_("close-out evidence"), blank=True)
    last_record_on = models.DateField(_("last progress record"), null=True, blank=True)
    record_count = models.PositiveIntegerField(_("progress records"), default=0)

    class Meta:
        verbose_name = _("pledge item")
        verbose_name_plural = _("pledge items")
        ordering = ["pledge_id", "position", "id"]
        indexes = [models.Index(fields=["state", "deadline"])]

    def __str__(self) -> str:
        return self.content[:40]


class ProgressRecord(AuditedModel):
    item = models.ForeignKey(PledgeItem, verbose_name=_("pledge item"), on_delete=models.CASCADE, related_name="records")
    # Empty when a unit admin without a member record writes it (e.g. for an organisation).
    author = models.ForeignKey(Member, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_on = models.DateField(_("date"))
    text = models.TextField(_("what was done"), max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress record")
        verbose_name_plural = _("progress records")
        ordering = ["item_id", "-recorded_on", "-id"]
        indexes = [models.Index(fields=["item", "recorded_on"])]

    def __str__(self) -> str:
        return f"{self.recorded_on}: {self.text[:30]}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"pledges/{instance.uploaded_on:%Y/%m}/{filename}"


class Attachment(models.Model):
    """A photo or document: evidence on a progress record or on a close-out."""

    record = models.ForeignKey(ProgressRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    item = models.ForeignKey(PledgeItem, null=True, blank=True, on_delete=models.CASCADE, related_name="close_attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size"))
    uploaded_on = models.DateField(_("uploaded on"), default=date.today)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(record__isnull=False) | models.Q(item__isnull=False), name="attachment_has_owner"),
        ]


class PledgeEvent(models.Model):
    """The pledge's history as users see it: every step, who took it, when, and what was said.
    (The audit trail keeps the field-level diffs.)"""

    class Action(models.TextChoices):
        CREATE = "create", _("Drafted")
        EDIT = "edit", _("Edited")
        SUBMIT = "submit", _("Submitted")
        RETURN = "return", _("Returned for revision")
        REDO = "redo", _("Asked to propose again")
        APPROVE = "approve", _("Approved")
        PUBLISH = "publish", _("Published")
        RECORD = "record", _("Progress recorded")
        CLOSE_REQUEST = "close_request", _("Reported done")
        CLOSE = "close", _("Closed out")
        SEND_BACK = "send_back", _("Sent back")
        OVERDUE = "overdue", _("Became overdue")
        RECTIFY = "rectify", _("Rectification ordered")
        COMMENT = "comment", _("Comment on an item")

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="events")
    item = models.ForeignKey(PledgeItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # For submissions: the items as submitted, so a resubmission keeps the history.
    snapshot = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("pledge event")
        verbose_name_plural = _("pledge history")
        ordering = ["pledge_id", "created_at", "id"]


class Bulletin(models.Model):
    """A half-year bulletin (通报) for a branch: who is ahead, who is behind."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="bulletins")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="bulletins")
    period = models.CharField(_("period"), max_length=10)  # e.g. 2026H1
    figures = models.JSONField(_("figures"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["round", "organization", "period"], name="bulletin_once_per_period")]
