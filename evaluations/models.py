"""An evaluation (评诺) of a pledge round: the scheme it scores by — weights per method for
members (四评) and leaders (三评), the grade scale, what a missing component means, and the
public panel's quorum. The formula itself is `evaluations.scoring`."""
from __future__ import annotations

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
