"""Preparing import rows: everything about a row that needs no database.

Mapping the columns, validating the values (with the attribute definitions read once), field
edit rights, the digests the suppression list is checked with, the values as stored (sealed
when sensitive), the golden record, pinyin and search keys of the customer the row would create.
A :class:`Plan` holds what this needs and pickles, so a second process can prepare the next
batch while the first writes this one (:mod:`huike.imports.pipeline`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from huike.core import crypto
from huike.identity import features as identity
from huike.identity import matching
from huike.imports import presets
from huike.parties import population, privacy, services
from huike.parties.models import AttributeDefinition

SENSITIVITIES = ("public", "personal", "sensitive")


@dataclass
class Plan:
    """What preparing a job's rows needs, read once in the job's process (picklable)."""

    mapping: presets.CompiledMapping
    kind: str
    known: dict[str, AttributeDefinition]
    editable: dict[str, bool]  # by sensitivity: may the collector set such values?
    language: str
    region: str = ""  # phone numbers without a country code (empty: PHONE_REGION)
    roles: identity.Roles = field(init=False)  # the parts attributes play in matching
    validators: dict[str, str] = field(init=False)
    contact_kinds: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        from django.apps import apps

        self.validators = {code: d.validator for code, d in self.known.items()}
        self.roles = identity.roles()
        self.contact_kinds = {}
        if apps.is_installed("huike.subjects"):
            from huike.subjects.suppression import kind_of

            for code, definition in self.known.items():
                kind = kind_of(definition)
                if kind is not None:
                    self.contact_kinds[code] = str(kind)


@dataclass
class NewCustomer:
    """What creating a customer writes (:class:`huike.imports.writer.Writer`), from its
    validated values: no query."""

    kind: str
    stored: list[tuple[str, str, str]]  # (code, value as stored in JSON, value_text as stored)
    golden: str  # the golden record in JSON
    party_name: str  # the golden name, as the customer is called
    pinyin: str
    search_keys: list[tuple[str, str]]

    @classmethod
    def build(
        cls,
        kind: str,
        name: str,
        cleaned: list[tuple[AttributeDefinition, Any, str]],
        validators: dict[str, str],
    ) -> NewCustomer:
        """``cleaned`` as ``services.validate_values`` returns it (the name among them)."""
        golden: dict[str, Any] = {}
        stored: list[tuple[str, str, str]] = []
        for definition, value, value_text in cleaned:
            sealed, sealed_text = privacy.protect(definition, value, value_text)
            golden[definition.code] = sealed
            stored.append((definition.code, json.dumps(sealed), sealed_text))
        party_name = str(golden.get(services.NAME) or name)[:200]
        return cls(
            kind=kind,
            stored=stored,
            golden=json.dumps(golden),
            party_name=party_name,
            pinyin=population.pinyin_of(party_name),
            search_keys=sorted(services.search_keys_from(kind, party_name, golden, validators)),
        )


@dataclass
class Prepared(NewCustomer):
    """A row mapped and checked, with what creating its customer would write."""

    line: int
    row: dict[str, str]
    name: str  # as given
    values: dict[str, Any]  # attribute code → value as mapped, without the name
    keys: tuple[str, str, str]  # external id, e-mail, mobile (E.164): the exact match keys
    contacts: dict[str, tuple[str, str]]  # code → (suppression kind, digest)
    features: identity.Features  # the row as identity matching compares it
    match_keys: list[tuple[str, str]]  # the search keys its likely duplicates are looked up by
    # Values left out (``presets.Notice``: "Birthday: “--05-30” has no year."): the rest of the
    # row is imported and the row listed as a warning.
    warnings: list[str] = field(default_factory=list)


@dataclass
class Rejected:
    line: int
    row: dict[str, str]
    errors: dict[str, list[str]]


def messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {key: [str(m) for m in msgs] for key, msgs in error.message_dict.items()}
    return {"__all__": [str(m) for m in error.messages]}


def prepare(plan: Plan, line: int, row: dict[str, str]) -> Prepared | Rejected:
    """Map and check one row (no query)."""
    values, problems = presets.map_row(
        row, plan.mapping, kind=plan.kind, region=plan.region or None
    )
    values = {code: value for code, value in values.items() if str(value).strip()}
    kind = str(values.pop("kind", "") or plan.kind)
    name = str(values.pop(services.NAME, "") or "").strip()
    notices = [problem for problem in problems if isinstance(problem, presets.Notice)]
    errors: dict[str, list[str]] = (
        {"__all__": list(problems)} if len(notices) < len(problems) else {}
    )
    if not name:
        errors["name"] = [_("A customer needs a name.")]
    if errors:
        return Rejected(line, row, errors)
    try:
        cleaned = services.validate_values(kind, {services.NAME: name, **values}, plan.known)
    except ValidationError as error:
        return Rejected(line, row, messages(error))
    refused = {
        definition.code: [_("Your role may not change “{label}”.").format(label=definition.label)]
        for definition, _value, _text in cleaned
        if not plan.editable.get(definition.sensitivity, False)
    }
    if refused:
        return Rejected(line, row, refused)
    by_code = {definition.code: value for definition, value, _text in cleaned}
    keys = (
        str(by_code.get("external_id") or "").strip(),
        str(by_code.get("email") or ""),
        str(by_code.get("mobile") or ""),
    )
    new = NewCustomer.build(kind, name, cleaned, plan.validators)
    plain = {definition.code: text for definition, _value, text in cleaned}  # before sealing
    features = identity.build(kind=kind, name=name, values=plain, part_roles=plan.roles)
    return Prepared(
        **vars(new),
        warnings=[str(notice) for notice in notices],
        line=line,
        row=row,
        name=name,
        values=values,
        keys=keys,
        contacts=_contacts(plan, by_code),
        features=features,
        match_keys=matching.probe_keys(features),
    )


def _contacts(plan: Plan, values: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The suppression-list digests of the row's contact points (validated values: phones in
    E.164, e-mails normalised, so only identity numbers need normalising)."""
    if not plan.contact_kinds:
        return {}
    from huike.subjects.suppression import Kind, digest, normalise

    found: dict[str, tuple[str, str]] = {}
    for code, value in values.items():
        kind = plan.contact_kinds.get(code)
        if kind is None or not isinstance(value, str) or not value:
            continue
        canonical = value if kind in (Kind.PHONE, Kind.EMAIL) else normalise(kind, value)
        if canonical:
            found[code] = (kind, digest(kind, canonical))
    return found


def prepare_batch(plan: Plan, batch: list[tuple[int, dict[str, str]]]) -> list[Any]:
    """:func:`prepare` for each row of ``batch`` (the key file is read once for the batch)."""
    with crypto.held():
        return [prepare(plan, line, row) for line, row in batch]
