"""Pages of the data-subject request queue, the suppression list and the retention rules.

Every page checks sign-in (anonymous: off to sign in), then the permission (403), then the
record scope (a request about a customer the user may not see: 404).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Model, QuerySet
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huike.core.services import log_access
from huike.core.views.generic import ObjectDetailView, ObjectEditView, ObjectListView
from huike.parties import selectors as party_selectors
from huike.parties.models import Party
from huike.subjects import exporting, retention, selectors, services, suppression
from huike.subjects.filters import SubjectRequestFilterSet, SuppressionFilterSet
from huike.subjects.forms import (
    CheckForm,
    CorrectionForm,
    EraseForm,
    NoteForm,
    RefuseForm,
    ReleaseForm,
    RetentionRuleForm,
    SubjectRequestForm,
    VerifyForm,
)
from huike.subjects.models import RetentionRule, SubjectRequest, SuppressionEntry
from huike.subjects.tables import RetentionRuleTable, SubjectRequestTable, SuppressionTable

Kind = SubjectRequest.Kind
CHANGE = "subjects.change_subjectrequest"
EXPORT = "subjects.export_subject"
ERASE = "subjects.erase_party"


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _require(request: HttpRequest, *permissions: str) -> None:
    if not request.user.has_perms(permissions):
        raise PermissionDenied


def _visible_request(request: HttpRequest, pk: int, *permissions: str) -> SubjectRequest:
    """The request ``pk`` if the user holds ``permissions`` (else 403) and may see it (else
    404)."""
    _require(request, "subjects.view_subjectrequest", *permissions)
    queryset = SubjectRequest.objects.visible_to(request.user).select_related("party")
    return get_object_or_404(queryset, pk=pk)


# --- the queue --------------------------------------------------------------------------------


class SubjectRequestListView(ObjectListView):
    model = SubjectRequest
    filterset_class = SubjectRequestFilterSet
    table_class = SubjectRequestTable
    template_name = "subjects/subjectrequest_list.html"
    default_order = "due_at"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("party")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(selectors.due_alert_context(self.request.user))
        return context


class SubjectRequestDetailView(ObjectDetailView):
    model = SubjectRequest
    template_name = "subjects/subjectrequest_detail.html"
    hidden_fields = ("id", "result_file", "created_at", "updated_at")

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("party", "verified_by", "handled_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj: SubjectRequest = context["object"]
        user = self.request.user
        workable = obj.is_open and obj.identity_verified and obj.party_id is not None
        context["fields"] = [(label, _readable(value)) for label, value in context["fields"]]
        context.update(
            verify_form=kwargs.get("verify_form") or VerifyForm(user=user),
            refuse_form=kwargs.get("refuse_form") or RefuseForm(),
            note_form=kwargs.get("note_form") or NoteForm(),
            correction_form=kwargs.get("correction_form") or CorrectionForm(),
            workable=workable,
            is_export_kind=obj.kind in SubjectRequest.EXPORT_KINDS,
            is_erasure=obj.kind == Kind.ERASURE,
            is_correction=obj.kind == Kind.CORRECTION,
            may_close=obj.kind in (Kind.CORRECTION, Kind.RESTRICTION, Kind.OBJECTION),
            can_export=user.has_perm(EXPORT),
            can_erase=user.has_perm(ERASE),
            has_result=exporting.stored_path(obj.result_file) is not None,
        )
        return context


def _readable(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return value


def _detail(request: HttpRequest, obj: SubjectRequest, **forms: BaseForm) -> HttpResponse:
    """The detail page again, with a form that did not validate (what was typed stays)."""
    view = SubjectRequestDetailView()
    view.setup(request, pk=obj.pk)
    context = view.get_context_data(**forms)
    return render(request, view.template_name, context, status=400)


class SubjectRequestAddView(ObjectEditView):
    model = SubjectRequest
    form_class = SubjectRequestForm
    template_name = "subjects/subjectrequest_edit.html"

    def get_form(self, data: Any = None, files: Any = None) -> BaseForm:
        return SubjectRequestForm(data=data, user=self.request.user)

    def save(self, form: BaseForm, *, actor: Any) -> Model:
        data = form.cleaned_data
        return services.open_request(
            actor=actor,
            kind=data["kind"],
            requester_name=data["requester_name"],
            requester_contact=data.get("requester_contact", ""),
            party=data.get("party"),
            channel=data["channel"],
            description=data.get("description", ""),
            received_at=data.get("received_at"),
        )


@login_required
@require_GET
def party_choices(request: HttpRequest) -> HttpResponse:
    """Customers matching what was typed, as choices to tick (an htmx fragment)."""
    user = request.user
    may_record = user.has_perm("subjects.add_subjectrequest") or user.has_perm(CHANGE)
    if not (may_record and user.has_perm("parties.view_party")):
        raise PermissionDenied
    query = request.GET.get("customer", "").strip()[:200]
    parties = []
    if query:
        parties = list(party_selectors.search_parties(request.user, query).order_by("name")[:10])
        if query.lstrip("#").isdigit():
            number = int(query.lstrip("#"))
            direct = Party.objects.visible_to(request.user).filter(pk=number)
            parties = list(direct) + [p for p in parties if p.pk != number]
    return render(request, "subjects/_party_choices.html", {"parties": parties, "query": query})


# --- workflow steps ---------------------------------------------------------------------------


@login_required
@require_POST
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _visible_request(request, pk, CHANGE)
    form = VerifyForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.verify_identity(
                obj,
                actor=request.user,
                method=form.cleaned_data["method"],
                evidence=form.cleaned_data["evidence"],
                party=form.cleaned_data.get("party"),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Identity verified."))
            return HttpResponseRedirect(obj.get_absolute_url())
    return _detail(request, obj, verify_form=form)


@login_required
@require_POST
def start(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _visible_request(request, pk, CHANGE)
    try:
        services.start(obj, actor=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("You are handling this request."))
    return HttpResponseRedirect(obj.get_absolute_url())


@login_required
@require_POST
def refuse(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _visible_request(request, pk, CHANGE)
    form = RefuseForm(request.POST)
    if form.is_valid():
        try:
            services.refuse(obj, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("The request was refused."))
            return HttpResponseRedirect(obj.get_absolute_url())
    return _detail(request, obj, refuse_form=form)


@login_required
@require_POST
def fulfil(request: HttpRequest, pk: int) -> HttpResponse:
    """Access/portability: make the export. Other kinds: close with what was done."""
    obj = _visible_request(request, pk, CHANGE)
    if obj.kind in SubjectRequest.EXPORT_KINDS and obj.party_id is not None:
        _require(request, EXPORT)
        try:
            services.fulfil_access(obj, actor=request.user, http_request=request)
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, _("The export is ready: download it and send it on."))
        return HttpResponseRedirect(obj.get_absolute_url())
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.fulfil(obj, actor=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("The request is fulfilled."))
            return HttpResponseRedirect(obj.get_absolute_url())
    return _detail(request, obj, note_form=form)


@login_required
@require_POST
def restrict(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _visible_request(request, pk, CHANGE)
    try:
        services.restrict_for_request(obj, actor=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Processing of this customer is restricted."))
    return HttpResponseRedirect(obj.get_absolute_url())


@login_required
@require_POST
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _visible_request(request, pk, CHANGE, "parties.add_observation")
    form = CorrectionForm(request.POST)
    if form.is_valid():
        code = form.cleaned_data["attribute"].code
        try:
            services.correct(obj, {code: form.cleaned_data["value"]}, actor=request.user)
        except ValidationError as error:
            problems = error.message_dict.get(code) if hasattr(error, "error_dict") else None
            form.add_error("value" if problems else None, problems or error.messages)
        else:
            messages.success(request, _("The corrected value is recorded."))
            return HttpResponseRedirect(obj.get_absolute_url())
    return _detail(request, obj, correction_form=form)


@login_required
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what erasure would delete and keep. POST (confirmed): erase."""
    obj = _visible_request(request, pk, CHANGE, ERASE)
    if obj.kind != Kind.ERASURE or obj.party is None:
        raise Http404
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.erase_for_request(obj, actor=request.user, http_request=request)
        except services.ErasureBlocked as blocked:
            messages.warning(
                request,
                _(
                    "Erasure is not possible yet: {reasons}. Processing of this customer is "
                    "restricted until it is."
                ).format(reasons="; ".join(blocked.reasons)),
            )
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(
                request,
                _("The customer's personal information was erased; {name} remains.").format(
                    name=SubjectRequest.objects.get(pk=obj.pk).party
                ),
            )
        return HttpResponseRedirect(obj.get_absolute_url())
    plan = services.erasure_plan(obj.party)
    return render(
        request,
        "subjects/subjectrequest_erase.html",
        {"object": obj, "plan": plan, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def download(request: HttpRequest, pk: int) -> FileResponse:
    obj = _visible_request(request, pk, EXPORT)
    path = exporting.stored_path(obj.result_file)
    if path is None or obj.party is None:
        raise Http404
    log_access(
        actor=request.user,
        action="subject_access",
        obj=obj.party,
        reason=f"download of request #{obj.pk}",
        request=request,
    )
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"subject-request-{obj.pk}.zip",
        content_type="application/zip",
    )


# --- suppression list -------------------------------------------------------------------------


class SuppressionListView(ObjectListView):
    model = SuppressionEntry
    filterset_class = SuppressionFilterSet
    table_class = SuppressionTable
    template_name = "subjects/suppression_list.html"
    default_order = "-pk"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("request")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        live = SuppressionEntry.objects.filter(released_at__isnull=True)
        counts = dict(live.values_list("kind").annotate(n=Count("pk")))
        context.update(
            counts=[(label, counts.get(kind, 0)) for kind, label in SuppressionEntry.Kind.choices],
            released_count=SuppressionEntry.objects.filter(released_at__isnull=False).count(),
            check_form=kwargs.get("check_form") or CheckForm(),
            release_form=kwargs.get("release_form") or ReleaseForm(),
            can_release=self.request.user.has_perm("subjects.change_suppressionentry"),
            check_result=kwargs.get("check_result"),
        )
        return context


def _suppression_page(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    view = SuppressionListView()
    view.setup(request)
    return render(request, view.template_name, view.get_context_data(**extra), status=status)


@login_required
@require_POST
def suppression_check(request: HttpRequest) -> HttpResponse:
    """Is this phone, e-mail or ID number on the list? (POST: the value stays out of URLs.)"""
    _require(request, "subjects.view_suppressionentry")
    form = CheckForm(request.POST)
    result = None
    if form.is_valid() and form.cleaned_data["value"].strip():
        value = form.cleaned_data["value"]
        result = {
            "checked": True,
            "kinds": [
                str(SuppressionEntry.Kind(kind).label)
                for kind in suppression.suppressed_kinds(value)
            ],
            "recognised": bool(suppression.candidates(value)),
        }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "subjects/_check_result.html", {"check_result": result})
    return _suppression_page(request, check_form=form, check_result=result)


@login_required
@require_POST
def suppression_release(request: HttpRequest) -> HttpResponse:
    """The person came back and asked to be recorded again: release their contact point."""
    _require(request, "subjects.view_suppressionentry", "subjects.change_suppressionentry")
    form = ReleaseForm(request.POST)
    if form.is_valid():
        entries = list(suppression.entries_for(form.cleaned_data["value"]))
        if not entries:
            form.add_error("value", _("This contact is not on the suppression list."))
        else:
            try:
                count = suppression.release_suppression(
                    entries, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                form.add_error("reason", error.messages)
            else:
                messages.success(
                    request,
                    _("Released {count} entries: the contact may be recorded again.").format(
                        count=count
                    ),
                )
                return HttpResponseRedirect(reverse("subjects:suppressionentry_list"))
    return _suppression_page(request, status=400, release_form=form)


# --- retention rules --------------------------------------------------------------------------


class RetentionRuleListView(ObjectListView):
    model = RetentionRule
    table_class = RetentionRuleTable
    template_name = "subjects/retentionrule_list.html"
    default_order = "name"


class RetentionRuleEditView(ObjectEditView):
    model = RetentionRule
    form_class = RetentionRuleForm

    def save(self, form: BaseForm, *, actor: Any) -> Model:
        rule = self.get_object() or RetentionRule()
        assert isinstance(rule, RetentionRule)
        return retention.save_rule(rule, actor=actor, **form.cleaned_data)

    def get_success_url(self, obj: Model) -> str:
        return reverse("subjects:retentionrule_list")


@login_required
@require_POST
def retention_preview(request: HttpRequest) -> HttpResponse:
    """How many customers each policy would anonymise or purge today (nothing is changed)."""
    _require(request, "subjects.view_retentionrule")
    results = retention.apply_retention(dry_run=True)
    if not results:
        messages.info(request, _("There are no active retention rules."))
    for result in results:
        messages.info(
            request,
            _("{policy}: {count} customers would be anonymised or purged today.").format(
                policy=result.policy, count=len(result.party_ids)
            ),
        )
    return HttpResponseRedirect(reverse("subjects:retentionrule_list"))
