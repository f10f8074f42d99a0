from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huike.core.api.permissions import ModelPermissions
from huike.core.api.viewsets import ScopedModelViewSet
from huike.core.services import log_access
from huike.subjects import exporting, services, suppression
from huike.subjects.api.serializers import (
    ErasureSerializer,
    NoteSerializer,
    RefuseSerializer,
    SubjectRequestSerializer,
    SuppressionAnswerSerializer,
    SuppressionCheckSerializer,
    VerifySerializer,
    call,
)
from huike.subjects.filters import SubjectRequestFilterSet
from huike.subjects.models import SubjectRequest

VIEW = "subjects.view_subjectrequest"
CHANGE = "subjects.change_subjectrequest"
EXPORT = "subjects.export_subject"
ERASE = "subjects.erase_party"


class SubjectRequestPermissions(ModelPermissions):
    """Model permissions for list/create; each workflow action names what it needs."""

    ACTIONS = {
        "verify": (VIEW, CHANGE),
        "start": (VIEW, CHANGE),
        "refuse": (VIEW, CHANGE),
        "restrict": (VIEW, CHANGE),
        "fulfil": (VIEW, CHANGE),
        "erase": (VIEW, CHANGE, ERASE),
        "download": (VIEW, EXPORT),
    }

    def has_permission(self, request: Any, view: Any) -> bool:
        needed = self.ACTIONS.get(getattr(view, "action", None) or "")
        if needed is not None:
            user = request.user
            return bool(user and user.is_authenticated and user.has_perms(needed))
        return super().has_permission(request, view)


class SubjectRequestViewSet(ScopedModelViewSet):
    """Data-subject requests: the DPO's queue. Filters as on the queue page
    (``?status=received&due=overdue``); sorted by due date."""

    queryset = SubjectRequest.objects.select_related("party", "verified_by", "handled_by")
    serializer_class = SubjectRequestSerializer
    filterset_class = SubjectRequestFilterSet
    permission_classes = [IsAuthenticated, SubjectRequestPermissions]
    http_method_names = ["get", "post", "head", "options"]

    def _answer(self, obj: SubjectRequest, code: int = status.HTTP_200_OK) -> Response:
        obj.refresh_from_db()
        return Response(self.get_serializer(obj).data, status=code)

    @extend_schema(request=VerifySerializer, responses=SubjectRequestSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """Record how the requester's identity was checked (and, optionally, the customer)."""
        obj = self.get_object()
        body = VerifySerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        call(
            services.verify_identity,
            obj,
            actor=request.user,
            method=body.validated_data["method"],
            evidence=body.validated_data["evidence"],
            party=body.validated_data.get("party"),
        )
        return self._answer(obj)

    @extend_schema(request=None, responses=SubjectRequestSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        """Take the request on (after the identity check)."""
        obj = self.get_object()
        call(services.start, obj, actor=request.user)
        return self._answer(obj)

    @extend_schema(request=RefuseSerializer, responses=SubjectRequestSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str | None = None) -> Response:
        """Close the request without doing it; ``reason`` is required."""
        obj = self.get_object()
        body = RefuseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call(services.refuse, obj, actor=request.user, reason=body.validated_data["reason"])
        return self._answer(obj)

    @extend_schema(request=NoteSerializer, responses=SubjectRequestSerializer)
    @action(detail=True, methods=["post"])
    def fulfil(self, request: Request, pk: str | None = None) -> Response:
        """Access/portability: make the export (then GET ``download``). Correction,
        restriction, objection: close with ``note`` saying what was done."""
        obj = self.get_object()
        if obj.kind in SubjectRequest.EXPORT_KINDS and obj.party_id is not None:
            if not request.user.has_perm(EXPORT):
                self.permission_denied(request)
            call(services.fulfil_access, obj, actor=request.user, channel="api")
            return self._answer(obj)
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call(services.fulfil, obj, actor=request.user, note=body.validated_data.get("note", ""))
        return self._answer(obj)

    @extend_schema(request=None, responses=SubjectRequestSerializer)
    @action(detail=True, methods=["post"])
    def restrict(self, request: Request, pk: str | None = None) -> Response:
        """Restrict processing of the request's customer."""
        obj = self.get_object()
        call(services.restrict_for_request, obj, actor=request.user, channel="api")
        return self._answer(obj)

    @extend_schema(
        request=None,
        responses={
            200: ErasureSerializer,
            409: OpenApiResponse(description="Erasure not yet possible; customer restricted."),
        },
    )
    @action(detail=True, methods=["post"])
    def erase(self, request: Request, pk: str | None = None) -> Response:
        """Erase the request's customer (identity verified, erasure request). 409 with
        ``reasons`` when a provider holds the records: the customer is restricted instead."""
        obj = self.get_object()
        try:
            summary = call(services.erase_for_request, obj, actor=request.user, channel="api")
        except services.ErasureBlocked as blocked:
            return Response(
                {
                    "status": status.HTTP_409_CONFLICT,
                    "code": "erasure_blocked",
                    "detail": _(
                        "Erasure is not possible yet; processing of this customer is restricted."
                    ),
                    "reasons": blocked.reasons,
                },
                status=status.HTTP_409_CONFLICT,
            )
        obj.refresh_from_db()
        return Response({"request": self.get_serializer(obj).data, "summary": summary})

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        """The access export as a zip (``subject.json`` and one CSV per section)."""
        obj = self.get_object()
        path = exporting.stored_path(obj.result_file)
        if path is None or obj.party is None:
            raise Http404
        log_access(
            actor=request.user,
            action="subject_access",
            obj=obj.party,
            reason=f"download of request #{obj.pk}",
            channel="api",
            request=request,
        )
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=f"subject-request-{obj.pk}.zip",
            content_type="application/zip",
        )


class MayCheckSuppressions(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.has_perm("subjects.view_suppressionentry"))


class SuppressionCheckView(APIView):
    """Is a contact point on the suppression list (an erased person's)? The list holds only
    digests; this answers yes or no, never the value.

    ``GET ?value=`` checks one phone, e-mail or ID number in any format. ``POST
    {"value": …}`` does the same without the value in the address (preferred), and ``POST
    {"values": {"mobile": …, "email": …}}`` answers which attribute codes are suppressed.
    """

    permission_classes = [IsAuthenticated, MayCheckSuppressions]

    def _one(self, value: str) -> Response:
        kinds = suppression.suppressed_kinds(value)
        return Response({"suppressed": bool(kinds), "kinds": kinds})

    @extend_schema(
        parameters=[OpenApiParameter("value", str, description="Phone, e-mail or ID number")],
        responses=SuppressionAnswerSerializer,
    )
    def get(self, request: Request) -> Response:
        return self._one(request.query_params.get("value", ""))

    @extend_schema(request=SuppressionCheckSerializer, responses=SuppressionAnswerSerializer)
    def post(self, request: Request) -> Response:
        body = SuppressionCheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data.get("values")
        if values is not None:
            codes = suppression.is_suppressed(values)
            return Response({"suppressed": bool(codes), "codes": codes})
        return self._one(body.validated_data.get("value", ""))
