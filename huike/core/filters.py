"""Filters of the audit pages (access log and change log), shared by the HTML lists and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from huike.core.models import AccessLog, ChangeLog


class _AuditFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    actor = django_filters.CharFilter(label=_("Who"), field_name="actor_name", lookup_expr="iexact")
    object_id = django_filters.CharFilter(label=_("Object id"), field_name="object_id")
    since = django_filters.DateFilter(
        label=_("From"),
        field_name="timestamp",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label=_("Until"),
        field_name="timestamp",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    search_fields: tuple[str, ...] = ()

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


class AccessLogFilterSet(_AuditFilterSet):
    action = django_filters.ChoiceFilter(label=_("Action"), choices=AccessLog.Action.choices)
    search_fields = ("actor_name", "object_repr", "reason", "path")

    class Meta:
        model = AccessLog
        fields = ["q", "action", "actor", "object_id", "since", "until"]


class ChangeLogFilterSet(_AuditFilterSet):
    action = django_filters.ChoiceFilter(label=_("Action"), choices=ChangeLog.Action.choices)
    search_fields = ("actor_name", "object_repr", "message")

    class Meta:
        model = ChangeLog
        fields = ["q", "action", "actor", "object_id", "since", "until"]
