"""Generic list / detail / edit / delete views configured by declarations.

A new model's pages cost a few lines: ``model``, ``filterset_class``, ``table_class``,
``form_class`` and a ``save()`` that calls the app's service. Every view reads through
``get_queryset()``, which goes through the model's ``visible_to(user)`` gate, so an object out
of the user's scope answers 404 and a missing model permission answers 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, transaction
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from django_filters import FilterSet
from django_tables2 import Table

from huike.core.exports import csv_response, xlsx_response
from huike.core.models import AccessLog, ChangeLog
from huike.core.pagination import keyset_page
from huike.core.services import log_access

PER_PAGE_CHOICES = (25, 50, 100, 250)


def readable_changes(
    obj: models.Model, entry: ChangeLog, reader: Any = None
) -> list[tuple[Any, Any, Any]]:
    """A change-log entry's changes as (field label, before, after) for people to read.

    Models holding personal information in extra keys (a customer's attribute values) define
    ``history_value(reader, name, value) -> (label, text) | None``: masked for ``reader``, or
    ``None`` to leave the change out.
    """
    fields = {
        field.name: field for field in obj._meta.get_fields() if hasattr(field, "verbose_name")
    }
    masker = getattr(obj, "history_value", None)
    rows = []
    for name, values in entry.changes.items():
        pair = isinstance(values, list) and len(values) == 2
        before, after = values if pair else (None, values)
        field = fields.get(name)
        if field is None and masker is not None:
            shown_before, shown_after = masker(reader, name, before), masker(reader, name, after)
            if shown_before is None or shown_after is None:
                continue
            rows.append((shown_after[0], shown_before[1], shown_after[1]))
            continue
        if field is None:
            rows.append((name, before, after))
            continue
        # Stored codes read as their labels ("prospect" → 潜在客户), in today's language.
        choices = {str(key): label for key, label in (getattr(field, "choices", None) or [])}
        if choices:
            before, after = choices.get(str(before), before), choices.get(str(after), after)
        rows.append((field.verbose_name, before, after))
    return rows


def display_value(obj: models.Model, field: models.Field) -> Any:
    """A field's value as a person reads it: choice labels rather than stored codes."""
    if field.choices:
        return getattr(obj, f"get_{field.name}_display")()
    return getattr(obj, field.name)


def model_permission(model: type[models.Model], action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


class ScopedMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Sign-in, model permission and record scope, in that order."""

    model: type[models.Model]
    action = "view"
    raise_exception = False

    def get_permission_required(self) -> tuple[str, ...]:
        return (model_permission(self.model, self.action),)

    def handle_no_permission(self) -> HttpResponseRedirect:
        # Signed in but not permitted: 403. Anonymous: off to the sign-in page.
        if self.request.user.is_authenticated:  # type: ignore[attr-defined]
            self.raise_exception = True
        return super().handle_no_permission()

    def get_queryset(self) -> models.QuerySet:
        manager = self.model._default_manager
        queryset = manager.all()
        if hasattr(queryset, "visible_to"):
            queryset = queryset.visible_to(self.request.user)  # type: ignore[attr-defined]
        return queryset

    def url_name(self, action: str) -> str:
        meta = self.model._meta
        suffix = {"list": "_list", "detail": "", "add": "_add", "edit": "_edit"}.get(
            action, "_" + action
        )
        return f"{meta.app_label}:{meta.model_name}{suffix}"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        meta = self.model._meta
        user = self.request.user  # type: ignore[attr-defined]
        context.update(
            model_name=meta.verbose_name,
            model_name_plural=meta.verbose_name_plural,
            list_url=reverse(self.url_name("list")),
            edit_url_name=self.url_name("edit"),
            delete_url_name=self.url_name("delete"),
            can_add=user.has_perm(model_permission(self.model, "add")),
            can_change=user.has_perm(model_permission(self.model, "change")),
            can_delete=user.has_perm(model_permission(self.model, "delete")),
        )
        try:
            context["add_url"] = reverse(self.url_name("add"))
        except Exception:
            context["add_url"] = None
        return context


class ObjectListView(ScopedMixin, TemplateView):
    """Filter panel + search + sortable table + keyset pages + CSV/Excel export."""

    template_name = "core/object_list.html"
    filterset_class: type[FilterSet] | None = None
    table_class: type[Table]
    default_order = "-pk"
    export_name: str | None = None

    def filtered_queryset(self) -> tuple[models.QuerySet, FilterSet | None]:
        queryset = self.get_queryset()
        if self.filterset_class is None:
            return queryset, None
        filterset = self.filterset_class(self.request.GET, queryset=queryset, request=self.request)
        if filterset.is_valid():
            return filterset.qs, filterset
        return queryset.none(), filterset

    def sort_order(self) -> str:
        requested = self.request.GET.get("sort", "")
        allowed = {
            name
            for name, column in self.table_class.base_columns.items()
            if column.orderable is not False and not getattr(column, "exclude_from_sort", False)
        }
        if requested.lstrip("-") in allowed:
            return requested
        return self.default_order

    def get(  # type: ignore[override]
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse | StreamingHttpResponse:
        export = request.GET.get("export")
        if export in {"csv", "xlsx"}:
            return self.export(export)
        return super().get(request, *args, **kwargs)

    def export(self, kind: str) -> HttpResponse | StreamingHttpResponse:
        queryset, _filterset = self.filtered_queryset()
        order = self.sort_order()
        table = self.table_class(queryset.order_by(order, "pk"))
        table.request = self.request  # for columns that depend on the reader (not pagination)
        values = table.as_values(exclude_columns=("selection", "actions"))
        header = [str(h) for h in next(values)]
        name = self.export_name or str(self.model._meta.verbose_name_plural)
        log_access(
            actor=self.request.user,
            action=AccessLog.Action.EXPORT,
            fields=header,
            count=queryset.count(),
            reason=f"{self.model._meta.label} {kind}",
            request=self.request,
        )
        if kind == "csv":
            return csv_response(name, header, values)
        return xlsx_response(name, header, values)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        queryset, filterset = self.filtered_queryset()
        order = self.sort_order()
        try:
            size = int(self.request.GET.get("per_page", 50))
        except ValueError:
            size = 50
        size = size if size in PER_PAGE_CHOICES else 50
        page = keyset_page(queryset, order=order, cursor=self.request.GET.get("cursor"), size=size)
        table = self.table_class(page.rows, order_by=order if order != "-pk" else None)
        table.request = self.request
        context.update(
            table=table,
            filter=filterset,
            page=page,
            per_page=size,
            per_page_choices=PER_PAGE_CHOICES,
            sort=order,
        )
        return context


class ObjectDetailView(ScopedMixin, TemplateView):
    template_name = "core/object_detail.html"

    def get_object(self) -> models.Model:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        context["object"] = obj
        user = self.request.user
        if user.has_perm("core.view_changelog"):
            entries = ChangeLog.objects.filter(
                content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
            )[:20]
            context["history"] = [(entry, readable_changes(obj, entry, user)) for entry in entries]
        hidden = getattr(self, "hidden_fields", ("id", "password"))
        context["fields"] = [
            (field.verbose_name, display_value(obj, field))
            for field in obj._meta.fields
            if field.name not in hidden
        ]
        return context


class ObjectEditView(ScopedMixin, TemplateView):
    """Create (no ``pk``) or update an object; the write goes through ``save()``."""

    template_name = "core/object_edit.html"
    form_class: type[BaseForm]

    @property
    def action(self) -> str:  # type: ignore[override]
        return "change" if "pk" in self.kwargs else "add"

    def get_object(self) -> models.Model | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_form(self, data: Any = None, files: Any = None) -> BaseForm:
        kwargs: dict[str, Any] = {"data": data, "files": files}
        if hasattr(self.form_class, "_meta"):  # a ModelForm
            kwargs["instance"] = self.get_object()
        return self.form_class(**kwargs)

    def save(self, form: BaseForm, *, actor: Any) -> models.Model:  # pragma: no cover
        raise ImproperlyConfigured("ObjectEditView.save() must call the app's service")

    def get_success_url(self, obj: models.Model) -> str:
        if hasattr(obj, "get_absolute_url"):
            return obj.get_absolute_url()
        return reverse(self.url_name("list"))

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                with transaction.atomic():
                    obj = self.save(form, actor=request.user)
            except ValidationError as error:
                # A service's own rule (you cannot disable yourself…): shown on the form.
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved {name}.").format(name=obj))
                return HttpResponseRedirect(self.get_success_url(obj))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["object"] = self.get_object()
        return context


class ObjectDeleteView(ScopedMixin, TemplateView):
    template_name = "core/object_delete.html"
    action = "delete"
    # ``delete()`` is the service hook below, not an HTTP handler: a DELETE request gets 405.
    http_method_names = ["get", "post", "head", "options"]

    def get_object(self) -> models.Model:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def delete(self, obj: models.Model, *, actor: Any) -> None:  # pragma: no cover
        raise ImproperlyConfigured("ObjectDeleteView.delete() must call the app's service")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["object"] = self.get_object()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        name = str(obj)
        try:
            with transaction.atomic():
                self.delete(obj, actor=request.user)
        except ValidationError as error:  # the service refused, and says why
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Deleted {name}.").format(name=name))
        return HttpResponseRedirect(reverse(self.url_name("list")))
