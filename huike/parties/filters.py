"""One FilterSet for the customer list page, its export and ``/api/v1/parties/``."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huike.accounts.models import Team, User
from huike.parties.models import (
    CustomerNature,
    GoldenValue,
    Industry,
    Party,
    Region,
    SearchKey,
    Tag,
)
from huike.parties.selectors import search_condition

BOOLEAN_CHOICES = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]


class PartyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Party.Kind.choices)
    # ``distinct=False``: a column of the party itself cannot repeat rows, and SELECT DISTINCT
    # made PostgreSQL sort every matching row (all columns) before the page's LIMIT.
    stage = django_filters.MultipleChoiceFilter(
        label=_("Lifecycle stage"),
        choices=Party.Stage.choices,
        widget=forms.SelectMultiple(attrs={"size": 3}),
        distinct=False,
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=User.objects.filter(is_active=True), to_field_name="username"
    )
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.all())
    nature = django_filters.ModelChoiceFilter(
        label=_("Customer nature"),
        queryset=CustomerNature.objects.filter(is_active=True),
        to_field_name="code",
    )
    region = django_filters.CharFilter(
        label=_("Region code"),
        method="filter_region",
        help_text=_("Includes the regions inside it, e.g. 330000 for all of Zhejiang."),
    )
    industry = django_filters.CharFilter(
        label=_("Industry code"),
        method="filter_industry",
        help_text=_("Includes its sub-industries, e.g. C for all manufacturing."),
    )
    # ``field_name`` ends in ``__name`` because the filter compares the tag's ``to_field_name``
    # value: ``tags=<name>`` would compare a name with a primary key.
    tag = django_filters.ModelMultipleChoiceFilter(
        label=_("Tags"), field_name="tags__name", queryset=Tag.objects.all(), to_field_name="name"
    )
    stale = django_filters.BooleanFilter(
        label=_("Has stale values"),
        method="filter_stale",
        widget=forms.Select(choices=BOOLEAN_CHOICES),
    )

    class Meta:
        model = Party
        fields = [
            "q",
            "kind",
            "stage",
            "owner",
            "team",
            "nature",
            "region",
            "industry",
            "tag",
            "stale",
        ]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        condition = search_condition(value)
        if condition is None:
            return queryset
        return queryset.filter(pk__in=SearchKey.objects.filter(condition).values("party_id"))

    def _tree(self, queryset: QuerySet, model: Any, field: str, code: str) -> QuerySet:
        node = model.objects.filter(code=code.strip()).first()
        if node is None:
            return queryset.none()
        inside = model.objects.filter(Q(pk=node.pk) | Q(path__startswith=node.path + "/"))
        return queryset.filter(**{field + "__in": inside.values("pk")})

    def filter_region(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return self._tree(queryset, Region, "region", value) if value else queryset

    def filter_industry(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return self._tree(queryset, Industry, "industry", value) if value else queryset

    def filter_stale(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        stale = GoldenValue.objects.filter(stale_at__lte=timezone.now()).values("party_id")
        return queryset.filter(pk__in=stale) if value else queryset.exclude(pk__in=stale)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        # Custom attributes: ?attr.<code>=<value as text>, e.g. ?attr.scale=large
        for key, value in self.data.items():
            if key.startswith("attr.") and value:
                queryset = queryset.filter(
                    pk__in=GoldenValue.objects.filter(
                        attribute__code=key[5:], value_text=value
                    ).values("party_id")
                )
        return queryset
