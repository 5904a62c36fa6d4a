"""Pledges over the API, for the mobile app and web clients. Thin: input serializer →
service → output serializer. Lists and objects come from selectors scoped to what the
caller may see (404 otherwise); steps with rules are explicit endpoints."""
from __future__ import annotations

import functools

import django_filters
from django_filters.utils import translate_validation
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.api.filters import BooleanFilter, FilterSet, IdFilter, parse_id
from tenants.api.idempotency import IdempotentPostMixin
from tenants.api.pagination import CountedApart
from tenants.api.units import UnitAdminOnly, UnitPermission, UnitScopedMixin
from tenants.organization.models import Member
from tenants.organization.selectors import member_list_for, organization_exists, organization_list

from .. import selectors, services
from ..ledger import ledger_workbook
from ..letter import pledge_letter_pdf
from ..models import PHASE_FIELDS, Pledge, PledgeItem, Round
from . import rows
from . import serializers as s

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CallerMixin(IdempotentPostMixin, UnitScopedMixin):
    """Unit views that act for the caller: every role may call; the services decide.
    POSTs accept an Idempotency-Key, so a phone's retry never records or steps twice."""

    write_roles = ("member",)


# ---------------------------------------------------------------- rules and rounds

@extend_schema_view(get=extend_schema(summary="本单位承诺规则 / The unit's pledge rules"), put=extend_schema(summary="修改承诺规则 / Change the pledge rules"), patch=extend_schema(summary="修改承诺规则（部分） / Change part of the pledge rules"))
class RulesView(UnitScopedMixin, generics.RetrieveUpdateAPIView):
    """The unit's rules for its next round. Everyone in the unit reads them; unit admins change them."""

    serializer_class = s.RulesSerializer
    permission_classes = [UnitPermission]

    def get_object(self):
        return selectors.rules_current()

    def perform_update(self, serializer):
        serializer.instance = services.rules_update(changes=serializer.validated_data)


@extend_schema_view(get=extend_schema(summary="承诺轮次 / Rounds"), post=extend_schema(summary="开启新一轮 / Open a round"))
class RoundList(UnitScopedMixin, generics.ListCreateAPIView):
    serializer_class = s.RoundSerializer
    queryset = Round.objects.none()
    filterset_fields = ["year"]
    ordering_fields = ["year", "mobilise_on", "id"]

    def scoped_queryset(self, caller):
        return selectors.round_list().order_by("-year", "-mobilise_on", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        round = services.round_open(year=data["year"], theme=data["theme"], dates={k: data[k] for k in PHASE_FIELDS})
        serializer.instance = selectors.round_list().get(pk=round.pk)


@extend_schema_view(get=extend_schema(summary="轮次详情 / A round"), patch=extend_schema(summary="修改轮次日期或主题 / Change a round's dates or theme"))
class RoundDetail(UnitScopedMixin, generics.RetrieveUpdateAPIView):
    serializer_class = s.RoundSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def scoped_queryset(self, caller):
        return selectors.round_list()

    @extend_schema(request=s.RoundUpdateSerializer, responses=s.RoundSerializer)
    def patch(self, request, *args, **kwargs):
        round = self.get_object()
        form = s.RoundUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        theme = data.pop("theme", None)
        services.round_update(round=round, theme=theme, dates=data)
        return Response(s.RoundSerializer(self.get_queryset().get(pk=round.pk)).data)


class RoundPublish(CallerMixin, APIView):
    """Publish every approved pledge of the round at once (unit admins)."""

    permission_classes = [UnitAdminOnly]

    @extend_schema(
        summary="整轮集中公示 / Publish every approved pledge of the round",
        description="单位管理员在公示阶段一次公示本轮所有已审核通过的承诺，逐条记入历史并通知承诺人。"
                    "返回公示的条数（没有待公示的为 0）。\n\nA unit admin publishes, in the publish phase, every "
                    "approved pledge of the round at once; each goes into its history and its proposers are told. "
                    "Answers how many were published (0 when none were waiting). Outside the phase: 409.",
        request=None, responses={200: s.RoundPublishedSerializer})
    def post(self, request, pk: int):
        round = get_object_or_404(selectors.round_list(), pk=pk)
        count = services.round_publish_approved(round=round, who=self.caller)
        return Response({"published": count})


class RoundProgress(CallerMixin, APIView):
    """How far each branch is in the round: who has pledged, who has not (and why), items by state.
    Unit admins and county viewers see every branch; secretaries the branches they lead."""

    @extend_schema(
        summary="本轮进度 / How far each branch is in the round",
        parameters=[OpenApiParameter("branch", int, description="同时列出该支部尚未承诺的党员 / Also list who in this branch has not pledged yet.")],
        responses={200: s.RoundProgressSerializer})
    def get(self, request, pk: int):
        round = get_object_or_404(selectors.round_list(), pk=pk)
        who = self.caller
        if not who.sees_everything and not who.oversees_ids:
            raise PermissionDenied(_("Only secretaries and unit admins follow a round's progress."))
        scope = None if who.sees_everything else set(who.oversees_ids)
        body = {"round": {"id": round.pk, "theme": round.theme, "phase": round.phase_on(timezone.localdate())},
                "branches": selectors.round_progress(round=round, branch_ids=scope)}
        if "branch" in request.query_params:
            branch = parse_id(request.query_params["branch"])
            if branch is None or (scope is not None and branch not in scope):
                raise Http404
            body["not_pledged"] = [
                {"id": m.pk, "name": m.name, "post": m.post, "needs_post": not m.post.strip()}
                for m in selectors.members_not_pledged(round=round, branch_id=branch)
            ]
        return Response(body)


# ---------------------------------------------------------------- pledges

class PledgeFilter(FilterSet):
    round = IdFilter()
    state = django_filters.MultipleChoiceFilter(choices=Pledge.State.choices)
    subject = django_filters.ChoiceFilter(choices=Pledge.Subject.choices)
    member = IdFilter()
    branch = IdFilter(method="filter_branch", label=_("organisation (with everything below it)"))
    overdue = BooleanFilter(method="filter_overdue", label=_("has overdue items"))
    mine = BooleanFilter(method="filter_mine", label=_("only my own pledges"))

    class Meta:
        model = Pledge
        fields = ["round", "state", "subject", "member"]

    def filter_branch(self, queryset, name, value):
        return queryset.filter(organization_id__in=self.request.parser_context["view"].caller.subtree_of(int(value)))

    def filter_overdue(self, queryset, name, value):
        overdue = Exists(PledgeItem.objects.filter(pledge_id=OuterRef("pk"), state=PledgeItem.State.OVERDUE))
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_mine(self, queryset, name, value):
        member_id = self.request.parser_context["view"].caller.member_id
        if not value:
            return queryset
        return queryset.filter(member_id=member_id) if member_id else queryset.none()


@functools.lru_cache(maxsize=512)
def _pledge_filters_valid(given: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple | None:
    """The list's filters as PledgeFilter cleans them ((name, value) pairs, a list as a tuple),
    None when invalid. Remembered per query: the filters read nothing but the query string,
    and building a filter set and its form per request cost a millisecond."""
    query = QueryDict(mutable=True)
    for name, values in given:
        query.setlist(name, list(values))
    filters = PledgeFilter(query, queryset=Pledge.objects.none())
    if not filters.is_valid():
        return None
    return tuple((name, tuple(value) if isinstance(value, list) else value)
                 for name, value in filters.form.cleaned_data.items() if value not in (None, "", []))


@extend_schema_view(get=extend_schema(summary="承诺列表 / Pledges"))
class PledgeList(CallerMixin, generics.ListCreateAPIView):
    """Pledges the caller may see; filter by round, branch, state, overdue, mine."""

    queryset = Pledge.objects.none()
    filterset_class = PledgeFilter
    search_fields = ["title", "member__name", "organization__name"]
    ordering_fields = ["id", "updated_at", "submitted_at", "state"]

    def get_serializer_class(self):
        return s.PledgeCreateSerializer if self.request.method == "POST" else s.PledgeListSerializer

    def scoped_queryset(self, caller):
        return selectors.pledge_list_visible_to(who=caller).order_by("organization__sort_order", "organization_id", "member__name", "id")

    def list(self, request, *args, **kwargs):
        if "search" in request.query_params or "ordering" in request.query_params:  # the general path: any search, any order
            pledges = self.filter_queryset(self.get_queryset())
            page = self.paginate_queryset(CountedApart(selectors.pledge_list_values(pledges), pledges))
            return self.get_paginated_response(rows.pledge_rows(page))
        # The lists phones open (theirs, a branch's, by state): the same filters, validated by
        # the same filter set, read by a compiled selector (pledges.selectors.pledge_list_rows).
        given = tuple((name, tuple(request.query_params.getlist(name))) for name in PledgeFilter.base_filters
                      if name in request.query_params)
        chosen = _pledge_filters_valid(given)
        if chosen is None:  # invalid: validated again for the errors, in the caller's language
            filters = PledgeFilter(request.query_params, queryset=Pledge.objects.none(), request=request)
            filters.is_valid()
            raise translate_validation(filters.errors)
        page = self.paginate_queryset(selectors.pledge_list_rows(who=self.caller, **dict(chosen)))
        return self.get_paginated_response(rows.pledge_rows(page))

    @extend_schema(
        summary="起草承诺 / Draft a pledge",
        description="党员为自己、单位管理员为党员、书记为组织起草承诺（草稿），事项数与内容按本轮规则检查。"
                    "草稿提交后才进入审核。\n\nA member drafts their own pledge, a unit admin one for a member, a "
                    "secretary one for their organisation. Items are checked against the round's rules; the draft "
                    "goes to review only when submitted.",
        request=s.PledgeCreateSerializer, responses={201: s.PLEDGE_PAGE})
    def post(self, request):
        form = s.PledgeCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        pledge = services.pledge_create(
            round=data["round"], who=self.caller, items=data["items"], subject=data["subject"], member=data.get("member"),
            organization=data.get("organization"), co_members=data.get("co_members", []),
            co_organizations=data.get("co_organizations", []), title=data["title"],
        )
        return Response(_detail(self, pledge.pk), status=status.HTTP_201_CREATED)


def _detail(view, pk: int) -> dict:
    """The pledge's page as the caller may see it (pledges.api.rows.pledge_detail); 404 otherwise."""
    body = rows.pledge_detail(pledge_id=pk, who=view.caller, unit_slug=view.unit.slug)
    if body is None:
        raise Http404
    return body


class PledgeDetail(CallerMixin, generics.RetrieveAPIView):
    """The whole pledge for whoever made, reviews or runs it; what the public board shows for others."""

    serializer_class = s.PledgeDetailSerializer

    def scoped_queryset(self, caller):
        return selectors.pledge_detail(who=caller)

    @extend_schema(
        summary="承诺详情 / A pledge's page",
        description="承诺人、审核人与单位管理员看到完整内容（含历史、审核要点）；其他人只看到公示板上的内容（已公示的承诺，无历史）。"
                    "两种形状都在此描述。\n\nWhoever made, reviews or runs the pledge sees it whole (history, "
                    "review checklist); anyone else sees what the public board shows (published pledges only, no "
                    "history). Both shapes are described here.",
        responses=s.PLEDGE_PAGE)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        pk = parse_id(str(kwargs["pk"]))
        if pk is None:
            raise Http404
        return Response(_detail(self, pk))

    @extend_schema(
        summary="修改承诺 / Edit a draft or returned pledge",
        description="承诺人修改草稿或被退回的承诺：标题和事项（整体替换）。须带上所修改的版本号；服务器上已有更新的版本时返回 409，"
                    "避免覆盖他人的修改。\n\nThe proposer edits a draft or returned pledge: title and items "
                    "(replaced as a whole). Send the version you edited; a newer one on the server gives 409, so "
                    "nobody's edit is lost.",
        request=s.PledgeUpdateSerializer, responses=s.PLEDGE_PAGE)
    def patch(self, request, pk: int):
        pledge = self.get_object()
        form = s.PledgeUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.pledge_update(pledge=pledge, who=self.caller, **form.validated_data)
        return Response(_detail(self, pk))

    @extend_schema(summary="删除草稿 / Delete a draft",
                   description="承诺人删除尚未提交的草稿。\n\nThe proposer deletes a draft that was never submitted.")
    def delete(self, request, pk: int):
        services.pledge_delete(pledge=self.get_object(), who=self.caller)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PledgeStep(CallerMixin, APIView):
    """Base of the steps of a pledge's life: find it among the visible ones, then call the service."""

    form_class = s.VersionSerializer

    def step(self, pledge: Pledge, data: dict) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        pledge = get_object_or_404(selectors.pledge_list_visible_to(who=self.caller), pk=pk)
        form = self.form_class(data=request.data)
        form.is_valid(raise_exception=True)
        self.step(pledge, form.validated_data)
        return Response(_detail(self, pk))


class PledgeSubmit(PledgeStep):
    @extend_schema(summary="提交审核 / Submit for review", description="承诺人把草稿、被退回或须重新提出的承诺提交给上级组织审核；按本轮规则检查事项，确定审核组织并通知审核人。\n\nThe proposer sends a draft, returned or redo pledge to the level above for review: its items are checked against the round's rules, the reviewing organisation is settled and its reviewers are told. Outside the pledge phase, or not in a state that can be submitted: 409.",
                   request=s.VersionSerializer, responses=s.PLEDGE_PAGE)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def step(self, pledge, data):
        services.pledge_submit(pledge=pledge, who=self.caller, **data)


class PledgeApprove(PledgeStep):
    form_class = s.ApproveSerializer

    @extend_schema(summary="审核通过 / Approve", description="审核人逐项确认本轮审核要点（`checklist` 须包含本轮规则中的每一条）后通过；承诺人收到通知，可打印承诺书。\n\nA reviewer approves after confirming each point of the round's review checklist (`checklist` must hold every point of the round's rules); the proposer is told and the pledge letter can be printed.",
                   request=s.ApproveSerializer, responses=s.PLEDGE_PAGE)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def step(self, pledge, data):
        services.pledge_approve(pledge=pledge, who=self.caller, **data)


class PledgeReturn(PledgeStep):
    form_class = s.ReturnSerializer

    @extend_schema(summary="退回修改 / Return for revision", description="审核人退回承诺请其修改完善，附总体意见或逐条事项意见（`item_comments`，键为事项 id）；承诺人修改后再次提交。\n\nA reviewer returns the pledge for revision with a comment and/or comments per item (`item_comments`, keyed by item id); the proposer edits it and submits again.",
                   request=s.ReturnSerializer, responses=s.PLEDGE_PAGE)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def step(self, pledge, data):
        services.pledge_return(pledge=pledge, who=self.caller, **data)


class PledgeRedo(PledgeStep):
    form_class = s.RedoSerializer

    @extend_schema(summary="要求重新提出 / Ask for a new proposal", description="审核人认为承诺须重新提出（如与岗位职责不符），须说明理由；承诺人重新拟定事项后再次提交。\n\nA reviewer asks for the pledge to be proposed anew (e.g. it does not fit the member's post), with the reason; the proposer drafts the items again and resubmits.",
                   request=s.RedoSerializer, responses=s.PLEDGE_PAGE)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def step(self, pledge, data):
        services.pledge_return(pledge=pledge, who=self.caller, redo=True, comment=data["comment"], version=data.get("version"))


class PledgePublish(PledgeStep):
    @extend_schema(summary="公示 / Publish", description="审核通过的承诺在公示阶段公示到单位公示板（示诺），事项开始践诺。\n\nAn approved pledge is published on the unit's public board in the publish phase, and its items start being fulfilled.",
                   request=None, responses=s.PLEDGE_PAGE)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def step(self, pledge, data):
        services.pledge_publish(pledge=pledge, who=self.caller)


class PledgeLetter(CallerMixin, APIView):
    """The signed pledge letter (承诺书) as PDF, in triplicate, once the pledge is approved."""

    @extend_schema(summary="承诺书 PDF / The pledge letter (PDF)",
                   description="审核通过后可打印的承诺书，一式三份。审核通过前返回 409。\n\nThe pledge letter to print "
                               "and sign, in triplicate, once the pledge is approved; before that, 409.",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY,
                              409: OpenApiResponse(description="承诺审核通过后才有承诺书 / The letter exists once the pledge is approved.")})
    def get(self, request, pk: int):
        pledge = get_object_or_404(selectors.pledge_detail(who=self.caller), pk=pk)
        if pledge.state not in (Pledge.State.APPROVED, Pledge.State.PUBLISHED, Pledge.State.COMPLETED):
            return Response(
                {"error": {"status": 409, "code": "conflict", "message": _("The pledge letter exists once the pledge is approved.")}},
                status=status.HTTP_409_CONFLICT,
            )
        response = HttpResponse(pledge_letter_pdf(pledge=pledge, unit=self.unit), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="pledge-letter-{pledge.pk}.pdf"'
        return response


# ---------------------------------------------------------------- items and fulfilment

class ItemFilter(FilterSet):
    round = IdFilter(field_name="pledge__round")
    state = django_filters.MultipleChoiceFilter(choices=PledgeItem.State.choices)
    member = IdFilter(field_name="pledge__member")
    branch = IdFilter(method="filter_branch", label=_("organisation (with everything below it)"))
    overdue = BooleanFilter(method="filter_overdue", label=_("overdue or rectifying"))
    mine = BooleanFilter(method="filter_mine", label=_("only my own items"))

    class Meta:
        model = PledgeItem
        fields = ["round", "state", "member"]

    def filter_branch(self, queryset, name, value):
        return queryset.filter(pledge__organization_id__in=self.request.parser_context["view"].caller.subtree_of(int(value)))

    def filter_overdue(self, queryset, name, value):
        states = (PledgeItem.State.OVERDUE, PledgeItem.State.RECTIFYING)
        return queryset.filter(state__in=states) if value else queryset.exclude(state__in=states)

    def filter_mine(self, queryset, name, value):
        member_id = self.request.parser_context["view"].caller.member_id
        if not value:
            return queryset
        return queryset.filter(pledge__member_id=member_id) if member_id else queryset.none()


@extend_schema_view(get=extend_schema(summary="承诺事项 / Pledge items"))
class ItemList(CallerMixin, generics.ListAPIView):
    """Items the caller may see — e.g. `?overdue=true` for the secretary's chase list."""

    serializer_class = s.ItemRowSerializer
    queryset = PledgeItem.objects.none()
    filterset_class = ItemFilter

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "who": self.caller}
    ordering_fields = ["deadline", "id", "state"]

    def scoped_queryset(self, caller):
        return selectors.item_list_visible_to(who=caller).select_related("closed_by").order_by("deadline", "id")


class ItemMixin(CallerMixin):
    def item(self, pk: int) -> PledgeItem:
        return get_object_or_404(selectors.item_list_visible_to(who=self.caller), pk=pk)


class ItemRecords(ItemMixin, generics.GenericAPIView):
    """An item's progress records; members add one with text, date and photos (multipart)."""

    serializer_class = s.RecordSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    queryset = PledgeItem.objects.none()

    @extend_schema(summary="践诺记录 / An item's progress records",
                   description="承诺人、审核人和单位管理员可读，分页。\n\nRead by whoever made the pledge, its reviewers and the unit admins; paginated.",
                   responses=s.RecordSerializer(many=True))
    def get(self, request, pk: int):
        item = self.item(pk)
        co_member_ids = set(item.pledge.co_members.values_list("pk", flat=True))
        if not selectors.is_involved(pledge=item.pledge, who=self.caller, co_member_ids=co_member_ids):
            raise PermissionDenied(_("Progress records are read by whoever made the pledge, its reviewers and the unit admins."))
        records = self.paginate_queryset(selectors.record_list(item=item))
        return self.get_paginated_response(s.RecordSerializer(records, many=True, context={"request": request}).data)

    @extend_schema(summary="记实 / Add a progress record",
                   description="承诺人记录践诺情况：文字、日期（公示之后至今天）、照片或文件（multipart，类型与大小按本轮规则）。\n\nThe proposer records what was done: text, the date (from publication to today) and photos or documents (multipart; types and sizes follow the round's rules).",
                   request={"multipart/form-data": s.RecordInputSerializer}, responses={201: s.RecordSerializer})
    def post(self, request, pk: int):
        item = self.item(pk)
        form = s.RecordInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        record = services.record_add(item=item, who=self.caller, text=data["text"], recorded_on=data.get("recorded_on") or timezone.localdate(), files=data["files"])
        record = selectors.record_list(item=item).get(pk=record.pk)
        return Response(s.RecordSerializer(record, context={"request": request}).data, status=status.HTTP_201_CREATED)


class ItemStep(ItemMixin, APIView):
    form_class = s.CommentSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def step(self, item: PledgeItem, data: dict) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        item = self.item(pk)
        form = self.form_class(data=request.data)
        form.is_valid(raise_exception=True)
        self.step(item, form.validated_data)
        fresh = selectors.item_list_visible_to(who=self.caller).select_related("closed_by").get(pk=pk)
        return Response(s.ItemRowSerializer(fresh, context={"who": self.caller}).data)


class ItemCloseRequest(ItemStep):
    @extend_schema(summary="申请销号 / Report an item done", description="承诺人记实后申请销号（至少有一条践诺记录），审核人收到待核实的通知。\n\nThe proposer reports an item done (it needs at least one progress record); its reviewers are told to verify it.",
                   request=s.CommentSerializer, responses=s.ItemRowSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def step(self, item, data):
        services.item_request_close(item=item, who=self.caller, comment=data["comment"])


class ItemClose(ItemStep):
    form_class = s.CloseSerializer

    @extend_schema(summary="核实销号 / Verify and close out", description="审核人核实后销号，写明核实情况（`evidence`），可附照片或文件；全部事项销号后承诺办结。\n\nA reviewer closes the item out after verifying it, saying how (`evidence`), with optional photos or documents; when every item is closed the pledge is completed.",
                   request={"multipart/form-data": s.CloseSerializer, "application/json": s.CloseSerializer}, responses=s.ItemRowSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def step(self, item, data):
        services.item_close(item=item, who=self.caller, evidence=data["evidence"], files=data["files"])


class ItemSendBack(ItemStep):
    form_class = s.RequiredCommentSerializer

    @extend_schema(summary="退回继续践诺 / Send back", description="审核人认为尚未完成，说明还缺什么，事项回到践诺中（已过期限的为逾期）。\n\nA reviewer finds the item not yet done and says what is missing; it goes back to in progress (overdue if past its deadline).",
                   request=s.RequiredCommentSerializer, responses=s.ItemRowSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def step(self, item, data):
        services.item_send_back(item=item, who=self.caller, comment=data["comment"])


class ItemRectify(ItemStep):
    form_class = s.RectifySerializer

    @extend_schema(summary="督促整改 / Order rectification", description="对逾期事项督促整改，给出整改期限（今天之后、本轮结束之前）和要求。\n\nFor an overdue item: order rectification with a new date (after today, no later than the round's end) and what must be done.",
                   request=s.RectifySerializer, responses=s.ItemRowSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def step(self, item, data):
        services.item_rectify(item=item, who=self.caller, rectify_by=data["rectify_by"], comment=data["comment"])


# ---------------------------------------------------------------- ledgers

ROUND_PARAM = OpenApiParameter("round", int, description="Round id (default: the current round).")


class LedgerMixin(CallerMixin):
    def round(self) -> Round:
        round = selectors.round_asked(raw=self.request.query_params.get("round"))
        if round is None:
            raise Http404
        return round

    def check_oversees(self, branch_id: int) -> None:
        who = self.caller
        if not (who.sees_everything or branch_id in who.oversees_ids):
            raise PermissionDenied(_("Only the branch's secretary, the secretaries above it and unit admins read this ledger."))

    def export(self, title: str, items, filename: str) -> HttpResponse:
        records = selectors.ledger_records(items=items)
        content = ledger_workbook(title=title, items=items.iterator(chunk_size=2000), records=records.iterator(chunk_size=2000),
                                  language=translation.get_language())  # Chinese, or the language the caller asked for
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class MemberLedger(LedgerMixin, APIView):
    """One member's ledger: each item with its measures, deadline, records and close-out."""

    def member(self, pk: int) -> Member:
        if pk == self.caller.member_id:  # their own: read with the caller, branch included
            return self.caller.member
        member = get_object_or_404(member_list_for(caller=self.caller), pk=pk)
        self.check_oversees(member.branch_id)
        return member

    @extend_schema(summary="党员台账 / A member's ledger", parameters=[ROUND_PARAM], responses=s.MemberLedgerSerializer)
    def get(self, request, pk: int):
        member, round = self.member(pk), self.round()
        return Response(rows.member_ledger(member=member, round=round, unit_slug=self.unit.slug))


class MemberLedgerExport(MemberLedger):
    @extend_schema(summary="导出台账 Excel / The ledger as Excel", parameters=[ROUND_PARAM], responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        member, round = self.member(pk), self.round()
        title = _("Ledger of %(name)s — %(round)s") % {"name": member.name, "round": round}
        return self.export(title, selectors.ledger_items(round=round, member=member), f"ledger-member-{member.pk}-{round.year}.xlsx")


class BranchLedger(LedgerMixin, generics.GenericAPIView):
    """A branch's ledger: every item of its members and of the branch, paginated; filter by state."""

    serializer_class = s.ItemRowSerializer
    queryset = PledgeItem.objects.none()
    filterset_class = None

    def branch_items(self, pk: int):
        branch = get_object_or_404(organization_list(), pk=pk)
        self.check_oversees(branch.pk)
        round = self.round()
        return branch, round, selectors.ledger_items(round=round, organization_ids=self.caller.subtree_of(branch.pk))

    @extend_schema(summary="支部台账 / A branch's ledger",
                   parameters=[ROUND_PARAM, OpenApiParameter("state", str, enum=PledgeItem.State.values, description="只看该状态的事项 / only items in this state")],
                   responses=s.ItemRowSerializer(many=True))
    def get(self, request, pk: int):
        if not organization_exists(pk=pk, caller=self.caller):
            raise Http404
        self.check_oversees(pk)
        round = self.round()
        state = request.query_params.get("state")
        if state and state not in PledgeItem.State.values:
            raise ValidationError({"state": [_("Choose one of: %(states)s.") % {"states": ", ".join(PledgeItem.State.values)}]})
        items = selectors.ledger_page(round_id=round.pk, organization_ids=sorted(self.caller.subtree_of(pk)), state=state or None)
        return self.get_paginated_response(rows.item_rows(self.paginate_queryset(items)))


class BranchLedgerExport(BranchLedger):
    @extend_schema(summary="导出台账 Excel / The ledger as Excel", parameters=[ROUND_PARAM], responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        branch, round, items = self.branch_items(pk)
        title = _("Ledger of %(name)s — %(round)s") % {"name": branch.name, "round": round}
        return self.export(title, items, f"ledger-branch-{branch.pk}-{round.year}.xlsx")


class MemberPostAssign(CallerMixin, APIView):
    """设岗定责: the secretary gives a member without a post one, before the member pledges."""

    @extend_schema(summary="设岗定责 / Give a member a post",
                   description="书记在党员承诺之前为没有岗位的党员设岗定责。\n\nThe secretary gives a member without a post one, before the member pledges.",
                   request=s.PostAssignSerializer, responses={200: s.PostAssignedSerializer})
    def post(self, request, pk: int):
        member = get_object_or_404(member_list_for(caller=self.caller), pk=pk)
        form = s.PostAssignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        member = services.member_post_assign(member=member, post=form.validated_data["post"], who=self.caller)
        return Response({"id": member.pk, "name": member.name, "post": member.post})
