from rest_framework import serializers

from tenants.api.fields import Text
from tenants.api.serializers import ModelSerializer

from ..models import Evaluation


class GradeSerializer(serializers.Serializer):
    code = Text(max_length=30)
    label = Text(max_length=20)
    points = serializers.IntegerField(min_value=0, max_value=100)
    threshold = serializers.IntegerField(min_value=0, max_value=100, help_text="the score a member needs for this final grade")


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


