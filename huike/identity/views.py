"""The duplicate pages: the review queue, one pair side by side, searches for duplicates with
their progress, and the merges with their undo.

Every page checks sign-in (anonymous: off to sign in), then the permission (403), then the
record scope: a pair is there only when the reader may see both customers, a merge when they
may see its surviving customer, a search when they started it (or their scope is "all");
otherwise 404. Only POST changes anything.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_filters import FilterSet

from huike.core.views.generic import ObjectListView
from huike.identity import jobs, matching, selectors, services
from huike.identity.filters import (
    CandidateFilterSet,
    MergeFilterSet,
    candidates_visible_to,
    merges_visible_to,
)
from huike.identity.forms import (
    BulkMergeForm,
    StartDedupeForm,
    choices_from,
    chosen_labels,
    explanation_rows,
    review_rows,
)
from huike.identity.models import DedupeJob, MatchCandidate, Merge
from huike.identity.tables import (
    CandidateTable,
    DedupeJobTable,
    MergeTable,
    decision_badge,
    job_badge,
    percent,
    score_bar,
    status_badge,
)
from huike.parties.models import Party

VIEW_CANDIDATE = "identity.view_matchcandidate"
MERGE = "identity.merge_parties"
VIEW_JOB = "identity.view_dedupejob"
ADD_JOB = "identity.add_dedupejob"
CHANGE_JOB = "identity.change_dedupejob"
VIEW_MERGE = "identity.view_merge"
BULK_SHOWN = 20  # pairs listed on the bulk confirmation page
PANEL_SHOWN = 5  # pairs and merges listed on a customer's page
# Kinds of moved rows with a name of their own (the others: the model's name and the field's).
MOVED_LABELS = {"core.changelog.object_id": gettext_lazy("Entries of the change history")}


def _require(request: HttpRequest, *permissions: str) -> None:
    if not request.user.has_perms(permissions):
        raise PermissionDenied


def _candidate(request: HttpRequest, pk: int, *permissions: str) -> MatchCandidate:
    """Pair ``pk`` if the user holds the permissions (else 403) and sees both customers
    (else 404)."""
    _require(request, VIEW_CANDIDATE, *permissions)
    queryset = candidates_visible_to(request.user).select_related(
        "party_a", "party_b", "reviewed_by", "job"
    )
    return get_object_or_404(queryset, pk=pk)


def _job(request: HttpRequest, pk: int, *permissions: str) -> DedupeJob:
    _require(request, VIEW_JOB, *permissions)
    queryset = DedupeJob.objects.visible_to(request.user).select_related("created_by")
    return get_object_or_404(queryset, pk=pk)


def _merge(request: HttpRequest, pk: int, *permissions: str) -> Merge:
    _require(request, VIEW_MERGE, *permissions)
    queryset = merges_visible_to(request.user).select_related(
        "survivor", "merged_by", "unmerged_by", "candidate"
    )
    return get_object_or_404(queryset, pk=pk)


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


class _NamedListView(ObjectListView):
    """A list whose URL names are the app's own (``identity:candidates``…)."""

    list_url_name: str

    def url_name(self, action: str) -> str:
        return self.list_url_name if action == "list" else f"identity:no_{action}"


# --- the queue ----------------------------------------------------------------------------------


class CandidateListView(_NamedListView):
    """Pairs to review, surest first; the status filter starts at "to review"."""

    model = MatchCandidate
    filterset_class = CandidateFilterSet
    table_class = CandidateTable
    template_name = "identity/matchcandidate_list.html"
    default_order = "-score"
    list_url_name = "identity:candidates"
    export_name = "possible duplicates"

    def get_queryset(self) -> QuerySet:
        return candidates_visible_to(self.request.user).select_related("party_a", "party_b")

    def filtered_queryset(self) -> tuple[QuerySet, FilterSet | None]:
        data = self.request.GET.copy()
        if "status" not in data:
            data["status"] = MatchCandidate.Status.OPEN
        filterset = CandidateFilterSet(data, queryset=self.get_queryset(), request=self.request)
        if filterset.is_valid():
            return filterset.qs, filterset
        return self.get_queryset().none(), filterset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            can_merge=user.has_perm(MERGE),
            can_search=user.has_perm(VIEW_JOB),
            can_see_merges=user.has_perm(VIEW_MERGE),
            bulk_form=BulkMergeForm() if user.has_perm(MERGE) else None,
        )
        return context


@login_required
@require_http_methods(["GET", "POST"])
def bulk_merge(request: HttpRequest) -> HttpResponse:
    """Merge every open pair at or above a confidence, after a confirmation step that says how
    many pairs that is and lists the first of them. Only pairs the user sees are merged."""
    _require(request, VIEW_CANDIDATE, MERGE)
    data = request.POST if request.method == "POST" else request.GET
    form = BulkMergeForm(data if "min_percent" in data else None)
    pairs: QuerySet | None = None
    count = 0
    if form.is_bound and form.is_valid():
        min_score = form.min_score()
        pairs = candidates_visible_to(request.user).filter(
            status=MatchCandidate.Status.OPEN, score__gte=min_score
        )
        if request.method == "POST" and form.cleaned_data.get("confirm"):
            try:
                merged = services.bulk_merge(pairs, actor=request.user, min_score=min_score)
            except ValidationError as error:
                messages.error(request, _error_text(error))
            else:
                messages.success(
                    request, _("Merged {count} pairs of customers.").format(count=merged)
                )
            return HttpResponseRedirect(reverse("identity:candidates"))
        count = pairs.count()
        pairs = pairs.select_related("party_a", "party_b").order_by("-score", "pk")[:BULK_SHOWN]
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "identity/bulk_merge.html",
        {"form": form, "pairs": pairs, "count": count, "shown": BULK_SHOWN},
        status=status,
    )


# --- one pair -----------------------------------------------------------------------------------


@login_required
@require_GET
def candidate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The two customers side by side, why they look alike, and the merge form."""
    candidate = _candidate(request, pk)
    user = request.user
    comparison = selectors.comparison(candidate.party_a, candidate.party_b, user=user)
    may_merge = user.has_perm(MERGE) and candidate.status == MatchCandidate.Status.OPEN
    context = {
        "candidate": candidate,
        "a": candidate.party_a,
        "b": candidate.party_b,
        "comparison": comparison,
        "sides": [
            (candidate.party_a, "a", comparison.counts_a),
            (candidate.party_b, "b", comparison.counts_b),
        ],
        "rows": review_rows(comparison),
        "explanation": explanation_rows(candidate.explanation),
        "score_bar": score_bar(candidate.score),
        "score_percent": percent(candidate.score),
        "decision_badge": decision_badge(candidate.decision),
        "status_badge": status_badge(candidate),
        "may_merge": may_merge,
        "default_survivor": comparison.side(comparison.survivor_id),
        "thresholds": matching.thresholds(),
    }
    return render(request, "identity/matchcandidate_detail.html", context)


@login_required
@require_POST
def candidate_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge the pair as chosen on its page: the surviving customer, and per row the value
    that wins."""
    candidate = _candidate(request, pk, MERGE)
    survivor_id = request.POST.get("survivor", "")
    pair = {candidate.party_a_id: candidate.party_a, candidate.party_b_id: candidate.party_b}
    survivor = pair.get(int(survivor_id)) if survivor_id.isdigit() else None
    if survivor is None:
        messages.error(request, _("Choose which customer stays."))
        return HttpResponseRedirect(candidate.get_absolute_url())
    comparison = selectors.comparison(candidate.party_a, candidate.party_b, user=request.user)
    choices = choices_from(request.POST, comparison, survivor_id=survivor.pk)
    try:
        merge = services.merge_candidate(
            candidate, actor=request.user, survivor=survivor, choices=choices
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return HttpResponseRedirect(candidate.get_absolute_url())
    messages.success(
        request,
        _("Merged “{merged}” into “{survivor}”. The merge can be undone from its page.").format(
            merged=merge.merged_name, survivor=merge.survivor
        ),
    )
    return HttpResponseRedirect(merge.survivor.get_absolute_url())


@login_required
@require_POST
def candidate_not_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk, MERGE)
    try:
        services.mark_not_duplicate(candidate.party_a, candidate.party_b, actor=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return HttpResponseRedirect(candidate.get_absolute_url())
    messages.success(
        request,
        _("“{a}” and “{b}” are different customers: this pair will not be proposed again.").format(
            a=candidate.party_a, b=candidate.party_b
        ),
    )
    return HttpResponseRedirect(_next_in_queue(request, candidate))


def _next_in_queue(request: HttpRequest, after: MatchCandidate) -> str:
    """The next open pair the user may review, or the queue when there is none."""
    following = (
        candidates_visible_to(request.user)
        .filter(status=MatchCandidate.Status.OPEN)
        .exclude(pk=after.pk)
        .order_by("-score", "pk")
        .first()
    )
    return following.get_absolute_url() if following else reverse("identity:candidates")


# --- searches -----------------------------------------------------------------------------------


class DedupeJobListView(_NamedListView):
    model = DedupeJob
    table_class = DedupeJobTable
    template_name = "identity/dedupejob_list.html"
    list_url_name = "identity:dedupejobs"
    export_name = "duplicate searches"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("created_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if user.has_perm(ADD_JOB):
            context["start_form"] = StartDedupeForm(
                initial={"segment": self.request.GET.get("segment", "")},
                may_merge=user.has_perm(MERGE),
            )
        context["running"] = (
            DedupeJob.objects.visible_to(user).filter(status__in=jobs.UNFINISHED).first()
        )
        return context


@login_required
@require_http_methods(["GET", "POST"])
def dedupejob_add(request: HttpRequest) -> HttpResponse:
    """Start a search (the form alone on GET, e.g. from a link with ``?segment=``)."""
    _require(request, VIEW_JOB, ADD_JOB)
    may_merge = request.user.has_perm(MERGE)
    if request.method == "POST":
        form = StartDedupeForm(request.POST, may_merge=may_merge)
        if form.is_valid():
            try:
                job = jobs.start_dedupe(
                    actor=request.user,
                    segment=form.cleaned_data["segment"],
                    auto_merge=bool(form.cleaned_data.get("auto_merge")),
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("The search for duplicates has started."))
                return HttpResponseRedirect(job.get_absolute_url())
    else:
        form = StartDedupeForm(
            initial={"segment": request.GET.get("segment", "")}, may_merge=may_merge
        )
    status = 400 if form.is_bound else 200
    return render(request, "identity/dedupejob_add.html", {"start_form": form}, status=status)


def _progress_context(request: HttpRequest, job: DedupeJob) -> dict[str, Any]:
    share = (job.done / job.total) if job.total else 0.0
    if job.status == DedupeJob.Status.DONE:
        share = 1.0
    return {
        "job": job,
        "percent": round(min(1.0, share) * 100),
        "status_badge": job_badge(job),
        "can_cancel": not job.finished and request.user.has_perm(CHANGE_JOB),
        "queue_url": reverse("identity:candidates") + "?" + urlencode({"job": job.pk}),
    }


@login_required
@require_GET
def dedupejob_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    context = _progress_context(request, job)
    context["can_review"] = request.user.has_perm(VIEW_CANDIDATE)
    context["customers_url"] = reverse("parties:party_list") + (
        "?" + job.segment if job.segment else ""
    )
    return render(request, "identity/dedupejob_detail.html", context)


@login_required
@require_GET
def dedupejob_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress panel alone, polled by htmx every second while the search runs; when it
    has finished, the whole page reloads."""
    job = _job(request, pk)
    response = render(request, "identity/_progress.html", _progress_context(request, job))
    if job.finished and request.GET.get("running"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def dedupejob_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk, CHANGE_JOB)
    try:
        jobs.cancel(job, actor=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("The search is being stopped."))
    return HttpResponseRedirect(job.get_absolute_url())


# --- merges -------------------------------------------------------------------------------------


class MergeListView(_NamedListView):
    model = Merge
    filterset_class = MergeFilterSet
    table_class = MergeTable
    template_name = "identity/merge_list.html"
    list_url_name = "identity:merges"
    export_name = "merges"

    def get_queryset(self) -> QuerySet:
        return merges_visible_to(self.request.user).select_related("survivor", "merged_by")


def moved_rows(merge: Merge) -> list[dict[str, Any]]:
    """What a merge moved, per kind of record: label and count (largest first)."""
    rows = []
    for key, ids in (merge.moved or {}).items():
        app_label, _dot, rest = key.partition(".")
        model_name, _dot, field_name = rest.partition(".")
        label = key
        if key in MOVED_LABELS:
            rows.append({"key": key, "label": str(MOVED_LABELS[key]), "count": len(ids or [])})
            continue
        try:
            model = apps.get_model(app_label, model_name)
        except (LookupError, ValueError):
            model = None
        if model is not None:
            label = str(model._meta.verbose_name_plural).capitalize()
            try:
                field = model._meta.get_field(field_name)
            except FieldDoesNotExist:
                field = None
            if field is not None and hasattr(field, "verbose_name"):
                label = f"{label} ({field.verbose_name})"
        rows.append({"key": key, "label": label, "count": len(ids or [])})
    rows.sort(key=lambda row: (-row["count"], row["label"]))
    return rows


def _restored(merge: Merge, user: Any) -> Party | None:
    """The customer an undone merge brought back, if it exists and ``user`` may see it."""
    if not merge.undone:
        return None
    return Party.objects.visible_to(user).filter(pk=merge.merged_id).first()


@login_required
@require_GET
def merge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    merge = _merge(request, pk)
    user = request.user
    later = (
        Merge.objects.filter(survivor=merge.survivor, merged_at__gt=merge.merged_at)
        .filter(unmerged_at__isnull=True)
        .exists()
    )
    context = {
        "merge": merge,
        "moved": moved_rows(merge),
        "chosen": chosen_labels(merge.choices or {}),
        "restored": _restored(merge, user),
        "can_unmerge": not merge.undone and user.has_perm(MERGE),
        "later_merges": later,
        "score_bar": score_bar(merge.score) if merge.score is not None else None,
        "can_review": merge.candidate_id is not None and user.has_perm(VIEW_CANDIDATE),
    }
    return render(request, "identity/merge_detail.html", context)


@login_required
@require_POST
def merge_unmerge(request: HttpRequest, pk: int) -> HttpResponse:
    merge = _merge(request, pk, MERGE)
    try:
        survivor, restored = services.unmerge(merge, actor=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("Unmerged: “{restored}” is a customer of its own again, beside “{survivor}”.").format(
                restored=restored, survivor=survivor
            ),
        )
    return HttpResponseRedirect(merge.get_absolute_url())


# --- the customer page (included by huike.parties.views.PartyDetailView) ------------------------


def party_panel(user: Any, party: Party) -> dict[str, Any]:
    """What the customer page shows about duplicates: the open pairs this customer belongs to
    (with customers the reader may see) and the merges into it that are not undone."""
    context: dict[str, Any] = {"duplicate_pairs": [], "merged_from": []}
    if user.has_perm(VIEW_CANDIDATE):
        pairs = (
            candidates_visible_to(user)
            .filter(Q(party_a=party) | Q(party_b=party), status=MatchCandidate.Status.OPEN)
            .select_related("party_a", "party_b")
            .order_by("-score", "pk")[:PANEL_SHOWN]
        )
        context["duplicate_pairs"] = [
            {
                "candidate": pair,
                "other": pair.party_b if pair.party_a_id == party.pk else pair.party_a,
                "percent": percent(pair.score),
                "badge": decision_badge(pair.decision),
            }
            for pair in pairs
        ]
    if user.has_perm(VIEW_MERGE):
        context["merged_from"] = list(
            selectors.merge_for(party).filter(unmerged_at__isnull=True)[:PANEL_SHOWN]
        )
        context["can_unmerge"] = user.has_perm(MERGE)
    return context


def merged_redirect(request: HttpRequest, pk: int) -> HttpResponse | None:
    """For the id of a customer that was merged away: a redirect to the customer it lives on
    in now, when the reader may see that one; else ``None`` (the page stays 404)."""
    if Party.objects.filter(pk=pk).exists():
        return None
    survivor = selectors.merged_into(pk)
    if (
        survivor is None
        or not Party.objects.visible_to(request.user).filter(pk=survivor.pk).exists()
    ):
        return None
    messages.info(
        request,
        _("Customer #{number} was merged into this customer.").format(number=pk),
    )
    return HttpResponseRedirect(survivor.get_absolute_url())
