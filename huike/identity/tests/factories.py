"""Helpers for identity tests: scores as the matcher gives them, queue rows, and the state of a
customer as a merge and an unmerge must preserve it."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType

from huike.core.models import ChangeLog
from huike.identity.matching import Part, Score
from huike.identity.models import MatchCandidate
from huike.parties.models import GoldenValue, Observation, Party, Relationship
from huike.privacy.models import ConsentRecord, PartyConsent


def score(probability: float, decision: str = "same") -> Score:
    """A matcher's score with one explaining part."""
    return Score(
        probability=probability,
        weight=1.0,
        decision=decision,
        parts=[Part(field="name", level="exact", weight=1.0)],
    )


def candidate(a: Party, b: Party, probability: float = 0.95, **fields: Any) -> MatchCandidate:
    """A queue row for the pair (stored lower id first, as the queue keeps it)."""
    low, high = sorted((a.pk, b.pk))
    fields.setdefault("decision", "same" if probability >= 0.9 else "maybe")
    fields.setdefault("found_by", MatchCandidate.FoundBy.JOB)
    return MatchCandidate.objects.create(
        party_a_id=low, party_b_id=high, score=probability, **fields
    )


def golden_state(party_id: int) -> dict[str, tuple[str, int, str]]:
    """The golden record of a party: code → (value_text, observation id, confirmed_at)."""
    return {
        g.attribute.code: (g.value_text, g.observation_id, g.confirmed_at.isoformat())
        for g in GoldenValue.objects.filter(party_id=party_id).select_related("attribute")
    }


def rows_of(party_id: int) -> dict[str, set[Any]]:
    """The rows a party owns, as comparable sets (ids, and their content where it matters)."""
    party_type = ContentType.objects.get_for_model(Party)
    return {
        "observations": set(
            Observation.objects.filter(party_id=party_id).values_list(
                "pk", "attribute_id", "value_text", "source", "source_ref"
            )
        ),
        "relationships_out": set(
            Relationship.objects.filter(from_party_id=party_id).values_list(
                "pk", "to_party_id", "kind", "reports_to_id"
            )
        ),
        "relationships_in": set(
            Relationship.objects.filter(to_party_id=party_id).values_list(
                "pk", "from_party_id", "kind"
            )
        ),
        "consents": set(
            ConsentRecord.objects.filter(party_id=party_id).values_list(
                "pk", "purpose_id", "status"
            )
        ),
        "current_consents": set(
            PartyConsent.objects.filter(party_id=party_id).values_list(
                "purpose_id", "granted", "record_id"
            )
        ),
        "tags": set(Party.tags.through.objects.filter(party_id=party_id).values_list("tag_id")),
        "history": set(
            ChangeLog.objects.filter(content_type=party_type, object_id=str(party_id)).values_list(
                "pk", flat=True
            )
        ),
    }
