from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from huike.parties.models import Party
from huike.privacy import services
from huike.privacy.models import (
    Channel,
    ConsentNotice,
    ConsentRecord,
    ConsentStatus,
    Purpose,
)


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsentNotice
        fields = ["version", "text_zh", "text_en", "published_at"]
        read_only_fields = fields


class PurposeSerializer(serializers.ModelSerializer):
    """A purpose of processing; ``current_notice`` is the latest notice version (consent-based
    purposes only)."""

    name = serializers.CharField(read_only=True)
    attributes: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    current_notice = serializers.SerializerMethodField()

    class Meta:
        model = Purpose
        fields = [
            "code",
            "name",
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "legal_basis",
            "requires_separate_consent",
            "retention_days",
            "recipients",
            "attributes",
            "is_active",
            "current_notice",
        ]
        read_only_fields = fields

    @extend_schema_field(NoticeSerializer(allow_null=True))
    def get_current_notice(self, purpose: Purpose) -> dict[str, Any] | None:
        notices = sorted(purpose.notices.all(), key=lambda n: n.version)  # prefetched
        return NoticeSerializer(notices[-1]).data if notices else None


class ConsentRecordSerializer(serializers.ModelSerializer):
    """One row of the consent ledger."""

    purpose: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    collected_by = serializers.CharField(source="collected_by_name", read_only=True)

    class Meta:
        model = ConsentRecord
        fields = [
            "id",
            "party",
            "purpose",
            "status",
            "notice_version",
            "notice_language",
            "notice_text",
            "channel",
            "evidence",
            "collected_by",
            "occurred_at",
            "recorded_at",
        ]
        read_only_fields = fields


class ConsentRecordCreateSerializer(serializers.Serializer):
    """A consent granted or withdrawn: ``{"party": 1, "purpose": "marketing", "status":
    "granted", "notice_version": 2, "channel": "web_form", "evidence": "form #123"}``."""

    party = serializers.PrimaryKeyRelatedField(queryset=Party.objects.none())
    purpose = serializers.SlugRelatedField(slug_field="code", queryset=Purpose.objects.all())
    status = serializers.ChoiceField(choices=ConsentStatus.choices)
    notice_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The version of the purpose's notice the person was shown (grants).",
    )
    notice_language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES],
        required=False,
        help_text="The language the notice was shown in; default: the request's language.",
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    occurred_at = serializers.DateTimeField(
        required=False, help_text="When the person gave or withdrew consent; default: now."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actor = self.context.get("actor")
        # A customer outside the token user's scope reads as one that does not exist.
        self.fields["party"].queryset = Party.objects.visible_to(actor)  # type: ignore[attr-defined]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        version = attrs.pop("notice_version", None)
        attrs["notice"] = None
        if version is not None:
            if attrs["status"] == ConsentStatus.WITHDRAWN:
                raise serializers.ValidationError(
                    {"notice_version": [_("A withdrawal is not given under a notice.")]}
                )
            notice = ConsentNotice.objects.filter(purpose=attrs["purpose"], version=version).first()
            if notice is None:
                raise serializers.ValidationError(
                    {
                        "notice_version": [
                            _("“{purpose}” has no notice version {version}.").format(
                                purpose=attrs["purpose"].code, version=version
                            )
                        ]
                    }
                )
            attrs["notice"] = notice
        return attrs

    def create(self, validated_data: dict[str, Any]) -> ConsentRecord:
        actor = self.context["actor"]
        data = dict(validated_data)
        party, purpose, status = data.pop("party"), data.pop("purpose"), data.pop("status")
        try:
            if status == ConsentStatus.GRANTED:
                return services.grant(
                    party,
                    purpose,
                    actor=actor,
                    notice=data["notice"],
                    channel=data["channel"],
                    evidence=data["evidence"],
                    occurred_at=data.get("occurred_at"),
                    language=data.get("notice_language"),
                )
            return services.withdraw(
                party,
                purpose,
                actor=actor,
                channel=data["channel"],
                evidence=data["evidence"],
                occurred_at=data.get("occurred_at"),
            )
        except DjangoValidationError as error:
            detail = (
                error.message_dict
                if hasattr(error, "error_dict")
                else {"non_field_errors": error.messages}
            )
            if "notice" in detail:
                detail["notice_version"] = detail.pop("notice")
            raise serializers.ValidationError(detail) from error
