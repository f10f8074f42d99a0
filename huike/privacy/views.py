"""Privacy pages: the customer's consent panel, purposes and notices, the consent ledger, the
records of processing and impact assessments."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huike.core.views.generic import (
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
)
from huike.parties.models import Party
from huike.privacy import selectors, services
from huike.privacy.filters import ConsentRecordFilterSet, ImpactAssessmentFilterSet
from huike.privacy.forms import (
    ConsentForm,
    ConsentNoticeForm,
    ImpactAssessmentForm,
    PurposeForm,
)
from huike.privacy.models import (
    Channel,
    ConsentNotice,
    ConsentRecord,
    ImpactAssessment,
    Purpose,
)
from huike.privacy.tables import (
    ConsentNoticeTable,
    ConsentRecordTable,
    ImpactAssessmentTable,
    PurposeTable,
)

# --- The consent panel of the customer page (an htmx fragment) ----------------------------------

# The panel sits inside the customer page: its inputs get ids no other form there uses.
CONSENT_FORM_IDS = "consent-%s"


def _party_for(request: HttpRequest, pk: int, permission: str) -> Party:
    """Model permission first (403), then the record scope (404), as every Huike page does."""
    if not request.user.has_perm(permission):
        raise PermissionDenied
    return get_object_or_404(Party.objects.visible_to(request.user), pk=pk)


def _panel(
    request: HttpRequest,
    party: Party,
    *,
    form: ConsentForm | None = None,
    notice: str = "",
    error: str = "",
) -> HttpResponse:
    lines = selectors.party_consents(party)
    latest = {
        n["purpose_id"]: n["version"]
        for n in ConsentNotice.objects.order_by("purpose_id", "version").values(
            "purpose_id", "version"
        )
    }
    can_record = request.user.has_perm("privacy.add_consentrecord")
    return render(
        request,
        "privacy/_party_consents.html",
        {
            "party": party,
            "lines": [
                {
                    "line": line,
                    "outdated": line.granted
                    and line.current is not None
                    and (line.current.record.notice_version or 0) < latest.get(line.purpose.pk, 0),
                }
                for line in lines
            ],
            "form": (form or ConsentForm(auto_id=CONSENT_FORM_IDS)) if can_record else None,
            "can_record": can_record,
            "notice": notice,
            "error": error,
        },
    )


def _answer(
    request: HttpRequest, party: Party, *, notice: str = "", error: str = ""
) -> HttpResponse:
    """The refreshed panel for htmx (200: htmx swaps only successful answers); otherwise back
    to the customer page with a message."""
    if request.htmx:  # type: ignore[attr-defined]
        return _panel(request, party, notice=notice, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return HttpResponseRedirect(party.get_absolute_url())


@login_required
@require_GET
def party_consents(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer's current consent per purpose, with one-click withdrawal."""
    party = _party_for(request, pk, "privacy.view_consentrecord")
    return _panel(request, party)


@login_required
@require_POST
def party_consent_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a consent given (the "Record consent" form of the panel)."""
    party = _party_for(request, pk, "privacy.add_consentrecord")
    form = ConsentForm(request.POST, auto_id=CONSENT_FORM_IDS)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.grant(
                party,
                data["purpose"],
                actor=request.user,
                notice=data["notice"],
                channel=data["channel"],
                evidence=data["evidence"],
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            notice = _("Consent to “{purpose}” recorded.").format(purpose=data["purpose"])
            return _answer(request, party, notice=notice)
    if request.htmx:  # type: ignore[attr-defined]
        return _panel(request, party, form=form)
    return _answer(
        request, party, error=" ".join(str(m) for errors in form.errors.values() for m in errors)
    )


@login_required
@require_POST
def party_consent_withdraw(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Withdraw one purpose's consent in one click; effective everywhere at commit."""
    party = _party_for(request, pk, "privacy.add_consentrecord")
    purpose = get_object_or_404(Purpose, code=code)
    channel = request.POST.get("channel") or Channel.MANUAL
    if channel not in Channel.values:
        channel = Channel.MANUAL
    try:
        services.withdraw(
            party,
            purpose,
            actor=request.user,
            channel=channel,
            evidence=(request.POST.get("evidence") or "")[:2000],
        )
    except ValidationError as error:
        return _answer(request, party, error=" ".join(error.messages))
    return _answer(
        request, party, notice=_("Consent to “{purpose}” withdrawn.").format(purpose=purpose)
    )


# --- Purposes and their notices -----------------------------------------------------------------


class PurposeListView(ObjectListView):
    model = Purpose
    table_class = PurposeTable
    default_order = "code"


class PurposeDetailView(ObjectDetailView):
    model = Purpose
    template_name = "privacy/purpose_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        purpose = context["object"]
        context["notices"] = purpose.notices.all()
        context["attributes"] = purpose.attributes.order_by("section", "order", "code")
        context["can_add_notice"] = self.request.user.has_perm("privacy.add_consentnotice")
        return context


class PurposeEditView(ObjectEditView):
    model = Purpose
    form_class = PurposeForm

    def save(self, form: BaseForm, *, actor: Any) -> Model:
        instance = form.instance  # type: ignore[attr-defined]
        purpose = Purpose.objects.get(pk=instance.pk) if instance.pk else Purpose()
        data = dict(form.cleaned_data)
        attributes = data.pop("attributes")
        return services.save_purpose(purpose, actor=actor, attributes=attributes, **data)


class ConsentNoticeListView(ObjectListView):
    model = ConsentNotice
    table_class = ConsentNoticeTable

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("purpose")


class ConsentNoticeDetailView(ObjectDetailView):
    model = ConsentNotice
    template_name = "privacy/consentnotice_detail.html"
    hidden_fields = ("id", "text_zh", "text_en")  # shown side by side below

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["used"] = context["object"].records.exists()
        return context


class ConsentNoticeEditView(ObjectEditView):
    """A new version of a purpose's notice (``purpose_pk``), or a correction of an unused one."""

    model = ConsentNotice
    form_class = ConsentNoticeForm
    template_name = "privacy/consentnotice_edit.html"

    def purpose(self) -> Purpose:
        if "purpose_pk" in self.kwargs:
            return get_object_or_404(Purpose, pk=self.kwargs["purpose_pk"])
        notice = self.get_object()
        assert isinstance(notice, ConsentNotice)
        return notice.purpose

    def save(self, form: BaseForm, *, actor: Any) -> Model:
        instance = form.instance  # type: ignore[attr-defined]
        if instance.pk:
            notice = ConsentNotice.objects.get(pk=instance.pk)
        else:
            notice = ConsentNotice(purpose=self.purpose())
        return services.save_notice(notice, actor=actor, **form.cleaned_data)

    def get_success_url(self, obj: Model) -> str:
        assert isinstance(obj, ConsentNotice)
        return obj.purpose.get_absolute_url()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["purpose"] = self.purpose()
        return context


# --- The consent ledger -------------------------------------------------------------------------


class ConsentRecordListView(ObjectListView):
    """The ledger, searchable by customer, purpose, status, channel and date."""

    model = ConsentRecord
    filterset_class = ConsentRecordFilterSet
    table_class = ConsentRecordTable
    export_name = "consent-ledger"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("party", "purpose")


class ConsentRecordDetailView(ObjectDetailView):
    model = ConsentRecord
    template_name = "privacy/consentrecord_detail.html"
    hidden_fields = ("id", "notice_text")

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("party", "purpose", "notice", "collected_by")


# --- Records of processing and impact assessments -----------------------------------------------


@login_required
def processing_records(request: HttpRequest) -> HttpResponse:
    """What is collected, why, on which basis, for how long and for whom: generated from the
    purpose registry and the profile fields, never typed by hand."""
    if not request.user.has_perm("privacy.view_purpose"):
        raise PermissionDenied
    return render(
        request,
        "privacy/processing_records.html",
        {
            "records": selectors.processing_records(),
            "can_assess": request.user.has_perm("privacy.add_impactassessment"),
            "can_view_assessments": request.user.has_perm("privacy.view_impactassessment"),
        },
    )


class ImpactAssessmentListView(ObjectListView):
    model = ImpactAssessment
    filterset_class = ImpactAssessmentFilterSet
    table_class = ImpactAssessmentTable
    default_order = "-assessed_at"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("assessor")


class ImpactAssessmentDetailView(ObjectDetailView):
    model = ImpactAssessment
    template_name = "privacy/impactassessment_detail.html"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().prefetch_related("purposes", "attributes")


class ImpactAssessmentEditView(ObjectEditView):
    model = ImpactAssessment
    form_class = ImpactAssessmentForm

    def get_form(self, data: Any = None, files: Any = None) -> BaseForm:
        form = super().get_form(data, files)
        if "pk" not in self.kwargs:
            form.initial.setdefault("assessor", self.request.user.pk)
            attribute = self.request.GET.get("attribute")
            if attribute and attribute.isdigit():
                form.initial.setdefault("attributes", [int(attribute)])
        return form

    def save(self, form: BaseForm, *, actor: Any) -> Model:
        instance = form.instance  # type: ignore[attr-defined]
        assessment = (
            ImpactAssessment.objects.get(pk=instance.pk) if instance.pk else ImpactAssessment()
        )
        data = dict(form.cleaned_data)
        purposes = data.pop("purposes")
        attributes = data.pop("attributes")
        return services.save_assessment(
            assessment, actor=actor, purposes=purposes, attributes=attributes, **data
        )
