from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from pledges.selectors import round_list
from tenants.api.units import UnitPermission, UnitScopedMixin

from .. import selectors, services
from .serializers import EvaluationSerializer


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
