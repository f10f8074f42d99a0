from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from huike.core.models import AccessLog, ChangeLog


class AccessLogTable(tables.Table):
    timestamp = tables.DateTimeColumn(verbose_name=_("Time"), format="SHORT_DATETIME_FORMAT")
    actor_name = tables.Column(verbose_name=_("Who"), orderable=False)
    action = tables.Column(orderable=False)
    object_repr = tables.Column(verbose_name=_("What"), orderable=False)
    fields = tables.Column(verbose_name=_("Fields"), orderable=False)
    count = tables.Column(verbose_name=_("Records"), orderable=False)
    reason = tables.Column(verbose_name=_("Why"), orderable=False)
    channel = tables.Column(orderable=False)
    remote_addr = tables.Column(verbose_name=_("From"), orderable=False)

    class Meta:
        model = AccessLog
        fields = (
            "timestamp",
            "actor_name",
            "action",
            "object_repr",
            "fields",
            "count",
            "reason",
            "channel",
            "remote_addr",
        )
        attrs = {"class": "table table-hover align-middle small"}

    def render_fields(self, value: Any) -> str:
        return ", ".join(str(item) for item in value or [])

    def value_fields(self, value: Any) -> str:
        return self.render_fields(value)


class ChangeLogTable(tables.Table):
    timestamp = tables.DateTimeColumn(verbose_name=_("Time"), format="SHORT_DATETIME_FORMAT")
    actor_name = tables.Column(verbose_name=_("Who"), orderable=False)
    action = tables.Column(orderable=False)
    content_type = tables.Column(verbose_name=_("Type"), orderable=False)
    object_repr = tables.Column(verbose_name=_("What"), orderable=False)
    message = tables.Column(orderable=False)
    remote_addr = tables.Column(verbose_name=_("From"), orderable=False)

    class Meta:
        model = ChangeLog
        fields = (
            "timestamp",
            "actor_name",
            "action",
            "content_type",
            "object_repr",
            "message",
            "remote_addr",
        )
        attrs = {"class": "table table-hover align-middle small"}
