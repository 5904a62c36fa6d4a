from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from pledges.selectors import round_list
from tenants.api.errors import Conflict
from tenants.api.units import UnitPermission, UnitScopedMixin
from tenants.organization.selectors import organization_list

from .. import selectors, services
from ..sheet import panel_sheet_pdf
from .serializers import (
    EvaluationSerializer, IssuedLinkSerializer, PanelRegisterSerializer, PanelStatusSerializer, PublicResultsSerializer,
)


class RoundEvaluation(UnitScopedMixin, APIView):
    """A round's evaluation (评诺): its scheme and the formula every member is scored by.
    Everyone in the unit reads it; unit admins prepare it and adjust it until it opens."""

    permission_classes = [UnitPermission]

    def _round(self, pk: int):
        return get_object_or_404(round_list(), pk=pk)

    @extend_schema(summary="本轮评诺方案 / A round's evaluation scheme", responses=EvaluationSerializer)
    def get(self, request, pk: int):
        evaluation = get_object_or_404(selectors.evaluation_list(), round=self._round(pk))
        return Response(EvaluationSerializer(evaluation).data)

    @extend_schema(summary="准备评诺 / Prepare the round's evaluation",
                   description="单位管理员为本轮准备评诺，采用默认方案（004：党员“四评”、领导干部“三评”；满意、较满意、基本满意、不满意），"
                               "评诺开始前可调整。已准备的直接返回。\n\nA unit admin prepares the round's evaluation with the default "
                               "scheme (004), to adjust before it opens; one already prepared is returned as it is.",
                   request=None, responses={201: EvaluationSerializer})
    def post(self, request, pk: int):
        evaluation = services.evaluation_prepare(round=self._round(pk), who=self.caller)
        return Response(EvaluationSerializer(selectors.evaluation_list().get(pk=evaluation.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="调整评诺方案 / Adjust the evaluation scheme",
                   description="权重、等次（分值与所需得分）、缺项处理和群众评议的法定人数比例；评诺开始后不能再改（409）。"
                               "\n\nWeights, the grade scale (points and the score each grade needs), how a missing component counts and "
                               "the public panel's quorum; fixed once the evaluation opens (409).",
                   request=EvaluationSerializer, responses=EvaluationSerializer)
    def patch(self, request, pk: int):
        evaluation = get_object_or_404(selectors.evaluation_list(), round=self._round(pk))
        form = EvaluationSerializer(evaluation, data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        changes = {name: value for name, value in form.validated_data.items() if name in services.SCHEME_FIELDS}
        if "scale" in changes:
            changes["scale"] = [dict(grade) for grade in changes["scale"]]
        evaluation = services.evaluation_update(evaluation=evaluation, who=self.caller, changes=changes)
        return Response(EvaluationSerializer(selectors.evaluation_list().get(pk=evaluation.pk)).data)


class PanelScope(UnitScopedMixin):
    permission_classes = [UnitPermission]
    write_roles = ("member",)  # secretaries are members; the service checks who runs the branch

    def _scope(self, pk: int, branch: int):
        evaluation = get_object_or_404(selectors.evaluation_list(), round_id=pk)
        branch_obj = get_object_or_404(organization_list(), pk=branch)
        if not (self.caller.sees_everything or branch_obj.pk in self.caller.oversees_ids):
            raise PermissionDenied(_("Only the branch's secretary, the secretaries above it and unit admins see its panel."))
        return evaluation, branch_obj

    def _register(self, request, pk: int, branch: int):
        """Register the people posted; each with the absolute address of their one-time link."""
        evaluation, branch_obj = self._scope(pk, branch)
        form = PanelRegisterSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        issued = services.panel_register(evaluation=evaluation, branch=branch_obj, who=self.caller,
                                         people=[(p["name"], p["category"]) for p in form.validated_data["people"]])
        links = [(person, request.build_absolute_uri(f"/u/{self.unit.slug}/evaluate/{secret}/")) for person, secret in issued]
        return evaluation, branch_obj, links


class BranchPanel(PanelScope, APIView):
    """A branch's public panel (群众评议): whoever runs the branch registers evaluators, each
    getting a one-time link shown only in the answer, and follows who has not voted yet and
    how far the quorum is (never how anyone voted)."""

    @extend_schema(summary="群众评议人员与进度 / A branch's public panel and its quorum", responses=PanelStatusSerializer)
    def get(self, request, pk: int, branch: int):
        evaluation, branch_obj = self._scope(pk, branch)
        return Response(PanelStatusSerializer(selectors.panel_status(evaluation=evaluation, branch_id=branch_obj.pk)).data)

    @extend_schema(summary="登记群众评议人员 / Register public evaluators",
                   description="每人得到一个一次性评议链接（只在本次回答中出现，请打印成二维码当面交付）。\n\n"
                               "Each evaluator gets a one-time link, shown only in this answer: print it as a QR code and hand it over.",
                   request=PanelRegisterSerializer, responses={201: IssuedLinkSerializer(many=True)})
    def post(self, request, pk: int, branch: int):
        _evaluation, _branch, links = self._register(request, pk, branch)
        rows = [{"id": person.pk, "name": person.name, "category": person.category, "link": link} for person, link in links]
        return Response(IssuedLinkSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)


class BranchPanelSheet(PanelScope, APIView):
    """The same registration, answered with the sheet to print: a PDF of QR-code cards, one per
    evaluator, with their names (the links exist nowhere else)."""

    @extend_schema(summary="登记群众评议人员并打印二维码 / Register public evaluators and print their QR codes",
                   request=PanelRegisterSerializer, responses={(201, "application/pdf"): OpenApiTypes.BINARY})
    def post(self, request, pk: int, branch: int):
        evaluation, branch_obj, links = self._register(request, pk, branch)
        pdf = panel_sheet_pdf(title=evaluation.round.title, branch=branch_obj.name, people=[(person.name, link) for person, link in links])
        response = HttpResponse(pdf, content_type="application/pdf", status=status.HTTP_201_CREATED)
        response["Content-Disposition"] = f'attachment; filename="panel-{branch_obj.pk}.pdf"'
        response["Cache-Control"] = "no-store"  # the links are credentials
        return response


class BranchPublicResults(PanelScope, APIView):
    """A branch's public evaluation results, for whoever runs the branch: only once the quorum is
    reached (409 says how many more are needed), and never of fewer than 3 ballots."""

    @extend_schema(summary="群众评议结果 / A branch's public evaluation results", responses={
        200: PublicResultsSerializer,
        409: OpenApiResponse(description="评议人数未达法定人数或少于3人 / Below the quorum, or fewer than 3 ballots: how many more are needed."),
    })
    def get(self, request, pk: int, branch: int):
        evaluation, branch_obj = self._scope(pk, branch)
        status_ = selectors.panel_status(evaluation=evaluation, branch_id=branch_obj.pk)
        if not status_["counts"] or status_["voted"] < selectors.FEWEST_BALLOTS_SHOWN:
            needed = max(status_["still_needed"], selectors.FEWEST_BALLOTS_SHOWN - status_["voted"])
            raise Conflict(_("The public evaluation counts once %(n)d more evaluators have voted.") % {"n": needed})
        return Response(PublicResultsSerializer(selectors.public_results(evaluation=evaluation, branch_id=branch_obj.pk)).data)
