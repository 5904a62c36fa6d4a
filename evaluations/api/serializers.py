from rest_framework import serializers

from tenants.api.fields import Text
from pledges.api.serializers import NamedSerializer
from tenants.api.serializers import ModelSerializer

from ..models import Evaluation, PanelMember


class GradeSerializer(serializers.Serializer):
    code = Text(max_length=30)
    label = Text(max_length=20)
    points = serializers.IntegerField(min_value=0, max_value=100)
    threshold = serializers.IntegerField(min_value=0, max_value=100, help_text="the score a member needs for this final grade")


class SchemeSerializer(serializers.Serializer):
    """An evaluation scheme pushed from above (a county's campaign): what is left out keeps 004's defaults."""

    member_weights = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=100), required=False,
                                           help_text="weight per method: self, peer, public, leader, organisation (四评)")
    leader_weights = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=100), required=False,
                                           help_text="weight per method: self, branch, public, team (三评)")
    scale = GradeSerializer(many=True, required=False, help_text="grades from the best down; the last needs 0")
    missing = serializers.ChoiceField(choices=Evaluation.Missing.choices, required=False)
    public_quorum_percent = serializers.IntegerField(min_value=1, max_value=100, required=False)

    def to_internal_value(self, data):
        scheme = super().to_internal_value(data)
        if "scale" in scheme:
            scheme["scale"] = [dict(grade) for grade in scheme["scale"]]
        return dict(scheme)


class EvaluationSerializer(ModelSerializer):
    """A round's evaluation scheme, with the formula as every user reads it beside a score."""

    member_weights = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=100),
                                           help_text="weight per method: self, peer, public, leader, organisation (四评)")
    leader_weights = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=100),
                                           help_text="weight per method: self, branch, public, team (三评)")
    scale = GradeSerializer(many=True, help_text="grades from the best down; the last needs 0")
    member_formula = serializers.SerializerMethodField()
    leader_formula = serializers.SerializerMethodField()
    opens_on = serializers.DateField(source="round.evaluate_on", read_only=True)

    class Meta:
        model = Evaluation
        fields = ["id", "round", "member_weights", "leader_weights", "scale", "missing", "public_quorum_percent",
                  "member_formula", "leader_formula", "opens_on", "updated_at"]
        read_only_fields = ["round", "updated_at"]

    def get_member_formula(self, evaluation) -> str:
        return evaluation.member_scheme().describe()

    def get_leader_formula(self, evaluation) -> str:
        return evaluation.leader_scheme().describe()




class EvaluatorSerializer(serializers.Serializer):
    name = Text(max_length=50)
    category = serializers.ChoiceField(choices=PanelMember.Category.choices)


class PanelRegisterSerializer(serializers.Serializer):
    people = EvaluatorSerializer(many=True, min_length=1, max_length=200)


class IssuedLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = Text()
    category = Text()
    link = Text(help_text="the one-time link, shown only now: print it (QR code) and hand it over")


class PanelEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = Text()
    category = Text()
    has_voted = serializers.BooleanField(help_text="whether this evaluator has used their link (never how they voted)")


class PanelStatusSerializer(serializers.Serializer):
    branch = serializers.IntegerField()
    members = serializers.IntegerField(help_text="the branch's enrolled members")
    quorum = serializers.IntegerField(help_text="evaluators needed for the public evaluation to count")
    voted = serializers.IntegerField()
    still_needed = serializers.IntegerField()
    counts = serializers.BooleanField(help_text="the quorum is reached: results may be shown")
    panel = PanelEntrySerializer(many=True)


class GradeCountSerializer(serializers.Serializer):
    code = Text()
    label = Text()
    count = serializers.IntegerField()


class MemberPublicResultSerializer(serializers.Serializer):
    member = NamedSerializer()
    ballots = serializers.IntegerField()
    grades = GradeCountSerializer(many=True)
    public_score = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True,
                                            help_text="mean points of the public's grades, rounded half up")
    satisfaction_rate = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True,
                                                 help_text="percent of ballots giving one of the two best grades")


class PublicResultsSerializer(serializers.Serializer):
    ballots = serializers.IntegerField()
    members = MemberPublicResultSerializer(many=True, help_text="members graded by at least 3 ballots")


class MemberGradesSerializer(serializers.Serializer):
    grades = serializers.DictField(child=Text(max_length=30), allow_empty=False,
                                   help_text="member id → grade code, for every member the ballot lists (never yourself)")


class BallotToCastSerializer(serializers.Serializer):
    method = Text(help_text="peer: the others of your branch; team: the others of the leading team")
    members = NamedSerializer(many=True)


class BallotCastSerializer(serializers.Serializer):
    method = Text()
    cast_on = serializers.DateField()


class SelfAssessmentSerializer(serializers.Serializer):
    grade = Text(max_length=30)
    report = Text(max_length=5000, help_text="述职: the year in your own words")
    item_notes = serializers.DictField(child=Text(max_length=1000, allow_blank=True), required=False,
                                       help_text="pledge item id → how it went")
    updated_at = serializers.DateTimeField(read_only=True)


class ReviewWriteSerializer(serializers.Serializer):
    subject = serializers.IntegerField(help_text="the member reviewed")
    method = serializers.ChoiceField(choices=["leader", "organisation"])
    stage = serializers.ChoiceField(choices=["interim", "year_end"], default="year_end")
    grade = Text(max_length=30)
    comment = Text(max_length=2000, required=False, allow_blank=True)


class ReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = NamedSerializer()
    method = Text()
    stage = Text()
    grade = Text()
    comment = Text()
    reviewer_name = Text()
    reviewed_on = serializers.DateField()


class BranchReportSerializer(serializers.Serializer):
    text = Text(max_length=10000)
    written_by = Text(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class ComponentSerializer(serializers.Serializer):
    method = Text()
    label = Text()
    weight = serializers.IntegerField()
    count = serializers.IntegerField(allow_null=True, help_text="grades received (null: an anonymous kind, until the results are final)")
    mean = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True, allow_null=True,
                                    help_text="null: none yet, or fewer than 3 anonymous grades (which would show a colleague's vote)")


class MemberScoreSerializer(serializers.Serializer):
    member = NamedSerializer()
    is_leader = serializers.BooleanField(help_text="scored by the leaders' 三评")
    score = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True, allow_null=True,
                                     help_text="null: not scored yet, or withheld")
    grade = Text(help_text="empty: not scored yet, or withheld")
    withheld = serializers.BooleanField(help_text="the score waits: until the results are final (published, or the round ended), "
                                                  "and while an anonymous component has only 1 or 2 grades")
    components = ComponentSerializer(many=True)
    formula = Text(help_text="how the score is made, shown beside it")


class FiguresSerializer(serializers.Serializer):
    members = serializers.IntegerField()
    scored = serializers.IntegerField()
    mean_score = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True, allow_null=True)
    grades = serializers.DictField(child=serializers.IntegerField(), help_text="members per final grade")
    public_grades = serializers.IntegerField()
    satisfaction_rate = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True, allow_null=True,
                                                 help_text="percent of public grades among the two best")
    items = serializers.IntegerField()
    items_closed = serializers.IntegerField()
    close_out_rate = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True, allow_null=True)
    withheld = serializers.IntegerField(help_text="members left out of every figure here: with only 1 or 2 grades of an anonymous kind, "
                                                  "any sum holding their score would give those grades away")


class BranchFiguresSerializer(FiguresSerializer):
    branch = NamedSerializer()


class EvaluationFiguresSerializer(serializers.Serializer):
    unit = FiguresSerializer(allow_null=True, help_text="null: for unit admins only")
    branches = BranchFiguresSerializer(many=True)


class RecomputeSerializer(serializers.Serializer):
    queued = serializers.BooleanField()
