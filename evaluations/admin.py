"""The unit console's evaluation pages: the scheme is adjusted here through the service (until the
evaluation opens), and the panels, reviews, reports and scores are read here. Tokens, rights and
ballots have no page at all: nothing in a console may show or order them."""
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.admin_sites import ReadOnlyUnitModelAdmin, UnitModelAdmin, unit_admin_site
from tenants.organization.caller import caller_from_access

from . import scoring, selectors, services
from .models import BranchReport, Evaluation, MemberScore, PanelMember, Publication, Review, SelfAssessment

MEMBER_METHODS = list(scoring.MEMBER_SCHEME.weights)
LEADER_METHODS = list(scoring.LEADER_SCHEME.weights)


def _weight_field(method: str) -> forms.IntegerField:
    return forms.IntegerField(label=scoring.METHOD_NAMES[method], min_value=0, max_value=100)


class EvaluationForm(forms.ModelForm):
    """Weights as one number per method, the scale as one grade per line — no JSON for a cadre."""

    scale_lines = forms.CharField(
        label=gettext_lazy("grade scale"), widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        help_text=gettext_lazy("One grade per line, best first: label, code, points, the score it needs (the last needs 0). "
                               "For example: 满意, satisfied, 100, 90"))

    class Meta:
        model = Evaluation
        fields = ["missing", "public_quorum_percent"]

    # One field per method, declared for the admin's fieldsets (member_peer, leader_branch, …).
    locals().update({f"member_{m}": _weight_field(m) for m in MEMBER_METHODS})
    locals().update({f"leader_{m}": _weight_field(m) for m in LEADER_METHODS})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        evaluation = self.instance
        for method in MEMBER_METHODS:
            self.fields[f"member_{method}"].initial = evaluation.member_weights.get(method, 0)
        for method in LEADER_METHODS:
            self.fields[f"leader_{method}"].initial = evaluation.leader_weights.get(method, 0)
        self.fields["scale_lines"].initial = "\n".join(f"{g['label']}, {g['code']}, {g['points']}, {g['threshold']}" for g in evaluation.scale)

    def clean_scale_lines(self):
        scale = []
        for line in self.cleaned_data["scale_lines"].splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            try:
                label, code, points, threshold = parts
                scale.append({"code": code, "label": label, "points": int(points), "threshold": int(threshold)})
            except ValueError:
                raise ValidationError(_("Write each grade as: label, code, points, the score it needs.")) from None
        return scale

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if timezone.localdate() >= self.instance.round.evaluate_on:
            raise ValidationError(_("The scheme is fixed once the evaluation opens (%(day)s): everyone is scored by the scheme they were shown.")
                                  % {"day": self.instance.round.evaluate_on.isoformat()})
        probe = Evaluation(round=self.instance.round, **self.scheme_changes())
        try:
            services.check_scheme(evaluation=probe)
        except ValidationError as exc:
            raise ValidationError(list(exc.message_dict.values())[0] if hasattr(exc, "message_dict") else exc.messages) from None
        return cleaned

    def scheme_changes(self) -> dict:
        data = self.cleaned_data
        return {
            "member_weights": {m: data[f"member_{m}"] for m in MEMBER_METHODS},
            "leader_weights": {m: data[f"leader_{m}"] for m in LEADER_METHODS},
            "scale": data["scale_lines"], "missing": data["missing"], "public_quorum_percent": data["public_quorum_percent"],
        }


@admin.register(Evaluation, site=unit_admin_site)
class EvaluationAdmin(UnitModelAdmin):
    form = EvaluationForm
    list_display = ["round", "opens_on", "member_formula"]
    readonly_fields = ["round", "member_formula", "leader_formula"]

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["round", "member_formula", "leader_formula"]}),
            (_("Weights for members (四评)"), {"fields": [f"member_{m}" for m in MEMBER_METHODS]}),
            (_("Weights for leaders (三评)"), {"fields": [f"leader_{m}" for m in LEADER_METHODS]}),
            (_("Grades and quorum"), {"fields": ["scale_lines", "missing", "public_quorum_percent"]}),
        ]

    def has_add_permission(self, request):
        return False  # prepared from the round (the API's POST, or the county's campaign)

    def has_change_permission(self, request, obj=None):
        return super().has_add_permission(request)  # unit admins

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return selectors.evaluation_list()

    @admin.display(description=gettext_lazy("opens on"))
    def opens_on(self, evaluation):
        return evaluation.round.evaluate_on

    @admin.display(description=gettext_lazy("formula for members"))
    def member_formula(self, evaluation):
        return evaluation.member_scheme().describe()

    @admin.display(description=gettext_lazy("formula for leaders"))
    def leader_formula(self, evaluation):
        return evaluation.leader_scheme().describe()

    def save_model(self, request, obj, form, change):
        # Checked by the form (scheme and phase); the service checks again and records it.
        services.evaluation_update(evaluation=obj, who=caller_from_access(request.unit_access), changes=form.scheme_changes())


@admin.register(PanelMember, site=unit_admin_site)
class PanelMemberAdmin(ReadOnlyUnitModelAdmin):
    """The public panels, to chase whoever has not voted — never how anyone voted."""

    list_display = ["name", "category", "branch", "has_voted"]
    list_filter = ["evaluation", "branch", "category"]
    search_fields = ["name"]
    ordering = ["branch_id", "name", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("branch", "token")

    @admin.display(description=gettext_lazy("has voted"), boolean=True)
    def has_voted(self, person):
        try:
            person.token
        except PanelMember.token.RelatedObjectDoesNotExist:
            return True
        return False


@admin.register(MemberScore, site=unit_admin_site)
class MemberScoreAdmin(ReadOnlyUnitModelAdmin):
    """Members' scores as they may be shown (a score with one or two anonymous grades in it waits)."""

    list_display = ["member", "branch", "score_shown", "grade_shown", "grades_received"]
    list_filter = ["evaluation", "branch"]
    search_fields = ["member__name"]
    ordering = ["branch_id", "member__name", "member_id"]

    def get_queryset(self, request):
        # Whether each row's results are final, in the same query (selectors.results_final's rule).
        published = Exists(Publication.objects.filter(evaluation_id=OuterRef("evaluation_id")))
        return super().get_queryset(request).select_related("member", "branch", "evaluation__round").annotate(published=published)

    def _shown(self, row):
        scheme = row.evaluation.leader_scheme() if row.is_leader else row.evaluation.member_scheme()
        final = row.published or timezone.localdate() > row.evaluation.round.ends_on
        return selectors.score_shown(row, scheme, final=final), scheme

    def has_view_permission(self, request, obj=None):
        # The list only: a record's own page would show its raw counts, one or two anonymous grades included.
        return obj is None and super().has_view_permission(request, obj)

    @admin.display(description=gettext_lazy("score"))
    def score_shown(self, row):
        shown, _scheme = self._shown(row)
        return _("shown once the results are final, from the third anonymous grade") if shown["withheld"] else (shown["score"] if shown["score"] is not None else "—")

    @admin.display(description=gettext_lazy("grade"))
    def grade_shown(self, row):
        shown, scheme = self._shown(row)
        return {g.code: g.label for g in scheme.scale}.get(shown["grade"], "—")

    @admin.display(description=gettext_lazy("grades received"))
    def grades_received(self, row):
        shown, _scheme = self._shown(row)
        return "，".join(f"{p['label']} {p['count']}" + (f"（{p['mean']}）" if p["mean"] is not None else "") for p in shown["components"] if p["count"])


@admin.register(Review, site=unit_admin_site)
class ReviewAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["subject", "method", "stage", "grade", "reviewer_name", "reviewed_on", "comment"]
    list_filter = ["evaluation", "method", "stage"]
    search_fields = ["subject__name", "reviewer_name"]
    exclude = ["applied_grade"]


@admin.register(SelfAssessment, site=unit_admin_site)
class SelfAssessmentAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["member", "grade", "updated_at"]
    list_filter = ["evaluation"]
    search_fields = ["member__name"]
    exclude = ["applied_grade"]


@admin.register(BranchReport, site=unit_admin_site)
class BranchReportAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["branch", "written_by", "updated_at"]
    list_filter = ["evaluation"]
