"""Forms of the import page. Each only validates; the views call the services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huike.imports import presets
from huike.imports.models import ImportJob
from huike.imports.transforms import country_name, phone_regions
from huike.parties.models import AttributeDefinition
from huike.parties.text import phone_region
from huike.privacy.models import ConsentNotice, Purpose

SOURCE_PREFIX = "import:"
ENCODINGS = [
    ("", _("Detect automatically")),
    ("utf-8", "UTF-8"),
    ("gb18030", _("Simplified Chinese (GBK, GB 18030)")),
    ("big5", _("Traditional Chinese (Big5)")),
    ("utf-16", "UTF-16"),
    ("cp1252", _("Western European (Windows-1252)")),
    ("shift_jis", _("Japanese (Shift JIS)")),
]
KINDS = [
    ("", _("As the file or its preset says (else people)")),
    ("person", _("People")),
    ("organization", _("Organisations")),
]
IGNORE = ""
SELECT = "form-select form-select-sm"


class SizeLimitedUploadHandler(FileUploadHandler):
    """Stops reading an upload once it is larger than ``UPLOAD_MAX_BYTES``: a huge file is
    refused with a message instead of filling the server's disk first. Sets
    ``request.upload_too_large``."""

    def __init__(self, request: Any = None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = int(limit if limit is not None else settings.UPLOAD_MAX_BYTES)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            if self.request is not None:
                setattr(self.request, "upload_too_large", True)  # noqa: B010
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def too_large_message() -> str:
    return str(
        _("The file is too large: at most {size} MB.").format(
            size=round(settings.UPLOAD_MAX_BYTES / (1024 * 1024), 1)
        )
    )


class UploadForm(forms.Form):
    """Step 1: the file, where it comes from, on what basis, and what to do with matches."""

    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.xlsx,.xls,.vcf"}),
        help_text=_("CSV or TSV (any encoding), Excel (.xlsx, .xls) or vCard (.vcf)."),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=30 - len(SOURCE_PREFIX),
        required=False,
        help_text=_(
            "Where these customers come from, e.g. “2026 trade show”. Every value is stamped "
            "with it, and the column mapping is remembered for the next file from this source."
        ),
    )
    purpose = forms.ModelChoiceField(
        label=_("Purpose of processing"),
        queryset=Purpose.objects.none(),
        help_text=_("What the people in this file agreed to, or the basis for processing."),
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "How the consent was given and where its proof is kept, e.g. “signed sign-up "
            "forms, folder 2026-11”. Needed when the purpose is based on consent."
        ),
    )
    policy = forms.ChoiceField(
        label=_("Rows that match a customer"),
        choices=ImportJob.Policy.choices,
        initial=ImportJob.Policy.UPDATE,
        widget=forms.RadioSelect,
    )
    party_kind = forms.ChoiceField(label=_("Each row is"), choices=KINDS, required=False)
    preset = forms.ChoiceField(label=_("Preset"), required=False)
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        choices=ENCODINGS,
        required=False,
        help_text=_("Choose one only when the preview shows wrong characters."),
    )
    phone_region = forms.ChoiceField(
        label=_("Phone numbers without a country code are from"),
        required=False,
        help_text=_("Unless the row's address names another country."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region: Any = self.fields["phone_region"]
        home = phone_region()
        region.choices = [
            ("", _("{country} (this installation's)").format(country=country_name(home)))
        ] + [(code, f"{code} — {country_name(code)}") for code in phone_regions()]
        purpose: Any = self.fields["purpose"]
        purpose.queryset = Purpose.objects.filter(is_active=True)
        preset: Any = self.fields["preset"]
        preset.choices = [("", _("Recognise from the header row"))] + [
            (code, item.label) for code, item in presets.PRESETS.items()
        ]

    def clean_phone_region(self) -> str:
        return str(self.cleaned_data.get("phone_region") or "")

    def clean_source(self) -> str:
        label = " ".join(self.cleaned_data.get("source", "").split())
        return SOURCE_PREFIX + label if label else "import"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        purpose = cleaned.get("purpose")
        if purpose is not None and purpose.needs_consent and not cleaned.get("evidence", ""):
            self.add_error(
                "evidence",
                _("Say how the people in this file gave their consent, and where it is kept."),
            )
        if purpose is not None and purpose.requires_separate_consent:
            published = ConsentNotice.objects.filter(
                purpose=purpose, published_at__lte=timezone.now()
            )
            if not published.exists():
                self.add_error(
                    "purpose",
                    _(
                        "“{purpose}” needs separate consent: publish its notice before "
                        "importing people for it."
                    ).format(purpose=purpose),
                )
        return cleaned


def target_choices(known: Sequence[AttributeDefinition]) -> list[tuple[Any, Any]]:
    """What a column can be mapped to: nothing, a pseudo target, or an attribute."""
    attributes = [
        (definition.code, f"{definition.label} ({definition.code})")
        for definition in sorted(known, key=lambda d: (d.code != "name", d.section, d.order))
    ]
    return [
        (IGNORE, _("— ignore this column —")),
        (
            _("By the type written next to it"),
            [
                ("phones", _("Phone: mobile, phone or fax by its type")),
                ("addresses", _("Address: home, work or mailing by its type")),
                ("kind", _("Person or organisation")),
                ("phone_region", _("Country of the row's phone numbers (not stored)")),
            ],
        ),
        (_("Profile fields"), attributes),
    ]


def transform_choices() -> list[tuple[str, Any]]:
    return [(IGNORE, _("as it is"))] + [
        (code, transform.label) for code, transform in presets.TRANSFORMS.items()
    ]


class MappingForm(forms.Form):
    """Step 2: for each column of the file, the attribute it fills and how its text is read.

    Fields are numbered (``target_0``, ``transform_0``…) because column names are whatever the
    file says."""

    def __init__(
        self,
        *args: Any,
        header: Sequence[str],
        known: Sequence[AttributeDefinition],
        mapping: Mapping[str, str | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header = list(header)
        targets = target_choices(known)
        transforms = transform_choices()
        for position, column in enumerate(self.header):
            target, transform = presets.parse_target((mapping or {}).get(column) or "")
            self.fields[f"target_{position}"] = forms.ChoiceField(
                label=column,
                choices=targets,
                required=False,
                initial=target,
                widget=forms.Select(attrs={"class": SELECT}),
            )
            self.fields[f"transform_{position}"] = forms.ChoiceField(
                label=_("How to read “{column}”").format(column=column),
                choices=transforms,
                required=False,
                initial=transform,
                widget=forms.Select(attrs={"class": SELECT}),
            )

    def rows(self) -> list[tuple[int, str, Any, Any]]:
        """``(position, column, target field, transform field)`` for the template."""
        return [
            (position, column, self[f"target_{position}"], self[f"transform_{position}"])
            for position, column in enumerate(self.header)
        ]

    def mapping(self) -> dict[str, str | None]:
        """``{column: spec or None}`` from the cleaned fields."""
        chosen: dict[str, str | None] = {}
        for position, column in enumerate(self.header):
            target = self.cleaned_data.get(f"target_{position}") or ""
            transform = self.cleaned_data.get(f"transform_{position}") or ""
            chosen[column] = (f"{target}:{transform}" if transform else target) if target else None
        return chosen
