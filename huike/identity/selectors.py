"""Reads of identity resolution: the side-by-side comparison of two customers for the review
page and the API, where a merged customer lives now, and the merges into a customer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Field, Q, QuerySet
from django.utils import formats

from huike.core.models import ChangeLog
from huike.identity.models import Merge
from huike.parties import privacy
from huike.parties.models import GoldenValue, Observation, Party, Relationship
from huike.parties.services import _winner
from huike.privacy.models import ConsentRecord

# The customer's own fields shown side by side (a merge may take each from either customer).
COMPARED_FIELDS = ("owner", "team", "stage", "region", "industry", "nature", "first_deal_date")


@dataclass(frozen=True)
class Value:
    """One customer's value of one attribute, as the reader may see it."""

    text: str
    state: str  # full, masked, hidden or unreadable (parties.privacy.shown)
    observation_id: int
    revealable: bool = False


@dataclass(frozen=True)
class AttributeRow:
    """One attribute of the two customers: each one's golden value (``None``: none) and whose
    value survivorship would keep after a merge, by default (``"a"`` or ``"b"``)."""

    code: str
    label: str
    a: Value | None
    b: Value | None
    default: str
    same: bool  # both have it, with the same stored value


@dataclass(frozen=True)
class FieldRow:
    """One of the customer's own fields: display texts and stored values (ids for links)."""

    name: str
    label: str
    a: str
    b: str
    a_value: Any
    b_value: Any

    @property
    def same(self) -> bool:
        return self.a_value == self.b_value


@dataclass(frozen=True)
class Counts:
    """What a customer has that a merge would move."""

    observations: int = 0
    relationships: int = 0
    consent_records: int = 0
    changes: int = 0


@dataclass
class Comparison:
    """Two customers side by side (``a`` and ``b`` as given) and the default survivor."""

    a: Party
    b: Party
    attributes: list[AttributeRow] = field(default_factory=list)
    fields: list[FieldRow] = field(default_factory=list)
    counts_a: Counts = field(default_factory=Counts)
    counts_b: Counts = field(default_factory=Counts)
    survivor_id: int = 0  # the one a merge keeps unless the reviewer chooses

    def side(self, party_id: int) -> str:
        return "a" if party_id == self.a.pk else "b"


def observation_counts(party_ids: Iterable[int]) -> dict[int, int]:
    """How many observations each party has (absent: none)."""
    rows = (
        Observation.objects.filter(party__in=list(party_ids))
        .values("party")
        .annotate(count=Count("pk"))
        .values_list("party", "count")
    )
    return dict(rows)


def counts(party: Party) -> Counts:
    """The rows of ``party`` a merge moves, counted."""
    party_type = ContentType.objects.get_for_model(Party)
    return Counts(
        observations=Observation.objects.filter(party=party).count(),
        relationships=Relationship.objects.filter(Q(from_party=party) | Q(to_party=party)).count(),
        consent_records=ConsentRecord.objects.filter(party=party).count(),
        changes=ChangeLog.objects.filter(content_type=party_type, object_id=str(party.pk)).count(),
    )


def _party_field(name: str) -> Field:
    model_field = Party._meta.get_field(name)
    assert isinstance(model_field, Field)
    return model_field


def _field_text(party: Party, name: str) -> tuple[str, Any]:
    """A field of ``party`` as text, and its stored value (an id for a link, ISO dates)."""
    model_field = _party_field(name)
    if model_field.is_relation:
        value = getattr(party, model_field.attname)
        return (str(getattr(party, name)) if value is not None else ""), value
    value = getattr(party, name)
    if name == "stage":
        return party.get_stage_display(), value
    if value is None:
        return "", None
    return str(formats.localize(value)), value.isoformat() if hasattr(value, "isoformat") else value


def comparison(a: Party, b: Party, *, user: Any) -> Comparison:
    """``a`` and ``b`` side by side for the review page and the API.

    Rows for every attribute either has a golden value for, with the values as ``user`` may see
    them (masked or hidden by sensitivity), the observation each came from and which one
    survivorship would keep after a merge (simulated over both customers' observations); then
    the customer's own fields, and counts of what each has. The caller checks that ``user``
    may see both customers.
    """
    golden = (
        GoldenValue.objects.filter(party__in=[a.pk, b.pk])
        .select_related("attribute")
        .order_by("attribute__section", "attribute__order", "attribute__code")
    )
    by_attribute: dict[int, dict[int, GoldenValue]] = defaultdict(dict)
    definitions = {}
    for value in golden:
        by_attribute[value.attribute_id][value.party_id] = value
        definitions[value.attribute_id] = value.attribute
    observations: dict[int, list[Observation]] = defaultdict(list)
    for observation in Observation.objects.filter(
        party__in=[a.pk, b.pk], attribute__in=list(definitions)
    ).only("pk", "party", "attribute", "value_text", "source", "collected_at"):
        observations[observation.attribute_id].append(observation)

    rows = []
    for attribute_id, values in by_attribute.items():
        definition = definitions[attribute_id]
        sides: dict[int, Value | None] = {}
        for party in (a, b):
            stored = values.get(party.pk)
            if stored is None:
                sides[party.pk] = None
                continue
            seen = privacy.shown(user, definition, stored.value)
            sides[party.pk] = Value(
                text=str(seen.text),
                state=seen.state,
                observation_id=stored.observation_id,
                revealable=seen.revealable,
            )
        winner = _winner(definition.survivorship, observations[attribute_id])
        a_value, b_value = values.get(a.pk), values.get(b.pk)
        rows.append(
            AttributeRow(
                code=definition.code,
                label=definition.label,
                a=sides[a.pk],
                b=sides[b.pk],
                default="a" if winner.party_id == a.pk else "b",
                same=a_value is not None
                and b_value is not None
                and a_value.value_text == b_value.value_text,
            )
        )

    fields = []
    for name in COMPARED_FIELDS:
        a_text, a_raw = _field_text(a, name)
        b_text, b_raw = _field_text(b, name)
        label = str(_party_field(name).verbose_name)
        fields.append(FieldRow(name, label, a_text, b_text, a_raw, b_raw))

    numbers = observation_counts([a.pk, b.pk])
    survivor = min((a, b), key=lambda p: (-numbers.get(p.pk, 0), p.pk))
    return Comparison(
        a=a,
        b=b,
        attributes=rows,
        fields=fields,
        counts_a=counts(a),
        counts_b=counts(b),
        survivor_id=survivor.pk,
    )


def merged_into(party_id: int) -> Party | None:
    """Where the customer ``party_id`` lives now: itself if it exists, else the survivor of the
    latest merge not undone that deleted it (following merges of that survivor in turn);
    ``None`` when it was never merged (deleted, or never existed)."""
    seen: set[int] = set()
    current = party_id
    while current not in seen:
        seen.add(current)
        party = Party.objects.filter(pk=current).first()
        if party is not None:
            return party
        latest = (
            Merge.objects.filter(merged_id=current, unmerged_at__isnull=True)
            .order_by("-merged_at", "-pk")
            .values_list("survivor_id", flat=True)
            .first()
        )
        if latest is None:
            return None
        current = latest
    return None


def merge_for(party: Party) -> QuerySet[Merge]:
    """The merges into ``party`` (also those it inherited from customers merged into it),
    newest first."""
    return (
        Merge.objects.filter(survivor=party)
        .select_related("merged_by", "unmerged_by")
        .order_by("-merged_at", "-pk")
    )
