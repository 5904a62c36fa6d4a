"""An evaluation (评诺) of a pledge round: the scheme it scores by — weights per method for
members (四评) and leaders (三评), the grade scale, what a missing component means, and the
public panel's quorum. The formula itself is `evaluations.scoring`."""
from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models import AuditedModel
from pledges.models import Round

from . import scoring


def default_member_weights() -> dict[str, int]:
    return dict(scoring.MEMBER_SCHEME.weights)


def default_leader_weights() -> dict[str, int]:
    return dict(scoring.LEADER_SCHEME.weights)


def default_scale() -> list[dict]:
    return [{"code": g.code, "label": g.label, "points": g.points, "threshold": g.threshold} for g in scoring.SATISFACTION]


class Evaluation(AuditedModel):
    class Missing(models.TextChoices):
        RENORMALISE = scoring.RENORMALISE, _("left out: the other components' weights count")
        ZERO = scoring.COUNT_AS_ZERO, _("counted as zero")

    round = models.OneToOneField(Round, verbose_name=_("round"), on_delete=models.PROTECT, related_name="evaluation")
    member_weights = models.JSONField(_("weights for members (四评)"), default=default_member_weights)
    leader_weights = models.JSONField(_("weights for leaders (三评)"), default=default_leader_weights)
    scale = models.JSONField(_("grade scale"), default=default_scale)
    missing = models.CharField(_("a missing component is"), max_length=20, choices=Missing.choices, default=Missing.RENORMALISE)
    public_quorum_percent = models.PositiveSmallIntegerField(
        _("public panel quorum (percent of the branch's members)"), default=80,
        help_text=_("Public evaluation counts once this many evaluators, as a share of the branch's members, have voted (002: 80 percent)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.CheckConstraint(condition=models.Q(public_quorum_percent__gte=1, public_quorum_percent__lte=100), name="evaluation_quorum_percent"),
        ]

    def __str__(self) -> str:
        return str(_("Evaluation of %(round)s") % {"round": self.round})

    def grades(self) -> tuple[scoring.Grade, ...]:
        return tuple(scoring.Grade(g["code"], g["label"], g["points"], g["threshold"]) for g in self.scale)

    def member_scheme(self) -> scoring.Scheme:
        return scoring.Scheme(weights=self.member_weights, scale=self.grades(), missing=self.missing)

    def leader_scheme(self) -> scoring.Scheme:
        return scoring.Scheme(weights=self.leader_weights, scale=self.grades(), missing=self.missing)


class PanelMember(models.Model):
    """Someone on a branch's public panel (群众评议, 002): a public representative, someone served,
    the head of a partner unit, a local deputy or committee member, or the owner or head where
    the branch sits in a non-public enterprise or social organisation. Registered by name so the
    secretary can chase whoever has not voted; never linked to a ballot."""

    class Category(models.TextChoices):
        PUBLIC_REPRESENTATIVE = "public_representative", _("public representative")
        SERVED = "served", _("someone served")
        PARTNER_HEAD = "partner_head", _("head of a partner unit")
        DEPUTY = "deputy", _("deputy or committee member (两代表一委员)")
        OWNER = "owner", _("owner or head of the host organisation")

    evaluation = models.ForeignKey(Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="panel")
    branch = models.ForeignKey("organization.Organization", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=50)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)

    class Meta:
        verbose_name = _("public evaluator")
        verbose_name_plural = _("public panel")


# Tokens and ballots are deliberately not AuditedModels: an audit entry (its time, its order, the
# ids it names) is exactly what would tie a ballot to the token spent for it.
class BallotToken(models.Model):
    """What admits one evaluator to one branch's form, once: only a hash of the secret in the
    link is kept. Spending it deletes the row (an updated row would keep the order in which
    tokens were spent, which sorted beside the ballots would pair them), so a live token is an
    evaluator who has not voted yet, and a spent one leaves nothing to read."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("organization.Organization", on_delete=models.PROTECT, related_name="+")
    panel_member = models.OneToOneField(PanelMember, null=True, blank=True, on_delete=models.CASCADE, related_name="token")
    digest = models.CharField(max_length=64, unique=True)
    expires_on = models.DateField()

    class Meta:
        verbose_name = _("ballot token")
        verbose_name_plural = _("ballot tokens")


class PublicBallot(models.Model):
    """One evaluator's grades for a branch's members. Nothing here names or points at the token or
    the evaluator: a random id, no address, no browser, and the day only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("organization.Organization", on_delete=models.PROTECT, related_name="+")
    grades = models.JSONField()  # {member id: grade code}
    comments = models.JSONField(default=dict, blank=True)  # {member id: text}
    cast_on = models.DateField()
    applied = models.BooleanField(default=False)  # the running tallies include it

    class Meta:
        verbose_name = _("public ballot")
        verbose_name_plural = _("public ballots")
        indexes = [models.Index(fields=["evaluation"], condition=models.Q(applied=False), name="public_ballot_pending")]


# ------------------------------------------------------------------ members' own ballots and reviews

class Method(models.TextChoices):
    """What a grade was given by. A leader's branch evaluates them with the same ballot its
    members use for each other (peer), which counts as 所在支部评议 in the leaders' scheme."""

    SELF = scoring.SELF, _("self-evaluation")
    PEER = scoring.PEER, _("peer review")
    PUBLIC = scoring.PUBLIC, _("public evaluation")
    LEADER = scoring.LEADER, _("leader review")
    ORGANISATION = scoring.ORGANISATION, _("organisational assessment")
    TEAM = scoring.TEAM, _("leading team review")


class BallotRight(models.Model):
    """A member's right to cast one anonymous ballot (peer review in their branch, or the leading
    team's review of each other), issued to everyone eligible when the evaluation opens. Casting
    deletes it, like a public token: a live right is someone who has not voted yet, and a spent
    one leaves no row whose order or time could be matched to a ballot."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=20, choices=[(Method.PEER, Method.PEER.label), (Method.TEAM, Method.TEAM.label)])
    voter = models.ForeignKey("organization.Member", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("organization.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("ballot right")
        verbose_name_plural = _("ballot rights")
        constraints = [models.UniqueConstraint(fields=["evaluation", "method", "voter"], name="ballot_right_once")]


class RightsIssued(models.Model):
    """That an evaluation's ballot rights were issued (once, when it opened): afterwards a
    member without a live right has voted, or joined too late to."""

    evaluation = models.OneToOneField(Evaluation, on_delete=models.CASCADE, primary_key=True, related_name="+")
    issued_on = models.DateField()


class BallotBox(models.Model):
    """The members' anonymous ballots (peer review, the leading team's review), counted as they
    are cast: per member graded and grade, how many. No row per ballot: a ballot's grades cover
    everyone graded but its voter, so a stored ballot would name its voter by who is missing
    from it. `applied_count` is what the running tallies hold (the task moves it to `count`)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=20, choices=[(Method.PEER, Method.PEER.label), (Method.TEAM, Method.TEAM.label)])
    subject = models.ForeignKey("organization.Member", on_delete=models.CASCADE, related_name="+")
    grade = models.CharField(max_length=30)
    count = models.PositiveIntegerField(default=0)
    applied_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ballot box")
        verbose_name_plural = _("ballot boxes")
        constraints = [models.UniqueConstraint(fields=["evaluation", "method", "subject", "grade"], name="ballot_box_once")]
        indexes = [models.Index(fields=["evaluation"], condition=~models.Q(applied_count=models.F("count")), name="ballot_box_pending")]


class Review(AuditedModel):
    """A signed grade and comment: the secretary's leader review of a member of their branch, the
    review of a branch secretary by the secretary above (领导点评, 002: half-yearly as well as at
    year end), or the organisation's assessment (组织考评). Only the year-end one is scored.
    `applied_grade` is the grade the running tallies hold for it (the task moves it to `grade`)."""

    class Stage(models.TextChoices):
        INTERIM = "interim", _("half-year (interim)")
        YEAR_END = "year_end", _("year end")

    evaluation = models.ForeignKey(Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="reviews")
    method = models.CharField(_("method"), max_length=20, choices=[(Method.LEADER, Method.LEADER.label), (Method.ORGANISATION, Method.ORGANISATION.label)])
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.YEAR_END)
    subject = models.ForeignKey("organization.Member", verbose_name=_("member reviewed"), on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey("organization.Member", verbose_name=_("reviewer"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewer_name = models.CharField(_("reviewer's name"), max_length=50)
    grade = models.CharField(_("grade"), max_length=30)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    applied_grade = models.CharField(max_length=30, blank=True, editable=False)
    reviewed_on = models.DateField(_("reviewed on"))

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [models.UniqueConstraint(fields=["evaluation", "method", "stage", "subject"], name="review_once_per_stage")]
        indexes = [models.Index(fields=["evaluation"], condition=~models.Q(applied_grade=models.F("grade")), name="review_pending")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.subject_id}"


class SelfAssessment(AuditedModel):
    """A member's self-evaluation and report (自评、述职): a word on each pledge item, one on the
    year, and a self grade (scored only if the scheme weighs self-evaluation)."""

    evaluation = models.ForeignKey(Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="self_assessments")
    member = models.ForeignKey("organization.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(_("self grade"), max_length=30)
    report = models.TextField(_("report (述职)"), max_length=5000)
    item_notes = models.JSONField(_("on each pledge item"), default=dict, blank=True)  # {item id: text}
    applied_grade = models.CharField(max_length=30, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        constraints = [models.UniqueConstraint(fields=["evaluation", "member"], name="self_assessment_once")]
        indexes = [models.Index(fields=["evaluation"], condition=~models.Q(applied_grade=models.F("grade")), name="self_assessment_pending")]


class BranchReport(AuditedModel):
    """A branch's report for the year (支部书记述职), written by its secretary."""

    evaluation = models.ForeignKey(Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="branch_reports")
    branch = models.ForeignKey("organization.Organization", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("report"), max_length=10000)
    written_by = models.CharField(_("written by"), max_length=50)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("branch report")
        verbose_name_plural = _("branch reports")
        constraints = [models.UniqueConstraint(fields=["evaluation", "branch"], name="branch_report_once")]


class MemberScore(models.Model):
    """A member's running tallies: how many of each grade each method gave them (counts, so
    ballots add up in any order), and the score and grade they make by the scheme. Kept current
    ballot by ballot by a task, and rebuilt from the ballots by the full recompute, which must
    find the same numbers."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    member = models.ForeignKey("organization.Member", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("organization.Organization", on_delete=models.PROTECT, related_name="+")
    is_leader = models.BooleanField(default=False)
    tallies = models.JSONField(default=dict)  # {method: {grade code: count}}
    score = models.DecimalField(max_digits=4, decimal_places=1, null=True)
    grade = models.CharField(max_length=30, blank=True)
    # No time of change: a row's time would date the ballot that changed it.

    class Meta:
        verbose_name = _("member score")
        verbose_name_plural = _("member scores")
        constraints = [models.UniqueConstraint(fields=["evaluation", "member"], name="member_score_once")]


# ------------------------------------------------------------------ results and consequences

class Publication(AuditedModel):
    """How far the unit has published the results (004: within a chosen scope, and reported upward)."""

    class Scope(models.TextChoices):
        BRANCH = "branch", _("each branch sees its own")
        UNIT = "unit", _("the whole unit")
        BOARD = "board", _("the public board")

    evaluation = models.OneToOneField(Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="publication")
    scope = models.CharField(_("published to"), max_length=20, choices=Scope.choices)
    published_on = models.DateField(_("published on"))
    published_by = models.CharField(_("published by"), max_length=50)

    class Meta:
        verbose_name = _("publication of results")
        verbose_name_plural = _("publications of results")


class Commendation(AuditedModel):
    """A member on the commendation list (奖诺、表彰; 001, 002: good results are commended)."""

    evaluation = models.ForeignKey(Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="commendations")
    member = models.ForeignKey("organization.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    listed_by = models.CharField(_("listed by"), max_length=50)
    listed_on = models.DateField(_("listed on"))

    class Meta:
        verbose_name = _("commendation")
        verbose_name_plural = _("commendation list")
        constraints = [models.UniqueConstraint(fields=["evaluation", "member"], name="commendation_once")]


class Rectification(AuditedModel):
    """A rectification for a poor result or strong public complaints (002), followed to its end:
    rectified, or refused — which marks the member unqualified (不合格) for the annual democratic
    appraisal. The accountability ladder's steps taken on the way are its `steps`."""

    class State(models.TextChoices):
        OPEN = "open", _("under rectification")
        RECTIFIED = "rectified", _("rectified")
        REFUSED = "refused", _("refused (unqualified)")

    evaluation = models.ForeignKey(Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="rectifications")
    member = models.ForeignKey("organization.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    deadline = models.DateField(_("deadline"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    opened_by = models.CharField(_("opened by"), max_length=50)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        constraints = [models.UniqueConstraint(fields=["evaluation", "member"], condition=models.Q(state="open"), name="rectification_one_open")]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_state_display()}"


class AccountabilityStep(AuditedModel):
    """One step of 004's accountability ladder, taken in order: a step repeats the level reached or
    goes up, never down."""

    class Step(models.TextChoices):
        ORAL_REMINDER = "oral_reminder", _("oral reminder (口头提醒)")
        CRITICISM = "criticism_education", _("criticism and education (批评教育)")
        DEADLINE = "deadline_rectification", _("deadline rectification (限期整改)")
        ADMONISHING_TALK = "admonishing_talk", _("admonishing talk (诫勉谈话)")
        PUBLIC_CRITICISM = "public_criticism", _("public criticism (通报批评)")
        RESIGNATION = "resignation", _("resignation (引咎辞职)")

    rectification = models.ForeignKey(Rectification, verbose_name=_("rectification"), on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("step"), max_length=30, choices=Step.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    taken_on = models.DateField(_("taken on"))
    taken_by = models.CharField(_("taken by"), max_length=50)

    class Meta:
        verbose_name = _("accountability step")
        verbose_name_plural = _("accountability steps")
        ordering = ["taken_on", "id"]


LADDER = list(AccountabilityStep.Step.values)
