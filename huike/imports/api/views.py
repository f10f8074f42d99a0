from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from huike.core.api.idempotency import IdempotentMixin
from huike.core.api.permissions import ModelPermissions
from huike.core.exports import csv_response
from huike.core.models import AccessLog
from huike.core.services import log_access
from huike.imports import services
from huike.imports.api.serializers import ImportJobSerializer, ImportUploadSerializer
from huike.imports.forms import SizeLimitedUploadHandler, too_large_message
from huike.imports.models import ImportJob

VIEW = "imports.view_importjob"
ADD = "imports.add_importjob"
CHANGE = "imports.change_importjob"
ADD_PARTY = "parties.add_party"


class ImportPermissions(ModelPermissions):
    """Model permissions; starting an import also takes permission to add customers, and
    each action names what it needs."""

    ACTIONS = {
        "create": (ADD, ADD_PARTY),
        "cancel": (VIEW, CHANGE),
        "rejects": (VIEW,),
    }

    def has_permission(self, request: Any, view: Any) -> bool:
        needed = self.ACTIONS.get(getattr(view, "action", None) or "")
        if needed is not None:
            user = request.user
            return bool(user and user.is_authenticated and user.has_perms(needed))
        return super().has_permission(request, view)


def _invalid(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(
        error.message_dict if hasattr(error, "error_dict") else {"file": error.messages}
    )


class _ParsedAfterChecks:
    """Parses a POST's body once the caller is signed in and permitted, before
    ``IdempotentMixin`` fingerprints it: an upload is then fingerprinted as parsed (form fields
    and file names), never read whole into memory as raw bytes."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if getattr(self, "action", None) == "create":
            request.data  # noqa: B018


class ImportJobViewSet(
    IdempotentMixin,
    _ParsedAfterChecks,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Imports of customer files, as ``huike import`` runs them, in the background worker.

    ``POST`` a file (multipart) with the command line's options; the answer (202) is the job,
    whose ``status`` (pending, running, done, failed, cancelled), counts, ``progress`` (0–1),
    ``rate`` (rows/s) and ``eta`` (seconds) you read again at its address. Callers see the
    imports they started; a role whose record scope is "all" sees every import.
    """

    queryset = ImportJob.objects.select_related("created_by")
    serializer_class = ImportJobSerializer
    permission_classes = [IsAuthenticated, ImportPermissions]
    parser_classes = [MultiPartParser]

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Before anything reads the body: stop reading an upload past UPLOAD_MAX_BYTES.
        request.upload_handlers = [SizeLimitedUploadHandler(request), *request.upload_handlers]
        return super().initialize_request(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return ImportJob.objects.visible_to(self.request.user).select_related("created_by")

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportJobSerializer, 400: OpenApiResponse(description="Not valid")},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Upload a file and start importing it."""
        if getattr(request._request, "upload_too_large", False):
            raise serializers.ValidationError({"file": [too_large_message()]})
        body = ImportUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            job = services.start_job(
                data["file"],
                actor=request.user,
                original_name=data["file"].name,
                preset=data.get("preset", ""),
                mapping=data.get("map") or None,
                encoding=data.get("encoding", ""),
                phone_region=data.get("phone_region", ""),
                source=data.get("source", "") or "import",
                consent=data.get("consent", ""),
                evidence=data.get("evidence", ""),
                policy=data["policy"],
                party_kind=data.get("kind", ""),
            )
            services.queue(job, actor=request.user, dry_run=data["dry_run"])
        except DjangoValidationError as error:
            raise _invalid(error) from error
        job.refresh_from_db()
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Stop the import: at once if it has not started, else after the batch in progress."""
        job = self.get_object()
        try:
            services.cancel(job, actor=request.user)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"non_field_errors": error.messages}) from error
        return Response(self.get_serializer(job).data)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def rejects(self, request: Request, pk: str | None = None) -> StreamingHttpResponse:
        """The rejected rows as a CSV file to fix and import again, with a *Problems* column.
        Cells that would start a formula are prefixed with an apostrophe; values the caller's
        role may not read in full are left empty."""
        job = self.get_object()
        header, rows, count = services.rejects(job, user=request.user)
        log_access(
            actor=request.user,
            action=AccessLog.Action.EXPORT,
            fields=header[:-1],
            count=count,
            reason=f"import #{job.pk} rejected rows",
            channel="api",
            request=request,
        )
        return csv_response(f"import-{job.pk}-rejects", header, rows)
