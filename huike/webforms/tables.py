from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _

from huike.parties import privacy
from huike.webforms import selectors
from huike.webforms.models import Submission, WebForm


class WebFormTable(tables.Table):
    name = tables.Column(linkify=True)
    slug = tables.Column()
    party_kind = tables.Column(orderable=False)
    is_active = tables.BooleanColumn(orderable=False, verbose_name=_("Active"))
    submission_count = tables.Column(
        accessor="submission_count", verbose_name=_("Submissions"), orderable=False
    )
    created_at = tables.DateTimeColumn(format="SHORT_DATETIME_FORMAT")

    class Meta:
        model = WebForm
        fields = ("name", "slug", "party_kind", "is_active", "submission_count", "created_at")
        attrs = {"class": "table table-hover align-middle"}


class SubmissionTable(tables.Table):
    """Submissions with their name and first contact as the reader may see them (masked or
    left out by the reader's field access)."""

    created_at = tables.DateTimeColumn(
        linkify=True, format="SHORT_DATETIME_FORMAT", verbose_name=_("Sent at")
    )
    form = tables.Column(orderable=False)
    sender = tables.Column(empty_values=(), orderable=False, verbose_name=_("Sent by"))
    party = tables.Column(linkify=True, orderable=False)
    status = tables.Column(orderable=False)
    consents = tables.Column(empty_values=(), orderable=False, verbose_name=_("Consents given"))
    language = tables.Column(orderable=False)

    class Meta:
        model = Submission
        fields = ("created_at", "form", "sender", "party", "status", "consents", "language")
        attrs = {"class": "table table-hover align-middle"}

    def _known(self) -> dict[str, Any]:
        if not hasattr(self, "_definitions"):
            self._definitions = privacy.definitions_by_code(("name", *privacy.CONTACT_CODES))
        return self._definitions

    def render_sender(self, record: Submission) -> str:
        user = getattr(getattr(self, "request", None), "user", None)
        if user is None:  # a table built without a request shows nothing personal
            user = AnonymousUser()
        return selectors.summary(user, record, self._known()) or "—"

    def value_sender(self, record: Submission) -> str:
        return self.render_sender(record)

    def render_consents(self, record: Submission) -> str:
        return ", ".join(record.granted) or "—"

    def value_consents(self, record: Submission) -> str:
        return ", ".join(record.granted)
