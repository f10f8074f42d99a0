"""``POST /api/v1/intake/``: one or many party observations from points of sale, events and
other systems (docs/intake.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huike.core.api.idempotency import HEADER, IdempotentMixin
from huike.intake import services
from huike.intake.api import schema  # noqa: F401 - registers the schema extension
from huike.intake.api.serializers import (
    MAX_ITEMS,
    ApiErrorSerializer,
    IntakeAnswerSerializer,
    IntakeBatchSerializer,
    IntakeItemSerializer,
)

SUBMIT = "intake.submit_intake"


class CanSubmitIntake(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm(SUBMIT))


class TooManyItems(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_many_items"

    def __init__(self) -> None:
        super().__init__(
            _("Send at most {limit} items per request; split the batch.").format(limit=MAX_ITEMS)
        )


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self) -> None:
        super().__init__(_("The request body is too large; split the batch."))


def body_limit() -> int | None:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


ERROR = ApiErrorSerializer
BATCH_EXAMPLE = {
    "items": [
        {
            "name": "张三",
            "attributes": {"mobile": "13800138000", "email": "zs@example.com"},
            "source": "event:spring-fair",
            "collector": "booth 3, 王芳",
            "collected_at": "2026-03-01T10:30:00+08:00",
            "consent": [{"purpose": "marketing", "evidence": "check-in form, box ticked"}],
        }
    ]
}


class IntakeView(IdempotentMixin, APIView):
    """Take in one item or ``{"items": [...]}`` (at most 1,000). Each item matches an existing
    customer (explicit ``match``, or external id, e-mail, mobile among the customers you see)
    or creates one; its values become observations stamped with source, collector, collection
    time and consent. Answers 200 with one result per item: one bad item is rejected with its
    reasons, the others are kept. Send ``Idempotency-Key`` so a retry writes nothing twice."""

    permission_classes = [IsAuthenticated, CanSubmitIntake]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="intake_create",
        request=PolymorphicProxySerializer(
            component_name="IntakeBody",
            serializers=[IntakeItemSerializer, IntakeBatchSerializer],
            resource_type_field_name=None,
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Any unique value (a UUID); retry with the same key and body to "
                "get the first answer (header Idempotent-Replayed: true) without a second write.",
            )
        ],
        responses={
            200: IntakeAnswerSerializer,
            400: OpenApiResponse(ERROR, description="Not JSON, or neither an item nor a batch."),
            401: OpenApiResponse(ERROR, description="No or bad token."),
            403: OpenApiResponse(ERROR, description="Lacks intake.submit_intake."),
            409: OpenApiResponse(ERROR, description="The first request with this key runs."),
            413: OpenApiResponse(ERROR, description="More than 1,000 items, or too many bytes."),
            415: OpenApiResponse(ERROR, description="The body is not JSON."),
            422: OpenApiResponse(ERROR, description="The key was used for another request."),
        },
        examples=[OpenApiExample("Event check-in", value=BATCH_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        limit = body_limit()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            raise BodyTooLarge
        entries: list[services.Item | dict[str, Any]] = []
        for raw in self._raw_items(request.data):
            serializer = IntakeItemSerializer(data=raw)
            if serializer.is_valid():
                entries.append(serializer.item())
            else:
                entries.append(dict(serializer.errors))
        receipt = services.receive(
            entries,
            actor=request.user,
            token_name=getattr(request.auth, "name", "") or "",
            idempotency_key=request.META.get(HEADER, ""),
        )
        outcomes = receipt.outcomes
        return Response(
            {
                "request": str(receipt.request.pk),
                "created": receipt.request.created,
                "updated": receipt.request.updated,
                "skipped": receipt.request.skipped,
                "rejected": receipt.request.rejected,
                "results": [
                    {
                        "index": outcome.index,
                        "status": str(outcome.status),
                        "party": outcome.party,
                        "observations": outcome.observations,
                        "consents": outcome.consents,
                        "errors": outcome.errors,
                    }
                    for outcome in outcomes
                ],
            }
        )

    def _raw_items(self, data: Any) -> list[Any]:
        """The items of the body: a batch's list, or the body itself as one item."""
        if not isinstance(data, dict):
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Send one item (a JSON object) or {“items”: […]}.")]}
            )
        if "items" not in data:
            return [data]
        extra = sorted(set(data) - {"items"})
        if extra:
            raise exceptions.ValidationError(
                {key: [_("A batch holds only “items”; put this in each item.")] for key in extra}
            )
        items = data["items"]
        if not isinstance(items, list):
            raise exceptions.ValidationError({"items": [_("Send a list of items.")]})
        if not items:
            raise exceptions.ValidationError({"items": [_("Send at least one item.")]})
        if len(items) > MAX_ITEMS:
            raise TooManyItems
        return items

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestDataTooBig):
            exc = BodyTooLarge()
        return super().handle_exception(exc)
