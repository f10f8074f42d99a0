from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import huike
from huike.ops.services import health


class HealthView(APIView):
    """Database and worker status. Open to monitoring without a token; says nothing private.

    Answers 200 when everything is up and 503 when the database or the worker is down.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        responses=inline_serializer(
            "Health",
            {
                "ok": serializers.BooleanField(),
                "version": serializers.CharField(),
                "database": serializers.DictField(),
                "worker": serializers.DictField(),
            },
        )
    )
    def get(self, request: Request) -> Response:
        report = health()
        report["version"] = huike.__version__
        return Response(report, status=200 if report["ok"] else 503)
