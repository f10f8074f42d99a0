"""Forms of the request queue. Each only validates; the views call the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huike.parties import selectors as party_selectors
from huike.parties.models import AttributeDefinition, Party
from huike.subjects.models import RetentionRule, SubjectRequest


def find_customer(user: Any, wanted: str, chosen: Any = None) -> tuple[Party | None, str]:
    """The customer a person means, from a ticked choice or typed text (a number, or what the
    search box takes: name, pinyin, phone, e-mail), among those ``user`` may see.

    Returns ``(party, "")`` or ``(None, error)``; ``(None, "")`` when nothing was given.
    """
    visible: QuerySet[Party] = Party.objects.visible_to(user)
    if chosen not in (None, ""):
        try:
            party = visible.filter(pk=int(chosen)).first()
        except (TypeError, ValueError):
            party = None
        return (party, "") if party else (None, str(_("Choose one of the customers listed.")))
    wanted = (wanted or "").strip().lstrip("#")
    if not wanted:
        return None, ""
    if wanted.isdigit() and len(wanted) <= 18:
        party = visible.filter(pk=int(wanted)).first()
        if party is not None:
            return party, ""
    matches = list(party_selectors.search_parties(user, wanted).order_by("name", "pk")[:2])
    if len(matches) == 1:
        return matches[0], ""
    if matches:
        return None, str(_("Several customers match: choose one from the list."))
    return None, str(_("No customer matches “{query}”.").format(query=wanted))


class CustomerField(forms.CharField):
    """Typed text that names a customer; the view resolves it with ``find_customer``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Customer (number, name, phone or e-mail)"))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", _("Type to search; pick the right customer from the list below.")
        )
        super().__init__(**kwargs)


class CustomerFormMixin:
    """Resolves ``customer`` (typed) or ``party`` (ticked) to ``cleaned_data["party"]``."""

    user: Any
    customer_matches: list[Party] = []

    def clean_customer_choice(self, cleaned: dict[str, Any]) -> None:
        wanted = cleaned.get("customer", "")
        party, error = find_customer(self.user, wanted, cleaned.get("party"))
        if error:
            self.add_error("customer", error)  # type: ignore[attr-defined]
            # Offer the matches again, so the person only has to tick one.
            if wanted:
                matches = party_selectors.search_parties(self.user, wanted.strip())
                self.customer_matches = list(matches.order_by("name", "pk")[:10])
        cleaned["party"] = party


class SubjectRequestForm(CustomerFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Request"), choices=SubjectRequest.Kind.choices)
    requester_name = forms.CharField(label=_("Requester's name"), max_length=200)
    requester_contact = forms.CharField(
        label=_("Requester's contact"),
        max_length=200,
        required=False,
        help_text=_("How to answer: the phone number, e-mail or address the person gave."),
    )
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=SubjectRequest.Channel.choices,
        initial=SubjectRequest.Channel.EMAIL,
    )
    received_at = forms.DateTimeField(
        label=_("Received"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: now. The answer is due 15 days later."),
    )
    description = forms.CharField(
        label=_("What the person asks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    customer = CustomerField()
    party = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_received_at(self) -> Any:
        value = self.cleaned_data.get("received_at")
        if value and value > timezone.now():
            raise forms.ValidationError(_("A request cannot be received in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_customer_choice(cleaned)
        return cleaned


class VerifyForm(CustomerFormMixin, forms.Form):
    method = forms.ChoiceField(
        label=_("Identity checked by"), choices=SubjectRequest.IdentityMethod.choices
    )
    evidence = forms.CharField(
        label=_("What was checked"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "E.g. “ID card seen at the Hangzhou office, last 4 digits 123X”. Do not copy whole "
            "ID numbers here."
        ),
    )
    customer = CustomerField()
    party = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_customer_choice(cleaned)
        return cleaned


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for refusal"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The person is told this reason."),
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CorrectionForm(forms.Form):
    attribute = forms.ModelChoiceField(
        label=_("Profile field"),
        queryset=AttributeDefinition.objects.filter(is_active=True),
        to_field_name="code",
    )
    value = forms.CharField(label=_("Correct value"), max_length=10000)


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I checked what will be deleted and kept; erase this customer now."),
        required=True,
    )


class CheckForm(forms.Form):
    value = forms.CharField(label=_("Phone, e-mail or ID number"), max_length=200, required=False)


class ReleaseForm(forms.Form):
    value = forms.CharField(label=_("Phone, e-mail or ID number"), max_length=200)
    reason = forms.CharField(
        label=_("Why may it be recorded again?"),
        max_length=300,
        help_text=_("E.g. “The person became a customer again on 2026-03-01 and agreed.”"),
    )


class RetentionRuleForm(forms.ModelForm):
    stages = forms.MultipleChoiceField(
        label=_("Lifecycle stages"),
        choices=Party.Stage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only customers at these stages; none ticked: every stage."),
    )

    class Meta:
        model = RetentionRule
        fields = ["name", "purpose", "stages", "inactivity_days", "action", "is_active"]

    def clean_inactivity_days(self) -> int:
        days = self.cleaned_data["inactivity_days"]
        if days < 30:
            raise forms.ValidationError(_("At least 30 days."))
        return int(days)
