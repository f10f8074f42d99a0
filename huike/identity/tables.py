"""The tables of the duplicate queue, the searches and the merges."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import django_tables2 as tables
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from huike.identity.models import Decision, DedupeJob, MatchCandidate, Merge

DECISION_BADGES: dict[str, str] = {
    Decision.SAME: "text-bg-danger",
    Decision.MAYBE: "text-bg-warning",
    Decision.DIFFERENT: "text-bg-secondary",
}
STATUS_BADGES: dict[str, str] = {
    MatchCandidate.Status.OPEN: "text-bg-primary",
    MatchCandidate.Status.MERGED: "text-bg-success",
    MatchCandidate.Status.NOT_DUPLICATE: "text-bg-light border",
}
JOB_BADGES: dict[str, str] = {
    DedupeJob.Status.PENDING: "text-bg-secondary",
    DedupeJob.Status.RUNNING: "text-bg-primary",
    DedupeJob.Status.DONE: "text-bg-success",
    DedupeJob.Status.FAILED: "text-bg-danger",
    DedupeJob.Status.CANCELLED: "text-bg-dark",
}


def percent(score: float | None) -> int:
    return round((score or 0.0) * 100)


def score_bar(score: float | None) -> SafeString:
    """The confidence as a percentage with a bar (a <progress>: no inline style)."""
    value = percent(score)
    return format_html(
        '<span class="d-inline-flex align-items-center gap-2 hk-score" data-score="{}">'
        '<progress max="100" value="{}" aria-hidden="true"></progress>'
        '<span class="fw-semibold">{} %</span></span>',
        value,
        value,
        value,
    )


def decision_badge(decision: str) -> SafeString:
    label = Decision(decision).label if decision in Decision.values else decision
    return format_html(
        '<span class="badge {}" data-decision="{}">{}</span>',
        DECISION_BADGES.get(decision, "text-bg-secondary"),
        decision,
        label,
    )


def status_badge(candidate: MatchCandidate) -> SafeString:
    return format_html(
        '<span class="badge {}" data-status="{}">{}</span>',
        STATUS_BADGES.get(candidate.status, "text-bg-secondary"),
        candidate.status,
        candidate.get_status_display(),
    )


def job_badge(job: DedupeJob) -> SafeString:
    return format_html(
        '<span class="badge {}" data-status="{}">{}</span>',
        JOB_BADGES.get(job.status, "text-bg-secondary"),
        job.status,
        job.get_status_display(),
    )


def _when(moment: Any) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def part_label(part: Mapping[str, Any]) -> str:
    """One stored part of an explanation, as a person reads it, in today's language."""
    from huike.identity.matching import Part

    try:
        return Part(str(part["field"]), str(part["level"]), float(part.get("weight") or 0)).label
    except (KeyError, TypeError, ValueError):
        return "{}: {}".format(part.get("field", "?"), part.get("level", ""))


def top_reasons(explanation: Iterable[Mapping[str, Any]] | None, limit: int = 3) -> list[str]:
    """The parts that counted most towards "the same customer", strongest first."""
    parts = [part for part in explanation or [] if isinstance(part, Mapping)]
    agreeing = [part for part in parts if float(part.get("weight") or 0) > 0]
    agreeing.sort(key=lambda part: float(part.get("weight") or 0), reverse=True)
    return [part_label(part) for part in agreeing[:limit]]


class CandidateTable(tables.Table):
    """The queue: the confidence with the decision, the two customers with the reasons, the
    status, how and when the pair was found. Exports read the hidden plain columns."""

    score = tables.Column(verbose_name=_("Confidence"))
    pair = tables.Column(
        verbose_name=_("Customers"), accessor="pk", orderable=False, exclude_from_export=True
    )
    status = tables.Column(orderable=False)
    found_by = tables.Column(orderable=False)
    review = tables.Column(
        verbose_name=_("Review"), accessor="pk", orderable=False, exclude_from_export=True
    )
    party_a = tables.Column(verbose_name=_("Customer"), visible=False)
    party_b = tables.Column(verbose_name=_("Possible duplicate"), visible=False)
    decision = tables.Column(visible=False)
    reasons = tables.Column(verbose_name=_("Why"), accessor="explanation", visible=False)

    class Meta:
        model = MatchCandidate
        fields = (
            "score",
            "pair",
            "status",
            "found_by",
            "review",
            "party_a",
            "party_b",
            "decision",
            "reasons",
        )
        attrs = {"class": "table table-hover align-middle", "id": "candidate-table"}
        row_attrs = {"data-candidate": lambda record: record.pk}

    def render_score(self, value: float, record: MatchCandidate) -> SafeString:
        return format_html(
            '<a href="{}" class="text-decoration-none">{}</a><div>{}</div>',
            record.get_absolute_url(),
            score_bar(value),
            decision_badge(record.decision),
        )

    def value_score(self, value: float) -> str:
        return f"{value:.3f}"

    def render_pair(self, record: MatchCandidate) -> SafeString:
        reasons = top_reasons(record.explanation)
        return format_html(
            '<a href="{}">{}</a> <span class="text-body-secondary small">#{}</span>'
            ' <i class="bi bi-arrow-left-right text-body-secondary mx-1" aria-hidden="true"></i>'
            ' <a href="{}">{}</a> <span class="text-body-secondary small">#{}</span>{}',
            record.party_a.get_absolute_url(),
            record.party_a,
            record.party_a_id,
            record.party_b.get_absolute_url(),
            record.party_b,
            record.party_b_id,
            format_html(
                '<ul class="list-inline small text-body-secondary mb-0 hk-reasons">{}</ul>',
                format_html_join(
                    "", '<li class="list-inline-item">{}</li>', ((r,) for r in reasons)
                ),
            )
            if reasons
            else "",
        )

    def value_decision(self, record: MatchCandidate) -> str:
        return str(record.get_decision_display())

    def value_reasons(self, value: Any) -> str:
        return "; ".join(top_reasons(value))

    def render_status(self, record: MatchCandidate) -> SafeString:
        return status_badge(record)

    def value_status(self, record: MatchCandidate) -> str:
        return str(record.get_status_display())

    def render_found_by(self, record: MatchCandidate) -> SafeString:
        return format_html(
            '{}<div class="small text-body-secondary text-nowrap">{}</div>',
            record.get_found_by_display(),
            _when(record.created_at),
        )

    def value_found_by(self, record: MatchCandidate) -> str:
        return f"{record.get_found_by_display()} {_when(record.created_at)}"

    def render_review(self, record: MatchCandidate) -> SafeString:
        label = _("Review") if record.status == MatchCandidate.Status.OPEN else _("Open")
        return format_html(
            '<a class="btn btn-sm btn-outline-primary review-link" href="{}">{}</a>',
            record.get_absolute_url(),
            label,
        )


class DedupeJobTable(tables.Table):
    id = tables.Column(verbose_name=_("Search"), linkify=True)
    status = tables.Column(orderable=False)
    segment = tables.Column(orderable=False)
    total = tables.Column(orderable=False)
    found = tables.Column(orderable=False)
    merged = tables.Column(orderable=False)
    created_by = tables.Column(orderable=False)
    created_at = tables.DateTimeColumn(format="SHORT_DATETIME_FORMAT", verbose_name=_("Started"))

    class Meta:
        model = DedupeJob
        fields = (
            "id",
            "status",
            "segment",
            "total",
            "found",
            "merged",
            "created_by",
            "created_at",
        )
        attrs = {"class": "table table-hover align-middle", "id": "dedupejob-table"}
        row_attrs = {"data-job": lambda record: record.pk}

    def render_id(self, record: DedupeJob) -> str:
        return f"#{record.pk}"

    def render_status(self, record: DedupeJob) -> SafeString:
        return job_badge(record)

    def value_status(self, record: DedupeJob) -> str:
        return str(record.get_status_display())

    def render_segment(self, value: str) -> str:
        return value or str(_("every customer"))


class MergeTable(tables.Table):
    merged_at = tables.DateTimeColumn(
        format="SHORT_DATETIME_FORMAT", verbose_name=_("Merged at"), linkify=True
    )
    merged_name = tables.Column(verbose_name=_("Merged customer"), orderable=False)
    survivor = tables.Column(verbose_name=_("Into"), linkify=True, orderable=False)
    score = tables.Column(verbose_name=_("Confidence"), orderable=False)
    automatic = tables.BooleanColumn(orderable=False)
    rows = tables.Column(
        verbose_name=_("Records moved"), accessor="pk", orderable=False, empty_values=()
    )
    merged_by = tables.Column(orderable=False)
    unmerged_at = tables.DateTimeColumn(
        format="SHORT_DATETIME_FORMAT", verbose_name=_("Undone"), orderable=False
    )

    class Meta:
        model = Merge
        fields = (
            "merged_at",
            "merged_name",
            "survivor",
            "score",
            "automatic",
            "rows",
            "merged_by",
            "unmerged_at",
        )
        attrs = {"class": "table table-hover align-middle", "id": "merge-table"}
        row_attrs = {"data-merge": lambda record: record.pk}

    def render_merged_name(self, value: str, record: Merge) -> SafeString:
        return format_html(
            '{} <span class="text-body-secondary small">#{}</span>', value, record.merged_id
        )

    def value_merged_name(self, value: str, record: Merge) -> str:
        return f"{value} #{record.merged_id}"

    def render_score(self, value: float | None) -> SafeString:
        return score_bar(value)

    def value_score(self, value: float | None) -> str:
        return "" if value is None else f"{value:.3f}"

    def render_rows(self, record: Merge) -> int:
        return record.moved_count()

    def value_rows(self, record: Merge) -> int:
        return record.moved_count()
