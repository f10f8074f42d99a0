from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import huike
from huike.ops.services import health


class HealthView(APIView):
    """Database and worker status. Open to monitoring without a token; says nothing private.

    Answers 503 when the database is down (this web server cannot serve), else 200 with
    ``ok`` false while the worker is down, so a load balancer keeps routing to healthy web
    servers. Monitoring that should alarm on the worker asks ``?require=worker``: then a
    stopped worker also answers 503.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "require",
                str,
                enum=["worker"],
                required=False,
                description="Answer 503 also when the background worker is down.",
            )
        ],
        responses=inline_serializer(
            "Health",
            {
                "ok": serializers.BooleanField(),
                "version": serializers.CharField(),
                "database": serializers.DictField(),
                "worker": serializers.DictField(),
                "paused": serializers.BooleanField(),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        report = health()
        report["version"] = huike.__version__
        down = not report["database"]["ok"] or (
            request.query_params.get("require") == "worker" and not report["worker"]["ok"]
        )
        return Response(report, status=503 if down else 200)
