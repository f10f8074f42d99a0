from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from huike.subjects.models import RetentionRule, SubjectRequest, SuppressionEntry

STATUS_BADGES: dict[str, str] = {
    SubjectRequest.Status.RECEIVED: "text-bg-secondary",
    SubjectRequest.Status.IDENTITY_VERIFIED: "text-bg-info",
    SubjectRequest.Status.IN_PROGRESS: "text-bg-primary",
    SubjectRequest.Status.FULFILLED: "text-bg-success",
    SubjectRequest.Status.REFUSED: "text-bg-dark",
}


def status_badge(request: SubjectRequest) -> SafeString:
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_BADGES.get(request.status, "text-bg-secondary"),
        request.get_status_display(),
    )


def due_badge(request: SubjectRequest) -> SafeString:
    if request.is_overdue:
        return format_html('<span class="badge text-bg-danger">{}</span>', _("Overdue"))
    if request.is_due_soon:
        return format_html('<span class="badge text-bg-warning">{}</span>', _("Due soon"))
    return SafeString("")


class SubjectRequestTable(tables.Table):
    number = tables.Column(
        accessor="pk",
        verbose_name=_("Request number"),
        linkify=lambda record: record.get_absolute_url(),
    )
    kind = tables.Column()
    requester_name = tables.Column(orderable=False, verbose_name=_("Requester"))
    party = tables.Column(orderable=False, verbose_name=_("Customer"))
    status = tables.Column()
    received_at = tables.DateTimeColumn(format="SHORT_DATE_FORMAT", verbose_name=_("Received"))
    due_at = tables.DateTimeColumn(format="SHORT_DATE_FORMAT", verbose_name=_("Due"))

    class Meta:
        model = SubjectRequest
        fields = ("number", "kind", "requester_name", "party", "status", "received_at", "due_at")
        attrs = {"class": "table table-hover align-middle"}
        row_attrs = {"data-request": lambda record: record.pk}

    def render_number(self, value: Any) -> str:
        return f"#{value}"

    def render_status(self, record: SubjectRequest) -> SafeString:
        return status_badge(record)

    def value_status(self, record: SubjectRequest) -> str:
        return str(record.get_status_display())

    def render_due_at(self, record: SubjectRequest, value: Any) -> SafeString:
        from django.utils.formats import date_format
        from django.utils.timezone import localtime

        return format_html(
            "{} {}", date_format(localtime(value), "SHORT_DATE_FORMAT"), due_badge(record)
        )

    def value_due_at(self, value: Any) -> Any:
        return value


class SuppressionTable(tables.Table):
    kind = tables.Column()
    digest = tables.Column(orderable=False, verbose_name=_("Digest (not the value)"))
    created_at = tables.DateTimeColumn(format="SHORT_DATETIME_FORMAT", verbose_name=_("Added"))
    request = tables.Column(orderable=False, linkify=True)
    released_at = tables.DateTimeColumn(
        format="SHORT_DATE_FORMAT", orderable=False, verbose_name=_("Released")
    )

    class Meta:
        model = SuppressionEntry
        fields = ("kind", "digest", "created_at", "request", "released_at")
        attrs = {"class": "table table-hover align-middle"}

    def render_digest(self, value: str) -> SafeString:
        return format_html("<code>{}…</code>", value[3:15])

    def value_digest(self, value: str) -> str:
        return value


class RetentionRuleTable(tables.Table):
    name = tables.Column(linkify=True)
    purpose = tables.Column(orderable=False)
    stages = tables.Column(orderable=False)
    inactivity_days = tables.Column(orderable=False)
    action = tables.Column(orderable=False)
    is_active = tables.BooleanColumn(orderable=False, verbose_name=_("Active"))
    last_run_at = tables.DateTimeColumn(format="SHORT_DATETIME_FORMAT", orderable=False)
    last_run_count = tables.Column(orderable=False)

    class Meta:
        model = RetentionRule
        fields = (
            "name",
            "purpose",
            "stages",
            "inactivity_days",
            "action",
            "is_active",
            "last_run_at",
            "last_run_count",
        )
        attrs = {"class": "table table-hover align-middle"}

    def render_stages(self, value: Any) -> str:
        from huike.parties.models import Party

        labels = dict(Party.Stage.choices)
        return ", ".join(str(labels.get(stage, stage)) for stage in value or [])
