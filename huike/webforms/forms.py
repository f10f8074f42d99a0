"""The form builder (staff) and the public form a visitor fills in."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huike.accounts.models import User
from huike.parties.models import AttributeDefinition
from huike.privacy.models import ConsentNotice, Purpose
from huike.webforms import protection
from huike.webforms.models import WebForm, WebFormConsent, WebFormField
from huike.webforms.services import NOT_FROM_VISITORS, NOT_ON_FORMS

DataType = AttributeDefinition.DataType
Validator = AttributeDefinition.Validator
# Longest answer accepted per field, by type: well below what the request limit allows.
TEXT_LIMIT = 500
LONG_TEXT_LIMIT = 4000
SHORT_LIMIT = 100
# Control characters never belong in an answer (PostgreSQL refuses NUL); tabs and new lines do.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


# --- The builder ----------------------------------------------------------------------------


class WebFormForm(forms.ModelForm):
    redirect_url = forms.URLField(
        label=_("Redirect after sending"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("Instead of the thank-you text, go to this http or https address."),
    )

    class Meta:
        model = WebForm
        fields = [
            "name",
            "slug",
            "party_kind",
            "is_active",
            "title_zh",
            "title_en",
            "intro_zh",
            "intro_en",
            "thank_you_zh",
            "thank_you_en",
            "redirect_url",
            "owner",
            "allowed_origins",
            "challenge",
            "double_opt_in",
        ]
        widgets = {
            "intro_zh": forms.Textarea(attrs={"rows": 3}),
            "intro_en": forms.Textarea(attrs={"rows": 3}),
            "thank_you_zh": forms.Textarea(attrs={"rows": 2}),
            "thank_you_en": forms.Textarea(attrs={"rows": 2}),
            "allowed_origins": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("username")


def bootstrap(form: forms.BaseForm) -> None:
    """Bootstrap's classes on every widget of ``form`` (the builder's rows are drawn by hand)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select form-select-sm"
        else:
            css = "form-control form-control-sm"
        widget.attrs.setdefault("class", css)


class AttributeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AttributeDefinition) -> str:
        return f"{obj.label} ({obj.code})"


class FieldForm(forms.ModelForm):
    attribute = AttributeChoiceField(
        label=_("Profile field"),
        queryset=AttributeDefinition.objects.filter(is_active=True)
        .exclude(data_type__in=NOT_ON_FORMS)
        .exclude(code__in=NOT_FROM_VISITORS)
        .order_by("section", "order", "code"),
    )

    class Meta:
        model = WebFormField
        fields = ["attribute", "label_zh", "label_en", "help_zh", "help_en", "required", "order"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)


class NoticeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ConsentNotice) -> str:
        return str(
            _("{purpose}, version {version}").format(purpose=obj.purpose, version=obj.version)
        )


class ConsentBoxForm(forms.ModelForm):
    purpose = forms.ModelChoiceField(
        label=_("Purpose"),
        queryset=Purpose.objects.filter(legal_basis="consent", is_active=True),
    )
    notice = NoticeChoiceField(
        label=_("Notice shown"),
        required=False,
        queryset=ConsentNotice.objects.select_related("purpose").order_by(
            "purpose__order", "purpose__code", "-version"
        ),
        help_text=_("Empty: the latest published version of the purpose's notice."),
    )

    class Meta:
        model = WebFormConsent
        fields = ["purpose", "notice", "required", "order"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)


class BuilderFormSet(forms.BaseInlineFormSet):
    """Rows are filled in or left empty; a row with a choice in its first column is a row to
    check, even when it repeats the row's initial values."""

    lead = "attribute"

    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        form = super()._construct_form(i, **kwargs)  # type: ignore[misc]
        if self.is_bound and form.data.get(form.add_prefix(self.lead)):
            form.empty_permitted = False
        return form

    def chosen(self) -> list[dict[str, Any]]:
        """The cleaned rows that stay (filled in, not marked for deletion)."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get(self.lead)
        ]


class ConsentRowsFormSet(BuilderFormSet):
    lead = "purpose"


def field_formset(extra: int = 3) -> type[BuilderFormSet]:
    return forms.inlineformset_factory(  # type: ignore[return-value]
        WebForm,
        WebFormField,
        form=FieldForm,
        formset=BuilderFormSet,
        extra=extra,
        can_delete=True,
    )


def consent_formset(extra: int = 2) -> type[BuilderFormSet]:
    return forms.inlineformset_factory(  # type: ignore[return-value]
        WebForm,
        WebFormConsent,
        form=ConsentBoxForm,
        formset=ConsentRowsFormSet,
        extra=extra,
        can_delete=True,
    )


# --- The public form ----------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """An answer as plain text: control characters and direction overrides removed."""
    return CONTROL.sub("", value).strip()


class PublicForm(forms.Form):
    """What a visitor sees: one input per field of the form (named by the attribute code), one
    box per consent (``consent_<purpose>``), the hidden token and language, the honeypot and,
    when the form asks one, the question.

    Input is only shaped here (length, plain text); the values are checked by the customer
    services when the submission is made, so every channel gives the same errors.
    """

    def __init__(
        self,
        webform: WebForm,
        language: str,
        boxes: list[tuple[WebFormConsent, ConsentNotice]],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "hk-%s")
        super().__init__(*args, **kwargs)
        self.webform = webform
        self.language = language
        self.codes: list[str] = []
        for field in webform.fields.select_related("attribute"):
            code = field.attribute.code
            self.fields[code] = self._input(field)
            self.codes.append(code)
        self.boxes = boxes
        for consent, notice in boxes:
            self.fields[consent.field_name] = forms.BooleanField(
                label=notice.text_in(language),
                required=consent.required,
                error_messages={"required": _("Please agree to this to send the form.")},
            )
        self.fields[protection.HONEYPOT_FIELD] = forms.CharField(
            required=False,
            label=_("Leave this field empty"),
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        self.fields[protection.TOKEN_FIELD] = forms.CharField(
            required=False, widget=forms.HiddenInput
        )
        self.fields[protection.LANGUAGE_FIELD] = forms.CharField(
            required=False, widget=forms.HiddenInput
        )
        if webform.challenge:
            self.fields[protection.ANSWER_FIELD] = forms.CharField(
                label=_("Question"),
                max_length=10,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            )
        for bound in self.fields.values():
            widget = bound.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"  # also CheckboxSelectMultiple, a RadioSelect
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)

    def _input(self, field: WebFormField) -> forms.Field:
        attribute = field.attribute
        language = self.language
        zh = language.startswith("zh")
        common: dict[str, Any] = {
            "label": field.label_in(language),
            "help_text": field.help_in(language),
            "required": field.required,
        }
        kind = attribute.data_type
        if kind == DataType.LONG_TEXT:
            return forms.CharField(
                max_length=LONG_TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 4}), **common
            )
        if kind in (DataType.CHOICE, DataType.MULTI_CHOICE):
            choices = [
                (
                    str(choice.get("value")),
                    str((choice.get("zh") if zh else choice.get("en")) or choice.get("value")),
                )
                for choice in attribute.choices or []
            ]
            if kind == DataType.MULTI_CHOICE:
                return forms.MultipleChoiceField(
                    choices=choices, widget=forms.CheckboxSelectMultiple, **common
                )
            return forms.ChoiceField(choices=[("", "—"), *choices], **common)
        if kind == DataType.BOOLEAN:
            return forms.ChoiceField(
                choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect, **common
            )
        if kind == DataType.DATE:
            return forms.CharField(
                max_length=SHORT_LIMIT, widget=forms.DateInput(attrs={"type": "date"}), **common
            )
        if kind in (DataType.NUMBER, DataType.MONEY):
            return forms.CharField(
                max_length=SHORT_LIMIT,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                **common,
            )
        attrs: dict[str, str] = {}
        if attribute.validator == Validator.EMAIL:
            attrs = {"type": "email", "autocomplete": "email"}
        elif attribute.validator == Validator.PHONE:
            attrs = {"type": "tel", "autocomplete": "tel"}
        elif attribute.validator == Validator.URL:
            attrs = {"type": "url"}
        elif attribute.code == "name":
            attrs = {"autocomplete": "name"}
        return forms.CharField(max_length=TEXT_LIMIT, widget=forms.TextInput(attrs=attrs), **common)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for code in self.codes:
            value = cleaned.get(code)
            if isinstance(value, str):
                cleaned[code] = clean_text(value)
        return cleaned

    @property
    def honeypot_filled(self) -> bool:
        return bool((self.data.get(protection.HONEYPOT_FIELD) or "").strip())

    def values(self) -> dict[str, Any]:
        """The answers by attribute code (blank ones left out)."""
        return {
            code: self.cleaned_data[code]
            for code in self.codes
            if self.cleaned_data.get(code) not in (None, "", [])
        }

    def ticked(self) -> list[str]:
        return [
            consent.purpose.code
            for consent, _notice in self.boxes
            if self.cleaned_data.get(consent.field_name)
        ]

    def visible_fields_in_order(self) -> list[forms.BoundField]:
        return [self[code] for code in self.codes]

    def consent_fields(self) -> list[forms.BoundField]:
        return [self[consent.field_name] for consent, _notice in self.boxes]
