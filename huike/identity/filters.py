"""Who sees which possible duplicates and merges, and the filters of their lists (one FilterSet
shared by the pages and the API).

A pair is visible only when the reader may see both customers: a pair with one customer
outside the reader's scope does not exist for them (lists leave it out, its page answers 404).
A merge is visible when its surviving customer is.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from huike.identity.models import Decision, MatchCandidate, Merge
from huike.parties.models import Party

BOOLEAN_CHOICES = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]


def _all_visible(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.record_scope == "all"
    )


def candidates_visible_to(user: Any) -> QuerySet[MatchCandidate]:
    """The pairs ``user`` may see: both customers inside their record scope."""
    queryset = MatchCandidate.objects.all()
    if _all_visible(user):
        return queryset
    visible = Party.objects.visible_to(user).values("pk")
    return queryset.filter(party_a__in=visible, party_b__in=visible)


def merges_visible_to(user: Any) -> QuerySet[Merge]:
    """The merges ``user`` may see: those whose surviving customer they may see."""
    queryset = Merge.objects.all()
    if _all_visible(user):
        return queryset
    return queryset.filter(survivor__in=Party.objects.visible_to(user).values("pk"))


class CandidateFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=MatchCandidate.Status.choices, empty_label=_("Any")
    )
    decision = django_filters.ChoiceFilter(
        label=_("Decision"),
        choices=[(Decision.SAME, Decision.SAME.label), (Decision.MAYBE, Decision.MAYBE.label)],
        empty_label=_("Any"),
    )
    min_score = django_filters.NumberFilter(
        label=_("Confidence at least"),
        field_name="score",
        lookup_expr="gte",
        min_value=0,
        max_value=1,
        help_text=_("Between 0 and 1, e.g. 0.9 for 90 %."),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
    )
    found_by = django_filters.ChoiceFilter(
        label=_("Found by"), choices=MatchCandidate.FoundBy.choices, empty_label=_("Any")
    )
    party = django_filters.NumberFilter(
        label=_("Customer number"),
        method="filter_party",
        min_value=1,
        help_text=_("Only the pairs this customer belongs to."),
    )
    job = django_filters.NumberFilter(
        label=_("Duplicate search"), field_name="job", min_value=1, widget=forms.HiddenInput
    )

    class Meta:
        model = MatchCandidate
        fields = ["status", "decision", "min_score", "found_by", "party", "job"]

    def filter_party(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(Q(party_a=value) | Q(party_b=value))


class MergeFilterSet(django_filters.FilterSet):
    party = django_filters.NumberFilter(
        label=_("Customer number"),
        method="filter_party",
        min_value=1,
        help_text=_("Merges into this customer, or of it."),
    )
    automatic = django_filters.BooleanFilter(
        label=_("Automatic"), widget=forms.Select(choices=BOOLEAN_CHOICES)
    )
    undone = django_filters.BooleanFilter(
        label=_("Undone"),
        field_name="unmerged_at",
        lookup_expr="isnull",
        exclude=True,
        widget=forms.Select(choices=BOOLEAN_CHOICES),
    )

    class Meta:
        model = Merge
        fields = ["party", "automatic", "undone"]

    def filter_party(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(Q(survivor=value) | Q(merged_id=value))
