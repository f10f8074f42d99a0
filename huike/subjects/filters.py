"""One FilterSet for the request queue page and ``/api/v1/subject-requests/``."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from huike.subjects.models import SubjectRequest, SuppressionEntry

DUE_CHOICES = [
    ("open", _("Open")),
    ("overdue", _("Overdue")),
    ("soon", _("Due within 3 days")),
]


class SubjectRequestFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=SubjectRequest.Status.choices,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    kind = django_filters.ChoiceFilter(label=_("Request"), choices=SubjectRequest.Kind.choices)
    due = django_filters.ChoiceFilter(label=_("Due"), choices=DUE_CHOICES, method="filter_due")
    party = django_filters.NumberFilter(label=_("Customer number"), field_name="party")

    class Meta:
        model = SubjectRequest
        fields = ["q", "status", "kind", "due", "party"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip().lstrip("#")
        condition = Q(requester_name__icontains=value) | Q(requester_contact__icontains=value)
        if value.isdigit():
            condition |= Q(pk=int(value)) | Q(party=int(value))
        return queryset.filter(condition)

    def filter_due(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "overdue":
            return queryset.overdue()  # type: ignore[attr-defined]
        if value == "soon":
            return queryset.due_soon()  # type: ignore[attr-defined]
        if value == "open":
            return queryset.open()  # type: ignore[attr-defined]
        return queryset


class SuppressionFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=SuppressionEntry.Kind.choices)
    released = django_filters.BooleanFilter(
        label=_("Released"),
        field_name="released_at",
        lookup_expr="isnull",
        exclude=True,
        widget=forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))]),
    )
    added_after = django_filters.DateFilter(
        label=_("Added on or after"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    added_before = django_filters.DateFilter(
        label=_("Added on or before"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = SuppressionEntry
        fields = ["kind", "released", "added_after", "added_before"]
