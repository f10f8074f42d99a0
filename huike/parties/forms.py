"""Forms of the customer pages. Attribute fields are built from the attribute definitions."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from huike.accounts.models import Team, User
from huike.parties import privacy
from huike.parties.attributes import SECTIONS
from huike.parties.models import AttributeDefinition, CustomerNature, Industry, Party, Region, Tag
from huike.parties.services import DEFINITION_FIELDS, NAME
from huike.parties.values import is_blank

ATTRIBUTE_PREFIX = "attr_"
PARTY_FORM_FIELDS = ["kind", "name", "owner", "team", "stage", "nature", "first_deal_date", "notes"]
DataType = AttributeDefinition.DataType


def attribute_field(definition: AttributeDefinition) -> forms.Field:
    """A form field for a definition. Values are validated by the services (``coerce``), so
    the form accepts text and shows the service's message next to the field."""
    help_text = (
        definition.help_zh if definition.label == definition.label_zh else definition.help_en
    )
    common: dict[str, Any] = {"label": definition.label, "required": False, "help_text": help_text}
    kind = definition.data_type
    if kind in (DataType.CHOICE, DataType.MULTI_CHOICE):
        choices = [
            (c["value"], definition.choice_label(c["value"])) for c in definition.choices or []
        ]
        if kind == DataType.CHOICE:
            return forms.ChoiceField(choices=[("", "—"), *choices], **common)
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == DataType.BOOLEAN:
        return forms.ChoiceField(
            choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))], **common
        )
    if kind == DataType.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000, **common)
    if kind == DataType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == DataType.LUNAR_DATE:
        common["help_text"] = common["help_text"] or _(
            "e.g. 2020-04-08, 2020-L04-08 (leap month) or 四月初八"
        )
        return forms.CharField(max_length=40, **common)
    attrs: dict[str, str] = {}
    if definition.validator == AttributeDefinition.Validator.PHONE:
        attrs = {"type": "tel", "autocomplete": "tel"}
    elif definition.validator == AttributeDefinition.Validator.EMAIL:
        attrs = {"type": "email", "autocomplete": "email"}
    return forms.CharField(max_length=500, widget=forms.TextInput(attrs=attrs), **common)


def initial_value(definition: AttributeDefinition, value: Any) -> Any:
    if value is None:
        return None
    if definition.data_type == DataType.BOOLEAN:
        return "true" if value else "false"
    if definition.data_type == DataType.MONEY and isinstance(value, dict):
        return "{} {}".format(value.get("amount", ""), value.get("currency", "")).strip()
    return value


class PartyForm(forms.ModelForm):
    """The customer's own fields, then one field per active attribute, grouped by section."""

    region_code = forms.CharField(
        label=_("Region code"),
        required=False,
        max_length=12,
        help_text=_("GB/T 2260 code such as 330106, or a country code such as US."),
    )
    industry_code = forms.CharField(
        label=_("Industry code"),
        required=False,
        max_length=8,
        help_text=_("GB/T 4754 code such as C (manufacturing) or 39."),
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Separate tags with commas.")
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Party
        fields = PARTY_FORM_FIELDS
        widgets = {
            "first_deal_date": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self,
        *args: Any,
        kind: str | None = None,
        owner: Any = None,
        user: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        party: Party = self.instance
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = User.objects.filter(
            is_active=True
        )
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = Team.objects.all()
        cast(
            forms.ModelChoiceField, self.fields["nature"]
        ).queryset = CustomerNature.objects.filter(is_active=True)
        kind = party.kind if party.pk else (kind or self.data.get("kind") or Party.Kind.PERSON)
        if party.pk:
            self.fields["kind"].disabled = True
            self.fields["version"].initial = party.version
            self.fields["region_code"].initial = party.region.code if party.region else ""
            self.fields["industry_code"].initial = party.industry.code if party.industry else ""
            self.fields["tags"].initial = ", ".join(t.name for t in party.tags.all())
        else:
            self.fields["kind"].initial = kind
        self.party_kind = kind
        if not party.pk:
            self.initial.setdefault("kind", kind)
            if owner is not None:
                self.initial.setdefault("owner", owner.pk)
        self.sections: OrderedDict[str, list[str]] = OrderedDict((code, []) for code in SECTIONS)
        for definition in AttributeDefinition.objects.filter(is_active=True).exclude(code="name"):
            if not definition.applies(kind):
                continue
            if user is not None and not user.may_edit_field(definition.sensitivity):
                continue  # the field-level gate: not editable by this role
            name = ATTRIBUTE_PREFIX + definition.code
            self.fields[name] = attribute_field(definition)
            if party.pk and definition.code in party.golden:
                seen = privacy.shown(user, definition, party.golden[definition.code])
                if seen.state == privacy.FULL:
                    self.fields[name].initial = initial_value(definition, seen.value)
                else:  # never put a value the reader may not see into the page
                    self.fields[name].help_text = _(
                        "Kept as it is ({masked}) unless you type a new value."
                    ).format(masked=seen.text or "•••")
            self.sections.setdefault(definition.section, []).append(name)

    def clean_region_code(self) -> Region | None:
        code = self.cleaned_data["region_code"].strip().upper()
        if not code:
            return None
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise forms.ValidationError(_("No region has the code {code}.").format(code=code))
        return region

    def clean_industry_code(self) -> Industry | None:
        code = self.cleaned_data["industry_code"].strip().upper()
        if not code:
            return None
        industry = Industry.objects.filter(code=code).first()
        if industry is None:
            raise forms.ValidationError(_("No industry has the code {code}.").format(code=code))
        return industry

    def clean_tags(self) -> list[Tag]:
        names = [
            n.strip() for n in self.cleaned_data["tags"].replace("，", ",").split(",") if n.strip()
        ]
        return [Tag.objects.get_or_create(name=name[:50])[0] for name in dict.fromkeys(names)]

    def attribute_values(self) -> dict[str, Any]:
        """Attribute code → raw value, as entered (blank fields included: they add nothing)."""
        return {
            name[len(ATTRIBUTE_PREFIX) :]: value
            for name, value in self.cleaned_data.items()
            if name.startswith(ATTRIBUTE_PREFIX)
        }

    def entered_values(self) -> dict[str, Any]:
        """The name and every attribute value typed (blank fields left out): what a new
        customer's duplicate check compares, and what "add these details to this customer"
        records."""
        values = {NAME: self.cleaned_data["name"]}
        values.update(
            (code, value) for code, value in self.attribute_values().items() if not is_blank(value)
        )
        return values

    def party_fields(self) -> dict[str, Any]:
        data = {
            name: self.cleaned_data[name] for name in PARTY_FORM_FIELDS if name in self.cleaned_data
        }
        data["region"] = self.cleaned_data.get("region_code")
        data["industry"] = self.cleaned_data.get("industry_code")
        return data

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            field = key if key in self.fields else ATTRIBUTE_PREFIX + key
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class AttributeDefinitionForm(forms.ModelForm):
    class Meta:
        model = AttributeDefinition
        fields = list(DEFINITION_FIELDS)
        widgets = {"section": forms.Select(choices=[(k, v) for k, v in SECTIONS.items()])}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_system:
            for name in ("code", "data_type", "validator"):
                self.fields[name].disabled = True


class CustomerNatureForm(forms.ModelForm):
    class Meta:
        model = CustomerNature
        fields = ["code", "name_zh", "name_en", "order", "is_active"]
