"""Staff pages: the list of forms, the builder, a form's page with its address, embedding
snippets and recent submissions, and the submissions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Model, QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from huike.core.models import AccessLog
from huike.core.services import log_access
from huike.core.views.generic import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
)
from huike.parties import privacy
from huike.parties.models import AttributeDefinition
from huike.webforms import selectors, services
from huike.webforms.filters import SubmissionFilterSet, WebFormFilterSet
from huike.webforms.forms import (
    BuilderFormSet,
    WebFormForm,
    consent_formset,
    field_formset,
)
from huike.webforms.models import Submission, WebForm
from huike.webforms.tables import SubmissionTable, WebFormTable

RECENT = 20


class WebFormListView(ObjectListView):
    model = WebForm
    filterset_class = WebFormFilterSet
    table_class = WebFormTable
    default_order = "name"
    template_name = "webforms/webform_list.html"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().annotate(submission_count=Count("submissions"))


class WebFormDetailView(ObjectDetailView):
    model = WebForm
    template_name = "webforms/webform_detail.html"
    hidden_fields = (
        "id",
        "intro_zh",
        "intro_en",
        "thank_you_zh",
        "thank_you_en",
        "allowed_origins",
    )

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("owner", "created_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context["object"]
        base = f"{self.request.scheme}://{self.request.get_host()}"
        snippets = selectors.snippets(form, base, settings.LANGUAGES)
        context.update(
            snippets=snippets,
            html_snippets=[(name, snippets.html[code]) for code, name in settings.LANGUAGES],
            form_fields=form.fields.select_related("attribute"),
            form_consents=[
                (consent, consent.notice_shown())
                for consent in form.consents.select_related("purpose", "notice")
            ],
        )
        user = self.request.user
        if user.has_perm("webforms.view_submission"):
            recent = (
                Submission.objects.visible_to(user)
                .filter(form=form)
                .select_related("form", "party")
                .order_by("-created_at", "-id")[:RECENT]
            )
            table = SubmissionTable(list(recent), orderable=False, exclude=("form",))
            table.request = self.request
            context["submissions"] = table
            context["submissions_url"] = "{}?{}".format(
                reverse("webforms:submission_list"), urlencode({"form": form.slug})
            )
        return context


def _builder_errors(form: BaseForm, error: ValidationError) -> list[str]:
    """Put a service's refusal next to the field it names; the rest goes above the rows."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    rest: list[str] = []
    for field, problems in error.message_dict.items():
        if field in form.fields:
            form.add_error(field, problems)
        else:
            rest.extend(problems)
    return rest


class WebFormEditView(ObjectEditView):
    """The builder: the form's settings, its fields and its consent boxes on one page. Empty
    rows add fields; ticking "Delete" removes one; save to get more empty rows."""

    model = WebForm
    form_class = WebFormForm
    template_name = "webforms/webform_edit.html"

    def formsets(self, data: Any = None) -> tuple[BuilderFormSet, BuilderFormSet]:
        instance = self.get_object() or WebForm()
        assert isinstance(instance, WebForm)
        initial = None
        fields_class = field_formset()
        if instance.pk is None and data is None:
            # A new form starts with the name (required) and the e-mail address.
            codes = {
                d.code: d.pk for d in AttributeDefinition.objects.filter(code__in=["name", "email"])
            }
            initial = [
                {"attribute": codes.get("name"), "required": True, "order": 10},
                {"attribute": codes.get("email"), "required": False, "order": 20},
            ]
            fields_class = field_formset(extra=len(initial) + 2)
        fields = fields_class(data, instance=instance, prefix="fields", initial=initial)
        consents = consent_formset()(data, instance=instance, prefix="consents")
        return fields, consents

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        fields, consents = self.formsets()
        context = self.get_context_data(form=self.get_form(), fields=fields, consents=consents)
        return self.render_to_response(context)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form(request.POST)
        fields, consents = self.formsets(request.POST)
        problems: list[str] = []
        if form.is_valid() and fields.is_valid() and consents.is_valid():
            existing = self.get_object()
            webform = WebForm.objects.get(pk=existing.pk) if existing is not None else WebForm()
            try:
                with transaction.atomic():
                    saved = services.save_form(
                        webform,
                        actor=request.user,
                        fields=[
                            services.FieldSpec(**{name: row[name] for name in services.FIELD_SPEC})
                            for row in fields.chosen()
                        ],
                        consents=[
                            services.ConsentSpec(
                                **{name: row[name] for name in services.CONSENT_SPEC}
                            )
                            for row in consents.chosen()
                        ],
                        **form.cleaned_data,
                    )
            except ValidationError as error:
                problems = _builder_errors(form, error)
            else:
                messages.success(request, _("Saved {name}.").format(name=saved))
                return HttpResponseRedirect(saved.get_absolute_url())
        context = self.get_context_data(
            form=form, fields=fields, consents=consents, problems=problems
        )
        return self.render_to_response(context, status=400)


class WebFormDeleteView(ObjectDeleteView):
    model = WebForm

    def delete(self, obj: Model, *, actor: Any) -> None:
        assert isinstance(obj, WebForm)
        services.delete_form(obj, actor=actor)


class SubmissionListView(ObjectListView):
    """Every submission the reader may see, newest first; values masked by field access."""

    model = Submission
    filterset_class = SubmissionFilterSet
    table_class = SubmissionTable
    default_order = "-created_at"
    export_name = "web-form-submissions"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("form", "party")


class SubmissionDetailView(ObjectDetailView):
    model = Submission
    template_name = "webforms/submission_detail.html"
    hidden_fields = ("id", "data", "consents", "confirm_token_hash")

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("form", "party")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        submission = context["object"]
        rows = selectors.shown_values(self.request.user, submission)
        read = selectors.sensitive_read(rows)
        if read:
            log_access(
                actor=self.request.user,
                action=AccessLog.Action.READ,
                obj=submission,
                fields=read,
                reason="web form submission",
                request=self.request,
            )
        context["values"] = rows
        context["consent_rows"] = list(submission.consents.values())
        context["masked"] = any(row.state == privacy.MASKED for row in rows)
        return context
