"""Input shapes and output views of pledges. Business rules live in the services."""
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from tenants.api.serializers import ModelSerializer
from tenants.organization.models import Member, Organization
from tenants.api.fields import Related, Text

from ..models import (
    PHASE_FIELDS,
    Area,
    Attachment,
    ItemKind,
    Pledge,
    PledgeEvent,
    PledgeItem,
    PledgeRules,
    ProgressRecord,
    Round,
)
from ..attachments import is_photo
from ..selectors import is_involved

MAX_ITEMS = 20
MAX_FILES = 20


class RulesSerializer(ModelSerializer):
    class Meta:
        model = PledgeRules
        exclude = ["id"]
        read_only_fields = ["updated_at"]
        validators = []


class RoundSerializer(ModelSerializer):
    phase = serializers.SerializerMethodField()
    pledge_count = serializers.IntegerField(read_only=True, default=None, allow_null=True)

    class Meta:
        model = Round
        fields = ["id", "year", "theme", *PHASE_FIELDS, "phase", "rules", "campaign_id", "pledge_count", "created_at"]
        read_only_fields = ["rules", "campaign_id", "created_at"]
        validators = []

    def get_phase(self, round) -> str:
        return round.phase_on(timezone.localdate())


class RoundUpdateSerializer(serializers.Serializer):
    theme = Text(max_length=200, required=False)
    mobilise_on = serializers.DateField(required=False)
    propose_on = serializers.DateField(required=False)
    review_on = serializers.DateField(required=False)
    publish_on = serializers.DateField(required=False)
    fulfil_on = serializers.DateField(required=False)
    evaluate_on = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False)


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = Text()


class ItemInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text=_("Give the id to keep an existing item (and its comments)."))
    content = Text(max_length=1000)
    area = serializers.ChoiceField(choices=Area.choices)
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    measures = Text(max_length=1000)
    deadline = serializers.DateField()
    expected_effect = Text(max_length=1000, required=False, allow_blank=True, default="")
    shortcoming = Text(max_length=500, required=False, allow_blank=True, default="")


def attachment_address(unit_slug: str, attachment_id: int) -> str:
    """Where a photo or document is served (pledges.api.attachments.AttachmentFile, which
    checks who may read it); the thumbnail is at `?size=thumb`."""
    return f"/api/v1/u/{unit_slug}/attachments/{attachment_id}/"


def attachment_addresses(unit_slug: str, attachment_id: int, content_type: str) -> dict:
    """`url` and `thumbnail_url` (None for a PDF: it has no thumbnail)."""
    url = attachment_address(unit_slug, attachment_id)
    return {"url": url, "thumbnail_url": f"{url}?size=thumb" if is_photo(content_type) else None}


class AttachmentSerializer(ModelSerializer):
    """A photo or document of a progress record or close-out, with where to fetch it."""

    url = serializers.SerializerMethodField(help_text=_("The file, for whoever may read the record (bearer token or session)."))
    thumbnail_url = serializers.SerializerMethodField(
        help_text=_("A JPEG within 320×320 px for lists; null for a PDF, which has no thumbnail."))

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "url", "thumbnail_url"]

    def _addresses(self, attachment) -> dict:
        return attachment_addresses(self.context["request"].unit.slug, attachment.pk, attachment.content_type)

    def get_url(self, attachment) -> str:
        return self._addresses(attachment)["url"]

    def get_thumbnail_url(self, attachment) -> str | None:
        return self._addresses(attachment)["thumbnail_url"]


class AttachmentQuerySerializer(serializers.Serializer):
    size = serializers.ChoiceField(choices=["original", "thumb"], required=False, default="original")


class ItemSerializer(ModelSerializer):
    closed_by_name = Text(source="closed_by.name", read_only=True, default=None)
    close_attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = PledgeItem
        fields = [
            "id", "position", "content", "area", "kind", "measures", "deadline", "expected_effect", "shortcoming",
            "state", "review_comment", "rectify_by", "record_count", "last_record_on",
            "closed_at", "closed_by", "closed_by_name", "close_evidence", "close_attachments",
        ]


PRIVATE_ITEM_FIELDS = ("shortcoming", "review_comment", "close_evidence", "close_attachments")


class ItemRowSerializer(ModelSerializer):
    """An item in lists and ledgers, with its pledge's subject. Callers not involved in the
    pledge (see `selectors.is_involved`) do not get its shortcoming."""

    def to_representation(self, item):
        data = super().to_representation(item)
        who = self.context.get("who")
        if who is not None and not is_involved(pledge=item.pledge, who=who):
            for name in PRIVATE_ITEM_FIELDS:
                data.pop(name, None)
        return data

    pledge_state = Text(source="pledge.state")
    subject = Text(source="pledge.subject")
    member = NamedSerializer(source="pledge.member", allow_null=True)
    organization = NamedSerializer(source="pledge.organization")
    closed_by_name = Text(source="closed_by.name", read_only=True, default=None)

    class Meta:
        model = PledgeItem
        fields = [
            "id", "pledge", "pledge_state", "subject", "member", "organization", "content", "area", "kind", "measures",
            "deadline", "expected_effect", "shortcoming", "state", "rectify_by", "record_count", "last_record_on",
            "closed_at", "closed_by_name",
        ]


class EventSerializer(ModelSerializer):
    actor_name = Text(source="actor.name", read_only=True, default=None)

    class Meta:
        model = PledgeEvent
        fields = ["id", "action", "item", "actor", "actor_name", "comment", "snapshot", "created_at"]


class PledgeListSerializer(ModelSerializer):
    member = NamedSerializer(allow_null=True)
    organization = NamedSerializer()
    round_theme = Text(source="round.theme")
    item_count = serializers.IntegerField(read_only=True)
    closed_count = serializers.IntegerField(read_only=True)
    overdue_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Pledge
        fields = [
            "id", "round", "round_theme", "subject", "member", "organization", "title", "state", "version",
            "item_count", "closed_count", "overdue_count", "submitted_at", "approved_at", "published_at", "updated_at",
        ]


class PledgeDetailSerializer(PledgeListSerializer):
    items = ItemSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)
    co_members = NamedSerializer(many=True)
    co_organizations = NamedSerializer(many=True)
    reviewer_organization = NamedSerializer(allow_null=True)
    reviewed_by_name = Text(source="reviewed_by.name", default=None)
    letter_url = serializers.SerializerMethodField()

    class Meta(PledgeListSerializer.Meta):
        fields = [f for f in PledgeListSerializer.Meta.fields if f not in ("item_count", "closed_count", "overdue_count")] + [
            "items", "events", "co_members", "co_organizations", "reviewer_organization", "reviewed_by_name", "checklist", "letter_url",
        ]

    def get_letter_url(self, pledge) -> str | None:
        if pledge.state not in (Pledge.State.APPROVED, Pledge.State.PUBLISHED, Pledge.State.COMPLETED):
            return None
        return reverse("pledge-letter", kwargs={"pk": pledge.pk})


class PublicItemSerializer(ItemSerializer):
    class Meta(ItemSerializer.Meta):
        fields = [f for f in ItemSerializer.Meta.fields if f not in PRIVATE_ITEM_FIELDS]


class PublicPledgeSerializer(PledgeDetailSerializer):
    """A published pledge as other members see it: what the public board shows, no history."""

    items = PublicItemSerializer(many=True, read_only=True)

    class Meta(PledgeDetailSerializer.Meta):
        fields = [f for f in PledgeDetailSerializer.Meta.fields if f not in ("events", "checklist", "reviewed_by_name")]


# A pledge's page has two shapes (pledges.api.rows.pledge_detail): whole for whoever made,
# reviews or runs it, the public board's for anyone else. The schema describes both.
PLEDGE_PAGE = PolymorphicProxySerializer(
    component_name="PledgePage",
    serializers=[PledgeDetailSerializer, PublicPledgeSerializer],
    resource_type_field_name=None,
)


class PledgeCreateSerializer(serializers.Serializer):
    round = Related(queryset=Round.objects.all())
    subject = serializers.ChoiceField(choices=Pledge.Subject.choices, default=Pledge.Subject.MEMBER)
    member = Related(queryset=Member.objects.all(), required=False, allow_null=True,
                                                help_text=_("Unit admins may draft for a member; members draft their own."))
    organization = Related(queryset=Organization.objects.all(), required=False, allow_null=True)
    co_members = Related(queryset=Member.objects.all(), many=True, required=False)
    co_organizations = Related(queryset=Organization.objects.all(), many=True, required=False)
    title = Text(max_length=200, required=False, allow_blank=True, default="")
    items = ItemInputSerializer(many=True, max_length=MAX_ITEMS)


class PledgeUpdateSerializer(serializers.Serializer):
    # Edits replace the items: without the version edited, a concurrent edit would be lost silently.
    version = serializers.IntegerField(help_text=_("The version you edited; a newer one on the server gives 409."))
    title = Text(max_length=200, required=False, allow_blank=True)
    items = ItemInputSerializer(many=True, max_length=MAX_ITEMS, required=False)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)


class ApproveSerializer(VersionSerializer):
    checklist = serializers.ListField(child=Text(max_length=100), max_length=50,
                                      help_text=_("Every point of the round's review checklist, confirmed."))
    comment = Text(max_length=2000, required=False, allow_blank=True, default="")


class ReturnSerializer(VersionSerializer):
    comment = Text(max_length=2000, required=False, allow_blank=True, default="")
    item_comments = serializers.DictField(child=Text(max_length=1000, allow_blank=True), required=False, default=dict,
                                          help_text=_("Comments per item: {item id: comment}."))

    def validate_item_comments(self, value):
        try:
            return {int(k): v for k, v in value.items()}
        except (TypeError, ValueError):
            raise serializers.ValidationError(_("Use item ids as keys.")) from None


class RedoSerializer(VersionSerializer):
    comment = Text(max_length=2000)


class RecordSerializer(ModelSerializer):
    author_name = Text(source="author.name", read_only=True, default=None)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressRecord
        fields = ["id", "item", "recorded_on", "text", "author", "author_name", "attachments", "created_at"]


class RecordInputSerializer(serializers.Serializer):
    text = Text(max_length=2000)
    recorded_on = serializers.DateField(required=False)
    files = serializers.ListField(child=serializers.FileField(), required=False, max_length=MAX_FILES, default=list)


class CommentSerializer(serializers.Serializer):
    comment = Text(max_length=2000, required=False, allow_blank=True, default="")


class RequiredCommentSerializer(serializers.Serializer):
    comment = Text(max_length=2000)


class CloseSerializer(serializers.Serializer):
    evidence = Text(max_length=2000)
    files = serializers.ListField(child=serializers.FileField(), required=False, max_length=MAX_FILES, default=list)


class RectifySerializer(serializers.Serializer):
    rectify_by = serializers.DateField()
    comment = Text(max_length=2000)


class LedgerMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = Text()
    branch = Text(help_text="the member's branch")
    post = Text()


class LedgerRoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    year = serializers.IntegerField()
    theme = Text()


class LedgerItemSerializer(ItemSerializer):
    """An item of the member's ledger: the item, its pledge and the pledge's progress records."""

    pledge = serializers.IntegerField()
    subject = serializers.ChoiceField(choices=Pledge.Subject.choices)
    records = RecordSerializer(many=True)

    class Meta(ItemSerializer.Meta):
        fields = ItemSerializer.Meta.fields + ["pledge", "subject", "records"]


class MemberLedgerSerializer(serializers.Serializer):
    member = LedgerMemberSerializer()
    round = LedgerRoundSerializer()
    items = LedgerItemSerializer(many=True)


class RoundPublishedSerializer(serializers.Serializer):
    published = serializers.IntegerField(help_text="how many pledges were published")


class ProgressRoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    theme = Text()
    phase = Text(help_text="the round's phase today")


class BranchProgressSerializer(serializers.Serializer):
    branch = NamedSerializer()
    members = serializers.IntegerField(help_text="enrolled members")
    exempt = serializers.IntegerField()
    without_post = serializers.IntegerField()
    pledged = serializers.IntegerField(help_text="members' pledges in the round, any state")
    pledges = serializers.DictField(child=serializers.IntegerField(), help_text="members' pledges by state")
    items = serializers.DictField(child=serializers.IntegerField(), help_text="items by state")


class NotPledgedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = Text()
    post = Text()
    needs_post = serializers.BooleanField(help_text="no post yet: give one (设岗定责) before the member pledges")


class RoundProgressSerializer(serializers.Serializer):
    round = ProgressRoundSerializer()
    branches = BranchProgressSerializer(many=True)
    not_pledged = NotPledgedSerializer(many=True, required=False, help_text="only with ?branch=")


class PostAssignedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = Text()
    post = Text()


class PostAssignSerializer(serializers.Serializer):
    post = Text(max_length=100)
