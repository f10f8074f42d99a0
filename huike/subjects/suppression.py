"""The suppression list: contact points of erased people, kept only as keyed digests.

When a person is erased, their phone numbers, e-mail addresses and identity-document numbers
are normalised (E.164, lower case, compact upper case) and their ``blind_index`` digests stored.
Party creation, imports, forms and the API ask :func:`is_suppressed` before recording a contact
point, so an erased person is not silently re-created; nobody can read the list back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from huike.core import crypto, sql
from huike.core.services import record_change
from huike.parties import text
from huike.parties.models import AttributeDefinition, Observation, Party
from huike.subjects.models import SubjectRequest, SuppressionEntry

Kind = SuppressionEntry.Kind
Validator = AttributeDefinition.Validator


def kind_of(definition: AttributeDefinition) -> str | None:
    """Which list an attribute's values go on: phone, e-mail, identity number, or none."""
    if definition.validator == Validator.PHONE:
        return Kind.PHONE
    if definition.validator == Validator.EMAIL:
        return Kind.EMAIL
    if definition.validator == Validator.RESIDENT_ID:
        return Kind.ID
    # Other identity documents of people (passport…): the "identity" section, plain text.
    if (
        definition.section == "identity"
        and definition.applies_to != AttributeDefinition.AppliesTo.ORGANIZATION
        and definition.data_type == AttributeDefinition.DataType.TEXT
        and not definition.validator
    ):
        return Kind.ID
    return None


def normalise(kind: str, raw: Any) -> str | None:
    """The canonical form of a contact point, or None when it is not one of that kind."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        if kind == Kind.PHONE:
            return text.normalise_phone(raw)
        if kind == Kind.EMAIL:
            return text.normalise_email(raw)
    except ValidationError:
        return None
    if kind == Kind.ID:
        compact = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", raw)).upper()
        return compact or None
    return None


def digest(kind: str, normalised: str) -> str:
    return crypto.blind_index(normalised, f"suppression:{kind}")


def _digests(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(kind, digest(kind, value)) for kind, value in pairs}


def _live(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (kind, digest) pairs among ``pairs`` that are on the list (not released): one query
    when the list is empty, else one per 500 digests."""
    if not pairs or not SuppressionEntry.objects.filter(released_at__isnull=True).exists():
        return set()
    digests = sorted({d for _kind, d in pairs})
    found = sql.select_in(SuppressionEntry, "kind, digest, released_at", "digest", digests)
    return {(kind, d) for kind, d, released in found if released is None} & pairs


def is_suppressed(values: Mapping[str, Any]) -> list[str]:
    """Which of ``values`` (attribute code → value, as a form or the API sends them) are
    contact points of an erased person: their codes, in the order given.

    Phones match in any format ("+86 138 0013 8000" and "13800138000"), e-mails in any case.
    Attribute codes are mapped through their definitions' validation (``mobile``, ``phone``,
    ``fax`` are phones…); unknown codes are ignored.
    """
    return suppressed_many([values])[0]


def suppressed_many(items: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """:func:`is_suppressed` for many sets of values at once (an intake call's items): one
    query for the definitions, one lookup of every digest."""
    codes = {code for values in items for code in values}
    definitions = {
        definition.code: definition
        for definition in AttributeDefinition.objects.filter(code__in=sorted(codes))
    }
    wanted: list[dict[str, tuple[str, str]]] = []
    for values in items:
        pairs: dict[str, tuple[str, str]] = {}
        for code, raw in values.items():
            definition = definitions.get(code)
            kind = kind_of(definition) if definition is not None else None
            if kind is None:
                continue
            value = normalise(kind, raw)
            if value is not None:
                pairs[code] = (kind, digest(kind, value))
        wanted.append(pairs)
    live = _live({pair for pairs in wanted for pair in pairs.values()})
    return [[code for code, pair in pairs.items() if pair in live] for pairs in wanted]


def on_list(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The ``(kind, digest)`` pairs among ``pairs`` that are on the list: how an import checks
    a whole batch, its digests computed with :func:`digest`."""
    return _live(pairs)


def candidates(raw: str) -> set[tuple[str, str]]:
    """Every (kind, normalised value) a free-text contact could be: an e-mail, a phone number
    or an identity number (the "check a contact" box does not know which was typed)."""
    found: set[tuple[str, str]] = set()
    value = (raw or "").strip()
    if not value:
        return found
    if "@" in value:
        email = normalise(Kind.EMAIL, value)
        if email:
            found.add((Kind.EMAIL.value, email))
        return found
    phone = normalise(Kind.PHONE, value)
    if phone:
        found.add((Kind.PHONE.value, phone))
    number = normalise(Kind.ID, value)
    if number and re.search(r"\d", number):
        found.add((Kind.ID.value, number))
    return found


def suppressed_kinds(raw: str) -> list[str]:
    """The kinds under which a typed contact is on the list (empty: not suppressed)."""
    return sorted(kind for kind, _digest in _live(_digests(candidates(raw))))


def entries_for(raw: str) -> QuerySet[SuppressionEntry]:
    """The live entries a typed contact matches."""
    pairs = _digests(candidates(raw))
    entries = SuppressionEntry.objects.filter(
        released_at__isnull=True, digest__in=[d for _kind, d in pairs]
    )
    return entries.filter(kind__in=[kind for kind, _d in pairs])


def contact_points(party: Party) -> set[tuple[str, str]]:
    """Every phone, e-mail and identity number ever observed for ``party``, normalised."""
    from huike.subjects.providers import plain_value

    points = set()
    observations = Observation.objects.filter(party=party).select_related("attribute")
    for observation in observations:
        kind = kind_of(observation.attribute)
        if kind is None:
            continue
        value = normalise(kind, plain_value(observation.attribute.code, observation.value))
        if value is not None:
            points.add((kind, value))
    return points


def suppress(
    points: Iterable[tuple[str, str]],
    *,
    actor: Any,
    request: SubjectRequest | None = None,
) -> dict[str, int]:
    """Put normalised contact points on the list (already listed ones stay as they are);
    returns how many were added, by kind. Call inside the erasure's transaction."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    added: dict[str, int] = {}
    for kind, d in sorted(_digests(points)):
        _entry, created = SuppressionEntry.objects.get_or_create(
            kind=kind,
            digest=d,
            released_at__isnull=True,
            defaults={"request": request, "created_by": actor if is_user else None},
        )
        if created:
            added[kind] = added.get(kind, 0) + 1
    return added


@transaction.atomic
def release_suppression(entries: Iterable[SuppressionEntry], *, actor: Any, reason: str) -> int:
    """The person came back and asked to be recorded again: their contact points leave the
    list. The entries stay as history (who released them, when, why) and the change log says
    so. A reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": [_("Say why the contact may be recorded again (e.g. the person asked).")]}
        )
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    now = timezone.now()
    released = 0
    for entry in entries:
        if entry.released_at is not None:
            continue
        entry.released_at = now
        entry.released_by = actor if is_user else None
        entry.release_reason = reason[:300]
        entry.save(update_fields=["released_at", "released_by", "release_reason"])
        record_change(
            entry,
            actor=actor,
            action="update",
            message="released from the suppression list",
            changes={"released_at": [None, now], "release_reason": [None, reason[:300]]},
        )
        released += 1
    return released
