"""Base viewsets: permission-scoped queryset, idempotent POST, writes through services."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import viewsets

from huike.core.api.idempotency import IdempotentMixin


class ScopedModelViewSet(IdempotentMixin, viewsets.ModelViewSet):
    """Every list and detail goes through ``visible_to(user)``; out of scope answers 404."""

    def get_queryset(self) -> models.QuerySet:
        queryset = super().get_queryset()
        if hasattr(queryset, "visible_to"):
            queryset = queryset.visible_to(self.request.user)
        return queryset

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["actor"] = self.request.user
        return context
