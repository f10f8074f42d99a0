"""Forms of the duplicate pages: starting a search, merging in bulk, reviewing one pair."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from huike.identity import jobs, matching, selectors


class StartDedupeForm(forms.Form):
    segment = forms.CharField(
        label=_("Customers to compare"),
        required=False,
        max_length=500,
        help_text=_(
            "The filters of the customer list: the part of its address after “?”, e.g. "
            "stage=customer. Empty: every customer you can see."
        ),
    )
    auto_merge = forms.BooleanField(
        label=_("Merge the surest pairs automatically"),
        required=False,
        help_text=_(
            "Pairs at or above the automatic-merge threshold are merged without review "
            "(each merge can be undone)."
        ),
    )

    def __init__(self, *args: Any, may_merge: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.may_merge = may_merge
        if not may_merge:
            del self.fields["auto_merge"]

    def clean_segment(self) -> str:
        try:
            return jobs.check_segment(self.cleaned_data.get("segment") or "")
        except ValidationError as error:
            raise ValidationError(error.message_dict.get("segment", error.messages)) from error


def _percent(value: float) -> int:
    return min(100, max(1, math.ceil(round(value * 100, 6))))


class BulkMergeForm(forms.Form):
    """ "Merge every open pair at or above X %", then a confirmation step (``confirm``).

    The lowest choice is the "maybe" threshold: no pair below it is in the queue."""

    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limits = matching.thresholds()
        self.fields["min_percent"] = forms.IntegerField(
            label=_("Merge every open pair at or above (%)"),
            min_value=_percent(limits.maybe),
            max_value=100,
            initial=_percent(limits.same),
        )
        self.order_fields(["min_percent", "confirm"])

    def min_score(self) -> float:
        return float(self.cleaned_data["min_percent"]) / 100.0


# --- the review page: one pair side by side -----------------------------------------------------

ATTRIBUTE_PREFIX = "attr."
FIELD_PREFIX = "field."


@dataclass(frozen=True)
class ReviewRow:
    """One row of the side-by-side comparison, with the choice it offers (if any).

    ``name`` is the radio's name (``attr.<code>``, ``field.<name>``); ``a_choice`` and
    ``b_choice`` the values each radio sends (an observation id, a party id); ``checked`` the
    side checked by default ("a", "b" or "" when the row offers no choice)."""

    kind: str  # "attribute" or "field"
    key: str
    label: str
    a_text: str
    b_text: str
    a_state: str
    b_state: str
    name: str
    a_choice: str
    b_choice: str
    checked: str
    same: bool

    @property
    def choosable(self) -> bool:
        return bool(self.checked)

    @property
    def cells(self) -> list[tuple[str, str, str, str]]:
        """(side, text, state, choice) of the two customers, for the template."""
        return [
            ("a", self.a_text, self.a_state, self.a_choice),
            ("b", self.b_text, self.b_state, self.b_choice),
        ]


def _attribute_row(row: selectors.AttributeRow) -> ReviewRow:
    a, b = row.a, row.b
    hidden = any(v is not None and v.state in ("hidden", "unreadable") for v in (a, b))
    choosable = a is not None and b is not None and not row.same and not hidden
    return ReviewRow(
        kind="attribute",
        key=row.code,
        label=str(row.label),
        a_text=a.text if a is not None else "",
        b_text=b.text if b is not None else "",
        a_state=a.state if a is not None else "",
        b_state=b.state if b is not None else "",
        name=ATTRIBUTE_PREFIX + row.code,
        a_choice=str(a.observation_id) if a is not None else "",
        b_choice=str(b.observation_id) if b is not None else "",
        checked=row.default if choosable else "",
        same=row.same,
    )


def _field_row(row: selectors.FieldRow, comparison: selectors.Comparison) -> ReviewRow:
    choosable = not row.same and bool(row.a) and bool(row.b)
    return ReviewRow(
        kind="field",
        key=row.name,
        label=str(row.label).capitalize(),
        a_text=row.a,
        b_text=row.b,
        a_state="full",
        b_state="full",
        name=FIELD_PREFIX + row.name,
        a_choice=str(comparison.a.pk),
        b_choice=str(comparison.b.pk),
        checked=comparison.side(comparison.survivor_id) if choosable else "",
        same=row.same,
    )


def review_rows(comparison: selectors.Comparison) -> list[ReviewRow]:
    """The profile values, then the customer's own fields, of the two customers."""
    return [_attribute_row(row) for row in comparison.attributes] + [
        _field_row(row, comparison) for row in comparison.fields
    ]


def choices_from(
    data: Mapping[str, Any], comparison: selectors.Comparison, *, survivor_id: int
) -> dict[str, int]:
    """The ``choices`` of ``services.merge`` from the review form: an attribute whose chosen
    value is not the one survivorship keeps anyway, and a field taken from the customer that
    goes. Values that are not one of the row's two choices are ignored."""
    choices: dict[str, int] = {}
    for row in review_rows(comparison):
        if not row.choosable:
            continue
        sent = str(data.get(row.name, ""))
        if sent not in (row.a_choice, row.b_choice):
            continue
        if row.kind == "attribute":
            default = row.a_choice if row.checked == "a" else row.b_choice
            if sent != default:
                choices[row.key] = int(sent)
        elif int(sent) != survivor_id:
            choices[row.key] = int(sent)
    return choices


def explanation_rows(explanation: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The parts of a score, as stored with the pair: what agreed or differed, and how much it
    counted (a weight in bits: positive for "the same", negative against)."""
    from huike.identity.tables import part_label

    rows = []
    for part in explanation or []:
        if not isinstance(part, Mapping):
            continue
        weight = float(part.get("weight") or 0)
        rows.append(
            {
                "field": str(part.get("field", "")),
                "label": part_label(part),
                "weight": weight,
                "magnitude": abs(weight),
                "agrees": weight > 0,
            }
        )
    return rows


def chosen_labels(choices: Mapping[str, Any]) -> list[str]:
    """What a reviewer chose by hand in a merge, as labels (attributes and fields)."""
    from huike.identity.services import PARTY_FIELDS
    from huike.parties.models import AttributeDefinition, Party

    codes = [code for code in choices if code not in PARTY_FIELDS]
    labels = {d.code: str(d.label) for d in AttributeDefinition.objects.filter(code__in=codes)}
    found = []
    for key in choices:
        if key in PARTY_FIELDS:
            field = Party._meta.get_field(key)
            found.append(str(getattr(field, "verbose_name", key)).capitalize())
        else:
            found.append(labels.get(key, key))
    return found
