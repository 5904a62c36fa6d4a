from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from pledges.selectors import round_list
from tenants.api.errors import Conflict
from tenants.api.units import UnitPermission, UnitScopedMixin
from tenants.organization.models import Member
from tenants.organization.selectors import organization_list

from .. import selectors, services
from ..sheet import panel_sheet_pdf
from ..models import BranchReport, Review, SelfAssessment
from .serializers import (
    BallotCastSerializer, BallotToCastSerializer, BranchReportSerializer, EvaluationFiguresSerializer, EvaluationSerializer,
    IssuedLinkSerializer, MemberGradesSerializer, MemberScoreSerializer, PanelRegisterSerializer, PanelStatusSerializer,
    PublicResultsSerializer, RecomputeSerializer, ReviewSerializer, ReviewWriteSerializer, SelfAssessmentSerializer,
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
    reached (409 says how many more are needed), never of fewer than 3 ballots, and per member only
    once the results are final (published, or the round ended): shown live, each new ballot would
    show as the change it made."""

    @extend_schema(summary="群众评议结果 / A branch's public evaluation results", responses={
        200: PublicResultsSerializer,
        409: OpenApiResponse(description="评议人数未达法定人数或少于3人，或结果尚未公布 / Below the quorum, or fewer than 3 ballots "
                                         "(how many more are needed), or the results are not published yet."),
    })
    def get(self, request, pk: int, branch: int):
        evaluation, branch_obj = self._scope(pk, branch)
        status_ = selectors.panel_status(evaluation=evaluation, branch_id=branch_obj.pk)
        if not status_["counts"] or status_["voted"] < selectors.FEWEST_BALLOTS_SHOWN:
            needed = max(status_["still_needed"], selectors.FEWEST_BALLOTS_SHOWN - status_["voted"])
            raise Conflict(_("The public evaluation counts once %(n)d more evaluators have voted.") % {"n": needed})
        if not selectors.results_final(evaluation):
            raise Conflict(_("The quorum is reached; each member's public results show once the results are published."))
        return Response(PublicResultsSerializer(selectors.public_results(evaluation=evaluation, branch_id=branch_obj.pk)).data)


class EvaluationScope(UnitScopedMixin):
    permission_classes = [UnitPermission]
    write_roles = ("member",)  # members cast ballots; the services check who may do what

    def _evaluation(self, pk: int):
        return get_object_or_404(selectors.evaluation_list(), round_id=pk)

    def _grades(self):
        form = MemberGradesSerializer(data=self.request.data)
        form.is_valid(raise_exception=True)
        try:
            return {int(k): v for k, v in form.validated_data["grades"].items()}
        except ValueError:
            raise ValidationError({"grades": [_("Name each member by their id.")]}) from None


class MyBallots(EvaluationScope, APIView):
    """The anonymous ballots a member still has to cast: peer review in their branch and, for
    the leading team, team review. Cast, a ballot leaves this list and nothing records how it
    was cast by whom."""

    @extend_schema(summary="我待投的评议票 / Ballots I have still to cast", responses=BallotToCastSerializer(many=True))
    def get(self, request, pk: int):
        evaluation = self._evaluation(pk)
        if self.caller.member is None:
            return Response([])
        services.rights_issue(evaluation=evaluation)
        return Response(BallotToCastSerializer(selectors.ballots_for(evaluation=evaluation, member=self.caller.member), many=True).data)


class CastBallot(EvaluationScope, APIView):
    @extend_schema(summary="投评议票 / Cast a peer or team ballot",
                   description="每人每种票只能投一次；不能评自己；等次须在评价等次之内。\n\n"
                               "Once per kind; never yourself; grades from the scale.",
                   request=MemberGradesSerializer, responses={201: BallotCastSerializer})
    def post(self, request, pk: int, method: str):
        if method not in ("peer", "team"):
            raise Http404
        evaluation = self._evaluation(pk)
        cast = services.member_ballot_cast(evaluation=evaluation, who=self.caller, method=method, grades=self._grades())
        return Response(BallotCastSerializer(cast).data, status=status.HTTP_201_CREATED)


class MySelfAssessment(EvaluationScope, APIView):
    """A member's self-evaluation and report (自评、述职), revisable while the evaluation is open."""

    @extend_schema(summary="我的自评与述职 / My self-evaluation and report", responses=SelfAssessmentSerializer)
    def get(self, request, pk: int):
        evaluation = self._evaluation(pk)
        mine = get_object_or_404(SelfAssessment.objects.all(), evaluation=evaluation, member_id=self.caller.member_id or 0)
        return Response(SelfAssessmentSerializer(mine).data)

    @extend_schema(summary="写自评与述职 / Write my self-evaluation and report", request=SelfAssessmentSerializer,
                   responses=SelfAssessmentSerializer)
    def put(self, request, pk: int):
        evaluation = self._evaluation(pk)
        form = SelfAssessmentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            notes = {int(k): v for k, v in form.validated_data.get("item_notes", {}).items()}
        except ValueError:
            raise ValidationError({"item_notes": [_("Name each pledge item by its id.")]}) from None
        mine = services.self_assess(evaluation=evaluation, who=self.caller, grade=form.validated_data["grade"],
                                    report=form.validated_data["report"], item_notes=notes)
        return Response(SelfAssessmentSerializer(mine).data)


class Reviews(EvaluationScope, APIView):
    """Leader reviews (领导点评: the branch secretary on each member, the secretary above on each
    branch secretary; half-yearly and at year end) and the organisation's assessment (组织考评).
    Signed, unlike ballots: a member reads the reviews of them, a secretary those of the members
    they oversee, a unit admin all."""

    @extend_schema(summary="领导点评与组织考评 / Leader reviews and organisational assessments", responses=ReviewSerializer(many=True))
    def get(self, request, pk: int):
        evaluation = self._evaluation(pk)
        reviews = selectors.reviews_visible(evaluation=evaluation, who=self.caller)
        return Response(ReviewSerializer(reviews, many=True).data)

    @extend_schema(summary="写点评或考评 / Write a review", description="同一阶段再写即修改。\n\nWriting again in the same stage revises it.",
                   request=ReviewWriteSerializer, responses={201: ReviewSerializer})
    def post(self, request, pk: int):
        evaluation = self._evaluation(pk)
        form = ReviewWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        subject = get_object_or_404(selectors.gradeable(Member.objects.all()), pk=data["subject"])
        review = services.review_record(evaluation=evaluation, who=self.caller, subject=subject, method=data["method"],
                                        stage=data["stage"], grade=data["grade"], comment=data.get("comment", ""))
        return Response(ReviewSerializer(selectors.reviews_visible(evaluation=evaluation, who=self.caller).get(pk=review.pk)).data,
                        status=status.HTTP_201_CREATED)


class BranchReportView(EvaluationScope, APIView):
    """A branch's report for the year (支部书记述职), written by its secretary."""

    def _branch(self, branch: int):
        branch_obj = get_object_or_404(organization_list(), pk=branch)
        if not (self.caller.sees_everything or branch_obj.pk in self.caller.oversees_ids or branch_obj.pk == getattr(self.caller.member, "branch_id", None)):
            raise PermissionDenied(_("A branch's report is read by its members, the secretaries above it and unit admins."))
        return branch_obj

    @extend_schema(summary="支部述职 / A branch's report", responses=BranchReportSerializer)
    def get(self, request, pk: int, branch: int):
        evaluation = self._evaluation(pk)
        report = get_object_or_404(BranchReport.objects.all(), evaluation=evaluation, branch=self._branch(branch))
        return Response(BranchReportSerializer(report).data)

    @extend_schema(summary="写支部述职 / Write a branch's report", request=BranchReportSerializer, responses=BranchReportSerializer)
    def put(self, request, pk: int, branch: int):
        evaluation = self._evaluation(pk)
        branch_obj = self._branch(branch)
        form = BranchReportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        report = services.branch_report_write(evaluation=evaluation, who=self.caller, branch=branch_obj, text=form.validated_data["text"])
        return Response(BranchReportSerializer(report).data)


class Scores(EvaluationScope, APIView):
    """Members' results with the formula beside each score: a member sees their own, a secretary
    those of the members they oversee, a unit admin everyone's (?branch= narrows it)."""

    @extend_schema(summary="评诺得分 / Scores", parameters=[OpenApiParameter("branch", int, description="only this branch's members")],
                   responses=MemberScoreSerializer(many=True))
    def get(self, request, pk: int):
        evaluation = self._evaluation(pk)
        try:
            branch = int(request.query_params["branch"]) if request.query_params.get("branch") else None
        except ValueError:
            raise ValidationError({"branch": [_("A branch is given by its id.")]}) from None
        who = self.caller
        branches = None if who.sees_everything else set(who.oversees_ids)
        if branch is not None:
            branches = {branch} if branches is None else branches & {branch}
        if not who.sees_everything and not who.oversees_ids:
            rows = selectors.member_scores(evaluation=evaluation, member_ids=[who.member_id or 0], viewer=who.member)
        else:
            rows = selectors.member_scores(evaluation=evaluation, branch_ids=branches, viewer=who.member)
        return Response(MemberScoreSerializer(rows, many=True).data)


class Figures(EvaluationScope, APIView):
    """The evaluation's figures, kept current ballot by ballot: per branch (the branches a
    secretary oversees) and, for unit admins, the unit's."""

    @extend_schema(summary="评诺汇总 / Evaluation figures", responses=EvaluationFiguresSerializer)
    def get(self, request, pk: int):
        evaluation = self._evaluation(pk)
        who = self.caller
        if not (who.sees_everything or who.oversees_ids):
            raise PermissionDenied(_("Figures are for secretaries and unit admins."))
        branches = selectors.branch_figures(evaluation=evaluation, branch_ids=None if who.sees_everything else who.oversees_ids)
        unit = selectors.unit_figures(evaluation=evaluation) if who.sees_everything else None
        return Response(EvaluationFiguresSerializer({"unit": unit, "branches": branches}).data)


class Recompute(EvaluationScope, APIView):
    @extend_schema(summary="重新核算 / Recompute every score", request=None, responses={202: RecomputeSerializer},
                   description="单位管理员可随时要求从全部选票重新核算（也每晚自动进行）；与实时累计不一致时记录为错误。\n\n"
                               "A unit admin may have every score rebuilt from the ballots (also done nightly); a difference "
                               "from the running tallies is logged as an error.")
    def post(self, request, pk: int):
        evaluation = self._evaluation(pk)
        if not self.caller.is_unit_admin:
            raise PermissionDenied(_("Only unit admins ask for a recompute."))
        from ..tasks import recompute_scores

        transaction.on_commit(lambda: recompute_scores.delay(evaluation.pk), robust=True)
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)
