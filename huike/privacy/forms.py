"""Forms of the privacy pages; every write behind them goes through ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huike.parties.models import AttributeDefinition
from huike.privacy.models import (
    Channel,
    ConsentNotice,
    ImpactAssessment,
    Purpose,
)
from huike.privacy.selectors import consent_purposes


class PurposeForm(forms.ModelForm):
    attributes = forms.ModelMultipleChoiceField(
        label=_("Profile fields collected"),
        queryset=AttributeDefinition.objects.filter(is_active=True).order_by(
            "section", "order", "code"
        ),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("What is collected for this purpose; the records of processing list them."),
    )

    class Meta:
        model = Purpose
        fields = [
            "code",
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "legal_basis",
            "requires_separate_consent",
            "retention_days",
            "recipients",
            "attributes",
            "order",
            "is_active",
        ]
        widgets = {
            "description_zh": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
            "recipients": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.initial["attributes"] = list(self.instance.attributes.values_list("pk", flat=True))


class ConsentNoticeForm(forms.ModelForm):
    class Meta:
        model = ConsentNotice
        fields = ["text_zh", "text_en", "published_at"]
        widgets = {
            "text_zh": forms.Textarea(attrs={"rows": 6}),
            "text_en": forms.Textarea(attrs={"rows": 6}),
            "published_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }


class NoticeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ConsentNotice) -> str:
        return _("{purpose}, version {version}").format(purpose=obj.purpose, version=obj.version)


class ConsentForm(forms.Form):
    """ "Record consent" on a customer's consent panel."""

    purpose = forms.ModelChoiceField(
        label=_("Purpose"), queryset=Purpose.objects.none(), to_field_name="code"
    )
    notice = NoticeChoiceField(
        label=_("Notice shown"),
        queryset=ConsentNotice.objects.none(),
        required=False,
        help_text=_("The version of the text the person agreed to."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What proves it: form submission number, recording, signed form…"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        purposes = consent_purposes()
        self.fields["purpose"].queryset = purposes  # type: ignore[attr-defined]
        self.fields["notice"].queryset = (  # type: ignore[attr-defined]
            ConsentNotice.objects.filter(purpose__in=purposes)
            .select_related("purpose")
            .order_by("purpose__order", "purpose__code", "-version")
        )


class ImpactAssessmentForm(forms.ModelForm):
    class Meta:
        model = ImpactAssessment
        fields = [
            "title",
            "purposes",
            "attributes",
            "risk_level",
            "measures",
            "conclusion",
            "assessed_at",
            "review_due",
            "assessor",
            "document_reference",
        ]
        widgets = {
            "purposes": forms.CheckboxSelectMultiple,
            "attributes": forms.CheckboxSelectMultiple,
            "measures": forms.Textarea(attrs={"rows": 4}),
            "conclusion": forms.Textarea(attrs={"rows": 3}),
            "assessed_at": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "review_due": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from huike.accounts.models import User

        self.fields["assessor"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("username")
