from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from huike.core.api.idempotency import IdempotentMixin
from huike.core.api.pagination import KeysetPagination
from huike.privacy.api.serializers import (
    ConsentRecordCreateSerializer,
    ConsentRecordSerializer,
    PurposeSerializer,
)
from huike.privacy.filters import ConsentRecordFilterSet
from huike.privacy.models import ConsentRecord, Purpose


class PurposeOrder(KeysetPagination):
    ordering = "code"


class PurposeViewSet(viewsets.ReadOnlyModelViewSet):
    """Purposes of processing, with their legal basis, retention, recipients, the profile fields
    collected and the current consent notice. Everyone signed in may read them: they are what
    the privacy notice tells customers."""

    queryset = Purpose.objects.prefetch_related("attributes", "notices")
    serializer_class = PurposeSerializer
    lookup_field = "code"
    pagination_class = PurposeOrder
    filterset_fields = ["legal_basis", "is_active"]

    def get_permissions(self) -> Sequence[Any]:
        return [IsAuthenticated()]


class ConsentRecordViewSet(
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The consent ledger of the customers you may see. POST records a consent granted or
    withdrawn (send ``Idempotency-Key`` so a retry does not add a second row)."""

    queryset = ConsentRecord.objects.all()
    serializer_class = ConsentRecordSerializer
    filterset_class = ConsentRecordFilterSet

    def get_queryset(self) -> QuerySet:
        return ConsentRecord.objects.visible_to(self.request.user).select_related("purpose")

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["actor"] = self.request.user
        return context

    def get_serializer_class(self) -> Any:
        if self.action == "create":
            return ConsentRecordCreateSerializer
        return ConsentRecordSerializer

    @extend_schema(request=ConsentRecordCreateSerializer, responses=ConsentRecordSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ConsentRecordCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        record = serializer.save()
        return Response(ConsentRecordSerializer(record).data, status=status.HTTP_201_CREATED)
