"""Every write to the customer record.

Values never overwrite each other: each arrives as an ``Observation``; survivorship picks the
``GoldenValue`` per attribute; the party's name, ``golden`` copy and ``SearchKey`` rows follow.
Each service validates everything first and writes in one transaction, so invalid input
leaves nothing half-saved, and logs itself in the change log.
"""

from __future__ import annotations

import datetime
import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core import crypto
from huike.core.services import diff, record_change, snapshot
from huike.parties import privacy, text
from huike.parties.models import (
    AttributeDefinition,
    CustomerNature,
    GoldenValue,
    Observation,
    Party,
    Region,
    Relationship,
    SearchKey,
)
from huike.parties.values import coerce, is_blank

Survivorship = AttributeDefinition.Survivorship
NAME = "name"
MANUAL_SOURCES = {"manual", "confirmation"}
# How far each channel is trusted when rules compare sources (higher wins).
SOURCE_TRUST: dict[str, int] = {
    "manual": 100,
    "confirmation": 100,
    "api": 80,
    "cli": 80,
    "form": 60,
    "intake": 60,
    "import": 50,
}
# How each source reads on the customer page; channels added later extend this.
SOURCE_LABELS: dict[str, Any] = {
    "manual": gettext_lazy("entered by hand"),
    "confirmation": gettext_lazy("confirmed"),
    "api": gettext_lazy("API"),
    "cli": gettext_lazy("command line"),
    "import": gettext_lazy("import"),
    "form": gettext_lazy("web form"),
    "intake": gettext_lazy("intake API"),
}


def source_label(source: str) -> str:
    """``import:outlook`` → "import · outlook", in the reader's language."""
    base, _sep, detail = source.partition(":")
    label = str(SOURCE_LABELS.get(base, base))
    return f"{label} · {detail}" if detail else label


PARTY_FIELDS = (
    "kind",
    "name",
    "owner",
    "team",
    "stage",
    "nature",
    "region",
    "industry",
    "first_deal_date",
    "notes",
)


class VersionConflict(Exception):
    """Somebody else changed the record since the editor loaded it."""

    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current


@dataclass
class Provenance:
    """Where values came from: stamped on every observation a service writes."""

    source: str = "manual"
    source_ref: str = ""
    collected_at: datetime.datetime | None = None
    consent: str = ""
    confidence: float = 1.0
    note: str = ""
    # Who collected the values when no signed-in user did (a web form's name); default: the
    # actor's username, else "system".
    collector_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def trust(source: str) -> int:
    return SOURCE_TRUST.get(source.split(":", 1)[0], 40)


def definitions(codes: Iterable[str] | None = None) -> dict[str, AttributeDefinition]:
    queryset = AttributeDefinition.objects.all()
    if codes is not None:
        queryset = queryset.filter(code__in=list(codes))
    return {definition.code: definition for definition in queryset}


def validate_values(
    kind: str,
    values: Mapping[str, Any],
    known: Mapping[str, AttributeDefinition] | None = None,
) -> list[tuple[AttributeDefinition, Any, str]]:
    """Coerce every value; raise one ValidationError keyed by attribute code if any fails.

    Blank values are skipped (an empty form field adds no observation). ``known`` (code →
    definition, e.g. every definition read once by a bulk import) saves the query.
    """
    if known is None:
        known = definitions(values)
    errors: dict[str, list[str]] = {}
    cleaned = []
    for code, raw in values.items():
        definition = known.get(code)
        if definition is None or not definition.is_active:
            errors[code] = [_("Unknown attribute “{code}”.").format(code=code)]
            continue
        if not definition.applies(kind):
            errors[code] = [
                _("“{label}” does not apply to this kind of customer.").format(
                    label=definition.label
                )
            ]
            continue
        if is_blank(raw):
            continue
        try:
            value, value_text = coerce(definition, raw)
        except ValidationError as error:
            errors[code] = error.messages
            continue
        cleaned.append((definition, value, value_text))
    if errors:
        raise ValidationError(errors)
    return cleaned


def check_edit_rights(actor: Any, cleaned: list[tuple[AttributeDefinition, Any, str]]) -> None:
    """Refuse values of a sensitivity class the actor's role may not edit (field-level gate)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return
    refused = {
        definition.code: [_("Your role may not change “{label}”.").format(label=definition.label)]
        for definition, _value, _text in cleaned
        if not actor.may_edit_field(definition.sensitivity)
    }
    if refused:
        raise ValidationError(refused)


def check_assignment(actor: Any, owner: Any = None, team: Any = None) -> None:
    """Refuse handing a customer to someone outside the actor's reach (no mass assignment):
    an "own" or territory scope may name only itself as owner, a "team" scope its team's
    members; the team must be the actor's own unless the scope is "all"."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return
    scope = actor.record_scope
    if scope == "all":
        return
    errors: dict[str, list[str]] = {}
    if owner is not None and owner.pk != actor.pk:
        same_team = scope == "team" and actor.team_id and owner.team_id == actor.team_id
        if not same_team:
            errors["owner"] = [
                _("You can give customers only to yourself or, with team scope, to your team.")
            ]
    if team is not None and team.pk != actor.team_id:
        errors["team"] = [_("You can put customers only in your own team.")]
    if errors:
        raise ValidationError(errors)


SUPPRESSED = gettext_lazy(
    "This contact belongs to a person whose data was erased at their request; it is on the "
    "suppression list. A data-protection officer can release it if the person asks to be "
    "recorded again."
)


def check_suppression(values: Mapping[str, Any]) -> None:
    """Refuse contact points of people who were erased (the suppression list), so that no
    import, form or API call re-creates them silently. A data-protection officer releases an
    entry when the person asks to be recorded again."""
    from django.apps import apps

    if not apps.is_installed("huike.subjects"):
        return
    from huike.subjects.suppression import is_suppressed

    contact = {code: raw for code, raw in values.items() if not is_blank(raw)}
    refused = is_suppressed(contact) if contact else []
    if refused:
        raise ValidationError({code: [str(SUPPRESSED)] for code in refused})


@transaction.atomic
def create_party(
    *,
    actor: Any,
    kind: str,
    name: str,
    attributes: Mapping[str, Any] | None = None,
    provenance: Provenance | None = None,
    tags: Iterable[Any] = (),
    **fields: Any,
) -> Party:
    """Create a person or organisation with its first observations."""
    if kind not in Party.Kind.values:
        raise ValidationError({"kind": [_("Choose person or organization.")]})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("A customer needs a name.")]})
    unknown = set(fields) - set(PARTY_FIELDS)
    if unknown:
        raise ValueError("unknown fields: {}".format(", ".join(sorted(unknown))))
    values = {NAME: name, **dict(attributes or {})}
    cleaned = validate_values(kind, values)
    check_edit_rights(actor, cleaned)
    check_assignment(actor, fields.get("owner"), fields.get("team"))
    check_suppression(values)
    party = Party(kind=kind, name=name, pinyin=text.pinyin_display(name), **fields)
    party.full_clean(exclude=["golden", "pinyin"])
    party.save()
    if tags:
        party.tags.set(list(tags))
    _observe(party, cleaned, actor=actor, provenance=provenance or Provenance())
    record_change(
        party, actor=actor, action="create", changes=diff({}, snapshot(party, PARTY_FIELDS))
    )
    return party


@transaction.atomic
def record_observations(
    party: Party,
    values: Mapping[str, Any],
    *,
    actor: Any,
    provenance: Provenance | None = None,
) -> list[Observation]:
    """Add what a channel said about ``party``; the golden record follows the rules."""
    cleaned = validate_values(party.kind, values)
    if not cleaned:
        return []
    check_edit_rights(actor, cleaned)
    check_suppression(values)
    observations = _observe(party, cleaned, actor=actor, provenance=provenance or Provenance())
    Party.objects.filter(pk=party.pk).update(version=F("version") + 1)
    party.version += 1
    record_change(
        party,
        actor=actor,
        action="update",
        message="{} {}".format(
            (provenance or Provenance()).source,
            ", ".join(sorted({definition.code for definition, _value, _text in cleaned})),
        )[:200],
    )
    return observations


def _observe(
    party: Party,
    cleaned: list[tuple[AttributeDefinition, Any, str]],
    *,
    actor: Any,
    provenance: Provenance,
) -> list[Observation]:
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    when = provenance.collected_at or timezone.now()
    stored = [(definition, *privacy.protect(definition, v, t)) for definition, v, t in cleaned]
    observations = Observation.objects.bulk_create(
        [
            Observation(
                party=party,
                attribute=definition,
                value=value,
                value_text=value_text,
                source=provenance.source[:30],
                source_ref=provenance.source_ref[:200],
                collector=actor if is_user else None,
                collector_name=(
                    provenance.collector_name or (actor.get_username() if is_user else "system")
                )[:150],
                collected_at=when,
                consent=provenance.consent[:200],
                confidence=provenance.confidence,
                note=provenance.note[:200],
            )
            for definition, value, value_text in stored
        ]
    )
    refresh_golden(party, [definition for definition, _value, _text in cleaned])
    return observations


def _winner(rule: str, observations: list[Observation]) -> Observation:
    def recency(observation: Observation) -> tuple[datetime.datetime, int]:
        return observation.collected_at, observation.pk

    if rule == Survivorship.MOST_RECENT:
        return max(observations, key=recency)
    if rule == Survivorship.MOST_FREQUENT:
        counts = Counter(observation.value_text for observation in observations)
        return max(observations, key=lambda o: (counts[o.value_text], *recency(o)))
    if rule == Survivorship.MANUAL_WINS:
        manual = [o for o in observations if o.source in MANUAL_SOURCES]
        if manual:
            return max(manual, key=recency)
    return max(observations, key=lambda o: (trust(o.source), *recency(o)))


def refresh_golden(party: Party, attributes: Iterable[AttributeDefinition]) -> None:
    """Re-run survivorship for ``attributes`` of ``party`` and update everything derived."""
    attributes = list(attributes)
    by_attribute: dict[int, list[Observation]] = {a.pk: [] for a in attributes}
    for observation in Observation.objects.filter(
        party=party, attribute__in=[a.pk for a in attributes]
    ):
        by_attribute[observation.attribute_id].append(observation)
    existing = {
        g.attribute_id: g for g in GoldenValue.objects.filter(party=party, attribute__in=attributes)
    }
    golden = dict(party.golden or {})
    for attribute in attributes:
        observations = by_attribute[attribute.pk]
        current = existing.get(attribute.pk)
        if not observations:
            if current is not None:
                current.delete()
            golden.pop(attribute.code, None)
            continue
        winner = _winner(attribute.survivorship, observations)
        confirmed_at = max(
            o.collected_at for o in observations if o.value_text == winner.value_text
        )
        stale_at = (
            confirmed_at + datetime.timedelta(days=attribute.reevaluate_days)
            if attribute.reevaluate_days
            else None
        )
        values = {
            "value": winner.value,
            "value_text": winner.value_text,
            "observation": winner,
            "confirmed_at": confirmed_at,
            "stale_at": stale_at,
        }
        if current is None:
            GoldenValue.objects.create(party=party, attribute=attribute, **values)
        else:
            for key, value in values.items():
                setattr(current, key, value)
            current.save()
        golden[attribute.code] = winner.value
    party.golden = golden
    name = golden.get(NAME) or party.name
    party.name = str(name)[:200]
    party.pinyin = text.pinyin_display(party.name)[:400]
    party.updated_at = timezone.now()
    Party.objects.filter(pk=party.pk).update(
        golden=party.golden, name=party.name, pinyin=party.pinyin, updated_at=party.updated_at
    )
    rebuild_search_keys(party)


# Names people also use for a customer: each is searchable like the name itself.
ALIAS_CODES = ("short_name", "english_name", "former_names")
REGION_SUFFIXES = (
    "特别行政区",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "自治州",
    "地区",
    "省",
    "市",
    "区",
    "县",
    "盟",
    "旗",
)


_region_prefixes: tuple[str, ...] = ()


def region_prefixes() -> tuple[str, ...]:
    """Chinese place names that start company names (杭州, 浙江省, 西湖区…), longest first.

    Read once per process from the reference data (an empty table is asked again later).
    """
    global _region_prefixes
    if not _region_prefixes:
        names: set[str] = set()
        regions = Region.objects.exclude(level=Region.Level.COUNTRY)
        for name in regions.values_list("name_zh", flat=True):
            name = text.normalise_name(name)
            names.add(name)
            for suffix in REGION_SUFFIXES:
                if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                    names.add(name[: -len(suffix)])
                    break
        _region_prefixes = tuple(sorted(names, key=len, reverse=True))
    return _region_prefixes


def without_place_prefix(core: str) -> str:
    """``杭州云汇科技`` → ``云汇科技``: the part of a company name after its city or province
    (repeatedly: 浙江杭州云汇 → 云汇). Keeps at least two characters."""
    prefixes = region_prefixes()
    if not prefixes:
        return core
    known, lengths = _prefix_index(prefixes)
    changed = True
    while changed:
        changed = False
        for length in lengths:  # longest first
            if len(core) - length >= 2 and core[:length] in known:
                core = core[length:]
                changed = True
                break
    return core


@functools.lru_cache(maxsize=4)
def _prefix_index(prefixes: tuple[str, ...]) -> tuple[frozenset[str], tuple[int, ...]]:
    """The place names as a set, and their lengths longest first (one lookup per length
    instead of a scan of every place name)."""
    return frozenset(prefixes), tuple(sorted({len(p) for p in prefixes}, reverse=True))


@functools.lru_cache(maxsize=200_000)
def name_search_keys(kind: str, name: str) -> frozenset[tuple[str, str]]:
    """The keys one name gives: normalised, without legal suffix and place prefix, pinyin."""
    keys = {(SearchKey.Kind.NAME.value, text.normalise_name(name)[:200])}
    if kind == Party.Kind.ORGANIZATION:
        core = text.organisation_core_name(name)
        if core:
            keys.add((SearchKey.Kind.NAME.value, core[:200]))
            local = without_place_prefix(core)
            if local != core:
                keys.add((SearchKey.Kind.NAME.value, local[:200]))
    full, initials = text.pinyin_keys(name)
    keys.update((SearchKey.Kind.PINYIN.value, value[:200]) for value in full if value)
    keys.update((SearchKey.Kind.INITIALS.value, value[:200]) for value in initials if value)
    return frozenset(keys)


def search_keys_from(
    kind: str, name: str, golden: Mapping[str, Any], validators: Mapping[str, str]
) -> set[tuple[str, str]]:
    """Every indexed way to find a party of ``kind`` called ``name`` with the ``golden``
    values, given each attribute's validator. Pure: bulk loaders call it without queries."""
    keys = set(name_search_keys(kind, name))
    for code in ALIAS_CODES:
        for alias in str(golden.get(code) or "").replace("；", ";").split(";"):
            if alias.strip():
                keys.update(name_search_keys(kind, alias.strip()))
    for code, value in golden.items():
        validator = validators.get(code)
        if validator == AttributeDefinition.Validator.PHONE:
            keys.add((SearchKey.Kind.PHONE.value, text.phone_digits_reversed(str(value))))
        elif validator == AttributeDefinition.Validator.EMAIL:
            keys.add((SearchKey.Kind.EMAIL.value, str(value)[:200]))
        elif crypto.is_sealed(value):
            # Sensitive identifiers are found by exact match only, through a blind key.
            keys.update(
                (SearchKey.Kind.CODE.value, k) for k in privacy.sealed_search_keys(code, value)
            )
        elif validator == AttributeDefinition.Validator.USCC or code == "external_id":
            keys.add((SearchKey.Kind.CODE.value, text.normalise_name(str(value))[:200]))
    return {key for key in keys if key[1]}


def search_keys_for(party: Party) -> set[tuple[str, str]]:
    """Every indexed way to find ``party`` from its golden record."""
    validators = dict(
        AttributeDefinition.objects.filter(code__in=list(party.golden or {})).values_list(
            "code", "validator"
        )
    )
    return search_keys_from(party.kind, party.name, party.golden or {}, validators)


def rebuild_search_keys(party: Party) -> None:
    wanted = search_keys_for(party)
    current = {(k.kind, k.value): k.pk for k in SearchKey.objects.filter(party=party)}
    stale = [pk for key, pk in current.items() if key not in wanted]
    if stale:
        SearchKey.objects.filter(pk__in=stale).delete()
    SearchKey.objects.bulk_create(
        [SearchKey(party=party, kind=kind, value=value) for kind, value in wanted - set(current)]
    )


@transaction.atomic
def update_party(
    party: Party,
    *,
    actor: Any,
    expected_version: int | None = None,
    attributes: Mapping[str, Any] | None = None,
    provenance: Provenance | None = None,
    tags: Iterable[Any] | None = None,
    **fields: Any,
) -> Party:
    """Change a party's own fields and add observations for changed attributes.

    With ``expected_version``, refuses (VersionConflict) when someone saved in between, so two
    people editing the same customer never silently overwrite each other.
    """
    locked = Party.objects.select_for_update().get(pk=party.pk)
    if expected_version is not None and locked.version != expected_version:
        raise VersionConflict(locked.version)
    unknown = set(fields) - set(PARTY_FIELDS)
    if unknown:
        raise ValueError("unknown fields: {}".format(", ".join(sorted(unknown))))
    values = dict(attributes or {})
    if "name" in fields:
        name = (fields.pop("name") or "").strip()
        if not name:
            raise ValidationError({"name": [_("A customer needs a name.")]})
        if name != locked.name:
            values[NAME] = name
    # Only values that differ from the golden record become new observations.
    changed = {
        code: raw
        for code, raw in values.items()
        if is_blank(raw) or code not in locked.golden or _differs(code, raw, locked)
    }
    cleaned = validate_values(locked.kind, changed)
    check_edit_rights(actor, cleaned)
    check_assignment(
        actor,
        fields["owner"] if fields.get("owner") and fields["owner"].pk != locked.owner_id else None,
        fields["team"] if fields.get("team") and fields["team"].pk != locked.team_id else None,
    )
    check_suppression(changed)
    before = snapshot(locked, PARTY_FIELDS)
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.full_clean(exclude=["golden", "pinyin"])
    locked.version += 1
    locked.save()
    if tags is not None:
        locked.tags.set(list(tags))
    previous: dict[str, str] = {}
    if cleaned:
        previous = dict(
            GoldenValue.objects.filter(
                party=locked, attribute__in=[definition for definition, _v, _t in cleaned]
            ).values_list("attribute__code", "value_text")
        )
        _observe(locked, cleaned, actor=actor, provenance=provenance or Provenance())
        locked.refresh_from_db()
    changes = diff(before, snapshot(locked, PARTY_FIELDS))
    for definition, _value, value_text in cleaned:
        # Sensitive values enter the change log as their blind index, never in clear.
        new_text = privacy.equality_key(definition, value_text)
        changes[definition.code] = [previous.get(definition.code), new_text]
    if changes:
        record_change(locked, actor=actor, action="update", changes=changes)
    return locked


def _differs(code: str, raw: Any, party: Party) -> bool:
    definition = AttributeDefinition.objects.filter(code=code).first()
    if definition is None or is_blank(raw):
        return True
    try:
        value, _text_value = coerce(definition, raw)
    except ValidationError:
        return True  # let validation report it
    return value != privacy.plain_or_none(code, party.golden.get(code))


@transaction.atomic
def use_observation(party: Party, observation: Observation, *, actor: Any) -> Observation:
    """ "Use this value instead": a manual observation repeating an older value."""
    if observation.party_id != party.pk:
        raise ValidationError(_("That value belongs to another customer."))
    code = observation.attribute.code
    before = (party.golden or {}).get(code)  # _observe refreshes party.golden in place
    [chosen] = _observe(
        party,
        [(observation.attribute, observation.value, observation.value_text)],
        actor=actor,
        provenance=Provenance(source="manual", note=_("chosen from the history of values")[:200]),
    )
    Party.objects.filter(pk=party.pk).update(version=F("version") + 1)
    record_change(
        party,
        actor=actor,
        action="update",
        changes={code: [before, observation.value]},
    )
    return chosen


@transaction.atomic
def confirm_values(party: Party, codes: Iterable[str], *, actor: Any) -> int:
    """ "Still correct": re-observe the golden values, which makes them fresh again."""
    golden = GoldenValue.objects.filter(
        party=party, attribute__code__in=list(codes)
    ).select_related("attribute")
    cleaned = [(g.attribute, g.value, g.value_text) for g in golden]
    if cleaned:
        _observe(party, cleaned, actor=actor, provenance=Provenance(source="confirmation"))
        record_change(
            party,
            actor=actor,
            action="action",
            message="confirmed: {}".format(", ".join(sorted(g.attribute.code for g in golden)))[
                :200
            ],
        )
    return len(cleaned)


@transaction.atomic
def delete_party(party: Party, *, actor: Any) -> None:
    record_change(
        party, actor=actor, action="delete", changes=diff(snapshot(party, PARTY_FIELDS), {})
    )
    party.delete()


RELATIONSHIP_FIELDS = (
    "from_party",
    "to_party",
    "kind",
    "title",
    "department",
    "reports_to",
    "stakeholder_role",
    "attitude",
    "influence",
    "closeness",
    "started_on",
    "ended_on",
    "note",
)
PERSON_TO_ORG = {Relationship.Kind.EMPLOYMENT}
PERSON_TO_PERSON = {
    Relationship.Kind.SPOUSE,
    Relationship.Kind.CHILD,
    Relationship.Kind.RELATIVE,
    Relationship.Kind.FRIEND,
}
ORG_TO_ORG = {Relationship.Kind.SUBSIDIARY, Relationship.Kind.DEALER, Relationship.Kind.SUPPLIER}


def _check_relationship(relationship: Relationship) -> None:
    errors: dict[str, list[str]] = {}
    source, target = relationship.from_party, relationship.to_party
    kind = relationship.kind
    person, organisation = Party.Kind.PERSON, Party.Kind.ORGANIZATION
    if source.pk == target.pk:
        errors["to_party"] = [_("A customer cannot be related to itself.")]
    elif kind in PERSON_TO_ORG and (source.kind, target.kind) != (person, organisation):
        errors["kind"] = [_("“Works at” links a person to an organisation.")]
    elif kind in PERSON_TO_PERSON and (source.kind, target.kind) != (person, person):
        errors["kind"] = [_("Family and friends link two people.")]
    elif kind in ORG_TO_ORG and (source.kind, target.kind) != (organisation, organisation):
        errors["kind"] = [_("This relationship links two organisations.")]
    if relationship.reports_to_id and relationship.reports_to_id == source.pk:
        errors["reports_to"] = [_("Nobody reports to themselves.")]
    for name, low, high in (("attitude", -2, 2), ("influence", 1, 5), ("closeness", 1, 5)):
        value = getattr(relationship, name)
        if value is not None and not low <= value <= high:
            errors[name] = [_("Between {low} and {high}.").format(low=low, high=high)]
    if (
        relationship.started_on
        and relationship.ended_on
        and relationship.ended_on < relationship.started_on
    ):
        errors["ended_on"] = [_("The end is before the start.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_relationship(relationship: Relationship, *, actor: Any, **values: Any) -> Relationship:
    """Create or change a tie between two parties (an employment, a family tie…)."""
    creating = relationship.pk is None
    before = {} if creating else snapshot(relationship, RELATIONSHIP_FIELDS)
    for key, value in values.items():
        if key not in RELATIONSHIP_FIELDS:
            raise ValueError(f"unknown field: {key}")
        setattr(relationship, key, value)
    _check_relationship(relationship)
    relationship.full_clean()
    relationship.save()
    changes = diff(before, snapshot(relationship, RELATIONSHIP_FIELDS))
    record_change(
        relationship, actor=actor, action="create" if creating else "update", changes=changes
    )
    # Each party's timeline says in one line what tie was added or changed.
    for party in (relationship.from_party, relationship.to_party):
        record_change(party, actor=actor, action="update", message=str(relationship)[:200])
    return relationship


@transaction.atomic
def delete_relationship(relationship: Relationship, *, actor: Any) -> None:
    record_change(
        relationship,
        actor=actor,
        action="delete",
        changes=diff(snapshot(relationship, RELATIONSHIP_FIELDS), {}),
    )
    for party in (relationship.from_party, relationship.to_party):
        record_change(party, actor=actor, action="update", message="- " + str(relationship)[:190])
    relationship.delete()


DEFINITION_FIELDS = (
    "code",
    "label_zh",
    "label_en",
    "section",
    "order",
    "data_type",
    "validator",
    "choices",
    "applies_to",
    "sensitivity",
    "reevaluate_days",
    "survivorship",
    "help_zh",
    "help_en",
    "is_active",
)


@transaction.atomic
def save_definition(
    definition: AttributeDefinition, *, actor: Any, **values: Any
) -> AttributeDefinition:
    """Add or change a profile field. Built-in fields keep their code, type and validation,
    and cannot be retired, because Huike itself relies on them."""
    creating = definition.pk is None
    before = {} if creating else snapshot(definition, DEFINITION_FIELDS)
    for key, value in values.items():
        if key not in DEFINITION_FIELDS:
            raise ValueError(f"unknown field: {key}")
        setattr(definition, key, value)
    if definition.is_system:
        for name in ("code", "data_type", "validator"):
            if before.get(name) not in (None, getattr(definition, name)):
                raise ValidationError(
                    {name: [_("Built-in fields keep their {name}.").format(name=name)]}
                )
        if not definition.is_active:
            raise ValidationError({"is_active": [_("Built-in fields cannot be retired.")]})
    if (
        not creating
        and before.get("data_type") != definition.data_type
        and definition.observations.exists()
    ):
        raise ValidationError(
            {
                "data_type": [
                    _("Values were already recorded with the old type; add a new field instead.")
                ]
            }
        )
    choice_types = (AttributeDefinition.DataType.CHOICE, AttributeDefinition.DataType.MULTI_CHOICE)
    if definition.data_type in choice_types:
        if not definition.choices or not all(
            isinstance(c, dict) and c.get("value") not in (None, "") for c in definition.choices
        ):
            raise ValidationError({"choices": [_("List the choices, each with a value.")]})
    definition.full_clean()
    definition.save()
    record_change(
        definition,
        actor=actor,
        action="create" if creating else "update",
        changes=diff(before, snapshot(definition, DEFINITION_FIELDS)),
    )
    return definition


BULK_LIMIT = 5000


@transaction.atomic
def bulk_update(
    parties: Iterable[Party],
    *,
    actor: Any,
    owner: Any = None,
    stage: str | None = None,
    add_tag: Any = None,
) -> int:
    """Reassign, restage or tag many customers at once; each change is in the change log."""
    if stage is not None and stage not in Party.Stage.values:
        raise ValidationError({"stage": [_("Unknown lifecycle stage.")]})
    check_assignment(actor, owner)
    changed = 0
    for party in parties:
        fields: dict[str, Any] = {}
        if owner is not None and party.owner_id != owner.pk:
            fields["owner"] = owner
        if stage is not None and party.stage != stage:
            fields["stage"] = stage
        if fields:
            before = snapshot(party, fields)
            for key, value in fields.items():
                setattr(party, key, value)
            party.version += 1
            party.save(update_fields=[*fields, "version", "updated_at"])
            record_change(
                party, actor=actor, action="update", changes=diff(before, snapshot(party, fields))
            )
        if add_tag is not None and not party.tags.filter(pk=add_tag.pk).exists():
            party.tags.add(add_tag)
            record_change(
                party, actor=actor, action="update", changes={"tags": [None, add_tag.name]}
            )
            fields["tag"] = add_tag
        changed += bool(fields)
    return changed


NATURE_FIELDS = ("code", "name_zh", "name_en", "order", "is_active")


@transaction.atomic
def save_nature(nature: CustomerNature, *, actor: Any, **values: Any) -> CustomerNature:
    """Add or change an entry of the customer-nature list (retire it rather than delete it)."""
    creating = nature.pk is None
    before = {} if creating else snapshot(nature, NATURE_FIELDS)
    for key, value in values.items():
        if key not in NATURE_FIELDS:
            raise ValueError(f"unknown field: {key}")
        setattr(nature, key, value)
    nature.full_clean()
    nature.save()
    record_change(
        nature,
        actor=actor,
        action="create" if creating else "update",
        changes=diff(before, snapshot(nature, NATURE_FIELDS)),
    )
    return nature
