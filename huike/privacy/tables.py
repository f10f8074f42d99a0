from __future__ import annotations

import datetime

import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from huike.privacy.models import ConsentNotice, ConsentRecord, ImpactAssessment, Purpose


class PurposeTable(tables.Table):
    name = tables.Column(linkify=True, accessor="code", verbose_name=_("Purpose"), orderable=False)
    code = tables.Column()
    legal_basis = tables.Column(orderable=False)
    requires_separate_consent = tables.BooleanColumn(
        orderable=False, verbose_name=_("Separate consent")
    )
    retention_days = tables.Column(orderable=False)
    is_active = tables.BooleanColumn(orderable=False, verbose_name=_("Active"))

    class Meta:
        model = Purpose
        fields = (
            "name",
            "code",
            "legal_basis",
            "requires_separate_consent",
            "retention_days",
            "is_active",
        )
        attrs = {"class": "table table-hover align-middle"}

    def render_name(self, record: Purpose) -> str:
        return record.name

    def value_name(self, record: Purpose) -> str:
        return record.name


class ConsentRecordTable(tables.Table):
    occurred_at = tables.DateTimeColumn(
        linkify=True, format="SHORT_DATETIME_FORMAT", verbose_name=_("When")
    )
    party = tables.Column(linkify=True, orderable=False)
    purpose = tables.Column(orderable=False)
    status = tables.Column(orderable=False)
    notice_version = tables.Column(orderable=False, verbose_name=_("Notice"))
    channel = tables.Column(orderable=False)
    evidence = tables.Column(orderable=False)
    collected_by_name = tables.Column(orderable=False, verbose_name=_("Collected by"))

    class Meta:
        model = ConsentRecord
        fields = (
            "occurred_at",
            "party",
            "purpose",
            "status",
            "notice_version",
            "channel",
            "evidence",
            "collected_by_name",
        )
        attrs = {"class": "table table-hover align-middle"}

    def render_status(self, record: ConsentRecord) -> SafeString:
        css = "text-bg-success" if record.granted else "text-bg-secondary"
        return format_html('<span class="badge {}">{}</span>', css, record.get_status_display())

    def value_status(self, record: ConsentRecord) -> str:
        return str(record.get_status_display())

    def render_notice_version(self, value: int) -> str:
        return f"v{value}"

    def render_evidence(self, value: str) -> str:
        return value if len(value) <= 60 else value[:59] + "…"

    def value_evidence(self, value: str) -> str:
        return value


class ImpactAssessmentTable(tables.Table):
    title = tables.Column(linkify=True)
    risk_level = tables.Column(orderable=False)
    assessed_at = tables.DateColumn(format="SHORT_DATE_FORMAT")
    review_due = tables.DateColumn(format="SHORT_DATE_FORMAT", orderable=False)
    assessor = tables.Column(orderable=False)

    class Meta:
        model = ImpactAssessment
        fields = ("title", "risk_level", "assessed_at", "review_due", "assessor")
        attrs = {"class": "table table-hover align-middle"}

    def render_review_due(
        self, record: ImpactAssessment, value: datetime.date | None
    ) -> SafeString:
        if value is None:
            return format_html("{}", "—")
        shown = date_format(value, "SHORT_DATE_FORMAT")
        if record.review_overdue:
            return format_html(
                '<span class="badge text-bg-warning">{} · {}</span>', shown, _("overdue")
            )
        return format_html("{}", shown)


class ConsentNoticeTable(tables.Table):
    version = tables.Column(linkify=True)
    purpose = tables.Column(orderable=False)
    published_at = tables.DateTimeColumn(format="SHORT_DATETIME_FORMAT")
    text = tables.Column(empty_values=(), orderable=False, verbose_name=_("Text"))

    class Meta:
        model = ConsentNotice
        fields = ("purpose", "version", "published_at", "text")
        attrs = {"class": "table table-hover align-middle"}

    def render_version(self, value: int) -> str:
        return f"v{value}"

    def render_text(self, record: ConsentNotice) -> str:
        text = record.text
        return text if len(text) <= 80 else text[:79] + "…"
