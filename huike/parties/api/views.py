from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from huike.core.api.idempotency import IdempotentMixin
from huike.core.api.pagination import KeysetPagination
from huike.core.api.viewsets import ScopedModelViewSet
from huike.core.models import AccessLog
from huike.core.services import log_access
from huike.identity import matching
from huike.identity import services as identity
from huike.parties import privacy, selectors, services
from huike.parties.api.serializers import (
    AttributeDefinitionSerializer,
    DuplicateSerializer,
    IndustrySerializer,
    ObservationCreateSerializer,
    ObservationSerializer,
    PartySerializer,
    RegionSerializer,
    RelationshipSerializer,
    RevealSerializer,
    service_errors,
)
from huike.parties.filters import PartyFilterSet
from huike.parties.models import (
    AttributeDefinition,
    Industry,
    Observation,
    Party,
    Region,
    Relationship,
)

T = TypeVar("T")
TRUE = {"1", "true", "yes", "on"}


def refused_as_400(write: Callable[[], T]) -> T:
    """Run a service; a rule it enforces (a ValidationError) answers 400, not 500."""
    try:
        return write()
    except DjangoValidationError as error:
        raise exceptions.ValidationError(
            error.message_dict
            if hasattr(error, "error_dict")
            else {"non_field_errors": error.messages}
        ) from error


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "version_conflict"


class SensitiveReadLogMixin:
    """Writes one access-log row per API response that carried sensitive values in clear."""

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        reads: dict[int, set[str]] = getattr(request, "sensitive_reads", None) or {}
        if reads and response.status_code < 400:
            party = Party.objects.filter(pk=next(iter(reads))).first() if len(reads) == 1 else None
            log_access(
                actor=request.user,
                action=AccessLog.Action.READ,
                obj=party,
                fields=set().union(*reads.values()),
                count=len(reads),
                reason=f"{request.method} {request.path}",
                channel="api",
                request=request,
            )
            request.sensitive_reads = {}  # type: ignore[attr-defined]
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]


def hidden_classes(user: Any) -> list[str]:
    """Sensitivity classes whose values ``user`` may not see at all."""
    if not hasattr(user, "field_access"):  # anonymous (e.g. while the schema is generated)
        return ["personal", "sensitive"]
    return [s for s in ("personal", "sensitive") if user.field_access(s) == privacy.HIDDEN]


class PartyViewSet(SensitiveReadLogMixin, ScopedModelViewSet):
    """Customers (people and organisations). ``?q=`` searches as the search box does.

    Send ``If-Match: "<version>"`` (the ETag of the detail) with PATCH/PUT to refuse the write
    with 412 when someone else changed the customer in between.
    """

    queryset = Party.objects.select_related(
        "owner", "nature", "region", "industry"
    ).prefetch_related("tags")
    serializer_class = PartySerializer
    filterset_class = PartyFilterSet
    ordering = "-pk"

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        match = (
            self.request.headers.get("If-Match", "")
            .strip()
            .strip('"')
            .removeprefix("W/")
            .strip('"')
        )
        if match:
            try:
                context["expected_version"] = int(match)
            except ValueError:
                raise exceptions.ParseError(_("If-Match must hold the version number.")) from None
        return context

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "create_anyway",
                bool,
                required=False,
                description="Create the customer even if it looks like one already on file.",
            )
        ],
        responses={201: PartySerializer, 409: DuplicateSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create a customer. Likely duplicates on file answer 409 with the candidates (nothing
        is saved) unless ``create_anyway`` is true; created anyway, the pairs are queued for
        review."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        anyway = (
            data.get("create_anyway")
            or str(request.query_params.get("create_anyway", "")).lower() in TRUE
        )
        kind = data["kind"]
        values = {services.NAME: data["name"], **(data.get("attributes") or {})}
        try:  # what the save would refuse answers 400 before any 409
            actor = request.user
            services.check_edit_rights(actor, services.validate_values(kind, values))
            services.check_assignment(actor, data.get("owner"), data.get("team"))
            services.check_suppression(values)
        except DjangoValidationError as error:
            raise service_errors(error) from error
        check = identity.check_at_entry(kind, values, user=request.user)
        found, shown = check.found, check.shown
        if shown and not anyway:
            return self.duplicate_answer(shown)
        with transaction.atomic():
            self.perform_create(serializer)
            if found:  # created anyway (or the look-alikes are out of the caller's scope)
                assert serializer.instance is not None
                identity.queue_found(serializer.instance, found)
        response = Response(
            serializer.data,
            status=status.HTTP_201_CREATED,
            headers=self.get_success_headers(serializer.data),
        )
        response["ETag"] = '"{}"'.format(response.data["version"])
        return response

    def duplicate_answer(self, shown: list[matching.Candidate]) -> Response:
        request = self.request
        body = {
            "status": status.HTTP_409_CONFLICT,
            "code": "duplicate",
            "type": "duplicate",
            "detail": _(
                "This customer may already be on file: nothing was saved. Add to one of the "
                "candidates, or send it again with create_anyway to create it anyway."
            ),
            "candidates": [
                {
                    "id": c.party.pk,
                    "name": c.party.name,
                    "url": request.build_absolute_uri(
                        reverse("api:party-detail", args=[c.party.pk])
                    ),
                    "score": round(c.score.probability, 4),
                    "decision": c.score.decision,
                    "explanation": c.score.explanation(),
                }
                for c in shown
            ],
        }
        response = Response(body, status=status.HTTP_409_CONFLICT)
        response.duplicate = True  # type: ignore[attr-defined]
        return response

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        # A duplicate warning wrote nothing: its Idempotency-Key stays free for the retry
        # with create_anyway (also when that is sent as ?create_anyway=1, same path and body).
        if getattr(response, "duplicate", False) and self._idempotency_record is not None:
            self._idempotency_record.delete()
            self._idempotency_record = None
        return super().finalize_response(request, response, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = '"{}"'.format(response.data["version"])
        return response

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            response = super().update(request, *args, **kwargs)
        except services.VersionConflict as conflict:
            raise PreconditionFailed(
                _(
                    "Someone else changed this customer (now version {version}). "
                    "Reload and try again."
                ).format(version=conflict.current)
            ) from None
        response["ETag"] = '"{}"'.format(response.data["version"])
        return response

    def perform_destroy(self, instance: Party) -> None:
        services.delete_party(instance, actor=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "attribute", str, required=True, description="Attribute code, e.g. mobile"
            )
        ],
        responses=ObservationSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def lineage(self, request: Request, pk: str | None = None) -> Response:
        """Every observation of one attribute of this customer, newest first."""
        party = self.get_object()
        code = request.query_params.get("attribute", "")
        if not AttributeDefinition.objects.filter(code=code).exists():
            raise exceptions.ValidationError(
                {"attribute": [_("Unknown attribute “{code}”.").format(code=code)]}
            )
        observations = selectors.lineage(party, code).exclude(
            attribute__sensitivity__in=hidden_classes(request.user)
        )[:500]
        return Response(
            ObservationSerializer(
                observations, many=True, context=self.get_serializer_context()
            ).data
        )

    @extend_schema(request=RevealSerializer, responses={200: dict})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def reveal(self, request: Request, pk: str | None = None) -> Response:
        """Masked values in clear, for a role allowed to reveal them; logged with the reason."""
        if not request.user.has_perm("parties.view_party"):
            raise exceptions.PermissionDenied()
        party = self.get_object()
        serializer = RevealSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        codes = serializer.validated_data["attributes"]
        known = privacy.definitions_by_code(codes)
        refused = [
            c for c in codes if c not in known or not privacy.may_reveal(request.user, known[c])
        ]
        if refused:
            raise exceptions.PermissionDenied(
                _("You may not reveal: {codes}.").format(codes=", ".join(refused))
            )
        golden = party.golden or {}
        values = {c: privacy.plain_or_none(c, golden.get(c)) for c in codes if c in golden}
        log_access(
            actor=request.user,
            action=AccessLog.Action.REVEAL,
            obj=party,
            fields=list(values),
            reason=serializer.validated_data["reason"],
            channel="api",
            request=request,
        )
        return Response({"attributes": values})


class ObservationViewSet(
    SensitiveReadLogMixin,
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Observations of customers you may see. POST adds values for one customer."""

    serializer_class = ObservationSerializer
    filterset_fields = ["party", "source"]

    def get_queryset(self) -> QuerySet:
        visible = Party.objects.visible_to(self.request.user).values("pk")
        queryset = (
            Observation.objects.filter(party__in=visible)
            .exclude(attribute__sensitivity__in=hidden_classes(self.request.user))
            .select_related("attribute")
        )
        code = self.request.query_params.get("attribute")
        return queryset.filter(attribute__code=code) if code else queryset

    def get_serializer_class(self) -> Any:
        return ObservationCreateSerializer if self.action == "create" else ObservationSerializer

    @extend_schema(request=ObservationCreateSerializer, responses=ObservationSerializer(many=True))
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ObservationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        party = serializer.validated_data["party"]
        if not Party.objects.visible_to(request.user).filter(pk=party.pk).exists():
            raise exceptions.NotFound()
        given = serializer.validated_data.get("provenance") or {}
        provenance = services.Provenance(
            source=serializer.validated_data["source"],
            source_ref=given.get("source_ref", ""),
            collected_at=given.get("collected_at"),
            consent=given.get("consent", ""),
            confidence=given.get("confidence", 1.0),
            note=given.get("note", ""),
        )
        try:
            observations = services.record_observations(
                party,
                serializer.validated_data["attributes"],
                actor=request.user,
                provenance=provenance,
            )
        except services.ValidationError as error:
            raise service_errors(error) from error
        return Response(
            ObservationSerializer(
                observations, many=True, context=self.get_serializer_context()
            ).data,
            status=status.HTTP_201_CREATED,
        )


class AttributeDefinitionViewSet(ScopedModelViewSet):
    """Profile fields. Everyone signed in may read them; changing them needs permission."""

    queryset = AttributeDefinition.objects.all()
    serializer_class = AttributeDefinitionSerializer
    filterset_fields = ["section", "data_type", "applies_to", "sensitivity", "is_active"]
    ordering = "pk"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_permissions(self) -> Sequence[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [IsAuthenticated()]
        return super().get_permissions()

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = refused_as_400(
            lambda: services.save_definition(
                AttributeDefinition(), actor=self.request.user, **serializer.validated_data
            )
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = refused_as_400(
            lambda: services.save_definition(
                serializer.instance, actor=self.request.user, **serializer.validated_data
            )
        )


class RelationshipViewSet(ScopedModelViewSet):
    """Ties between customers you may see (both ends must be visible)."""

    serializer_class = RelationshipSerializer
    filterset_fields = ["from_party", "to_party", "kind", "stakeholder_role"]
    ordering = "pk"

    def get_queryset(self) -> QuerySet:
        visible = Party.objects.visible_to(self.request.user).values("pk")
        party = self.request.query_params.get("party")
        queryset = Relationship.objects.filter(from_party__in=visible, to_party__in=visible)
        if party:
            queryset = queryset.filter(Q(from_party=party) | Q(to_party=party))
        return queryset

    def _check_visible(self, serializer: Any) -> None:
        visible = Party.objects.visible_to(self.request.user)
        for key in ("from_party", "to_party", "reports_to"):
            party = serializer.validated_data.get(key)
            if party is not None and not visible.filter(pk=party.pk).exists():
                raise exceptions.ValidationError({key: [_("No such customer.")]})

    def perform_create(self, serializer: Any) -> None:
        self._check_visible(serializer)
        serializer.instance = refused_as_400(
            lambda: services.save_relationship(
                Relationship(), actor=self.request.user, **serializer.validated_data
            )
        )

    def perform_update(self, serializer: Any) -> None:
        self._check_visible(serializer)
        serializer.instance = refused_as_400(
            lambda: services.save_relationship(
                serializer.instance, actor=self.request.user, **serializer.validated_data
            )
        )

    def perform_destroy(self, instance: Relationship) -> None:
        services.delete_relationship(instance, actor=self.request.user)


class CodeOrder(KeysetPagination):
    ordering = "code"


class _TreeViewSet(viewsets.ReadOnlyModelViewSet):
    """Reference data: ``?parent=<code>`` lists children, ``?q=`` finds by name or code."""

    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    pagination_class = CodeOrder

    def get_queryset(self) -> QuerySet:
        queryset = self.model.objects.select_related("parent")  # type: ignore[attr-defined]
        params = self.request.query_params
        if "parent" in params:
            parent = params["parent"]
            queryset = (
                queryset.filter(parent__code=parent) if parent else queryset.filter(parent=None)
            )
        if params.get("level"):
            queryset = queryset.filter(level=params["level"])
        if params.get("q"):
            term = params["q"].strip()
            queryset = queryset.filter(
                Q(code=term) | Q(name_zh__contains=term) | Q(name_en__icontains=term)
            )
        return queryset


class RegionViewSet(_TreeViewSet):
    model = Region
    serializer_class = RegionSerializer


class IndustryViewSet(_TreeViewSet):
    model = Industry
    serializer_class = IndustrySerializer
