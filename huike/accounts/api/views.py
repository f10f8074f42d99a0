from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huike.accounts import services
from huike.accounts.api.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenSerializer,
    MeSerializer,
    RoleSerializer,
    TeamSerializer,
    UserSerializer,
)
from huike.accounts.filters import TeamFilterSet, UserFilterSet
from huike.accounts.models import ApiToken, Role, Team, User
from huike.core.api.idempotency import IdempotentMixin
from huike.core.api.viewsets import ScopedModelViewSet


class UserViewSet(ScopedModelViewSet):
    queryset = User.objects.select_related("role", "team").prefetch_related("territories")
    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]


class TeamViewSet(ScopedModelViewSet):
    queryset = Team.objects.select_related("leader")
    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]


class RoleViewSet(ScopedModelViewSet):
    """Roles. PATCH edits one (scope, field access, permissions); roles are created in the UI."""

    queryset = Role.objects.prefetch_related("permissions__content_type")
    serializer_class = RoleSerializer
    http_method_names = ["get", "patch", "head", "options"]


class MeView(APIView):
    """The user the request is authenticated as, with their effective permissions."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class ApiTokenViewSet(
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own API tokens. POST answers with the key, once; DELETE revokes."""

    queryset = ApiToken.objects.none()  # tells the schema the model; get_queryset() is used
    serializer_class = ApiTokenSerializer

    def get_serializer_class(self) -> Any:
        return ApiTokenCreatedSerializer if self.action == "create" else ApiTokenSerializer

    permission_classes = [permissions.IsAuthenticated]
    idempotency_redact = ("key",)  # only the key's hash is ever stored

    def get_queryset(self) -> QuerySet:
        return ApiToken.objects.filter(user=cast(User, self.request.user), revoked_at__isnull=True)

    def perform_create(self, serializer: Any) -> None:
        user = self.request.user
        assert isinstance(user, User)
        token, key = services.issue_token(
            user,
            actor=self.request.user,
            name=serializer.validated_data["name"],
            expires_at=serializer.validated_data.get("expires_at"),
        )
        token.key = key  # type: ignore[attr-defined]
        serializer.instance = token

    def perform_destroy(self, instance: ApiToken) -> None:
        services.revoke_token(instance, actor=self.request.user)
