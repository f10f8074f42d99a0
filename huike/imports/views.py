"""The import page: upload → map the columns (with a preview) → dry run or import → the job
with its progress, problems and rejected rows.

Every page checks sign-in (anonymous: off to sign in), then the permission (403), then the
job's scope (someone else's job, for a role whose record scope is not "all": 404).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huike.core.exports import csv_response
from huike.core.models import AccessLog
from huike.core.services import log_access
from huike.core.views.generic import ObjectListView
from huike.imports import presets, reading, services
from huike.imports.forms import (
    MappingForm,
    SizeLimitedUploadHandler,
    UploadForm,
    too_large_message,
)
from huike.imports.models import ImportJob
from huike.imports.tables import ImportJobTable, status_badge, status_text
from huike.parties.models import AttributeDefinition, Party

VIEW = "imports.view_importjob"
ADD = "imports.add_importjob"
CHANGE = "imports.change_importjob"
ADD_PARTY = "parties.add_party"
PROBLEMS_SHOWN = 200
STEPS = (
    (1, gettext_lazy("Upload")),
    (2, gettext_lazy("Map the columns")),
    (3, gettext_lazy("Dry run")),
    (4, gettext_lazy("Import")),
    (5, gettext_lazy("Result")),
)


def step_of(job: ImportJob) -> int:
    if job.is_draft:
        return 2
    if job.dry_run:
        return 3
    return 5 if job.is_finished else 4


def _require(request: HttpRequest, *permissions: str) -> None:
    if not request.user.has_perms(permissions):
        raise PermissionDenied


def _job(request: HttpRequest, pk: int, *permissions: str) -> ImportJob:
    """Job ``pk`` if the user holds ``permissions`` (else 403) and may see it (else 404)."""
    _require(request, VIEW, *permissions)
    queryset = ImportJob.objects.visible_to(request.user).select_related("created_by")
    return get_object_or_404(queryset, pk=pk)


# --- the list ---------------------------------------------------------------------------------


class ImportJobListView(ObjectListView):
    model = ImportJob
    table_class = ImportJobTable
    template_name = "imports/importjob_list.html"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("created_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_add"] = context["can_add"] and self.request.user.has_perm(ADD_PARTY)
        return context


# --- step 1: upload ---------------------------------------------------------------------------


@csrf_exempt
def upload(request: HttpRequest) -> HttpResponse:
    """The upload step. Reading the upload stops past ``UPLOAD_MAX_BYTES`` (the handler must be
    in place before anything reads the body, so the CSRF check runs inside, in ``_upload``)."""
    request.upload_handlers = [SizeLimitedUploadHandler(request), *request.upload_handlers]
    return _upload(request)


@login_required
@csrf_protect
@require_http_methods(["GET", "POST"])
def _upload(request: HttpRequest) -> HttpResponse:
    _require(request, ADD, ADD_PARTY)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST":
        if getattr(request, "upload_too_large", False):
            form.is_valid()
            form.errors.pop("file", None)
            form.add_error("file", too_large_message())
        elif form.is_valid():
            data = form.cleaned_data
            try:
                job = services.start_job(
                    data["file"],
                    actor=request.user,
                    original_name=data["file"].name,
                    preset=data.get("preset", ""),
                    encoding=data.get("encoding", ""),
                    phone_region=data.get("phone_region", ""),
                    source=data["source"],
                    consent=data["purpose"].code,
                    evidence=data.get("evidence", ""),
                    policy=data["policy"],
                    party_kind=data.get("party_kind", ""),
                )
            except ValidationError as error:
                messages_by_field = (
                    error.message_dict if hasattr(error, "error_dict") else {"file": error.messages}
                )
                for name, problems in messages_by_field.items():
                    form.add_error(name if name in form.fields else "file", problems)
            else:
                try:
                    services.inspect(job)
                except reading.ReadError:  # the job failed; its page says why
                    return HttpResponseRedirect(job.get_absolute_url())
                return HttpResponseRedirect(reverse("imports:importjob_mapping", args=[job.pk]))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "imports/importjob_upload.html",
        {
            "form": form,
            "step": 1,
            "import_steps": STEPS,
            "max_mb": round(_max_bytes() / (1024 * 1024), 1),
        },
        status=status,
    )


def _max_bytes() -> int:
    return int(settings.UPLOAD_MAX_BYTES)


# --- step 2: mapping and preview --------------------------------------------------------------


def _known() -> list[AttributeDefinition]:
    return list(AttributeDefinition.objects.filter(is_active=True))


@login_required
@require_http_methods(["GET", "POST"])
def mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Map each column, see the first rows as they will be stored, then dry-run or import.

    A POST with ``action=preview`` (sent by htmx when a choice changes) only shows the
    preview again; ``dry_run`` and ``import`` queue the job."""
    job = _job(request, pk, ADD, ADD_PARTY)
    if not job.is_draft:
        return HttpResponseRedirect(job.get_absolute_url())
    known = _known()
    try:
        header = job.header or services.inspect(job)
        suggestion = services.suggested_mapping(job, header)
    except reading.ReadError:
        return HttpResponseRedirect(job.get_absolute_url())
    form = MappingForm(request.POST or None, header=header, known=known, mapping=suggestion.mapping)
    chosen = None
    action = request.POST.get("action", "preview")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            chosen = form.mapping()
            if action in ("dry_run", "import"):
                try:
                    services.queue(
                        job, actor=request.user, mapping=chosen, dry_run=action == "dry_run"
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                    status = 400
                else:
                    return HttpResponseRedirect(job.get_absolute_url())
        else:
            status = 400
    try:
        preview = services.preview(job, user=request.user, mapping=chosen)
    except reading.ReadError:
        return HttpResponseRedirect(job.get_absolute_url())
    context = {
        "job": job,
        "form": form,
        "columns": [
            (column, target, transform, preview.samples.get(column, ""))
            for _position, column, target, transform in form.rows()
        ],
        "preview": preview,
        "preset": presets.get(preview.preset) if preview.preset else None,
        "step": 2,
        "import_steps": STEPS,
    }
    if request.headers.get("HX-Request") and action == "preview":
        return render(request, "imports/_preview.html", context, status=status)
    return render(request, "imports/importjob_mapping.html", context, status=status)


# --- the job ----------------------------------------------------------------------------------


def _progress_context(request: HttpRequest, job: ImportJob) -> dict[str, Any]:
    return {
        "job": job,
        "progress": services.progress(job),
        "status_badge": status_badge(job),
        "status_text": status_text(job),
        "can_cancel": not job.is_finished and request.user.has_perm(CHANGE),
    }


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    problems = list(job.problems.select_related("party").order_by("line")[:PROBLEMS_SHOWN])
    visible_parties = set(
        Party.objects.visible_to(request.user)
        .filter(pk__in=[p.party_id for p in problems if p.party_id])
        .values_list("pk", flat=True)
    )
    rows = [
        {
            "problem": problem,
            "cells": services.readable_row(request.user, job, problem),
            "reasons": problem.reasons,
            "party": problem.party if problem.party_id in visible_parties else None,
            "hidden_party": bool(problem.party_id) and problem.party_id not in visible_parties,
        }
        for problem in problems
    ]
    context = _progress_context(request, job)
    context.update(
        rows=rows,
        problem_count=job.problems.count(),
        problems_shown=PROBLEMS_SHOWN,
        preset=presets.get(job.preset) if job.preset else None,
        can_map=job.is_draft and request.user.has_perms((ADD, ADD_PARTY)),
        can_import=(
            job.dry_run
            and job.status == ImportJob.Status.DONE
            and request.user.has_perms((ADD, ADD_PARTY))
        ),
        step=step_of(job),
        import_steps=STEPS,
    )
    return render(request, "imports/importjob_detail.html", context)


@login_required
@require_GET
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress panel alone, polled by htmx every second while the job runs. When the
    job has finished, the whole page reloads to show its problems and downloads."""
    job = _job(request, pk)
    response = render(request, "imports/_progress.html", _progress_context(request, job))
    if job.is_finished and request.GET.get("running"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk, CHANGE)
    try:
        services.cancel(job, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The import is being stopped after the batch in progress."))
    return HttpResponseRedirect(job.get_absolute_url())


@login_required
@require_POST
def run(request: HttpRequest, pk: int) -> HttpResponse:
    """Import, for real, the file of a finished dry run."""
    job = _job(request, pk, ADD, ADD_PARTY)
    try:
        copy = services.import_checked(job, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(job.get_absolute_url())
    return HttpResponseRedirect(copy.get_absolute_url())


@login_required
@require_GET
def rejects(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The rejected rows as a CSV file to fix and import again (formulas neutralised)."""
    job = _job(request, pk)
    header, rows, count = services.rejects(job, user=request.user)
    log_access(
        actor=request.user,
        action=AccessLog.Action.EXPORT,
        fields=header[:-1],
        count=count,
        reason=f"import #{job.pk} rejected rows",
        request=request,
    )
    stem = job.original_name.rsplit(".", 1)[0] or "import"
    return csv_response(_("{name} rejected rows").format(name=stem), header, rows)
