"""``/api/v1/shares/``: who each customer is explicitly shared with, beyond record scopes.

Lists the shares of the customers the caller sees; POST shares one more, DELETE withdraws one.
Both follow the page's rule (the owner, a manager of the owner's team or an administrator) and
write the customer's change log (``huike.parties.sharing``).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers

from huike.accounts.models import Team, User
from huike.core.api.viewsets import ScopedModelViewSet
from huike.parties import sharing
from huike.parties.models import Party, PartyShare


class PartyShareSerializer(serializers.ModelSerializer):
    """A share: ``user`` (a username) or ``team`` (an id), never both."""

    party = serializers.PrimaryKeyRelatedField(
        queryset=Party.objects.none(), help_text="A customer you see."
    )
    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        allow_null=True,
        required=False,
        help_text="Username of the user it is shared with.",
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    granted_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = PartyShare
        fields = ["id", "party", "user", "team", "note", "granted_by", "created_at"]
        read_only_fields = ["id", "granted_by", "created_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        actor = self.context.get("actor")
        if actor is not None:
            # Only customers the caller sees can be named; others read as "does not exist".
            party = fields["party"]
            assert isinstance(party, serializers.PrimaryKeyRelatedField)
            party.queryset = Party.objects.visible_to(actor).select_related("owner")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("user") is None) == (attrs.get("team") is None):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Share with either a user or a team.")]}
            )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> PartyShare:
        try:
            return sharing.share_party(
                validated_data["party"],
                actor=self.context["actor"],
                user=validated_data.get("user"),
                team=validated_data.get("team"),
                note=validated_data.get("note", ""),
            )
        except DjangoValidationError as error:
            raise exceptions.ValidationError(
                error.message_dict
                if hasattr(error, "error_dict")
                else {"non_field_errors": error.messages}
            ) from error


class PartyShareFilterSet(django_filters.FilterSet):
    # Plain numbers: a choice filter would tell apart customers that exist but are not visible.
    party = django_filters.NumberFilter(field_name="party_id")
    team = django_filters.NumberFilter(field_name="team_id")
    user = django_filters.CharFilter(field_name="user__username")

    class Meta:
        model = PartyShare
        fields = ["party", "team", "user"]


class PartyShareViewSet(ScopedModelViewSet):
    """Shares of the customers you see. ``?party=<id>`` narrows to one customer."""

    queryset = PartyShare.objects.select_related("user", "team", "granted_by")
    serializer_class = PartyShareSerializer
    filterset_class = PartyShareFilterSet
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet:
        visible = Party.objects.visible_to(self.request.user).values("pk")
        return super().get_queryset().filter(party__in=visible)

    def perform_destroy(self, instance: PartyShare) -> None:
        sharing.withdraw_share(instance, actor=self.request.user)
