"""Results and consequences over the API: publishing, the commendation list, rectifications with
the accountability ladder, and the results as Excel or PDF."""
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from pledges.api.serializers import NamedSerializer
from tenants.api.fields import Text
from tenants.organization.models import Member

from .. import exports, results, selectors
from ..models import LADDER, Commendation, Publication, Rectification
from .serializers import ComponentSerializer
from .views import EvaluationScope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PublicationSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Publication.Scope.choices, help_text="branch: each branch its own; unit: every member; board: the public too")
    published_on = serializers.DateField(read_only=True)
    published_by = Text(read_only=True)


class ResultSerializer(serializers.Serializer):
    member = NamedSerializer()
    branch = NamedSerializer()
    score = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True, allow_null=True)
    grade = Text()
    grade_label = Text()
    withheld = serializers.BooleanField()
    components = ComponentSerializer(many=True)
    commended = serializers.BooleanField()
    rectification = Text(help_text="empty, open, rectified or refused")
    unqualified = serializers.BooleanField(help_text="refused rectification: 不合格 in the annual democratic appraisal")


class CommendationSerializer(serializers.Serializer):
    member = NamedSerializer()
    reason = Text()
    listed_by = Text()
    listed_on = serializers.DateField()


class CommendationWriteSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    reason = Text(max_length=200)


class StepSerializer(serializers.Serializer):
    step = Text()
    label = Text(source="get_step_display")
    note = Text()
    taken_on = serializers.DateField()
    taken_by = Text()


class RectificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    member = NamedSerializer()
    reason = Text()
    deadline = serializers.DateField()
    state = Text()
    overdue = serializers.SerializerMethodField()
    opened_by = Text()
    opened_on = serializers.DateField()
    closed_on = serializers.DateField(allow_null=True)
    outcome = Text()
    steps = StepSerializer(many=True)

    def get_overdue(self, rectification) -> bool:
        return rectification.state == Rectification.State.OPEN and rectification.deadline < self.context["today"]


class RectificationWriteSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    reason = Text(max_length=500)
    deadline = serializers.DateField()


class StepWriteSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=LADDER)
    note = Text(max_length=500, required=False, allow_blank=True)


class RectificationCloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[Rectification.State.RECTIFIED, Rectification.State.REFUSED])
    note = Text(max_length=500, required=False, allow_blank=True)


def _member(pk: int) -> Member:
    return get_object_or_404(Member.objects.all(), pk=pk)


class PublicationView(EvaluationScope, APIView):
    """Where the results are published (004: within a chosen scope)."""

    @extend_schema(summary="评诺结果公布范围 / Where the results are published", responses=PublicationSerializer)
    def get(self, request, pk: int):
        return Response(PublicationSerializer(get_object_or_404(Publication.objects.all(), evaluation=self._evaluation(pk))).data)

    @extend_schema(summary="公布评诺结果 / Publish the results", request=PublicationSerializer, responses=PublicationSerializer)
    def put(self, request, pk: int):
        form = PublicationSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        publication = results.results_publish(evaluation=self._evaluation(pk), who=self.caller, scope=form.validated_data["scope"])
        return Response(PublicationSerializer(publication).data)


class Results(EvaluationScope, APIView):
    """The results: unit admins and secretaries (their branches) always, members once published
    within the scope. Scores with one or two anonymous grades in them are withheld."""

    @extend_schema(summary="评诺结果 / Results", responses=ResultSerializer(many=True))
    def get(self, request, pk: int):
        rows = selectors.results_visible(evaluation=self._evaluation(pk), who=self.caller)
        if rows is None:
            raise PermissionDenied(_("The results have not been published to you yet."))
        return Response(ResultSerializer(rows, many=True).data)


class ResultsExport(EvaluationScope, APIView):
    """The results as Excel or a printable PDF, for unit admins (all) and secretaries (their branches)."""

    @extend_schema(summary="导出评诺结果 / The results as Excel or PDF",
                   parameters=[OpenApiParameter("file", str, enum=["xlsx", "pdf"], description="xlsx (default) or pdf")],
                   responses={(200, XLSX): OpenApiTypes.BINARY, (200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        evaluation = self._evaluation(pk)
        who = self.caller
        if not (who.sees_everything or who.oversees_ids):
            raise PermissionDenied(_("Results are exported by secretaries and unit admins."))
        kind = request.query_params.get("file", "xlsx")  # not ?format=: DRF reads that as its own
        if kind not in ("xlsx", "pdf"):
            raise serializers.ValidationError({"file": [_("Choose xlsx or pdf.")]})
        rows = selectors.result_rows(evaluation=evaluation, branch_ids=None if who.sees_everything else who.oversees_ids, viewer=who.member)
        title = _("Evaluation results: %(round)s") % {"round": evaluation.round.title}
        formulas = [f"党员：{evaluation.member_scheme().describe()}", f"领导干部：{evaluation.leader_scheme().describe()}"]
        if kind == "pdf":
            response = HttpResponse(exports.results_pdf(title=title, formulas=formulas, rows=rows), content_type="application/pdf")
        else:
            response = HttpResponse(exports.results_workbook(title=title, formulas=formulas, rows=rows), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="evaluation-{evaluation.round.year}.{kind}"'
        return response


class Commendations(EvaluationScope, APIView):
    """The commendation list (奖诺): `?proposed=true` lists who the best grade proposes."""

    @extend_schema(summary="表彰名单 / The commendation list", responses=CommendationSerializer(many=True),
                   parameters=[OpenApiParameter("proposed", bool, description="who the best grade proposes, not yet listed")])
    def get(self, request, pk: int):
        evaluation = self._evaluation(pk)
        if request.query_params.get("proposed") in ("true", "1"):
            if not self.caller.is_unit_admin:
                raise PermissionDenied(_("Only unit admins draw up the commendation list."))
            listed = set(Commendation.objects.filter(evaluation=evaluation).values_list("member_id", flat=True))
            proposal = [{"member": r["member"], "reason": r["grade_label"], "listed_by": "", "listed_on": evaluation.round.evaluate_on}
                        for r in selectors.commendation_proposal(evaluation=evaluation) if r["member"]["id"] not in listed]
            return Response(CommendationSerializer(proposal, many=True).data)
        listed = Commendation.objects.filter(evaluation=evaluation).select_related("member").order_by("member__name", "member_id")
        return Response(CommendationSerializer(listed, many=True).data)

    @extend_schema(summary="列入表彰名单 / Add to the commendation list", request=CommendationWriteSerializer,
                   responses={201: CommendationSerializer})
    def post(self, request, pk: int):
        form = CommendationWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        made = results.commendation_add(evaluation=self._evaluation(pk), who=self.caller, member=_member(form.validated_data["member"]),
                                        reason=form.validated_data["reason"])
        return Response(CommendationSerializer(made).data, status=status.HTTP_201_CREATED)


class CommendationDetail(EvaluationScope, APIView):
    @extend_schema(summary="移出表彰名单 / Remove from the commendation list", responses={204: None})
    def delete(self, request, pk: int, member: int):
        commendation = get_object_or_404(Commendation.objects.all(), evaluation=self._evaluation(pk), member_id=member)
        results.commendation_remove(commendation=commendation, who=self.caller)
        return Response(status=status.HTTP_204_NO_CONTENT)


class Rectifications(EvaluationScope, APIView):
    """Rectifications (整改) followed to their end, with the accountability ladder's steps; an open
    one past its deadline is `overdue`."""

    @extend_schema(summary="整改与问责 / Rectifications", responses=RectificationSerializer(many=True))
    def get(self, request, pk: int):
        listed = selectors.rectifications_visible(evaluation=self._evaluation(pk), who=self.caller)
        return Response(RectificationSerializer(listed, many=True, context={"today": timezone.localdate()}).data)

    @extend_schema(summary="责令整改 / Open a rectification", request=RectificationWriteSerializer, responses={201: RectificationSerializer})
    def post(self, request, pk: int):
        form = RectificationWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        made = results.rectification_open(evaluation=self._evaluation(pk), who=self.caller, member=_member(data["member"]),
                                          reason=data["reason"], deadline=data["deadline"])
        return Response(RectificationSerializer(made, context={"today": timezone.localdate()}).data, status=status.HTTP_201_CREATED)


class RectificationScope(EvaluationScope):
    def _rectification(self, pk: int, rectification: int) -> Rectification:
        return get_object_or_404(selectors.rectifications_visible(evaluation=self._evaluation(pk), who=self.caller), pk=rectification)

    def _answer(self, rectification: Rectification, code=status.HTTP_200_OK):
        fresh = Rectification.objects.select_related("member").prefetch_related("steps").get(pk=rectification.pk)
        return Response(RectificationSerializer(fresh, context={"today": timezone.localdate()}).data, status=code)


class RectificationStep(RectificationScope, APIView):
    @extend_schema(summary="问责措施 / Take the next step of the accountability ladder",
                   description="口头提醒 → 批评教育 → 限期整改 → 诫勉谈话 → 通报批评 → 引咎辞职：可以重复当前一级或升级，不能降级（409）。"
                               "\n\nA step repeats the level reached or goes up, never down (409).",
                   request=StepWriteSerializer, responses={201: RectificationSerializer})
    def post(self, request, pk: int, rectification: int):
        target = self._rectification(pk, rectification)
        form = StepWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        results.accountability_step_take(rectification=target, who=self.caller, step=form.validated_data["step"],
                                         note=form.validated_data.get("note", ""))
        return self._answer(target, status.HTTP_201_CREATED)


class RectificationClose(RectificationScope, APIView):
    @extend_schema(summary="整改结束 / Close a rectification",
                   description="整改到位（rectified），或拒不整改（refused：民主评议党员时定为不合格）。\n\n"
                               "Rectified, or refused (the member is then unqualified in the annual democratic appraisal).",
                   request=RectificationCloseSerializer, responses=RectificationSerializer)
    def post(self, request, pk: int, rectification: int):
        target = self._rectification(pk, rectification)
        form = RectificationCloseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        results.rectification_close(rectification=target, who=self.caller, outcome=form.validated_data["outcome"],
                                    note=form.validated_data.get("note", ""))
        return self._answer(target)

