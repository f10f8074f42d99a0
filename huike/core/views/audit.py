"""The audit pages: who read personal information (access log) and who changed what."""

from __future__ import annotations

from django.db.models import QuerySet

from huike.core.filters import AccessLogFilterSet, ChangeLogFilterSet
from huike.core.models import AccessLog, ChangeLog
from huike.core.tables import AccessLogTable, ChangeLogTable
from huike.core.views.generic import ObjectListView


class AccessLogListView(ObjectListView):
    model = AccessLog
    filterset_class = AccessLogFilterSet
    table_class = AccessLogTable
    default_order = "-pk"


class ChangeLogListView(ObjectListView):
    model = ChangeLog
    filterset_class = ChangeLogFilterSet
    table_class = ChangeLogTable
    default_order = "-pk"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("content_type")
