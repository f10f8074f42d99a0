"""The identity API: the duplicate queue, merges and unmerges, searches for duplicates.

Every answer goes through the record scope: a pair exists for a caller only when they may see
both customers, a merge when they may see its surviving customer, a search when they started it
(or their scope is "all"); otherwise 404. Writes go through ``huike.identity.services`` and
``huike.identity.jobs``; the rules they enforce answer 400, a missing permission 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from huike.core.api.idempotency import IdempotentMixin
from huike.core.api.pagination import KeysetPagination
from huike.identity import jobs, services
from huike.identity.api.serializers import (
    BulkMergeResultSerializer,
    BulkMergeSerializer,
    CandidateDetailSerializer,
    CandidateMergeSerializer,
    CandidateSerializer,
    DedupeJobSerializer,
    DedupeStartSerializer,
    MergeCreateSerializer,
    MergeSerializer,
    UnmergeResultSerializer,
)
from huike.identity.filters import (
    CandidateFilterSet,
    MergeFilterSet,
    candidates_visible_to,
    merges_visible_to,
)
from huike.identity.models import DedupeJob, MatchCandidate, Merge
from huike.parties.models import Party

VIEW_CANDIDATE = "identity.view_matchcandidate"
MERGE = "identity.merge_parties"
VIEW_JOB = "identity.view_dedupejob"
ADD_JOB = "identity.add_dedupejob"
CHANGE_JOB = "identity.change_dedupejob"
VIEW_MERGE = "identity.view_merge"
NOT_VALID = OpenApiResponse(description="Not valid, or refused by a rule (the message says which)")

T = TypeVar("T")


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


class ActionPermissions(BasePermission):
    """Each action of the view names the permissions it needs (``action_permissions``); a
    method the view does not answer needs its first action's, so a permitted caller gets 405."""

    def has_permission(self, request: Any, view: Any) -> bool:
        table: dict[str, tuple[str, ...]] = view.action_permissions
        needed = table.get(getattr(view, "action", None) or "") or next(iter(table.values()))
        user = request.user
        return bool(user and user.is_authenticated and user.has_perms(needed))


class ScorePagination(KeysetPagination):
    """Pairs surest first."""

    ordering = ("-score", "-pk")  # type: ignore[assignment]


class DuplicateViewSet(
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Possible duplicates: pairs of customers that may be one, surest first.

    Filter with ``status`` (open, merged, not_duplicate), ``decision`` (same, maybe),
    ``min_score`` (0–1), ``found_by`` and ``party`` (a customer's id). A pair is listed only
    when the caller may see both customers. The detail holds the side-by-side comparison.
    """

    permission_classes = [IsAuthenticated, ActionPermissions]
    action_permissions = {
        "list": (VIEW_CANDIDATE,),
        "retrieve": (VIEW_CANDIDATE,),
        "merge": (VIEW_CANDIDATE, MERGE),
        "not_duplicate": (VIEW_CANDIDATE, MERGE),
        "bulk_merge": (VIEW_CANDIDATE, MERGE),
    }
    queryset = MatchCandidate.objects.all()
    serializer_class = CandidateSerializer
    filterset_class = CandidateFilterSet
    pagination_class = ScorePagination

    def get_queryset(self) -> QuerySet:
        return candidates_visible_to(self.request.user).select_related(
            "party_a", "party_b", "reviewed_by"
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "retrieve":
            return CandidateDetailSerializer
        return CandidateSerializer

    @extend_schema(
        request=CandidateMergeSerializer,
        responses={201: MergeSerializer, 400: NOT_VALID},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        """Merge the pair. ``survivor`` (one of the two) stays; ``choices`` name the values that
        must win: ``{attribute code: observation id}`` (the ``observation`` of a value in the
        comparison) and ``{field: customer id}`` for owner, team, stage, nature, region,
        industry, first_deal_date and notes."""
        candidate = self.get_object()
        body = CandidateMergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        wanted = body.validated_data.get("survivor")
        survivor: Party | None = None
        if wanted is not None:
            pair = {
                candidate.party_a_id: candidate.party_a,
                candidate.party_b_id: candidate.party_b,
            }
            survivor = pair.get(wanted)
            if survivor is None:
                raise exceptions.ValidationError(
                    {"survivor": [_("The surviving customer must be one of the two customers.")]}
                )
        merge = refused_as_400(
            lambda: services.merge_candidate(
                candidate,
                actor=request.user,
                survivor=survivor,
                choices=body.validated_data.get("choices") or {},
            )
        )
        return Response(MergeSerializer(merge).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: CandidateSerializer, 400: NOT_VALID})
    @action(detail=True, methods=["post"], url_path="not-duplicate", url_name="not-duplicate")
    def not_duplicate(self, request: Request, pk: str | None = None) -> Response:
        """Record that the two are different customers: the pair is never proposed again."""
        candidate = self.get_object()
        marked = refused_as_400(
            lambda: services.mark_not_duplicate(
                candidate.party_a, candidate.party_b, actor=request.user
            )
        )
        marked = self.get_queryset().get(pk=marked.pk)
        return Response(CandidateSerializer(marked).data)

    @extend_schema(
        request=BulkMergeSerializer,
        responses={200: BulkMergeResultSerializer, 400: NOT_VALID},
    )
    @action(detail=False, methods=["post"], url_path="bulk-merge", url_name="bulk-merge")
    def bulk_merge(self, request: Request) -> Response:
        """Merge every open pair (that the caller may see) at or above ``min_score``, surest
        first, each into its default survivor. Answers how many were merged."""
        body = BulkMergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        min_score = body.validated_data["min_score"]
        merged = refused_as_400(
            lambda: services.bulk_merge(
                self.get_queryset(), actor=request.user, min_score=min_score
            )
        )
        return Response({"merged": merged, "min_score": min_score})


class MergeViewSet(
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Merges, newest first, with what each moved and its undo (``unmerge``).

    ``POST`` merges two customers directly, whether they are a queued pair or not. A merge is
    listed when the caller may see its surviving customer; filter with ``party`` (either
    customer's id), ``automatic`` and ``undone``.
    """

    permission_classes = [IsAuthenticated, ActionPermissions]
    action_permissions = {
        "list": (VIEW_MERGE,),
        "retrieve": (VIEW_MERGE,),
        "create": (MERGE,),
        "unmerge": (VIEW_MERGE, MERGE),
    }
    queryset = Merge.objects.all()
    serializer_class = MergeSerializer
    filterset_class = MergeFilterSet

    def get_queryset(self) -> QuerySet:
        return merges_visible_to(self.request.user).select_related(
            "survivor", "merged_by", "unmerged_by"
        )

    @extend_schema(
        request=MergeCreateSerializer,
        responses={201: MergeSerializer, 400: NOT_VALID},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Merge ``merged`` into ``survivor`` (ids of customers the caller may see), with
        ``choices`` as for a pair's merge."""
        body = MergeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        visible = Party.objects.visible_to(request.user)
        parties = {
            party.pk: party for party in visible.filter(pk__in=[data["survivor"], data["merged"]])
        }
        missing = {
            name: [_("There is no such customer.")]
            for name in ("survivor", "merged")
            if data[name] not in parties
        }
        if missing:
            raise exceptions.ValidationError(missing)
        merge = refused_as_400(
            lambda: services.merge(
                parties[data["survivor"]],
                parties[data["merged"]],
                actor=request.user,
                choices=data.get("choices") or {},
            )
        )
        return Response(MergeSerializer(merge).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: UnmergeResultSerializer, 400: NOT_VALID})
    @action(detail=True, methods=["post"])
    def unmerge(self, request: Request, pk: str | None = None) -> Response:
        """Undo the merge: the merged customer comes back with the same id and everything it
        brought. Refused when it was undone already, or when the survivor was merged again
        since (undo that later merge first)."""
        merge = self.get_object()
        survivor, restored = refused_as_400(lambda: services.unmerge(merge, actor=request.user))
        merge.refresh_from_db()
        return Response(
            UnmergeResultSerializer(
                {"merge": merge, "survivor": survivor, "restored": restored}
            ).data
        )


class DedupeJobViewSet(
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Searches for duplicates, run by the background worker (as ``huike dedupe`` runs one).

    ``POST`` starts one over the customers the caller may see, or the ``segment`` the customer
    list's filters select; the answer (202) is the search, whose ``status`` (pending, running,
    done, failed, cancelled), ``progress`` (0–1) and counts you read again at its address. One
    search runs at a time. Callers see the searches they started; a role whose record scope is
    "all" sees every search.
    """

    permission_classes = [IsAuthenticated, ActionPermissions]
    action_permissions = {
        "list": (VIEW_JOB,),
        "retrieve": (VIEW_JOB,),
        "create": (ADD_JOB,),
        "cancel": (VIEW_JOB, CHANGE_JOB),
    }
    queryset = DedupeJob.objects.all()
    serializer_class = DedupeJobSerializer

    def get_queryset(self) -> QuerySet:
        return DedupeJob.objects.visible_to(self.request.user).select_related("created_by")

    @extend_schema(
        request=DedupeStartSerializer,
        responses={202: DedupeJobSerializer, 400: NOT_VALID},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Start a search for duplicates."""
        body = DedupeStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data["auto_merge"] and not request.user.has_perm(MERGE):
            raise exceptions.PermissionDenied
        job = refused_as_400(
            lambda: jobs.start_dedupe(
                actor=request.user, segment=data["segment"], auto_merge=data["auto_merge"]
            )
        )
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: DedupeJobSerializer, 400: NOT_VALID})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Stop the search: at once if it has not started, else within a second or so. The
        pairs it found stay queued."""
        job = self.get_object()
        job = refused_as_400(lambda: jobs.cancel(job, actor=request.user))
        return Response(self.get_serializer(job).data)
