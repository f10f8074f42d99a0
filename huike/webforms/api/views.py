from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from huike.core.api.pagination import KeysetPagination
from huike.core.models import AccessLog
from huike.core.services import log_access
from huike.parties import privacy
from huike.webforms.api.serializers import SubmissionSerializer, WebFormSerializer
from huike.webforms.filters import SubmissionFilterSet, WebFormFilterSet
from huike.webforms.models import Submission, WebForm


class WebFormViewSet(viewsets.ReadOnlyModelViewSet):
    """Public web forms with their fields and consent boxes (build them in the web pages)."""

    queryset = WebForm.objects.select_related("owner").prefetch_related(
        "fields__attribute", "consents__purpose", "consents__notice"
    )
    serializer_class = WebFormSerializer
    filterset_class = WebFormFilterSet
    lookup_value_regex = r"\d+"


class SubmissionOrder(KeysetPagination):
    ordering = "-id"


class SubmissionViewSet(viewsets.ReadOnlyModelViewSet):
    """What visitors sent through the forms, about customers you may see; values masked by
    your role's field access, consents with the exact text shown."""

    queryset = Submission.objects.all()
    serializer_class = SubmissionSerializer
    filterset_class = SubmissionFilterSet
    pagination_class = SubmissionOrder
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet:
        return Submission.objects.visible_to(self.request.user).select_related("form")

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["definitions"] = privacy.definitions_by_code()
        context["sensitive_read"] = self.sensitive_read
        return context

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.sensitive_read: list[str] = []

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        read = getattr(self, "sensitive_read", [])
        if read and response.status_code == 200:
            log_access(
                actor=request.user,
                action=AccessLog.Action.READ,
                fields=read,
                reason="web form submissions (API)",
                channel="api",
                request=request,
            )
        return super().finalize_response(request, response, *args, **kwargs)
