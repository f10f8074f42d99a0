"""The intake API's body and answer. Items are read one by one, so one unreadable item is
rejected with its reasons while the others go on."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from huike.intake import services
from huike.intake.models import Policy, Status
from huike.parties.models import Party

MAX_ITEMS = 1000
MAX_CONSENTS = 20
# A time "collected" a little ahead of the server's clock is a clock difference, not the future.
CLOCK_SKEW = datetime.timedelta(minutes=5)
BIGINT = 2**63 - 1
ATTRIBUTE_CODE = re.compile(r"[-a-zA-Z0-9_]{1,50}")


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know: a misspelt field must not be dropped silently."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {key: [gettext("Unknown field.")] for key in unknown}
                )
        return super().to_internal_value(data)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that must say its time zone (a POS clock's local time is ambiguous)."""

    default_error_messages = {
        "naive": _("Give the time with its time zone, e.g. 2026-03-01T10:30:00+08:00."),
    }

    def to_internal_value(self, value: Any) -> datetime.datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # well-formed but impossible: the parent reports it
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class ConsentEntrySerializer(StrictSerializer):
    purpose = serializers.CharField(
        max_length=40, help_text="A purpose code, e.g. marketing (see /api/v1/purposes/)."
    )
    evidence = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        default="",
        help_text="What proves the consent: a form number, a signature, a recording.",
    )
    notice_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The version of the purpose's notice the person was shown; default: the "
        "latest one published by collected_at (required for purposes that need separate "
        "consent).",
    )
    language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES],
        required=False,
        allow_null=True,
        help_text="The language the notice was shown in; default: the request's language.",
    )


CONSENT_ENTRY_SCHEMA = {
    "type": "object",
    "properties": {
        "purpose": {"type": "string", "maxLength": 40},
        "evidence": {"type": "string", "maxLength": 2000},
        "notice_version": {"type": "integer", "minimum": 1, "nullable": True},
        "language": {
            "type": "string",
            "enum": [code for code, _name in settings.LANGUAGES],
            "nullable": True,
        },
    },
    "required": ["purpose"],
    "additionalProperties": False,
}


@extend_schema_field(
    {
        "description": "Consent given where the values were collected: a purpose code, or a "
        "list of purpose codes and objects.",
        "nullable": True,
        "oneOf": [
            {"type": "string", "maxLength": 40},
            {
                "type": "array",
                "maxItems": MAX_CONSENTS,
                "items": {"oneOf": [{"type": "string", "maxLength": 40}, CONSENT_ENTRY_SCHEMA]},
            },
        ],
    }
)
class ConsentField(serializers.Field):
    """``"marketing"``, or ``["marketing", {"purpose": "profiling", "evidence": "…"}]``."""

    default_error_messages = {
        "invalid": _("Give a purpose code or a list of purpose codes and objects."),
        "too_many": _("At most {limit} consents per item."),
    }

    def to_internal_value(self, data: Any) -> list[services.ConsentGiven]:
        if isinstance(data, str):
            data = [data] if data.strip() else []
        if not isinstance(data, list):
            self.fail("invalid")
        if len(data) > MAX_CONSENTS:
            self.fail("too_many", limit=MAX_CONSENTS)
        given: list[services.ConsentGiven] = []
        errors: dict[str, Any] = {}
        for position, entry in enumerate(data):
            entry_serializer = ConsentEntrySerializer(
                data={"purpose": entry} if isinstance(entry, str) else entry
            )
            if entry_serializer.is_valid():
                given.append(services.ConsentGiven(**entry_serializer.validated_data))
            else:
                errors[str(position)] = entry_serializer.errors
        if errors:
            raise serializers.ValidationError(errors)
        return given

    def to_representation(self, value: Any) -> Any:
        return value


def contains_nul(value: Any) -> bool:
    """A NUL character anywhere in a JSON value (PostgreSQL cannot store one in text)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False


class IntakeItemSerializer(StrictSerializer):
    """One party observation: who the customer is and what was collected, by whom, when and
    under which consent."""

    kind = serializers.ChoiceField(
        choices=Party.Kind.choices, required=False, help_text="Default person."
    )
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Needed to create a customer; adds a name observation to a matched one.",
    )
    attributes = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text='Attribute code → value, e.g. {"mobile": "13800138000", "email": "…"}.',
    )
    external_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The customer's id in the sending system: the same as attributes.external_id.",
    )
    source = serializers.CharField(  # type: ignore[assignment]
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="The channel, e.g. pos:store-12; stored as intake:<source>, cut to 30 "
        "characters. Default intake.",
    )
    collector = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Who or what collected the values, e.g. cashier 0042 (stored as the "
        "observations' note).",
    )
    collected_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="When the values were collected, ISO 8601 with time zone; default now. "
        "Not in the future.",
    )
    consent = ConsentField(required=False, allow_null=True)
    policy = serializers.ChoiceField(
        choices=Policy.choices,
        required=False,
        help_text="When a customer matches: update (default) adds the values, skip leaves "
        "them alone, create always makes a new customer.",
    )
    match = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=BIGINT,
        help_text="Add to this customer (an id you may see) instead of matching.",
    )

    def validate_collected_at(self, value: datetime.datetime | None) -> datetime.datetime | None:
        if value is not None and value > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError(
                gettext("The time of collection cannot be in the future.")
            )
        return value

    def validate_attributes(self, value: dict[str, Any]) -> dict[str, Any]:
        errors = {
            code: [gettext("Unknown attribute “{code}”.").format(code=code.replace("\x00", ""))]
            for code in value
            if not ATTRIBUTE_CODE.fullmatch(code)
        }
        errors.update(
            {
                code: [gettext("Text may not contain NUL characters.")]
                for code, raw in value.items()
                if code not in errors and contains_nul(raw)
            }
        )
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attributes = dict(attrs.get("attributes") or {})
        errors: dict[str, list[Any]] = {}
        external_id = (attrs.get("external_id") or "").strip()
        if external_id:
            sent = attributes.get("external_id")
            if sent not in (None, "") and str(sent).strip() != external_id:
                errors["external_id"] = [gettext("It differs from attributes.external_id.")]
            attributes["external_id"] = external_id
        name = (attrs.get("name") or "").strip()
        if "name" in attributes:
            sent = attributes.pop("name")
            sent_name = str(sent).strip() if sent is not None else ""
            if name and sent_name and sent_name != name:
                errors["name"] = [gettext("It differs from attributes.name.")]
            name = name or sent_name
        if errors:
            raise serializers.ValidationError(errors)
        attrs["attributes"] = attributes
        attrs["name"] = name
        return attrs

    def item(self) -> services.Item:
        data = self.validated_data
        return services.Item(
            name=data["name"],
            kind=data.get("kind") or Party.Kind.PERSON,
            kind_given="kind" in data,
            attributes=data["attributes"],
            source=services.source_for(data.get("source", "")),
            collector=(data.get("collector") or "").strip(),
            collected_at=data.get("collected_at"),
            consent=data.get("consent") or [],
            policy=data.get("policy") or Policy.UPDATE,
            match=data.get("match"),
        )


class IntakeBatchSerializer(StrictSerializer):
    """Several items in one call."""

    items = IntakeItemSerializer(many=True, min_length=1, max_length=MAX_ITEMS)  # type: ignore[call-arg]


class IntakeResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's position in the request, from 0.")
    status = serializers.ChoiceField(choices=Status.choices)
    party = serializers.IntegerField(
        allow_null=True, help_text="The customer created, updated or skipped; null if rejected."
    )
    observations = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the observations written."
    )
    consents = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the consent-ledger rows written."
    )
    errors = serializers.DictField(  # type: ignore[assignment]
        help_text="Why the item was rejected: field → messages; attribute problems under "
        "attributes.<code>, consent problems under consent.<position>.<field>. Empty otherwise."
    )


class IntakeAnswerSerializer(serializers.Serializer):
    request = serializers.UUIDField(
        help_text="This call's id; each observation's source_ref is 'intake <request> #<index>'."
    )
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    skipped = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = IntakeResultSerializer(many=True)


class ApiErrorSerializer(serializers.Serializer):
    """The API's one error format (docs/api.md)."""

    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(required=False)  # type: ignore[assignment]
