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

    class Meta:
        verbose_name = _("public ballot")
        verbose_name_plural = _("public ballots")
