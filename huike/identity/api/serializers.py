"""What the identity API reads and answers: pairs, merges and searches for duplicates."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from huike.identity import jobs, selectors
from huike.identity.forms import explanation_rows
from huike.identity.models import DedupeJob, MatchCandidate, Merge
from huike.parties.models import Party


class PartyRefSerializer(serializers.Serializer):
    """A customer named by a pair or a merge."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    url = serializers.CharField(help_text="The customer's page")

    def to_representation(self, instance: Party) -> dict[str, Any]:
        return {
            "id": instance.pk,
            "name": instance.name,
            "kind": instance.kind,
            "url": instance.get_absolute_url(),
        }


class ExplanationPartSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="What was compared: name, phone, email…")
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="The comparison and its result, in words"
    )
    weight = serializers.FloatField(
        help_text="Evidence in bits: positive for the same customer, negative against"
    )
    agrees = serializers.BooleanField()


class CandidateSerializer(serializers.ModelSerializer):
    """A pair of customers that may be one (``party_a`` has the lower id)."""

    party_a = PartyRefSerializer(read_only=True)
    party_b = PartyRefSerializer(read_only=True)
    explanation = serializers.SerializerMethodField()
    job = serializers.IntegerField(source="job_id", read_only=True, allow_null=True)
    reviewed_by: Any = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = MatchCandidate
        fields = [
            "id",
            "party_a",
            "party_b",
            "score",
            "decision",
            "status",
            "found_by",
            "job",
            "explanation",
            "created_at",
            "reviewed_by",
            "reviewed_at",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(ExplanationPartSerializer(many=True))
    def get_explanation(self, obj: MatchCandidate) -> list[dict[str, Any]]:
        return [
            {key: row[key] for key in ("field", "label", "weight", "agrees")}
            for row in explanation_rows(obj.explanation)
        ]

    def get_url(self, obj: MatchCandidate) -> str:
        """The pair's review page."""
        return obj.get_absolute_url()


class ValueSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="As the caller may see it (masked or empty)")
    state = serializers.ChoiceField(choices=["full", "masked", "hidden", "unreadable"])
    observation = serializers.IntegerField(
        help_text="The observation it comes from: send it in choices to keep this value"
    )


class AttributeRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    a = ValueSerializer(allow_null=True)
    b = ValueSerializer(allow_null=True)
    default = serializers.ChoiceField(
        choices=["a", "b"], help_text="Whose value survivorship keeps unless chosen otherwise"
    )
    same = serializers.BooleanField()


class FieldRowSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    a = serializers.CharField()
    b = serializers.CharField()
    same = serializers.BooleanField()


class CountsSerializer(serializers.Serializer):
    observations = serializers.IntegerField()
    relationships = serializers.IntegerField()
    consent_records = serializers.IntegerField()
    changes = serializers.IntegerField()


class ComparisonSerializer(serializers.Serializer):
    """The two customers side by side: their values, their fields, what each has."""

    attributes = AttributeRowSerializer(many=True)
    party_fields = FieldRowSerializer(many=True)
    counts_a = CountsSerializer()
    counts_b = CountsSerializer()
    survivor = serializers.IntegerField(help_text="The customer a merge keeps by default")

    def to_representation(self, instance: selectors.Comparison) -> dict[str, Any]:
        def value(side: selectors.Value | None) -> dict[str, Any] | None:
            if side is None:
                return None
            return {"text": side.text, "state": side.state, "observation": side.observation_id}

        def counts(found: selectors.Counts) -> dict[str, int]:
            return {
                "observations": found.observations,
                "relationships": found.relationships,
                "consent_records": found.consent_records,
                "changes": found.changes,
            }

        return {
            "attributes": [
                {
                    "code": row.code,
                    "label": str(row.label),
                    "a": value(row.a),
                    "b": value(row.b),
                    "default": row.default,
                    "same": row.same,
                }
                for row in instance.attributes
            ],
            "party_fields": [
                {
                    "name": row.name,
                    "label": str(row.label),
                    "a": row.a,
                    "b": row.b,
                    "same": row.same,
                }
                for row in instance.fields
            ],
            "counts_a": counts(instance.counts_a),
            "counts_b": counts(instance.counts_b),
            "survivor": instance.survivor_id,
        }


class CandidateDetailSerializer(CandidateSerializer):
    """A pair with the side-by-side comparison of its two customers."""

    comparison = serializers.SerializerMethodField()

    class Meta(CandidateSerializer.Meta):
        fields = [*CandidateSerializer.Meta.fields, "comparison"]
        read_only_fields = fields

    @extend_schema_field(ComparisonSerializer)
    def get_comparison(self, obj: MatchCandidate) -> dict[str, Any]:
        request = self.context.get("request")
        found = selectors.comparison(obj.party_a, obj.party_b, user=getattr(request, "user", None))
        return ComparisonSerializer(found).data


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "integer"},
        "example": {"email": 1234, "owner": 56},
    }
)
class ChoicesField(serializers.JSONField):
    """``{attribute code: observation id, field: customer id}``: the values that must win."""

    def to_internal_value(self, data: Any) -> dict[str, int]:
        value = super().to_internal_value(data)
        if not isinstance(value, dict) or not all(
            isinstance(key, str) and isinstance(chosen, int) and not isinstance(chosen, bool)
            for key, chosen in value.items()
        ):
            raise serializers.ValidationError(
                _(
                    "Send a JSON object of attribute codes or fields and numbers, "
                    'e.g. {"email": 1234, "owner": 56}.'
                )
            )
        return value


class CandidateMergeSerializer(serializers.Serializer):
    survivor = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Which of the two customers stays (default: the one with more values)",
    )
    choices = ChoicesField(required=False, default=dict)


class BulkMergeSerializer(serializers.Serializer):
    min_score = serializers.FloatField(
        min_value=0.0, max_value=1.0, help_text="Merge every open pair at or above this score"
    )


class BulkMergeResultSerializer(serializers.Serializer):
    merged = serializers.IntegerField(help_text="How many pairs were merged")
    min_score = serializers.FloatField()


class MergeCreateSerializer(serializers.Serializer):
    survivor = serializers.IntegerField(min_value=1, help_text="The customer that stays")
    merged = serializers.IntegerField(min_value=1, help_text="The customer merged into it")
    choices = ChoicesField(required=False, default=dict)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["survivor"] == attrs["merged"]:
            raise serializers.ValidationError(
                {"merged": [_("A customer cannot be merged with itself.")]}
            )
        return attrs


class MergeSerializer(serializers.ModelSerializer):
    """One merge: which customer went into which, what moved, who did it, and its undo."""

    survivor = PartyRefSerializer(read_only=True)
    merged = serializers.IntegerField(source="merged_id", read_only=True)
    candidate = serializers.IntegerField(source="candidate_id", read_only=True, allow_null=True)
    moved = serializers.SerializerMethodField()
    rows = serializers.SerializerMethodField()
    choices = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    merged_by: Any = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    unmerged_by: Any = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    undone = serializers.BooleanField(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Merge
        fields = [
            "id",
            "survivor",
            "merged",
            "merged_name",
            "candidate",
            "score",
            "automatic",
            "choices",
            "moved",
            "rows",
            "merged_by",
            "merged_at",
            "unmerged_by",
            "unmerged_at",
            "undone",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_moved(self, obj: Merge) -> dict[str, int]:
        """How many rows moved, per ``app.model.field``."""
        return {key: len(ids or []) for key, ids in (obj.moved or {}).items()}

    def get_rows(self, obj: Merge) -> int:
        """How many rows moved in all."""
        return obj.moved_count()

    def get_url(self, obj: Merge) -> str:
        """The merge's page."""
        return obj.get_absolute_url()


class UnmergeResultSerializer(serializers.Serializer):
    merge = MergeSerializer()
    survivor = PartyRefSerializer()
    restored = PartyRefSerializer()


class DedupeStartSerializer(serializers.Serializer):
    segment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=500,
        help_text="The customer list's filters as a query string, e.g. stage=customer; "
        "empty: every customer the caller may see",
    )
    auto_merge = serializers.BooleanField(
        default=False,
        help_text="Merge the pairs at or above the automatic-merge threshold "
        "(needs the permission to merge)",
    )

    def validate_segment(self, value: str) -> str:
        from django.core.exceptions import ValidationError

        try:
            return jobs.check_segment(value)
        except ValidationError as error:
            raise serializers.ValidationError(
                error.message_dict.get("segment", error.messages)
            ) from error


class DedupeJobSerializer(serializers.ModelSerializer):
    """A search for duplicates and how far it got."""

    created_by: Any = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    progress = serializers.SerializerMethodField()
    stats = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = DedupeJob
        fields = [
            "id",
            "status",
            "segment",
            "auto_merge",
            "total",
            "done",
            "progress",
            "pairs",
            "found",
            "merged",
            "stats",
            "cancel_requested",
            "error",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "url",
        ]
        read_only_fields = fields

    def get_progress(self, obj: DedupeJob) -> float:
        """From 0 to 1."""
        if obj.status == DedupeJob.Status.DONE:
            return 1.0
        return round(min(1.0, obj.done / obj.total), 4) if obj.total else 0.0

    @extend_schema_field(
        {"type": "object", "additionalProperties": True, "example": {"records": 1000}}
    )
    def get_stats(self, obj: DedupeJob) -> dict[str, Any]:
        """Figures of the finished search: records, pairs_compared, seconds, queued…"""
        return {key: value for key, value in (obj.stats or {}).items() if key != "heartbeat"}

    def get_url(self, obj: DedupeJob) -> str:
        """The search's page."""
        return obj.get_absolute_url()
