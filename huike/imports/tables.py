from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from huike.imports.models import ImportJob

STATUS_BADGES: dict[str, str] = {
    ImportJob.Status.PENDING: "text-bg-secondary",
    ImportJob.Status.RUNNING: "text-bg-primary",
    ImportJob.Status.DONE: "text-bg-success",
    ImportJob.Status.FAILED: "text-bg-danger",
    ImportJob.Status.CANCELLED: "text-bg-dark",
}


def status_text(job: ImportJob) -> str:
    if job.is_draft:
        return str(_("Mapping columns"))
    if job.dry_run and job.status == ImportJob.Status.DONE:
        return str(_("Checked (dry run)"))
    return str(job.get_status_display())


def status_badge(job: ImportJob) -> SafeString:
    css = "text-bg-warning" if job.is_draft else STATUS_BADGES.get(job.status, "text-bg-secondary")
    return format_html('<span class="badge {}">{}</span>', css, status_text(job))


class ImportJobTable(tables.Table):
    original_name = tables.Column(verbose_name=_("File"), linkify=True)
    status = tables.Column()
    rows_done = tables.Column(verbose_name=_("Rows"))
    created = tables.Column()
    updated = tables.Column()
    rejected = tables.Column()
    duplicates = tables.Column(verbose_name=_("For review"))
    created_by = tables.Column(orderable=False)
    created_at = tables.DateTimeColumn(format="SHORT_DATETIME_FORMAT", verbose_name=_("Started"))

    class Meta:
        model = ImportJob
        fields = (
            "original_name",
            "status",
            "rows_done",
            "created",
            "updated",
            "rejected",
            "duplicates",
            "created_by",
            "created_at",
        )
        attrs = {"class": "table table-hover align-middle"}
        row_attrs = {"data-job": lambda record: record.pk}

    def render_status(self, record: ImportJob) -> SafeString:
        return status_badge(record)

    def value_status(self, record: ImportJob) -> str:
        return status_text(record)

    def render_original_name(self, record: ImportJob, value: Any) -> SafeString:
        if record.dry_run:
            return format_html(
                '{} <span class="badge text-bg-light border">{}</span>', value, _("dry run")
            )
        return format_html("{}", value)
