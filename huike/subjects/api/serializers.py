from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from huike.parties.models import Party
from huike.subjects import exporting, services
from huike.subjects.models import SubjectRequest


def call(service: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a service; a rule it enforces answers 400 in the API's error format."""
    try:
        return service(*args, **kwargs)
    except services.ErasureBlocked:
        raise
    except DjangoValidationError as error:
        raise serializers.ValidationError(
            error.message_dict
            if hasattr(error, "error_dict")
            else {"non_field_errors": error.messages}
        ) from error


@extend_schema_field(OpenApiTypes.INT)
class VisiblePartyField(serializers.PrimaryKeyRelatedField):
    """A customer number the caller may see (others read as "does not exist")."""

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return Party.objects.visible_to(user)


class SubjectRequestSerializer(serializers.ModelSerializer):
    """A data-subject request. POST creates one as received; the workflow continues through
    the actions (verify, start, fulfil, refuse, restrict, erase)."""

    party = VisiblePartyField(required=False, allow_null=True)
    verified_by: Any = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    handled_by: Any = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    identity_method = serializers.ChoiceField(
        choices=SubjectRequest.IdentityMethod.choices, read_only=True, allow_blank=True
    )
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    due_soon = serializers.BooleanField(source="is_due_soon", read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = SubjectRequest
        fields = [
            "id",
            "kind",
            "status",
            "party",
            "requester_name",
            "requester_contact",
            "channel",
            "description",
            "received_at",
            "due_at",
            "overdue",
            "due_soon",
            "identity_method",
            "identity_evidence",
            "verified_by",
            "verified_at",
            "handled_by",
            "refusal_reason",
            "closed_at",
            "notes",
            "download",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "due_at",
            "identity_method",
            "identity_evidence",
            "verified_at",
            "refusal_reason",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"received_at": {"required": False}}

    def get_download(self, obj: SubjectRequest) -> str | None:
        """The address of the export (access and portability requests, once made)."""
        if exporting.stored_path(obj.result_file) is None:
            return None
        url = reverse("api:subject-request-download", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def create(self, validated_data: dict[str, Any]) -> SubjectRequest:
        return call(services.open_request, actor=self.context["actor"], **validated_data)


class VerifySerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=SubjectRequest.IdentityMethod.choices)
    evidence = serializers.CharField(
        help_text="What was checked; never a whole ID number.", max_length=2000
    )
    party = VisiblePartyField(required=False, allow_null=True, help_text="Customer number")


class RefuseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True)

    def validate_reason(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(
                _("Give the reason for refusing; the person will be told.")
            )
        return value


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ErasureSerializer(serializers.Serializer):
    request = SubjectRequestSerializer()
    summary = serializers.DictField()


class SuppressionCheckSerializer(serializers.Serializer):
    value = serializers.CharField(required=False, allow_blank=True, max_length=200)
    values = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text='Attribute code → value, e.g. {"mobile": "13800138000"}.',
    )


class SuppressionAnswerSerializer(serializers.Serializer):
    suppressed = serializers.BooleanField()
    kinds = serializers.ListField(child=serializers.CharField(), required=False)
    codes = serializers.ListField(child=serializers.CharField(), required=False)
