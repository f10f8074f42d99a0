"""Taking in what points of sale, events and other systems report about customers.

One call of the intake API is one ``IntakeRequest``: its items are written in order, each in its
own savepoint, so one bad item is rejected with its reasons and the others are kept; the whole
call is one transaction, so a crash halfway leaves nothing (and a retry with the same
``Idempotency-Key`` runs for real). Each item matches an existing customer (the exact keys of
the import engine, among the customers the caller may see) or creates one, through the customer
services: validation, field-level edit rights, the suppression list, survivorship and the change
log all apply. Consent given at the point of collection goes to the consent ledger. A new
customer that probably is one already on file (fuzzy matching) is created all the same and the
pair queued for review.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huike.core import sql
from huike.identity import matching
from huike.identity import services as identity
from huike.identity.models import MatchCandidate
from huike.imports.engine import exact_keys, find_match, find_matches
from huike.imports.prepare import NewCustomer
from huike.imports.writer import Writer
from huike.intake.models import IntakeRequest, Policy, Status
from huike.parties import services as parties
from huike.parties.models import Observation, Party
from huike.parties.values import is_blank
from huike.privacy import services as privacy
from huike.privacy.models import Channel, ConsentNotice, Purpose

SOURCE = "intake"
SOURCE_MAX = 30  # Observation.source
ADD_CONSENT = "privacy.add_consentrecord"
# Item fields a service error may name; any other key is an attribute code.
ITEM_FIELDS = frozenset({"kind", "name", "match", "policy", "consent", "collected_at"})
LIKELY_LIMIT = 10  # likely duplicates queued per new customer


@dataclass(frozen=True)
class ConsentGiven:
    """Consent the person gave where the values were collected."""

    purpose: str
    evidence: str = ""
    notice_version: int | None = None
    language: str | None = None


@dataclass
class Item:
    """One validated item: what a channel says about one customer."""

    name: str = ""
    kind: str = Party.Kind.PERSON
    kind_given: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)
    source: str = SOURCE
    collector: str = ""
    collected_at: datetime.datetime | None = None
    consent: list[ConsentGiven] = field(default_factory=list)
    policy: str = Policy.UPDATE
    match: int | None = None


@dataclass
class Outcome:
    """What became of one item, as the API answers it."""

    index: int
    status: str
    party: int | None = None
    observations: list[int] = field(default_factory=list)
    consents: list[int] = field(default_factory=list)
    errors: dict[str, Any] = field(default_factory=dict)


@dataclass
class Receipt:
    request: IntakeRequest
    outcomes: list[Outcome]


class ItemRejected(Exception):
    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(errors)
        self.errors = errors


def source_for(label: str) -> str:
    """``pos:store-12`` → ``intake:pos:store-12`` (cut to the 30 characters a source holds)."""
    label = (label or "").strip()
    return f"{SOURCE}:{label}"[:SOURCE_MAX] if label else SOURCE


def source_ref(request: IntakeRequest, index: int) -> str:
    """What each observation of an item says about the call it came from."""
    return f"intake {request.pk} #{index}"


@transaction.atomic
def receive(
    entries: Sequence[Item | Mapping[str, Any]],
    *,
    actor: Any,
    token_name: str = "",
    idempotency_key: str = "",
) -> Receipt:
    """Take in ``entries`` in order: each an ``Item``, or the errors of an item the API could
    not read (kept as rejected so that indexes stay aligned). Guarantees: every item gets one
    outcome; a rejected item writes nothing; the others are written as if sent alone."""
    request = IntakeRequest.objects.create(
        received_by=actor,
        received_by_name=actor.get_username()[:150],
        token_name=(token_name or "")[:100],
        idempotency_key=(idempotency_key or "")[:255],
        items=len(entries),
    )
    now = timezone.now()
    try:
        with transaction.atomic():
            together = _create_together(entries, actor=actor, request=request, now=now)
    except ItemRejected:
        together = {}  # a consent the ledger refused: every item goes one by one below
    outcomes: list[Outcome] = []
    for index, entry in enumerate(entries):
        if index in together:
            outcomes.append(together[index])
            continue
        if not isinstance(entry, Item):
            outcomes.append(Outcome(index, Status.REJECTED, errors=dict(entry)))
            continue
        try:
            with transaction.atomic():
                outcome = _take(entry, index, actor=actor, request=request, now=now)
        except ItemRejected as rejected:
            outcome = Outcome(index, Status.REJECTED, errors=rejected.errors)
        except ValidationError as error:
            outcome = Outcome(index, Status.REJECTED, errors=item_errors(error))
        outcomes.append(outcome)
    counts = Counter(outcome.status for outcome in outcomes)
    request.created = counts[Status.CREATED]
    request.updated = counts[Status.UPDATED]
    request.skipped = counts[Status.SKIPPED]
    request.rejected = counts[Status.REJECTED]
    request.save(update_fields=["created", "updated", "skipped", "rejected"])
    return Receipt(request, outcomes)


@dataclass
class _New:
    """An item that creates a customer, checked as ``create_party`` checks it."""

    index: int
    item: Item
    customer: NewCustomer
    consents: list[tuple[ConsentGiven, Purpose, ConsentNotice | None]]
    collected_at: datetime.datetime
    consent_text: str


def _create_together(
    entries: Sequence[Item | Mapping[str, Any]],
    *,
    actor: Any,
    request: IntakeRequest,
    now: datetime.datetime,
) -> dict[int, Outcome]:
    """Create the customers of the call's plain new items in a few set-based writes (the
    import engine's :class:`~huike.imports.writer.Writer`) instead of a few dozen queries
    each; returns their outcomes by index.

    An item qualifies when it names no customer (``match``), no customer the caller sees has
    its external id, e-mail or mobile (unless its policy is "create"), no earlier item of the
    call shares one of those, and it passes every check of ``create_party`` (values, field
    edit rights, the suppression list) and its consents are known. Everything else — updates,
    rejections, items that depend on an earlier one — goes one by one through :func:`_take`
    afterwards, which gives the same result as in order since these items touch nothing
    another item reads. Likely duplicates are looked for once the new customers are written,
    so two new customers of one call are also compared with each other."""
    known = parties.definitions()
    validators = {code: definition.validator for code, definition in known.items()}
    taken: set[str] = set()  # exact keys of the items so far
    cache: dict[Any, Any] = {}  # purposes and notices, read once for the call
    checked: list[tuple[_New, tuple[str, str, str]]] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, Item):
            continue
        keys = exact_keys(entry.attributes)
        marks = {f"{i}:{key}" for i, key in enumerate(keys or ()) if key}
        earlier = bool(marks & taken)
        taken |= marks
        if keys is None or earlier or entry.match is not None:
            continue
        new = _checked(
            entry, index, actor=actor, known=known, validators=validators, now=now, cache=cache
        )
        if new is not None:
            checked.append((new, keys))
    if not checked:
        return {}
    if apps.is_installed("huike.subjects"):  # as parties.services.check_suppression asks
        from huike.subjects.suppression import suppressed_many

        refused = suppressed_many(
            [
                {code: raw for code, raw in new.item.attributes.items() if not is_blank(raw)}
                for new, _keys in checked
            ]
        )
        checked = [pair for pair, hits in zip(checked, refused, strict=True) if not hits]
    matched = find_matches([keys for new, keys in checked if new.item.policy != Policy.CREATE])
    found = iter(matched)
    visible_kinds = dict(
        Party.objects.visible_to(actor)
        .filter(pk__in=[pk for pk in matched if pk is not None])
        .values_list("pk", "kind")
    )
    chosen: list[_New] = []
    for new, _keys in checked:
        match = next(found) if new.item.policy != Policy.CREATE else None
        if match is None or visible_kinds.get(match) != new.item.kind:
            chosen.append(new)  # else it adds to the customer it matches: one by one
    if not chosen:
        return {}
    return _write_new(chosen, actor=actor, request=request, known=known)


def _checked(
    item: Item,
    index: int,
    *,
    actor: Any,
    known: dict[str, Any],
    validators: dict[str, str],
    now: datetime.datetime,
    cache: dict[Any, Any],
) -> _New | None:
    """The item as a new customer if ``create_party`` would accept it (None: let it say why);
    ``cache`` is :func:`_consents`'."""
    name = (item.name or "").strip()
    if item.kind not in Party.Kind.values or not name:
        return None
    try:
        cleaned = parties.validate_values(item.kind, {parties.NAME: name, **item.attributes}, known)
        parties.check_edit_rights(actor, cleaned)
        parties.check_assignment(actor, actor)
        party = Party(kind=item.kind, name=name, owner=actor)
        party.full_clean(exclude=["golden", "pinyin", "owner"])  # the owner is the caller
        collected_at = item.collected_at or now
        consents = _consents(item, actor=actor, when=collected_at, cache=cache)
    except (ValidationError, ItemRejected):
        return None
    return _New(
        index=index,
        item=item,
        customer=NewCustomer.build(item.kind, name, cleaned, validators),
        consents=consents,
        collected_at=collected_at,
        consent_text=", ".join(entry.purpose for entry, _p, _n in consents)[:200],
    )


def _write_new(
    chosen: list[_New], *, actor: Any, request: IntakeRequest, known: dict[str, Any]
) -> dict[int, Outcome]:
    """Write ``chosen`` (grouped by what their observations are stamped with), grant their
    consents, queue their likely duplicates."""
    groups: dict[tuple[str, datetime.datetime, str, str], list[_New]] = {}
    for new in chosen:
        stamp = (new.item.source, new.collected_at, new.consent_text, new.item.collector)
        groups.setdefault(stamp, []).append(new)
    created: dict[int, int] = {}  # index → party id
    for (source, collected_at, consent_text, collector), members in groups.items():
        ids = Writer(
            actor=actor,
            source=source,
            consent_text=consent_text,
            consent=None,
            known=known,
            note=collector,
        ).write(
            [new.customer for new in members],
            [source_ref(request, new.index) for new in members],
            collected_at=collected_at,
        )
        created.update(zip((new.index for new in members), ids, strict=True))
    refs = {source_ref(request, new.index): new.index for new in chosen}
    observations: dict[int, list[int]] = {}
    for ref, pk in sql.select_in(Observation, "source_ref, id", "source_ref", sorted(refs)):
        observations.setdefault(refs[ref], []).append(pk)
    customers = Party.objects.in_bulk(list(created.values()))
    grants = [
        (
            new.index,
            privacy.FirstGrant(
                party=customers[created[new.index]],
                purpose=purpose,
                notice=notice,
                evidence=entry.evidence,
                occurred_at=new.collected_at,
                language=entry.language,
            ),
        )
        for new in chosen
        for entry, purpose, notice in new.consents
        if purpose.needs_consent
    ]
    try:
        written = privacy.grant_first(
            [given for _index, given in grants], actor=actor, channel=Channel.API
        )
    except ValidationError as error:  # the one-by-one path says which item and why
        raise ItemRejected({"consent": error.messages}) from error
    records: dict[int, list[int]] = {}
    for (index, _given), record in zip(grants, written, strict=True):
        records.setdefault(index, []).append(record.pk)
    likely = matching.candidates_for_many(
        [(new.item.kind, {parties.NAME: new.item.name, **new.item.attributes}) for new in chosen]
    )
    pairs = []
    outcomes: dict[int, Outcome] = {}
    for new, scored in zip(chosen, likely, strict=True):
        party = customers[created[new.index]]
        others = [(pk, score) for pk, score in scored if pk != party.pk][:LIKELY_LIMIT]
        pairs += [(party.pk, pk, score) for pk, score in others]
        outcomes[new.index] = Outcome(
            new.index,
            Status.CREATED,
            party=party.pk,
            observations=sorted(observations.get(new.index, [])),
            consents=records.get(new.index, []),
        )
    identity.queue_candidates(pairs, found_by=MatchCandidate.FoundBy.ENTRY)
    return outcomes


def _take(
    item: Item, index: int, *, actor: Any, request: IntakeRequest, now: datetime.datetime
) -> Outcome:
    collected_at = item.collected_at or now
    consents = _consents(item, actor=actor, when=collected_at)
    provenance = parties.Provenance(
        source=item.source,
        source_ref=source_ref(request, index),
        collected_at=collected_at,
        consent=", ".join(entry.purpose for entry, _purpose, _notice in consents)[:200],
        note=item.collector[:200],
    )
    party = _target(item, actor=actor)
    if party is not None and item.policy == Policy.SKIP:
        return Outcome(index, Status.SKIPPED, party=party.pk)
    if party is None:
        party = parties.create_party(
            actor=actor,
            kind=item.kind,
            name=item.name,
            attributes=item.attributes,
            provenance=provenance,
            owner=actor,
        )
        identity.queue_likely_duplicates(party, {parties.NAME: item.name, **item.attributes})
        status = Status.CREATED
        observations = list(
            Observation.objects.filter(party=party, source_ref=provenance.source_ref)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    else:
        values = dict(item.attributes)
        if item.name:
            values[parties.NAME] = item.name
        written = parties.record_observations(party, values, actor=actor, provenance=provenance)
        observations = [observation.pk for observation in written]
        status = Status.UPDATED
    records = _grant(party, consents, actor=actor, when=collected_at)
    if status == Status.UPDATED and not observations and not records:
        status = Status.SKIPPED  # nothing new to say: every value was blank
    return Outcome(index, status, party=party.pk, observations=observations, consents=records)


def _target(item: Item, *, actor: Any) -> Party | None:
    """The existing customer the item adds to, or None for a new one.

    An explicit ``match`` must be a customer the caller sees ("no such customer" otherwise,
    whether it exists or not). Automatic matching uses the import engine's exact keys (external
    id, e-mail, mobile) and counts only a customer of the same kind the caller sees: a customer
    out of the caller's scope is neither changed nor revealed.
    """
    visible = Party.objects.visible_to(actor)
    if item.match is not None:
        if item.policy == Policy.CREATE:
            raise ItemRejected(
                {"policy": [_("A new customer cannot be matched; leave out match or policy.")]}
            )
        party = visible.filter(pk=item.match).first()
        if party is None:
            raise ItemRejected({"match": [_("No such customer.")]})
        if item.kind_given and item.kind != party.kind:
            raise ItemRejected({"kind": [_("The kind of a customer cannot change.")]})
        return party
    if item.policy == Policy.CREATE:
        return None
    found = find_match(item.attributes)
    if found is None or found.kind != item.kind or not visible.filter(pk=found.pk).exists():
        return None
    return found


def _consents(
    item: Item, *, actor: Any, when: datetime.datetime, cache: dict[Any, Any] | None = None
) -> list[tuple[ConsentGiven, Purpose, ConsentNotice | None]]:
    """The item's consents with their purposes and notices; refuses unknown purposes and notice
    versions (errors keyed by the entry's position). A notice not named is the latest one
    published by ``when``, except for purposes that need separate consent: there the caller
    must say which notice the person was shown. ``cache`` keeps the purposes and notices read
    for the other items of a call."""
    if not item.consent:
        return []
    cache = {} if cache is None else cache
    missing = [c.purpose for c in item.consent if ("purpose", c.purpose) not in cache]
    if missing:
        found_purposes = {p.code: p for p in Purpose.objects.filter(code__in=missing)}
        for code in missing:
            cache["purpose", code] = found_purposes.get(code)
    purposes = {c.purpose: cache["purpose", c.purpose] for c in item.consent}

    def notice_of(purpose: Purpose, version: int | None) -> ConsentNotice | None:
        key = ("notice", purpose.pk, version, None if version is not None else when)
        if key not in cache:
            notices = purpose.notices
            cache[key] = (
                notices.filter(version=version).first()
                if version is not None
                else notices.filter(published_at__lte=when).order_by("-version").first()
            )
        return cache[key]

    errors: dict[str, Any] = {}
    found: list[tuple[ConsentGiven, Purpose, ConsentNotice | None]] = []
    seen: set[str] = set()
    for position, entry in enumerate(item.consent):
        purpose = purposes.get(entry.purpose)
        if purpose is None:
            errors[str(position)] = {
                "purpose": [_("Unknown purpose “{code}”.").format(code=entry.purpose)]
            }
            continue
        if entry.purpose in seen:
            errors[str(position)] = {"purpose": [_("Give each purpose once.")]}
            continue
        seen.add(entry.purpose)
        notice: ConsentNotice | None = None
        if entry.notice_version is not None:
            notice = notice_of(purpose, entry.notice_version)
            if notice is None:
                errors[str(position)] = {
                    "notice_version": [
                        _("“{purpose}” has no notice version {version}.").format(
                            purpose=purpose, version=entry.notice_version
                        )
                    ]
                }
                continue
        elif not purpose.requires_separate_consent:
            notice = notice_of(purpose, None)
        found.append((entry, purpose, notice))
    if errors:
        raise ItemRejected({"consent": errors})
    if any(purpose.needs_consent for _entry, purpose, _notice in found) and not actor.has_perm(
        ADD_CONSENT
    ):
        raise ItemRejected({"consent": [_("Your role may not record consent.")]})
    return found


def _grant(
    party: Party,
    consents: list[tuple[ConsentGiven, Purpose, ConsentNotice | None]],
    *,
    actor: Any,
    when: datetime.datetime,
) -> list[int]:
    """One ledger row per consent-based purpose (channel "api"); a purpose on another legal
    basis (a contract…) is only named on the observations."""
    records: list[int] = []
    for position, (entry, purpose, notice) in enumerate(consents):
        if not purpose.needs_consent:
            continue
        try:
            record = privacy.grant(
                party,
                purpose,
                actor=actor,
                notice=notice,
                channel=Channel.API,
                evidence=entry.evidence,
                occurred_at=when,
                language=entry.language,
            )
        except ValidationError as error:
            messages = (
                error.message_dict if hasattr(error, "error_dict") else {"purpose": error.messages}
            )
            renamed = {("notice_version" if k == "notice" else k): v for k, v in messages.items()}
            raise ItemRejected({"consent": {str(position): renamed}}) from error
        records.append(record.pk)
    return records


def item_errors(error: ValidationError) -> dict[str, Any]:
    """A customer service's ValidationError as an item's ``errors``: the item's own fields at
    the top, attribute problems under ``attributes`` keyed by attribute code."""
    if not hasattr(error, "error_dict"):
        return {"non_field_errors": [str(message) for message in error.messages]}
    errors: dict[str, Any] = {}
    for key, messages in error.message_dict.items():
        if key in ITEM_FIELDS:
            errors[key] = list(messages)
        elif key == "__all__" or key in parties.PARTY_FIELDS:
            errors.setdefault("non_field_errors", []).extend(messages)
        else:
            errors.setdefault("attributes", {})[key] = list(messages)
    return errors
