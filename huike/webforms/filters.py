"""One FilterSet per list: the HTML list, its export and the API list share it."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from huike.parties.models import Party
from huike.webforms.models import Submission, WebForm


class WebFormFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text")
    is_active = django_filters.BooleanFilter(label=_("Active"))
    party_kind = django_filters.ChoiceFilter(label=_("Creates"), choices=Party.Kind.choices)

    class Meta:
        model = WebForm
        fields = ["q", "is_active", "party_kind"]

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(slug__icontains=value)
            | Q(title_zh__icontains=value)
            | Q(title_en__icontains=value)
        )


class SubmissionFilterSet(django_filters.FilterSet):
    form = django_filters.ModelChoiceFilter(
        label=_("Form"), queryset=WebForm.objects.all(), to_field_name="slug"
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Submission.Status.choices)
    party = django_filters.NumberFilter(label=_("Customer ID"), field_name="party_id")
    sent_after = django_filters.DateFilter(
        label=_("From"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sent_before = django_filters.DateFilter(
        label=_("To"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Submission
        fields = ["form", "status", "party", "sent_after", "sent_before"]
