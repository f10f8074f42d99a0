from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from huike.accounts.models import Team, User
from huike.parties import privacy, services
from huike.parties.models import (
    AttributeDefinition,
    CustomerNature,
    Industry,
    Observation,
    Party,
    Region,
    Relationship,
    Tag,
)


def service_errors(error: DjangoValidationError) -> serializers.ValidationError:
    """A service's ValidationError as the API reports it: party fields at the top, attribute
    problems under ``attributes`` keyed by attribute code."""
    if not hasattr(error, "error_dict"):
        return serializers.ValidationError({"non_field_errors": error.messages})
    detail: dict[str, Any] = {}
    for key, messages in error.message_dict.items():
        if key in PARTY_KEYS:
            detail["non_field_errors" if key == "__all__" else key] = messages
        else:
            detail.setdefault("attributes", {})[key] = messages
    return serializers.ValidationError(detail)


PARTY_KEYS = {"__all__", "kind", "name", *services.PARTY_FIELDS}


class ProvenanceSerializer(serializers.Serializer):
    """Where the values came from; every value is stored with this."""

    source_ref = serializers.CharField(required=False, allow_blank=True, max_length=200)
    collected_at = serializers.DateTimeField(required=False)
    consent = serializers.CharField(required=False, allow_blank=True, max_length=200)
    confidence = serializers.FloatField(required=False, min_value=0, max_value=1)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class PartySerializer(serializers.ModelSerializer):
    """A customer. ``attributes`` sends values (stored as observations) and returns the golden
    record; ``pinyin`` is derived from the name."""

    attributes = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text='Attribute code → value, e.g. {"mobile": "13800138000"}.',
    )
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    nature = serializers.SlugRelatedField(
        slug_field="code", queryset=CustomerNature.objects.all(), required=False, allow_null=True
    )
    region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), required=False, allow_null=True
    )
    industry = serializers.SlugRelatedField(
        slug_field="code", queryset=Industry.objects.all(), required=False, allow_null=True
    )
    tags = serializers.SlugRelatedField(
        slug_field="name", many=True, queryset=Tag.objects.all(), required=False
    )
    provenance = ProvenanceSerializer(write_only=True, required=False)
    create_anyway = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=(
            "Create the customer even if it looks like one already on file. Without it, a "
            "likely duplicate answers 409 with the candidates (also ?create_anyway=1)."
        ),
    )

    class Meta:
        model = Party
        fields = [
            "id",
            "kind",
            "name",
            "pinyin",
            "stage",
            "owner",
            "team",
            "nature",
            "region",
            "industry",
            "tags",
            "first_deal_date",
            "notes",
            "attributes",
            "version",
            "created_at",
            "updated_at",
            "provenance",
            "create_anyway",
        ]
        read_only_fields = ["id", "pinyin", "version", "created_at", "updated_at"]

    def to_representation(self, instance: Party) -> dict[str, Any]:
        data = super().to_representation(instance)
        if "definitions" not in self.context:
            self.context["definitions"] = privacy.definitions_by_code()
        user = reader(self.context)
        data["attributes"], sensitive = privacy.golden_for(
            user, instance.golden or {}, self.context["definitions"]
        )
        note_sensitive_read(self.context, instance.pk, sensitive)
        return data

    def _provenance(self, validated: dict[str, Any]) -> services.Provenance:
        """An edit of the record through the API is a manual edit by the token's user
        (ARCHITECTURE.md §1): it wins like one typed on the page. ``source_ref`` tells the API
        call apart. Channels that only report what they saw use ``/api/v1/observations/``."""
        given = validated.pop("provenance", None) or {}
        token = getattr(self.context.get("request"), "auth", None)
        token_name = getattr(token, "name", None)
        default_ref = f"api token:{token_name}" if token_name else "api"
        return services.Provenance(
            source="manual",
            source_ref=given.get("source_ref") or default_ref,
            collected_at=given.get("collected_at"),
            consent=given.get("consent", ""),
            confidence=given.get("confidence", 1.0),
            note=given.get("note", ""),
        )

    def create(self, validated_data: dict[str, Any]) -> Party:
        validated_data.pop("create_anyway", None)  # the view's business (the duplicate check)
        actor = self.context["actor"]
        attributes = validated_data.pop("attributes", {})
        provenance = self._provenance(validated_data)
        tags = validated_data.pop("tags", [])
        validated_data.setdefault("owner", actor)
        try:
            return services.create_party(
                actor=actor,
                attributes=attributes,
                provenance=provenance,
                tags=tags,
                **validated_data,
            )
        except DjangoValidationError as error:
            raise service_errors(error) from error

    def update(self, instance: Party, validated_data: dict[str, Any]) -> Party:
        validated_data.pop("create_anyway", None)  # means nothing for a customer on file
        actor = self.context["actor"]
        attributes = validated_data.pop("attributes", None)
        provenance = self._provenance(validated_data)
        tags = validated_data.pop("tags", None)
        if "kind" in validated_data and validated_data["kind"] != instance.kind:
            raise serializers.ValidationError(
                {"kind": [_("The kind of a customer cannot change.")]}
            )
        validated_data.pop("kind", None)
        try:
            return services.update_party(
                instance,
                actor=actor,
                attributes=attributes,
                provenance=provenance,
                tags=tags,
                expected_version=self.context.get("expected_version"),
                **validated_data,
            )
        except DjangoValidationError as error:
            raise service_errors(error) from error


class DuplicateCandidateSerializer(serializers.Serializer):
    """A customer on file that the one sent probably is (visible to the caller)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.URLField(help_text="The customer in this API.")
    score = serializers.FloatField(help_text="Probability (0–1) that they are one customer.")
    decision = serializers.ChoiceField(choices=["same", "maybe"])
    explanation = serializers.ListField(
        child=serializers.DictField(),
        help_text='How each field compared: [{"field": "phone", "level": "exact", "weight": 9.1}].',
    )


class DuplicateSerializer(serializers.Serializer):
    """409 answer of ``POST /parties/``: likely duplicates; nothing was saved. Open or add to
    one of them, or send the customer again with ``"create_anyway": true``."""

    status = serializers.IntegerField()
    code = serializers.CharField()
    type = serializers.ChoiceField(choices=["duplicate"])
    detail = serializers.CharField()
    candidates = DuplicateCandidateSerializer(many=True)


def reader(context: dict[str, Any]) -> Any:
    """Whose eyes the values are for: the request's user (anonymous sees nothing personal).

    Without a request (the CLI, run by an operator of the installation) it is the system.
    """
    if "reader" in context:
        return context["reader"]
    request = context.get("request")
    if request is None:
        return None
    return getattr(request, "user", None) or AnonymousUser()


def note_sensitive_read(context: dict[str, Any], party_id: int, codes: list[str]) -> None:
    """Remember sensitive values sent in clear; the view writes one access-log row."""
    request = context.get("request")
    if codes and request is not None:
        reads = getattr(request, "sensitive_reads", None)
        if reads is None:
            reads = {}
            request.sensitive_reads = reads
        reads.setdefault(party_id, set()).update(codes)


class ObservationSerializer(serializers.ModelSerializer):
    attribute: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    collector = serializers.CharField(source="collector_name", read_only=True)
    masked = serializers.SerializerMethodField(
        help_text="True when the value is masked for your role (value holds the masked text)."
    )

    class Meta:
        model = Observation
        fields = [
            "id",
            "party",
            "attribute",
            "value",
            "value_text",
            "masked",
            "source",
            "source_ref",
            "collector",
            "collected_at",
            "recorded_at",
            "consent",
            "confidence",
            "note",
        ]
        read_only_fields = fields

    def get_masked(self, instance: Observation) -> bool:
        return False  # decided in to_representation, with the reader

    def to_representation(self, instance: Observation) -> dict[str, Any]:
        data = super().to_representation(instance)
        seen = privacy.shown(reader(self.context), instance.attribute, instance.value)
        data["value"] = seen.value if seen.state == privacy.FULL else seen.text
        data["value_text"] = seen.text
        data["masked"] = seen.state != privacy.FULL
        if seen.state == privacy.FULL and privacy.is_sensitive(instance.attribute):
            note_sensitive_read(self.context, instance.party_id, [instance.attribute.code])
        return data


class RevealSerializer(serializers.Serializer):
    attributes = serializers.ListField(child=serializers.SlugField(), min_length=1)
    reason = serializers.CharField(max_length=300)


class ObservationCreateSerializer(serializers.Serializer):
    """Observations for one party from one channel: ``{"party": 1, "attributes": {...}}``."""

    party = serializers.PrimaryKeyRelatedField(queryset=Party.objects.all())
    attributes = serializers.DictField(child=serializers.JSONField())
    source = serializers.CharField(required=False, default="api", max_length=30)  # type: ignore[assignment]
    provenance = ProvenanceSerializer(required=False)

    def validate_source(self, value: str) -> str:
        """A channel names itself; it cannot pass for a person's manual edit."""
        if value.split(":", 1)[0] in services.MANUAL_SOURCES:
            raise serializers.ValidationError(
                _(
                    "“{source}” is reserved for edits made by people; edit the customer instead."
                ).format(source=value)
            )
        return value


class AttributeDefinitionSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]

    class Meta:
        model = AttributeDefinition
        fields = ["id", "label", *services.DEFINITION_FIELDS, "is_system"]
        read_only_fields = ["id", "label", "is_system"]


class RelationshipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Relationship
        fields = [
            "id",
            "from_party",
            "to_party",
            "kind",
            "title",
            "department",
            "reports_to",
            "stakeholder_role",
            "attitude",
            "influence",
            "closeness",
            "started_on",
            "ended_on",
            "note",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class RegionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    parent: serializers.SlugRelatedField = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Region
        fields = ["code", "name", "name_zh", "name_en", "level", "parent", "path"]


class IndustrySerializer(RegionSerializer):
    class Meta(RegionSerializer.Meta):
        model = Industry  # type: ignore[assignment]
