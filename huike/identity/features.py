"""Customer records as matching sees them (``Features``), from raw values or the database.

Which attribute plays which part (phone, e-mail, identifier, address) is read from the
attribute definitions, so an identifier field an administrator adds (section "identity", plain
text) is compared as one at once. Stored parties contribute their golden record plus every phone
and e-mail ever observed (an old number still identifies), and sensitive identifiers their
blind index (never decrypted for matching).
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection

from huike.core import crypto, sql
from huike.identity.normalise import (
    NameForms,
    address_text,
    canonical_email,
    iso_date,
    organisation_name,
    person_name,
)
from huike.parties.models import AttributeDefinition, GoldenValue, Observation, Party, Region
from huike.parties.values import coerce, is_blank

Validator = AttributeDefinition.Validator
ROLES_CACHE_SECONDS = 30.0


# ---------------------------------------------------------------------------------------------
# Which attribute plays which part
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Roles:
    """Attribute codes by the part they play in matching (read from the definitions)."""

    phones: frozenset[str]
    emails: frozenset[str]
    identifiers: frozenset[str]  # exact identifiers: ID numbers, credit codes, custom IDs
    sensitive: frozenset[str]
    addresses: frozenset[str]
    definitions: Mapping[str, AttributeDefinition]


_roles_cache: tuple[float, Roles] | None = None


def roles() -> Roles:
    """The parts attributes play, re-read at most every 30 seconds (administrators may add an
    identifier field at any time)."""
    global _roles_cache
    now = time.monotonic()
    if _roles_cache is not None and now - _roles_cache[0] < ROLES_CACHE_SECONDS:
        return _roles_cache[1]
    definitions = {d.code: d for d in AttributeDefinition.objects.filter(is_active=True)}
    phones = {c for c, d in definitions.items() if d.validator == Validator.PHONE}
    emails = {c for c, d in definitions.items() if d.validator == Validator.EMAIL}
    identifiers = {
        c
        for c, d in definitions.items()
        if d.validator in (Validator.USCC, Validator.RESIDENT_ID)
        or (
            d.section == "identity"
            and d.data_type == AttributeDefinition.DataType.TEXT
            and not d.validator
        )
    }
    identifiers.discard("external_id")
    addresses = {
        c
        for c, d in definitions.items()
        if d.section == "address" and d.data_type == AttributeDefinition.DataType.TEXT
    }
    sensitive = {c for c, d in definitions.items() if d.sensitivity == "sensitive"}
    result = Roles(
        frozenset(phones),
        frozenset(emails),
        frozenset(identifiers),
        frozenset(sensitive),
        frozenset(addresses),
        definitions,
    )
    _roles_cache = (now, result)
    return result


def forget_roles() -> None:
    """Forget the cached roles (tests that add definitions, and after a definition is saved)."""
    global _roles_cache
    _roles_cache = None


# ---------------------------------------------------------------------------------------------
# Features: one record, normalised
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Features:
    """One customer record normalised for comparison."""

    party_id: int | None
    kind: str
    name: str
    names: NameForms
    # Tuples, not sets: a million records are held at once by the bulk search.
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()  # "code=value"
    external_ids: tuple[str, ...] = ()
    birth_date: str = ""
    gender: str = ""
    addresses: tuple[str, ...] = ()
    region: str = ""

    @property
    def is_person(self) -> bool:
        return self.kind == Party.Kind.PERSON


def _names(kind: str, name: str) -> NameForms:
    if kind == Party.Kind.ORGANIZATION:
        return organisation_name(name)
    return person_name(name)


def _identifier(code: str, value_text: str, sensitive: bool) -> str:
    if sensitive:
        if value_text.startswith(crypto.INDEX_PREFIX):
            return f"{code}={value_text}"
        return f"{code}={crypto.blind_index(value_text.strip().upper(), code)}"
    compact = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value_text)).upper()
    return f"{code}={compact}"


def build(
    *,
    kind: str,
    name: str,
    values: Mapping[str, Any],
    party_id: int | None = None,
    extra_phones: Iterable[str] = (),
    extra_emails: Iterable[str] = (),
    region: str = "",
    part_roles: Roles | None = None,
) -> Features:
    """Features from coerced values (``value_text`` forms: E.164 phones, ISO dates…)."""
    r = part_roles or roles()
    phones = {str(v) for c, v in values.items() if c in r.phones and v}
    phones.update(p for p in extra_phones if p)
    emails = {canonical_email(str(v)) for c, v in values.items() if c in r.emails and v}
    emails.update(canonical_email(e) for e in extra_emails if e)
    identifiers = {
        _identifier(c, str(v), c in r.sensitive)
        for c, v in values.items()
        if c in r.identifiers and v and not is_blank(v)
    }
    external = values.get("external_id")
    addresses = tuple(
        sorted({address_text(str(v)) for c, v in values.items() if c in r.addresses and v})
    )
    return Features(
        party_id=party_id,
        kind=kind,
        name=name,
        names=_names(kind, name),
        phones=tuple(sorted(phones)),
        emails=tuple(sorted(emails)),
        identifiers=tuple(sorted(identifiers)),
        external_ids=(str(external).strip(),) if external else (),
        birth_date=iso_date(values.get("birth_date")) if values.get("birth_date") else "",
        gender=str(values.get("gender") or ""),
        addresses=tuple(a for a in addresses if a),
        region=region,
    )


def features_from_values(
    kind: str, values: Mapping[str, Any], party_id: int | None = None
) -> Features:
    """Features of values as a form, API call or import row gives them (raw, plain text).

    Values that cannot be read are left out (the save itself reports them)."""
    r = roles()
    coerced: dict[str, Any] = {}
    for code, raw in values.items():
        definition = r.definitions.get(code)
        if definition is None or is_blank(raw):
            continue
        try:
            _value, value_text = coerce(definition, raw)
        except Exception:  # noqa: S112 - an invalid value is not evidence
            continue
        coerced[code] = value_text
    name = str(values.get("name") or "").strip()
    return build(kind=kind, name=name, values=coerced, party_id=party_id, part_roles=r)


def load_features(party_ids: Iterable[int], *, chunk: int = 2_000) -> dict[int, Features]:
    """Features of parties read from the database: the golden record, every phone and e-mail
    ever observed (an old number still identifies), identifiers on their stored form."""
    ids = sorted(set(party_ids))
    result: dict[int, Features] = {}
    for start in range(0, len(ids), chunk):
        result.update(_load_chunk(ids[start : start + chunk]))
    return result


def _load_chunk(ids: list[int]) -> dict[int, Features]:
    r = roles()
    contact = {r.definitions[c].pk for c in (r.phones | r.emails) if c in r.definitions}
    observed: dict[int, tuple[set[str], set[str]]] = {}
    codes_by_pk = {d.pk: c for c, d in r.definitions.items()}
    # Every observation of these parties, filtered here on PostgreSQL: with the attribute in
    # the query, it may scan the whole attribute index (every customer's phones) for a few
    # rows. SQLite seeks (party, attribute) in one index and reads only the contact rows.
    only = {"attribute_id": contact} if contact and connection.vendor == "sqlite" else None
    rows = sql.select_in(
        Observation, "party_id, attribute_id, value_text", "party_id", ids, where=only
    )
    for party_id, attribute_id, value_text in rows:
        if attribute_id not in contact:
            continue
        phones, emails = observed.setdefault(party_id, (set(), set()))
        (phones if codes_by_pk.get(attribute_id) in r.phones else emails).add(value_text)
    sealed = {r.definitions[c].pk for c in r.identifiers & r.sensitive if c in r.definitions}
    blind: dict[int, dict[str, str]] = {}
    if sealed:
        rows = sql.select_in(
            GoldenValue,
            "party_id, attribute_id, value_text",
            "party_id",
            ids,
            where={"attribute_id": sealed},
        )
        for party_id, attribute_id, value_text in rows:
            blind.setdefault(party_id, {})[codes_by_pk[attribute_id]] = value_text
    parties = list(sql.select_in(Party, "id, kind, name, golden, region_id", "id", ids))
    regions = dict(
        Region.objects.filter(pk__in={row[4] for row in parties if row[4]}).values_list(
            "pk", "path"
        )
    )
    result = {}
    for pk, kind, name, golden, region_id in parties:
        if isinstance(golden, str):
            golden = json.loads(golden)
        result[pk] = from_golden(
            pk,
            kind,
            name,
            golden or {},
            blind=blind.get(pk, {}),
            observed=observed.get(pk),
            region=regions.get(region_id, ""),
            part_roles=r,
        )
    return result


def from_golden(
    pk: int,
    kind: str,
    name: str,
    golden: Mapping[str, Any],
    *,
    blind: Mapping[str, str],
    observed: tuple[set[str], set[str]] | None,
    region: str,
    part_roles: Roles,
) -> Features:
    """Features of one stored party (see :func:`load_features`)."""
    values: dict[str, Any] = {}
    for code, value in golden.items():
        if code in part_roles.sensitive:
            if code in blind:
                values[code] = blind[code]
            continue
        if isinstance(value, dict | list):
            continue
        values[code] = value
    phones, emails = observed or (set(), set())
    return build(
        kind=kind,
        name=name,
        values=values,
        party_id=pk,
        extra_phones=phones,
        extra_emails=emails,
        region=region,
        part_roles=part_roles,
    )
