"""Every write of identity resolution: the queue of likely duplicates, merges and unmerges.

A merge moves everything that was the merged customer's to the survivor and deletes the merged
``Party`` row; the ``Merge`` row remembers every row it moved (``moved``) and what it had to
delete or change (``snapshot``), so ``unmerge`` puts both customers back as they were, with the
same ids. Which rows move is read from the models: every foreign key to ``Party`` is relinked,
except the rows derived from the others (golden values, search keys, current consents) and the
duplicate queue itself, so a model added later (orders, tickets) is carried along without a
change here. See docs/identity.md.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from huike.core.models import ChangeLog
from huike.core.services import record_change
from huike.identity.models import Decision, DedupeJob, MatchCandidate, Merge
from huike.identity.selectors import observation_counts
from huike.parties.models import (
    AttributeDefinition,
    GoldenValue,
    Observation,
    Party,
    Relationship,
    SearchKey,
)
from huike.parties.services import refresh_golden, use_observation
from huike.privacy.models import ConsentRecord, PartyConsent, Purpose

if TYPE_CHECKING:
    from huike.identity.matching import Score

PERMISSION = "identity.merge_parties"
# The customer's own fields a merge can take from either side (``choices``: field → party id).
PARTY_FIELDS = (
    "owner",
    "team",
    "stage",
    "nature",
    "region",
    "industry",
    "first_deal_date",
    "notes",
)
# Rows a merge does not relink: derived from the others and rebuilt (golden values, search keys,
# current consents), or the duplicate queue, which is about the pair itself (kept in the
# snapshot, so an unmerge restores it).
NOT_RELINKED = {
    GoldenValue._meta.label_lower,
    SearchKey._meta.label_lower,
    PartyConsent._meta.label_lower,
    MatchCandidate._meta.label_lower,
}
CHANGELOG_KEY = "core.changelog.object_id"
OBSERVATION_KEY = "parties.observation.party"
CONSENT_KEY = "privacy.consentrecord.party"
# Values that tell one person or organisation from another: a value added to the survivor after
# the merge that carries one of the merged customer's own identifiers goes back with it.
IDENTIFYING_CODES = frozenset({"external_id", "email", "mobile", "phone"})
IDENTIFYING_VALIDATORS = frozenset(
    {
        AttributeDefinition.Validator.EMAIL,
        AttributeDefinition.Validator.PHONE,
        AttributeDefinition.Validator.USCC,
        AttributeDefinition.Validator.RESIDENT_ID,
    }
)
CHUNK = 500


# --- Permissions and small helpers --------------------------------------------------------------


def check_permission(actor: Any) -> None:
    """Refuse (PermissionDenied) an ``actor`` without ``identity.merge_parties``; ``None`` is
    the system (jobs, the command line without ``--as``)."""
    if actor is not None and not actor.has_perm(PERMISSION):
        raise PermissionDenied(_("You may not merge customers."))


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _ExactEncoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds (it rounds to milliseconds)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _dump(obj: models.Model) -> dict[str, Any]:
    """A row as JSON (Django's serializer format), to be recreated by ``_load`` with its id."""
    [data] = serializers.serialize("python", [obj])
    exact: dict[str, Any] = json.loads(json.dumps(data, cls=_ExactEncoder))
    return exact


def _load(data: Mapping[str, Any]) -> models.Model | None:
    """Recreate a row saved by ``_dump``, with the same id.

    References to rows deleted since become empty where the field allows it; otherwise the row
    is not recreated (``None``). Saved "raw": no ``save()`` override or timestamp runs, so the
    row is exactly what it was.
    """
    model = apps.get_model(data["model"])
    fields = dict(data["fields"])
    for field in model._meta.many_to_many:
        fields.pop(field.name, None)
    for field in model._meta.concrete_fields:
        target = fields.get(field.name)
        if field.is_relation and target is not None and field.related_model is not None:
            if not field.related_model._base_manager.filter(pk=target).exists():
                if not field.null:
                    return None
                fields[field.name] = None
    [row] = serializers.deserialize(
        "python", [{"model": data["model"], "pk": data["pk"], "fields": fields}]
    )
    row.save()
    restored: models.Model = row.object
    return restored


def _unique_with(field: models.Field) -> bool:
    """Whether ``field`` is part of a uniqueness rule (a relinked row could collide)."""
    meta = field.model._meta
    if field.unique:
        return True
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and field.name in constraint.fields:
            return True
    return any(field.name in group for group in meta.unique_together)


def party_links() -> list[models.ForeignKey[Any, Any]]:
    """Every foreign key to ``Party`` a merge relinks, read from the installed models.

    Includes keys without a reverse accessor (``related_name="+"``). Leaves out the rows in
    ``NOT_RELINKED`` and the table behind ``Party.tags`` (the survivor gets the union of tags).
    """
    links: list[models.ForeignKey[Any, Any]] = []
    for relation in Party._meta.get_fields(include_hidden=True):
        if not isinstance(relation, models.ForeignObjectRel) or relation.many_to_many:
            continue
        foreign_key = relation.field
        model = foreign_key.model
        if model is Party.tags.through or model._meta.label_lower in NOT_RELINKED:
            continue
        assert isinstance(foreign_key, models.ForeignKey)
        links.append(foreign_key)
    return sorted(links, key=link_key)


def link_key(field: models.Field) -> str:
    """``app_label.model.field``: how ``Merge.moved`` names a relinked foreign key."""
    return f"{field.model._meta.label_lower}.{field.name}"


def _resolve(key: str) -> tuple[type[models.Model], str] | None:
    app_label, model_name, field_name = key.split(".")
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:  # the app was removed since the merge
        return None
    return model, field_name


def _move(
    model: type[models.Model], field: str, ids: Iterable[int], source: int, target: int
) -> int:
    """Point ``field`` of the rows ``ids`` that point at ``source`` to ``target``.

    Updates through ``models.QuerySet.update`` on the model's base manager: this is the one
    sanctioned relink of an append-only ledger row (``ConsentRecord``), whose queryset refuses
    updates: the subject of the row is the same person, only the record of them changes id.
    """
    moved = 0
    for chunk in _chunks(ids):
        rows = model._base_manager.filter(pk__in=chunk, **{field: source})
        moved += models.QuerySet.update(rows, **{field: target})
    return moved


def _refresh_consents(party: Party, purpose_ids: Iterable[int]) -> None:
    """Rewrite ``party``'s current consent (``PartyConsent``) for these purposes from the ledger."""
    from huike.privacy.services import _refresh_current

    for purpose in Purpose.objects.filter(pk__in=set(purpose_ids)):
        if ConsentRecord.objects.filter(party=party, purpose=purpose).exists():
            _refresh_current(party, purpose)
        else:
            PartyConsent.objects.filter(party=party, purpose=purpose).delete()


def _refresh_all(party: Party, extra: Iterable[int] = ()) -> None:
    """Re-run survivorship for every attribute ``party`` has observations or a golden value for
    (and the attribute ids ``extra``), so values gone with an unmerge leave the golden record."""
    attribute_ids = set(
        Observation.objects.filter(party=party)
        .order_by()
        .values_list("attribute_id", flat=True)
        .distinct()
    )
    attribute_ids |= set(
        GoldenValue.objects.filter(party=party).values_list("attribute_id", flat=True)
    )
    attribute_ids |= set(extra)
    codes = set(party.golden or {})
    refresh_golden(
        party,
        AttributeDefinition.objects.filter(Q(pk__in=attribute_ids) | Q(code__in=codes)),
    )


def _party_field(name: str) -> models.Field:
    field = Party._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _bump(party: Party) -> None:
    Party.objects.filter(pk=party.pk).update(version=F("version") + 1)


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def default_survivor(a: Party, b: Party) -> tuple[Party, Party]:
    """``(survivor, merged)`` when nobody chose: the one with more observations survives; on a
    tie, the older record (lower id)."""
    counts = observation_counts([a.pk, b.pk])
    first, second = sorted((a, b), key=lambda p: (-counts.get(p.pk, 0), p.pk))
    return first, second


# --- The duplicate queue ----------------------------------------------------------------------


def queue_candidates(
    pairs: Iterable[tuple[int, int, Score]],
    *,
    found_by: str,
    job: DedupeJob | None = None,
) -> int:
    """Put likely duplicates in the review queue; returns the rows created or re-scored.

    Guarantees: pairs may come in either order (stored with the lower id first); a pair of a
    party with itself, or with a party that no longer exists, is skipped; a pair marked "not a
    duplicate" (or merged) is never reopened or changed; an open pair gets the new score,
    decision, explanation and ``job``. Works in chunks with a few queries each, so the bulk job
    can pass many thousands of pairs.
    """
    if found_by not in MatchCandidate.FoundBy.values:
        raise ValueError(f"unknown found_by: {found_by}")
    ordered = ((*_pair(int(a), int(b)), score) for a, b, score in pairs if a != b)
    written = 0
    for chunk in _chunks(ordered):
        written += _queue_chunk(chunk, found_by=found_by, job=job)
    return written


def _queue_chunk(
    chunk: list[tuple[int, int, Score]], *, found_by: str, job: DedupeJob | None
) -> int:
    scores = {(a, b): score for a, b, score in chunk}
    ids = {party for pair in scores for party in pair}
    alive = set(Party.objects.filter(pk__in=ids).values_list("pk", flat=True))
    scores = {pair: s for pair, s in scores.items() if pair[0] in alive and pair[1] in alive}
    if not scores:
        return 0
    existing = {
        (c.party_a_id, c.party_b_id): c
        for c in MatchCandidate.objects.filter(
            party_a__in={a for a, _b in scores}, party_b__in={b for _a, b in scores}
        ).only("pk", "party_a", "party_b", "status", "score", "decision", "explanation", "job")
    }
    new: list[MatchCandidate] = []
    changed: list[MatchCandidate] = []
    for (a, b), score in scores.items():
        values = {
            "score": float(score.probability),
            "decision": score.decision,
            "explanation": score.explanation(),
        }
        current = existing.get((a, b))
        if current is None:
            new.append(
                MatchCandidate(party_a_id=a, party_b_id=b, found_by=found_by, job=job, **values)
            )
            continue
        if current.status != MatchCandidate.Status.OPEN:
            continue  # reviewed: "not a duplicate" is never proposed again
        if job is not None:
            values["job_id"] = job.pk
        if any(getattr(current, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(current, name, value)
            changed.append(current)
    MatchCandidate.objects.bulk_create(new, ignore_conflicts=True)
    if changed:
        MatchCandidate.objects.bulk_update(
            changed, ["score", "decision", "explanation", "job"], batch_size=CHUNK
        )
    return len(new) + len(changed)


@transaction.atomic
def mark_not_duplicate(a: Party, b: Party, *, actor: Any) -> MatchCandidate:
    """Record that ``a`` and ``b`` are different customers, so the pair is never proposed again
    (whether it was in the queue or not)."""
    check_permission(actor)
    if a.pk == b.pk:
        raise ValidationError(_("A customer cannot be a duplicate of itself."))
    low, high = _pair(a.pk, b.pk)
    now = timezone.now()
    candidate, _created = MatchCandidate.objects.update_or_create(
        party_a_id=low,
        party_b_id=high,
        defaults={
            "status": MatchCandidate.Status.NOT_DUPLICATE,
            "reviewed_by": _user(actor),
            "reviewed_at": now,
        },
        create_defaults={
            "status": MatchCandidate.Status.NOT_DUPLICATE,
            "reviewed_by": _user(actor),
            "reviewed_at": now,
            "score": 0.0,
            "decision": Decision.DIFFERENT,
            "found_by": MatchCandidate.FoundBy.MANUAL,
        },
    )
    for party, other in ((a, b), (b, a)):
        record_change(
            party,
            actor=actor,
            action="update",
            message=f"not a duplicate of {other} (#{other.pk})",
        )
    return candidate


# --- Merge --------------------------------------------------------------------------------------


def _check_choices(survivor: Party, merged: Party, choices: Mapping[str, Any]) -> dict[str, int]:
    """``choices`` as ``{code or field: id}``; ValidationError (keyed by the code) when one
    names an unknown attribute or field, an observation of another customer or attribute, or a
    party that is not one of the two."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, int] = {}
    parties = {survivor.pk, merged.pk}
    for key, raw in choices.items():
        try:
            chosen = int(raw)
        except (TypeError, ValueError):
            errors[key] = [_("Choose a value by its number.")]
            continue
        if key in PARTY_FIELDS:
            if chosen not in parties:
                errors[key] = [_("Choose one of the two customers.")]
                continue
        elif not Observation.objects.filter(
            pk=chosen, party__in=parties, attribute__code=key
        ).exists():
            if AttributeDefinition.objects.filter(code=key).exists():
                errors[key] = [_("This value is not one of the two customers' values.")]
            else:
                errors[key] = [_("Unknown attribute or field “{code}”.").format(code=key)]
            continue
        cleaned[key] = chosen
    if errors:
        raise ValidationError(errors)
    return cleaned


def _merged_fields(keeper: Party, gone: Party, chosen: Mapping[str, int]) -> dict[str, Any]:
    """The survivor's own fields that change with the merge: ``{name: new value}``.

    A field in ``chosen`` takes the chosen party's value. Otherwise the survivor keeps its
    value, except: an empty field is filled from the merged party; the first deal is the earlier
    of the two; both notes are kept (the merged party's below); a restriction of processing (an
    open data-subject request) carries over.
    """
    changes: dict[str, Any] = {}
    for name in PARTY_FIELDS:
        attname = _party_field(name).attname
        mine, theirs = getattr(keeper, attname), getattr(gone, attname)
        if name in chosen:
            new = theirs if chosen[name] == gone.pk else mine
        elif name == "first_deal_date" and mine and theirs:
            new = min(mine, theirs)
        elif name == "notes" and mine and theirs and theirs.strip() not in mine:
            new = f"{mine}\n\n{theirs}"
        elif mine in (None, "") and name != "stage":
            new = theirs
        else:
            new = mine
        if new != mine:
            changes[name] = new
    if gone.processing_restricted and not keeper.processing_restricted:
        changes["processing_restricted"] = True
    return changes


def _lock(*ids: int) -> dict[int, Party]:
    return {p.pk: p for p in Party.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _candidate_for(a: int, b: int) -> MatchCandidate | None:
    low, high = _pair(a, b)
    return MatchCandidate.objects.filter(party_a_id=low, party_b_id=high).first()


@transaction.atomic
def merge(
    survivor: Party,
    merged: Party,
    *,
    actor: Any,
    choices: Mapping[str, Any] | None = None,
    candidate: MatchCandidate | None = None,
    automatic: bool = False,
) -> Merge:
    """Merge ``merged`` into ``survivor`` and delete ``merged``; returns the ``Merge`` record.

    Guarantees, in one transaction: every row with a foreign key to the merged customer
    (observations, relationships, consent ledger, shares, imports' and forms' references, and
    any model added later) points at the survivor and is listed in ``Merge.moved``; its change
    history follows; the survivor gets the union of tags and its current consents and golden
    record are rebuilt; a relationship between the two is kept in the snapshot and deleted.
    ``choices`` (attribute code → observation id of either party, field → party id) make a value
    win: a chosen attribute value is re-observed on the survivor ("use this value"), so its
    lineage still shows where it came from; fields not chosen follow ``_merged_fields``. Both
    change histories say who merged what.
    Refuses (ValidationError) a customer with itself, a person with an organisation, a party
    that no longer exists; (PermissionDenied) an actor without ``identity.merge_parties``.
    """
    check_permission(actor)
    if survivor.pk == merged.pk:
        raise ValidationError(_("A customer cannot be merged with itself."))
    locked = _lock(survivor.pk, merged.pk)
    if len(locked) < 2:
        raise ValidationError(
            _("One of the two customers no longer exists; it may have been merged already.")
        )
    keeper, gone = locked[survivor.pk], locked[merged.pk]
    if keeper.kind != gone.kind:
        raise ValidationError(_("A person cannot be merged with an organisation."))
    chosen = _check_choices(keeper, gone, choices or {})
    if candidate is None:
        candidate = _candidate_for(keeper.pk, gone.pk)
    elif _pair(keeper.pk, gone.pk) != (candidate.party_a_id, candidate.party_b_id):
        raise ValidationError(_("This possible duplicate is about other customers."))
    now = timezone.now()
    user = _user(actor)

    snapshot: dict[str, Any] = {
        "party": _dump(gone),
        "survivor_id": keeper.pk,
        "deleted": [],
        "cleared": {},
    }
    # Tags: the survivor gets the union; unmerge takes back the ones only the merged party had.
    merged_tags = set(gone.tags.values_list("pk", flat=True))
    added_tags = merged_tags - set(keeper.tags.values_list("pk", flat=True))
    snapshot["tags"] = sorted(merged_tags)
    snapshot["tags_added"] = sorted(added_tags)
    keeper.tags.add(*added_tags)

    pair = [keeper.pk, gone.pk]
    # A tie between the two would point at the survivor itself: kept, deleted, restored later.
    between = Relationship.objects.filter(from_party__in=pair, to_party__in=pair)
    snapshot["deleted"].extend(_dump(row) for row in between)
    between.delete()
    # "A reports to B" inside the pair would become "reports to themselves": emptied, restored.
    crossing = Relationship.objects.filter(from_party__in=pair, reports_to__in=pair)
    cleared = {str(pk): target for pk, target in crossing.values_list("pk", "reports_to")}
    if cleared:
        crossing.update(reports_to=None)
        snapshot["cleared"]["parties.relationship.reports_to"] = cleared

    # The queue rows about the merged party go with it (cascade); kept to restore on unmerge.
    if candidate is not None:
        MatchCandidate.objects.filter(pk=candidate.pk).update(
            status=MatchCandidate.Status.MERGED, reviewed_by=user, reviewed_at=now
        )
    snapshot["candidate"] = candidate.pk if candidate is not None else None
    snapshot["candidates"] = [
        _dump(row) for row in MatchCandidate.objects.filter(Q(party_a=gone) | Q(party_b=gone))
    ]

    moved: dict[str, list[int]] = {}
    consent_purposes: set[int] = set()
    for field in party_links():
        ids = _relink(field, gone.pk, keeper.pk, snapshot["deleted"])
        if ids:
            moved[link_key(field)] = ids
    if moved.get(CONSENT_KEY):
        consent_purposes = set(
            ConsentRecord.objects.filter(pk__in=moved[CONSENT_KEY]).values_list(
                "purpose_id", flat=True
            )
        )
    party_type = ContentType.objects.get_for_model(Party)
    history = ChangeLog.objects.filter(content_type=party_type, object_id=str(gone.pk))
    history_ids = sorted(history.values_list("pk", flat=True))
    if history_ids:
        history.update(object_id=str(keeper.pk))
        moved[CHANGELOG_KEY] = history_ids

    # The survivor's own fields: chosen, else filled in from the merged party (see
    # ``_merged_fields``); what they were and became is kept for an unmerge.
    before = _dump(keeper)["fields"]
    field_changes = _merged_fields(keeper, gone, chosen)
    for name, value in field_changes.items():
        setattr(keeper, _party_field(name).attname, value)
    if field_changes:
        keeper.save(update_fields=[*field_changes, "updated_at"])
    after = _dump(keeper)["fields"]
    snapshot["survivor_fields"] = {name: before[name] for name in field_changes}
    snapshot["fields_set"] = {name: after[name] for name in field_changes}

    PartyConsent.objects.filter(party=gone).delete()
    _refresh_consents(keeper, consent_purposes)
    record_change(
        gone,
        actor=actor,
        action="update",
        message=f"merged into {keeper} (#{keeper.pk})",
    )
    merged_name = gone.name
    Party.objects.filter(pk=gone.pk).delete()
    _refresh_all(keeper)

    # Attribute values chosen: re-observed on the survivor, unless they already won.
    chosen_observations = []
    for code, observation_id in chosen.items():
        if code in PARTY_FIELDS:
            continue
        observation = Observation.objects.select_related("attribute").get(pk=observation_id)
        golden = GoldenValue.objects.filter(party=keeper, attribute=observation.attribute).first()
        if golden is not None and golden.value_text == observation.value_text:
            continue
        chosen_observations.append(use_observation(keeper, observation, actor=actor).pk)
    snapshot["chosen_observations"] = chosen_observations
    snapshot["max_observation_id"] = Observation.objects.aggregate(top=Max("pk"))["top"] or 0
    snapshot["max_consent_id"] = ConsentRecord.objects.aggregate(top=Max("pk"))["top"] or 0

    _bump(keeper)
    record_change(
        keeper,
        actor=actor,
        action="update",
        message=f"merged {merged_name} (#{gone.pk}) into this customer",
        changes={
            "merged": [None, gone.pk],
            **{name: [before[name], after[name]] for name in field_changes},
        },
    )
    record = Merge.objects.create(
        survivor=keeper,
        merged_id=gone.pk,
        merged_name=merged_name[:200],
        snapshot=snapshot,
        moved=moved,
        choices=chosen,
        candidate=None,  # deleted with the merged party; its id is in the snapshot
        score=candidate.score if candidate is not None else None,
        automatic=automatic,
        merged_by=user,
    )
    if survivor is not keeper:
        survivor.refresh_from_db()
    return record


def _relink(
    field: models.ForeignKey[Any, Any], source: int, target: int, kept: list[Any]
) -> list[int]:
    """Point the rows whose ``field`` is ``source`` at ``target``; returns their ids.

    A row that would break a uniqueness rule at the survivor stays where it is, copied into
    ``kept`` (the snapshot): the cascade deletes it, and an unmerge recreates it.
    """
    model = field.model
    rows = model._base_manager.filter(**{field.name: source})
    ids = sorted(rows.values_list("pk", flat=True))
    if not ids:
        return []
    if not _unique_with(field):
        # The merged party is locked: nobody can add a row pointing at it meanwhile.
        models.QuerySet.update(rows, **{field.name: target})
        return ids
    moved = []
    for pk in ids:
        try:
            with transaction.atomic():
                one = model._base_manager.filter(pk=pk)
                models.QuerySet.update(one, **{field.name: target})
            moved.append(pk)
        except IntegrityError:
            kept.append(_dump(model._base_manager.get(pk=pk)))
    return moved


def merge_candidate(
    candidate: MatchCandidate,
    *,
    actor: Any,
    survivor: Party | None = None,
    choices: Mapping[str, Any] | None = None,
) -> Merge:
    """Merge the pair of a queue row. ``survivor`` (one of the two) defaults to the one with
    more observations, then the older one."""
    return _merge_candidate(candidate, actor=actor, survivor=survivor, choices=choices)


def _merge_candidate(
    candidate: MatchCandidate,
    *,
    actor: Any,
    survivor: Party | None = None,
    choices: Mapping[str, Any] | None = None,
    automatic: bool = False,
) -> Merge:
    check_permission(actor)
    a, b = candidate.party_a, candidate.party_b
    if candidate.status == MatchCandidate.Status.MERGED:
        raise ValidationError(_("This pair was merged already."))
    if survivor is None:
        keeper, gone = default_survivor(a, b)
    elif survivor.pk in (a.pk, b.pk):
        keeper, gone = (a, b) if survivor.pk == a.pk else (b, a)
    else:
        raise ValidationError(
            {"survivor": [_("The surviving customer must be one of the two customers.")]}
        )
    return merge(
        keeper, gone, actor=actor, choices=choices, candidate=candidate, automatic=automatic
    )


def bulk_merge(candidates: models.QuerySet[MatchCandidate], *, actor: Any, min_score: float) -> int:
    """Merge every open pair of ``candidates`` scoring at least ``min_score``, best first;
    returns how many were merged.

    Each pair is its own transaction with the default survivor. A pair whose customer was
    merged earlier in the run is gone with it (skipped); a pair the merge refuses is skipped.
    """
    check_permission(actor)
    ids = list(
        candidates.filter(status=MatchCandidate.Status.OPEN, score__gte=min_score)
        .order_by("-score", "pk")
        .values_list("pk", flat=True)
    )
    merged = 0
    for pk in ids:
        candidate = (
            MatchCandidate.objects.select_related("party_a", "party_b")
            .filter(pk=pk, status=MatchCandidate.Status.OPEN)
            .first()
        )
        if candidate is None:
            continue
        try:
            _merge_candidate(candidate, actor=actor, automatic=True)
        except ValidationError:
            continue
        merged += 1
    return merged


# --- Unmerge ------------------------------------------------------------------------------------


def _identifying(observations: models.QuerySet[Observation]) -> models.QuerySet[Observation]:
    """The identifying values among ``observations``: external id, e-mail, phones, credit codes
    and sealed (sensitive) identifiers, whose value_text is a blind index that compares too."""
    return observations.filter(
        Q(attribute__code__in=IDENTIFYING_CODES)
        | Q(attribute__validator__in=IDENTIFYING_VALIDATORS)
        | Q(
            attribute__sensitivity=AttributeDefinition.Sensitivity.SENSITIVE,
            attribute__data_type=AttributeDefinition.DataType.TEXT,
        )
    ).exclude(value_text="")


def _identifying_keys(observations: models.QuerySet[Observation]) -> set[tuple[str, str]]:
    """``(attribute code, value_text)`` of the identifying values among ``observations``."""
    return set(_identifying(observations).values_list("attribute__code", "value_text"))


def _added_since(
    record: Merge, survivor: Party, restored: Party
) -> tuple[list[int], list[int], list[str]]:
    """What was added to the survivor after the merge but belongs to the restored party.

    Observations newer than the merge, grouped by ``source_ref`` (one form submission, one
    import line, one API call), go back when their group carries an identifying value the
    restored party had and the survivor did not have before the merge (and none that only the
    survivor had). Consent-ledger rows added since go back when their evidence names one of
    those ``source_ref``s. Returns (observation ids, consent record ids, source refs).
    """
    snapshot = record.snapshot
    top = int(snapshot.get("max_observation_id") or 0)
    made_by_merge = set(snapshot.get("chosen_observations") or [])
    # Rows that later merges into the same survivor brought along are theirs to give back.
    others: set[int] = set()
    for moved in (
        Merge.objects.filter(survivor=survivor, unmerged_at__isnull=True)
        .exclude(pk=record.pk)
        .values_list("moved", flat=True)
    ):
        others.update((moved or {}).get(OBSERVATION_KEY, []))
    restored_keys = _identifying_keys(Observation.objects.filter(party=restored))
    survivor_keys = _identifying_keys(
        Observation.objects.filter(party=survivor, pk__lte=top).exclude(pk__in=made_by_merge)
    )
    only_restored = restored_keys - survivor_keys
    only_survivor = survivor_keys - restored_keys
    if not only_restored:
        return [], [], []
    newer = (
        Observation.objects.filter(party=survivor, pk__gt=top)
        .exclude(source_ref="")
        .exclude(pk__in=others)
    )
    keys: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for ref, code, text in _identifying(newer).values_list(
        "source_ref", "attribute__code", "value_text"
    ):
        keys[ref].add((code, text))
    refs = sorted(
        ref for ref, found in keys.items() if found & only_restored and not found & only_survivor
    )
    observation_ids = list(newer.filter(source_ref__in=refs).values_list("pk", flat=True))
    consent_ids: list[int] = []
    if refs:
        named = re.compile(
            "|".join(r"(?<![0-9A-Za-z])" + re.escape(ref) + r"(?![0-9A-Za-z])" for ref in refs)
        )
        later = ConsentRecord.objects.filter(
            party=survivor, pk__gt=int(snapshot.get("max_consent_id") or 0)
        )
        consent_ids = [
            pk for pk, evidence in later.values_list("pk", "evidence") if named.search(evidence)
        ]
    return sorted(observation_ids), sorted(consent_ids), refs


@transaction.atomic
def unmerge(merge: Merge, *, actor: Any) -> tuple[Party, Party]:
    """Undo ``merge``: returns ``(survivor, restored)``.

    Guarantees, in one transaction: the merged customer is recreated with its id, fields and
    tags; every row the merge moved that still points at the survivor goes back; the rows the
    merge deleted or emptied (a relationship between the two, a "reports to" inside the pair,
    queue rows) come back; values the merge re-observed for ``choices`` are removed and fields
    taken from the merged customer get the survivor's own value back (unless changed since);
    values and consents added since that carry the restored customer's identifiers go to it
    (see ``_added_since``); both golden records and current consents are rebuilt, both change
    histories say who unmerged, and the pair is marked "not a duplicate".
    Refuses (ValidationError) a merge already undone, one whose survivor was merged into
    another customer since (undo that merge first), one whose merged id exists again.
    """
    check_permission(actor)
    record = Merge.objects.select_for_update().get(pk=merge.pk)
    snapshot = record.snapshot
    if record.undone:
        raise ValidationError(_("This merge was already undone."))
    if record.survivor_id != snapshot.get("survivor_id"):
        raise ValidationError(
            _(
                "The surviving customer was merged into another customer since: undo that "
                "merge first."
            )
        )
    if Party.objects.filter(pk=record.merged_id).exists():
        raise ValidationError(
            _("Customer #{id} exists again, so this merge cannot be undone.").format(
                id=record.merged_id
            )
        )
    survivor = _lock(record.survivor_id)[record.survivor_id]
    restored = _load(snapshot["party"])
    assert isinstance(restored, Party)
    gone = record.merged_id

    # Tags: the merged party's own come back; those the merge added leave the survivor.
    from huike.parties.models import Tag

    restored.tags.set(Tag.objects.filter(pk__in=snapshot.get("tags", [])))
    survivor.tags.remove(*Tag.objects.filter(pk__in=snapshot.get("tags_added", [])))

    # Every recorded row that still points at the survivor goes back.
    party_type = ContentType.objects.get_for_model(Party)
    returned: dict[str, list[int]] = {}
    for key, ids in (record.moved or {}).items():
        if key == CHANGELOG_KEY:
            for chunk in _chunks(ids):
                ChangeLog.objects.filter(
                    pk__in=chunk, content_type=party_type, object_id=str(survivor.pk)
                ).update(object_id=str(gone))
            continue
        target = _resolve(key)
        if target is not None:
            _move(target[0], target[1], ids, survivor.pk, gone)

    # Rows the merge deleted or emptied.
    for data in snapshot.get("deleted", []):
        try:
            with transaction.atomic():
                _load(data)
        except IntegrityError:
            continue  # collides again (a unique row recreated since): the survivor's stays
    for key, values in (snapshot.get("cleared") or {}).items():
        target = _resolve(key)
        if target is None:
            continue
        model, field = target
        for pk, value in values.items():
            if Party.objects.filter(pk=value).exists():
                model._base_manager.filter(pk=pk, **{f"{field}__isnull": True}).update(
                    **{field: value}
                )

    # Anything added since that belongs to the restored customer.
    observation_ids, consent_ids, refs = _added_since(record, survivor, restored)
    _move(Observation, "party", observation_ids, survivor.pk, gone)
    _move(ConsentRecord, "party", consent_ids, survivor.pk, gone)
    if observation_ids or consent_ids:
        returned = {OBSERVATION_KEY: observation_ids, CONSENT_KEY: consent_ids}

    # What the merge itself wrote on the survivor.
    Observation.objects.filter(
        pk__in=snapshot.get("chosen_observations") or [], party=survivor
    ).delete()
    survivor_now = _dump(survivor)["fields"]
    fields_set = snapshot.get("fields_set") or {}
    reverted = []
    for name, value in (snapshot.get("survivor_fields") or {}).items():
        if survivor_now.get(name) == fields_set.get(name):  # not changed since the merge
            party_field = _party_field(name)
            setattr(survivor, party_field.attname, party_field.to_python(value))
            reverted.append(name)
    if reverted:
        survivor.save(update_fields=[*reverted, "updated_at"])

    # The queue: rows about the restored party come back; the pair is "not a duplicate".
    for data in snapshot.get("candidates", []):
        fields = data["fields"]
        if _candidate_for(fields["party_a"], fields["party_b"]) is None:
            _load(data)
    low, high = _pair(survivor.pk, gone)
    now = timezone.now()
    MatchCandidate.objects.update_or_create(
        party_a_id=low,
        party_b_id=high,
        defaults={
            "status": MatchCandidate.Status.NOT_DUPLICATE,
            "reviewed_by": _user(actor),
            "reviewed_at": now,
        },
        create_defaults={
            "status": MatchCandidate.Status.NOT_DUPLICATE,
            "reviewed_by": _user(actor),
            "reviewed_at": now,
            "score": record.score or 0.0,
            "decision": Decision.DIFFERENT,
            "found_by": MatchCandidate.FoundBy.MANUAL,
        },
    )

    # Derived rows of both, rebuilt.
    consent_moved = list((record.moved or {}).get(CONSENT_KEY, [])) + consent_ids
    purposes = set(
        ConsentRecord.objects.filter(pk__in=consent_moved).values_list("purpose_id", flat=True)
    )
    _refresh_consents(restored, purposes)
    _refresh_consents(survivor, purposes)
    moved_attributes = set(
        Observation.objects.filter(party=restored).values_list("attribute_id", flat=True)
    )
    _refresh_all(restored)
    _refresh_all(survivor, moved_attributes)
    _bump(survivor)
    _bump(restored)
    record_change(
        survivor,
        actor=actor,
        action="update",
        message=f"unmerged {restored} (#{gone}) from this customer",
        changes={"merged": [gone, None]},
    )
    record_change(
        restored,
        actor=actor,
        action="update",
        message=f"restored from {survivor} (#{survivor.pk}), undoing a merge",
    )
    record.unmerged_by = _user(actor)
    record.unmerged_at = now
    candidate_id = snapshot.get("candidate")
    if candidate_id and MatchCandidate.objects.filter(pk=candidate_id).exists():
        record.candidate_id = candidate_id
    record.snapshot = {**snapshot, "returned": returned, "returned_refs": refs}
    record.save(update_fields=["unmerged_by", "unmerged_at", "snapshot", "candidate"])
    survivor.refresh_from_db()
    restored.refresh_from_db()
    if merge is not record:
        merge.refresh_from_db()
    return survivor, restored


def queue_likely_duplicates(party: Party, values: Mapping[str, Any]) -> int:
    """A new customer that probably is one already on file is created all the same (a channel
    is never refused for it); the pairs go to the review queue, whoever may see the other
    customer. Returns how many pairs were queued."""
    from huike.identity import matching

    found = matching.candidates_for(party.kind, values, exclude=[party.pk], limit=10)
    if not found:
        return 0
    return queue_candidates(
        [(party.pk, candidate.party.pk, candidate.score) for candidate in found],
        found_by=MatchCandidate.FoundBy.ENTRY,
    )


def queue_pair(party: Party, other: Party, *, found_by: str) -> int:
    """Queue ``party`` and ``other`` for review whatever they score: a channel found them by a
    key it cannot trust on its own (a web form's unconfirmed e-mail or mobile)."""
    from huike.identity import matching
    from huike.identity.features import load_features

    loaded = load_features([party.pk, other.pk])
    if party.pk not in loaded or other.pk not in loaded or party.pk == other.pk:
        return 0
    score = matching.compare(loaded[party.pk], loaded[other.pk])
    return queue_candidates([(party.pk, other.pk, score)], found_by=found_by)


@dataclass
class EntryCheck:
    """What the check at entry found: ``found`` among every customer (queued when the new
    customer is created anyway), ``shown`` the best of those ``user`` may see."""

    found: list[Any]
    shown: list[Any]


# Likely duplicates looked at when a customer is entered, and shown to the user.
ENTRY_SEARCHED = 10
ENTRY_SHOWN = 5


def check_at_entry(kind: str, values: Mapping[str, Any], *, user: Any) -> EntryCheck:
    """The likely duplicates of a customer about to be created by ``user`` (form or API)."""
    from huike.identity import matching

    found = matching.candidates_for(kind, values, limit=ENTRY_SEARCHED)
    visible = set(
        Party.objects.visible_to(user)
        .filter(pk__in=[c.party.pk for c in found])
        .values_list("pk", flat=True)
    )
    return EntryCheck(found, [c for c in found if c.party.pk in visible][:ENTRY_SHOWN])


def queue_found(party: Any, found: Iterable[Any]) -> int:
    """Queue the pairs of a customer created although it looks like ``found`` (entry)."""
    return queue_candidates(
        [(party.pk, c.party.pk, c.score) for c in found], found_by=MatchCandidate.FoundBy.ENTRY
    )
