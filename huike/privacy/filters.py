"""One FilterSet for the consent ledger page, its export and ``/api/v1/consents/``."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from huike.parties.selectors import matching_party_ids, search_condition
from huike.privacy.models import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    ImpactAssessment,
    Purpose,
    RiskLevel,
)


class ConsentRecordFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Customer"), method="filter_customer")
    party = django_filters.NumberFilter(label=_("Customer ID"), field_name="party_id")
    purpose = django_filters.ModelChoiceFilter(
        label=_("Purpose"), queryset=Purpose.objects.all(), to_field_name="code"
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ConsentStatus.choices)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    occurred_after = django_filters.DateFilter(
        label=_("From"),
        field_name="occurred_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    occurred_before = django_filters.DateFilter(
        label=_("To"),
        field_name="occurred_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = ConsentRecord
        fields = [
            "q",
            "party",
            "purpose",
            "status",
            "channel",
            "occurred_after",
            "occurred_before",
        ]

    def filter_customer(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Customers found as the search box finds them (name, pinyin, phone…)."""
        condition = search_condition(value)
        if condition is None:
            return queryset
        return queryset.filter(party__in=matching_party_ids(condition))


class ImpactAssessmentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="title", lookup_expr="icontains")
    risk_level = django_filters.ChoiceFilter(label=_("Risk level"), choices=RiskLevel.choices)
    purposes = django_filters.ModelChoiceFilter(
        label=_("Purpose"), queryset=Purpose.objects.all(), to_field_name="code"
    )

    class Meta:
        model = ImpactAssessment
        fields = ["q", "risk_level", "purposes"]
