from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from huike.webforms import selectors
from huike.webforms.models import Submission, WebForm, WebFormConsent, WebFormField


class WebFormFieldSerializer(serializers.ModelSerializer):
    attribute: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = WebFormField
        fields = ["attribute", "label_zh", "label_en", "help_zh", "help_en", "required", "order"]
        read_only_fields = fields


class WebFormConsentSerializer(serializers.ModelSerializer):
    purpose: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    notice_version = serializers.IntegerField(
        source="notice.version",
        read_only=True,
        allow_null=True,
        help_text="The notice version chosen; null: the latest published one is shown.",
    )

    class Meta:
        model = WebFormConsent
        fields = ["purpose", "notice_version", "required", "order"]
        read_only_fields = fields


class WebFormSerializer(serializers.ModelSerializer):
    """A public web form: its address, texts, fields and consent boxes."""

    public_path = serializers.SerializerMethodField()
    fields = WebFormFieldSerializer(many=True, read_only=True)  # type: ignore[assignment]
    consents = WebFormConsentSerializer(many=True, read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True, allow_null=True)

    class Meta:
        model = WebForm
        fields = [
            "id",
            "slug",
            "name",
            "public_path",
            "title_zh",
            "title_en",
            "intro_zh",
            "intro_en",
            "thank_you_zh",
            "thank_you_en",
            "redirect_url",
            "party_kind",
            "is_active",
            "owner",
            "allowed_origins",
            "challenge",
            "double_opt_in",
            "fields",
            "consents",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_public_path(self, form: WebForm) -> str:
        return form.public_path()


class ConsentShownSerializer(serializers.Serializer):
    purpose = serializers.CharField()
    notice = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    text = serializers.CharField(help_text="The exact text shown next to the box.")
    checked = serializers.BooleanField()


class SubmissionSerializer(serializers.ModelSerializer):
    """What one visitor sent. ``data`` holds the values as the token's user may read them
    (masked or left out by the role's field access); ``consents`` the exact texts shown."""

    form: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    data = serializers.SerializerMethodField()  # type: ignore[assignment]
    consents = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id",
            "form",
            "party",
            "status",
            "data",
            "consents",
            "language",
            "created_at",
            "confirmed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.DictField(child=serializers.CharField(), help_text="attribute code → value")
    )
    def get_data(self, submission: Submission) -> dict[str, str]:
        user = self.context["request"].user
        rows = selectors.shown_values(user, submission, self.context.get("definitions"))
        read = self.context.get("sensitive_read")
        if read is not None:
            read.extend(selectors.sensitive_read(rows))
        return {row.code: row.text for row in rows}

    @extend_schema_field(ConsentShownSerializer(many=True))
    def get_consents(self, submission: Submission) -> list[dict[str, Any]]:
        return [
            {
                "purpose": code,
                "notice": shown.get("notice"),
                "version": shown.get("version"),
                "text": shown.get("text", ""),
                "checked": bool(shown.get("checked")),
            }
            for code, shown in submission.consents.items()
        ]
