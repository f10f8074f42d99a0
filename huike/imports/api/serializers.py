from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from huike.imports import presets, services
from huike.imports.models import ImportJob
from huike.privacy.models import Purpose


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string", "nullable": True},
        "example": {"手机号码": "mobile:phone", "内部备注": None},
    }
)
class MappingField(serializers.JSONField):
    """``{column: attribute}``: ``"mobile"``, ``"mobile:phone"`` (with a transform), or null
    (or ``"-"``) to ignore the column."""

    def to_internal_value(self, data: Any) -> dict[str, str | None]:
        value = super().to_internal_value(data)
        if not isinstance(value, dict) or not all(
            isinstance(column, str) and (spec is None or isinstance(spec, str))
            for column, spec in value.items()
        ):
            raise serializers.ValidationError(
                _(
                    "Send a JSON object of column names and attribute codes, "
                    'e.g. {"手机": "mobile"}.'
                )
            )
        return {
            column.strip(): None if spec is None or spec.strip() in ("", "-") else spec.strip()
            for column, spec in value.items()
        }


class ImportUploadSerializer(serializers.Serializer):
    """What ``POST /api/v1/imports/`` takes (multipart): the file and the options of
    ``huike import``, by the same names."""

    file = serializers.FileField(help_text="CSV, TSV, Excel (.xlsx, .xls) or vCard (.vcf)")
    preset = serializers.ChoiceField(
        choices=[("", "")] + [(code, code) for code in presets.PRESETS],
        required=False,
        allow_blank=True,
        help_text="A preset's code; empty: recognised from the header row",
    )
    map = MappingField(required=False, help_text="Column → attribute code (JSON object)")
    encoding = serializers.CharField(
        required=False, allow_blank=True, max_length=30, help_text="e.g. gb18030, big5"
    )
    phone_region = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2,
        help_text=(
            "Country (ISO 3166 code, e.g. US) of phone numbers written without a country code "
            "when the row's address names none; empty: the installation's PHONE_REGION"
        ),
    )
    source = serializers.CharField(  # type: ignore[assignment]
        required=False, allow_blank=True, max_length=30, help_text="Channel label (default import)"
    )
    consent = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The purpose's code, or 'purpose: evidence' as on the command line",
    )
    evidence = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="How the consent was given and where its proof is kept",
    )
    policy = serializers.ChoiceField(
        choices=ImportJob.Policy.choices, default=ImportJob.Policy.UPDATE
    )
    kind = serializers.ChoiceField(
        choices=[("", ""), ("person", "person"), ("organization", "organization")],
        required=False,
        allow_blank=True,
        help_text="What each row is; empty: the preset's kind, else person",
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Report every problem without writing customers"
    )

    def validate_encoding(self, value: str) -> str:
        problems = services.check_options(encoding=value.strip())
        if problems:
            raise serializers.ValidationError(problems["encoding"])
        return value.strip()

    def validate_phone_region(self, value: str) -> str:
        problems = services.check_options(phone_region=value.strip())
        if problems:
            raise serializers.ValidationError(problems["phone_region"])
        return value.strip().upper()

    def validate_consent(self, value: str) -> str:
        code = value.partition(":")[0].strip()
        if code and not Purpose.objects.filter(code=code, is_active=True).exists():
            raise serializers.ValidationError(
                _("There is no purpose “{code}”: use the code of an active purpose.").format(
                    code=code
                )
            )
        return value.strip()


class ImportJobSerializer(serializers.ModelSerializer):
    """An import job: the summary ``huike import --json`` prints, plus progress."""

    job = serializers.IntegerField(source="pk", read_only=True)
    file = serializers.CharField(source="original_name", read_only=True)
    format = serializers.CharField(source="kind", read_only=True)
    rows = serializers.IntegerField(source="rows_done", read_only=True)
    kind = serializers.CharField(source="party_kind", read_only=True)
    collector: Any = serializers.SlugRelatedField(
        source="created_by", slug_field="username", read_only=True, allow_null=True
    )
    total_estimate = serializers.SerializerMethodField()
    rate = serializers.SerializerMethodField()
    eta = serializers.SerializerMethodField()
    rejects = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "job",
            "status",
            "file",
            "format",
            "encoding",
            "phone_region",
            "preset",
            "dry_run",
            "rows",
            "created",
            "updated",
            "skipped",
            "rejected",
            "duplicates",
            "progress",
            "total_estimate",
            "rate",
            "eta",
            "error",
            "source",
            "consent",
            "evidence",
            "policy",
            "kind",
            "mapping",
            "collector",
            "cancel_requested",
            "created_at",
            "queued_at",
            "started_at",
            "finished_at",
            "rejects",
        ]
        read_only_fields = fields

    def _progress(self, obj: ImportJob) -> services.Progress:
        cache = self.context.setdefault("_progress", {})
        if obj.pk not in cache:
            cache[obj.pk] = services.progress(obj)
        return cache[obj.pk]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_total_estimate(self, obj: ImportJob) -> int | None:
        """The likely number of rows, from the share of the file read so far."""
        return self._progress(obj).total

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_rate(self, obj: ImportJob) -> float | None:
        """Rows per second."""
        return self._progress(obj).rate

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_eta(self, obj: ImportJob) -> int | None:
        """Seconds left (while running)."""
        return self._progress(obj).eta

    @extend_schema_field(OpenApiTypes.URI)
    def get_rejects(self, obj: ImportJob) -> str | None:
        """Where to download the rejected rows (CSV), when there are some."""
        if not obj.rejected:
            return None
        url = reverse("api:import-rejects", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url
