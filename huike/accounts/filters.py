from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from huike.accounts.models import Role, Team, User


class UserFilterSet(django_filters.FilterSet):
    """Shared by the user list page and ``/api/v1/users/``."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    role = django_filters.ModelChoiceFilter(
        label=_("Role"), queryset=Role.objects.all(), to_field_name="code"
    )
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.all())
    is_active = django_filters.BooleanFilter(
        label=_("Active"),
        widget=forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))]),
    )

    class Meta:
        model = User
        fields = ["q", "role", "team", "is_active"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(username__icontains=value)
            | Q(display_name__icontains=value)
            | Q(email__icontains=value)
        )


class TeamFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = Team
        fields = ["q"]
