"""Are two customer records the same customer? Normalisation, comparison and scoring.

The model is Fellegi–Sunter's, the one record linkage has used since 1969 (and splink and
recordlinkage implement): each attribute comparison lands on a *level* (exact, same spelling,
similar, different, or missing), and each level adds its weight, ``log2(m / u)``: ``m`` is how
often two records of the same customer land there (their error rate), ``u`` how often two
records of different customers do (chance agreement). The sum, plus the prior odds that two
records taken at random are the same customer, is the match weight; its logistic is the
probability shown to users. Every score therefore explains itself: which fields agreed, and
how much each counted.

``u`` is not a constant where chance agreement depends on the value: two records both called
王伟 agree far more often by chance than two called 甄探针. Name, birth date, phone and e-mail
agreements use the value's frequency in the customer base (term-frequency adjustment), and the
prior is one in the base's size; so agreeing on a rare name counts for more than on a common
one, and a larger base needs more evidence. Bases smaller than ``MIN_BASE`` are treated as that
size, so that a handful of customers does not make weak evidence look strong.

String similarity is rapidfuzz's (Jaro–Winkler, normalised Indel). Normalisation per attribute:

- names: NFKC, traditional → simplified Chinese (OpenCC), case and accents folded; Han names
  also as pinyin, given and family names in either order; organisations without their legal
  form (有限公司, Co., Ltd.) and city prefix;
- phones in E.164; e-mails lower-cased, without +tags where the domain ignores them (and
  without dots for Gmail); identifiers exact (sensitive ones on their blind index);
- addresses as simplified, folded text compared by similarity; dates with transposed day and
  month recognised.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rapidfuzz.distance import Indel, JaroWinkler, Levenshtein

from huike.core import crypto
from huike.parties import text
from huike.parties.models import AttributeDefinition, GoldenValue, Observation, Party, SearchKey
from huike.parties.values import coerce, is_blank

# The smallest base size the prior and chance agreement are computed for.
MIN_BASE = 10_000
# Frequencies above this are not counted exactly at entry (a common name is common enough).
FREQUENCY_CAP = 1_000

Validator = AttributeDefinition.Validator
PHONE_CODES_CACHE_SECONDS = 30.0


# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------


@functools.cache
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s.json")


@functools.lru_cache(maxsize=200_000)
def simplified(value: str) -> str:
    """``value`` NFKC-normalised, casefolded, in simplified Chinese characters."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    if any("\u3400" <= char <= "\u9fff" for char in folded):
        folded = _converter().convert(folded)
    return folded


def _fold_latin(value: str) -> str:
    """Accents removed (é → e, ü → u) from an already casefolded string."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class NameForms:
    """A name ready to compare: ``key`` (order-free, for exact agreement and frequencies),
    ``spellings`` (every way it is spelt without spaces: pinyin readings, both name orders),
    ``han`` (its Chinese characters, simplified), ``tokens`` (its words)."""

    key: str
    spellings: tuple[str, ...]
    han: str
    tokens: tuple[str, ...]


@functools.lru_cache(maxsize=200_000)
def person_name(name: str) -> NameForms:
    folded = _fold_latin(simplified(name))
    han = "".join(_HAN.findall(folded))
    latin = [word for word in _WORD.findall(_HAN.sub(" ", folded)) if word]
    if han:
        syllables = _syllables(han)
        split = 2 if han[:2] in text.COMPOUND_SURNAME_READINGS else 1
        given = "".join(syllables[split:])
        spellings: set[str] = set()
        for family in _family_spellings(han[:split], syllables[:split]):
            spellings.add(family + given)
            if given:
                spellings.add(given + family)
        words = ["".join(syllables[:split]), given] if given else ["".join(syllables)]
        return NameForms(han, tuple(sorted(spellings)), han, tuple([*words, *latin]))
    if not latin:
        return NameForms("", (), "", ())
    spellings = {"".join(latin), "".join(reversed(latin))}
    if len(latin) > 2:
        spellings.add("".join(sorted(latin)))
    return NameForms(" ".join(sorted(latin)), tuple(sorted(spellings)), "", tuple(latin))


@functools.cache
def _char_reading(char: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0].replace("ü", "v")


@functools.cache
def _char_readings(char: str) -> tuple[str, ...]:
    from pypinyin import Style, pinyin

    readings = pinyin(char, style=Style.NORMAL, heteronym=True)[0]
    return tuple(dict.fromkeys(reading.replace("ü", "v") for reading in readings))


def _syllables(han: str) -> list[str]:
    """One reading per character (characters one by one: fast, and names are rarely
    phrases), the family name read as a family name (单 shan, 曾 zeng)."""
    syllables = [_char_reading(char) for char in han]
    compound = text.COMPOUND_SURNAME_READINGS.get(han[:2])
    if compound:
        syllables[:2] = list(compound)
    elif han[0] in text.SURNAME_READINGS:
        syllables[0] = text.SURNAME_READINGS[han[0]]
    return syllables


def _family_spellings(family: str, syllables: list[str]) -> list[str]:
    """How a family name may be spelt: its surname reading, then its other readings (a
    customer who typed 单 as "dan")."""
    spellings = ["".join(syllables)]
    if len(family) == 1:
        spellings += [r for r in _char_readings(family)[:3] if r not in spellings]
    return spellings


@functools.lru_cache(maxsize=200_000)
def organisation_name(name: str) -> NameForms:
    """An organisation's name without legal form and leading place name, simplified."""
    from huike.parties.services import without_place_prefix

    core = text.organisation_core_name(simplified(name))
    local = without_place_prefix(core) if core else ""
    core = _fold_latin(local or core)
    if not core:
        return NameForms("", (), "", ())
    han = "".join(_HAN.findall(core))
    spellings = {core}
    if han and han == core:
        spellings.add("".join(_syllables(han)))
    return NameForms(core, tuple(sorted(spellings)), han, (core,))


# Domains whose mailboxes ignore "+tag" in the local part (and, for Gmail, dots).
PLUS_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "fastmail.com",
        "proton.me",
        "protonmail.com",
        "yandex.com",
        "zoho.com",
    }
)


def canonical_email(address: str) -> str:
    """The mailbox an address delivers to: lower case; for domains that ignore them, without
    "+tag" (and Gmail's dots)."""
    address = unicodedata.normalize("NFKC", address).strip().lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain in PLUS_DOMAINS:
        local = local.split("+", 1)[0]
        if domain == "gmail.com":
            local = local.replace(".", "")
    return f"{local}@{domain}"


_PUNCTUATION = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=100_000)
def address_text(value: str) -> str:
    """An address folded for comparison: simplified, lower case, punctuation as spaces."""
    return " ".join(_PUNCTUATION.sub(" ", _fold_latin(simplified(value))).split())


def _iso_date(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raw = str(value or "").strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return raw
    if re.fullmatch(r"\d{8}", raw):
        raw = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
    try:
        return text.parse_gregorian_date(raw).isoformat()
    except Exception:  # any unreadable date is simply not compared
        return ""


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
    if _roles_cache is not None and now - _roles_cache[0] < PHONE_CODES_CACHE_SECONDS:
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
        birth_date=_iso_date(values.get("birth_date")) if values.get("birth_date") else "",
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
    contact = [r.definitions[c].pk for c in (r.phones | r.emails) if c in r.definitions]
    observed: dict[int, tuple[set[str], set[str]]] = {}
    codes_by_pk = {d.pk: c for c, d in r.definitions.items()}
    for party_id, attribute_id, value_text in Observation.objects.filter(
        party_id__in=ids, attribute_id__in=contact
    ).values_list("party_id", "attribute_id", "value_text"):
        phones, emails = observed.setdefault(party_id, (set(), set()))
        (phones if codes_by_pk.get(attribute_id) in r.phones else emails).add(value_text)
    sealed = [r.definitions[c].pk for c in r.identifiers & r.sensitive if c in r.definitions]
    blind: dict[int, dict[str, str]] = {}
    if sealed:
        for party_id, attribute_id, value_text in GoldenValue.objects.filter(
            party_id__in=ids, attribute_id__in=sealed
        ).values_list("party_id", "attribute_id", "value_text"):
            blind.setdefault(party_id, {})[codes_by_pk[attribute_id]] = value_text
    result = {}
    for pk, kind, name, golden, region in Party.objects.filter(pk__in=ids).values_list(
        "pk", "kind", "name", "golden", "region__path"
    ):
        result[pk] = from_golden(
            pk,
            kind,
            name,
            golden or {},
            blind=blind.get(pk, {}),
            observed=observed.get(pk),
            region=region or "",
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


# ---------------------------------------------------------------------------------------------
# Comparison and scoring
# ---------------------------------------------------------------------------------------------

FIELD_LABELS: dict[str, Promise] = {
    "name": _("Name"),
    "phone": _("Phone"),
    "email": _("E-mail"),
    "identifier": _("ID number or code"),
    "external_id": _("External ID"),
    "birth_date": _("Date of birth"),
    "gender": _("Gender"),
    "address": _("Address"),
}
LEVEL_LABELS: dict[str, Promise] = {
    "exact": _("the same"),
    "spelling": _("spelt the same (pinyin, characters or order)"),
    "similar": _("similar"),
    "partial": _("partly the same"),
    "close": _("one or two characters apart"),
    "transposed": _("day and month swapped"),
    "different": _("different"),
}


@dataclass(frozen=True, slots=True)
class Part:
    """One field's contribution to a score."""

    field: str
    level: str
    weight: float

    @property
    def label(self) -> str:
        return f"{FIELD_LABELS.get(self.field, self.field)}: {LEVEL_LABELS[self.level]}"

    @property
    def agrees(self) -> bool:
        return self.weight > 0


@dataclass(slots=True)
class Score:
    """How likely two records are one customer, and why."""

    probability: float
    weight: float
    decision: str
    parts: list[Part] = field(default_factory=list)

    def explanation(self) -> list[dict[str, Any]]:
        return [
            {"field": p.field, "level": p.level, "weight": round(p.weight, 2)} for p in self.parts
        ]


@dataclass(frozen=True)
class Thresholds:
    same: float
    maybe: float
    auto_merge: float


def thresholds() -> Thresholds:
    return Thresholds(
        same=float(settings.IDENTITY_SAME),
        maybe=float(settings.IDENTITY_MAYBE),
        auto_merge=float(settings.IDENTITY_AUTO_MERGE),
    )


def decision_for(probability: float) -> str:
    limits = thresholds()
    if probability >= limits.same:
        return "same"
    if probability >= limits.maybe:
        return "maybe"
    return "different"


# m: how often records of one customer land on a level; u: how often records of different
# customers do (None: from the value's frequency in the base). Documented in docs/identity.md.
NAME_LEVELS = {
    "exact": (0.80, None),
    "spelling": (0.07, None),
    "similar": (0.07, 0.0005),
    "partial": (0.04, 0.005),
    "different": (0.02, 0.98),
}
ORG_NAME_LEVELS = {
    "exact": (0.85, None),
    "spelling": (0.05, None),
    "similar": (0.06, 0.0005),
    "partial": (0.03, 0.005),
    "different": (0.01, 0.99),
}
PHONE_LEVELS = {"exact": (0.65, None), "close": (0.05, 0.0001), "different": (0.30, 1.0)}
EMAIL_LEVELS = {"exact": (0.65, None), "partial": (0.05, 0.01), "different": (0.30, 1.0)}
IDENTIFIER_LEVELS = {"exact": (0.80, None), "close": (0.10, 0.0005), "different": (0.10, 1.0)}
EXTERNAL_LEVELS = {"exact": (0.5, None)}
BIRTH_LEVELS = {
    "exact": (0.85, None),
    "transposed": (0.03, 0.0001),
    "close": (0.08, 0.002),
    "different": (0.04, 1.0),
}
GENDER_LEVELS = {"exact": (0.97, 0.5), "different": (0.03, 0.5)}
ADDRESS_LEVELS = {
    "exact": (0.55, 0.0002),
    "similar": (0.25, 0.002),
    "partial": (0.10, 0.02),
    "different": (0.10, 0.98),
}


def _weight(
    levels: Mapping[str, tuple[float, float | None]],
    level: str,
    u: float = 0.0,
    override: float = 0.0,
) -> float:
    """``log2(m / u)``; a level without a fixed chance takes ``u`` (from frequencies), and
    ``override`` replaces a fixed one."""
    m, fixed = levels[level]
    chance = override if override else (fixed if fixed is not None else u)
    return math.log2(m / max(chance, 1e-12))


Frequency = Callable[[str, str], int]


def _one(kind: str, value: str) -> int:
    return 1


def _name_level(a: NameForms, b: NameForms) -> tuple[str, str]:
    """The level two names agree at, and the word they share when that is all they share
    (its frequency decides how much sharing it counts)."""
    if a.key == b.key:
        return "exact", ""
    if set(a.spellings).intersection(b.spellings):
        return "spelling", ""
    if a.han and b.han:
        # Both written in characters: compare the characters; sharing the family name alone
        # (李, 王: one in fourteen people) says nothing.
        if min(len(a.han), len(b.han)) >= 2:
            apart = Levenshtein.distance(a.han, b.han)
            similarity = Indel.normalized_similarity(a.han, b.han)
            if a.han[0] == b.han[0] and (similarity >= 0.8 or (apart == 1 and len(a.han) >= 3)):
                return "similar", ""
            if apart == 1 and min(len(a.han), len(b.han)) >= 3:
                return "partial", ""
        return "different", ""
    best = 0.0
    for x in a.spellings:
        for y in b.spellings:
            best = max(best, JaroWinkler.normalized_similarity(x, y))
    if best >= 0.93:
        return "similar", ""
    if best >= 0.86:
        return "partial", ""
    shared = _shared_word(_given_words(a), _given_words(b))
    if shared:
        return "partial", shared
    return "different", ""


def _given_words(name: NameForms) -> tuple[str, ...]:
    """The words of a name that may identify (a Chinese name's family name does not)."""
    return name.tokens[1:] if name.han else name.tokens


def _shared_word(a: tuple[str, ...], b: tuple[str, ...]) -> str:
    """A word of at least two letters two names share, or nearly share (one typo in a word
    of five letters or more); "" when none."""
    for x in a:
        for y in b:
            if len(x) >= 2 and x == y:
                return x
            if min(len(x), len(y)) >= 5 and JaroWinkler.normalized_similarity(x, y) >= 0.92:
                return x
    return ""


def _phone_level(a: tuple[str, ...], b: tuple[str, ...]) -> str:
    if set(a).intersection(b):
        return "exact"
    for x in a:
        for y in b:
            if len(x) == len(y) and Levenshtein.distance(x, y) <= 1:
                return "close"
    return "different"


def _email_level(a: tuple[str, ...], b: tuple[str, ...]) -> str:
    if set(a).intersection(b):
        return "exact"
    locals_a = {e.split("@", 1)[0] for e in a}
    if any(e.split("@", 1)[0] in locals_a for e in b):
        return "partial"
    return "different"


def _identifier_level(a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
    if set(a).intersection(b):
        return "exact"
    by_code_a: dict[str, list[str]] = {}
    for item in a:
        code, _sep, value = item.partition("=")
        by_code_a.setdefault(code, []).append(value)
    compared = False
    for item in b:
        code, _sep, value = item.partition("=")
        for other in by_code_a.get(code, ()):
            compared = True
            if (
                not value.startswith(crypto.INDEX_PREFIX)
                and Levenshtein.distance(value, other) <= 2
            ):
                return "close"
    return "different" if compared else None


def _birth_level(a: str, b: str) -> str:
    if a == b:
        return "exact"
    ya, ma, da = a.split("-")
    yb, mb, db = b.split("-")
    if ya == yb and ma == db and da == mb:
        return "transposed"
    # One typo: the same year and month or day, or the same day with one digit of the year.
    if (ya == yb and (ma == mb or da == db)) or (
        ma == mb and da == db and Levenshtein.distance(ya, yb) <= 1
    ):
        return "close"
    return "different"


def _address_level(a: Sequence[str], b: Sequence[str]) -> str:
    best = 0.0
    for x in a:
        for y in b:
            if x == y:
                return "exact"
            best = max(
                best,
                Indel.normalized_similarity(x.replace(" ", ""), y.replace(" ", "")),
                _token_set(x, y),
            )
    if best >= 0.88:
        return "similar"
    if best >= 0.7:
        return "partial"
    return "different"


def _token_set(x: str, y: str) -> float:
    from rapidfuzz import fuzz

    return fuzz.token_set_ratio(x, y) / 100.0


def compare(
    a: Features,
    b: Features,
    *,
    base_size: int | None = None,
    frequency: Frequency | None = None,
) -> Score:
    """Score records ``a`` and ``b``. ``base_size`` is the number of customers they were
    drawn from (default: the largest party id); ``frequency(kind, key)`` how many customers
    share a name key ("name"), birth date ("birth_date"), phone or e-mail (default 1)."""
    size = max(base_size if base_size is not None else base_size_now(), MIN_BASE)
    count = frequency or _one
    parts: list[Part] = []

    def add(name: str, level: str, weight: float) -> None:
        parts.append(Part(name, level, weight))

    if a.names.key and b.names.key:
        levels = NAME_LEVELS if a.is_person else ORG_NAME_LEVELS
        level, word = _name_level(a.names, b.names)
        chance = 0.0
        override = 0.0
        if word:
            override = max(levels["partial"][1] or 0.0, count("word", word) / size)
        if level == "exact":
            chance = max(count("name", a.names.key), count("name", b.names.key), 1) / size
        elif level == "spelling":
            # Shared spellings are homophones too: chance is several times the name's own.
            chance = 4 * max(count("name", a.names.key), count("name", b.names.key), 1) / size
        add("name", level, _weight(levels, level, chance, override))
    if a.phones and b.phones:
        level = _phone_level(a.phones, b.phones)
        shared = set(a.phones).intersection(b.phones)
        chance = max((count("phone", p) for p in shared), default=1) / size
        add("phone", level, _weight(PHONE_LEVELS, level, chance))
    if a.emails and b.emails:
        level = _email_level(a.emails, b.emails)
        shared = set(a.emails).intersection(b.emails)
        chance = max((count("email", e) for e in shared), default=1) / size
        add("email", level, _weight(EMAIL_LEVELS, level, chance))
    if a.identifiers and b.identifiers:
        id_level = _identifier_level(a.identifiers, b.identifiers)
        if id_level is not None:
            add("identifier", id_level, _weight(IDENTIFIER_LEVELS, id_level, 1 / size))
    if set(a.external_ids).intersection(b.external_ids):
        add("external_id", "exact", _weight(EXTERNAL_LEVELS, "exact", 1 / size))
    if a.birth_date and b.birth_date:
        level = _birth_level(a.birth_date, b.birth_date)
        chance = max(count("birth_date", a.birth_date), 1) / size if level == "exact" else 0
        if level == "exact" and frequency is None:
            chance = 1 / 25_000  # about 70 years of birthdays
        add("birth_date", level, _weight(BIRTH_LEVELS, level, chance))
    if a.gender and b.gender:
        level = "exact" if a.gender == b.gender else "different"
        add("gender", level, _weight(GENDER_LEVELS, level))
    if a.addresses and b.addresses:
        level = _address_level(a.addresses, b.addresses)
        add("address", level, _weight(ADDRESS_LEVELS, level))
    prior = -math.log2(size)
    total = prior + sum(p.weight for p in parts)
    probability = 1.0 / (1.0 + 2.0 ** (-total)) if total > -1000 else 0.0
    parts.sort(key=lambda p: -abs(p.weight))
    return Score(probability, total, decision_for(probability), parts)


_base_size_cache: tuple[float, int] | None = None


def base_size_now() -> int:
    """About how many customers there are (the largest id, re-read every 30 seconds)."""
    global _base_size_cache
    now = time.monotonic()
    if _base_size_cache is None or now - _base_size_cache[0] > 30:
        largest = Party.objects.aggregate(largest=Max("pk"))["largest"] or 0
        _base_size_cache = (now, int(largest))
    return _base_size_cache[1]


# ---------------------------------------------------------------------------------------------
# The entry check
# ---------------------------------------------------------------------------------------------


@dataclass
class Candidate:
    party: Party
    score: Score


# How many parties one key may bring as candidates at entry (a very common name brings the
# first of them only; the phone, e-mail or ID narrows it down).
KEY_LIMIT = 50


def _probe_keys(features: Features) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    for phone in features.phones:
        keys.append((SearchKey.Kind.PHONE.value, text.phone_digits_reversed(phone)))
    for email in features.emails:
        keys.append((SearchKey.Kind.EMAIL.value, email))
    name = features.name
    if name:
        keys.append((SearchKey.Kind.NAME.value, text.normalise_name(name)[:200]))
        if features.names.han and features.names.han != text.normalise_name(name):
            keys.append((SearchKey.Kind.NAME.value, features.names.han))
        if features.kind == Party.Kind.ORGANIZATION and features.names.key:
            keys.append((SearchKey.Kind.NAME.value, features.names.key[:200]))
        for spelling in features.names.spellings[:4]:
            keys.append((SearchKey.Kind.PINYIN.value, spelling[:200]))
    for identifier in features.identifiers:
        _code, _sep, value = identifier.partition("=")
        if not value.startswith(crypto.INDEX_PREFIX):
            keys.append((SearchKey.Kind.CODE.value, text.normalise_name(value)[:200]))
    for external in features.external_ids:
        keys.append((SearchKey.Kind.CODE.value, text.normalise_name(external)[:200]))
    return [key for key in dict.fromkeys(keys) if key[1]]


def _candidate_ids(features: Features, exclude: set[int]) -> set[int]:
    ids: set[int] = set()
    for kind, value in _probe_keys(features):
        found = SearchKey.objects.filter(kind=kind, value=value).values_list("party_id", flat=True)
        ids.update(found[:KEY_LIMIT])
    ids.difference_update(exclude)
    return ids


def _name_frequency(features: Iterable[Features]) -> Frequency:
    """How many customers carry each name (counted on the name search key, up to
    ``FREQUENCY_CAP``), for the given records: one query."""
    wanted: dict[str, str] = {}
    for item in features:
        if item.name and item.names.key:
            wanted[text.normalise_name(item.name)[:200]] = item.names.key
    counts: dict[str, int] = {}
    if wanted:
        rows = (
            SearchKey.objects.filter(kind=SearchKey.Kind.NAME, value__in=list(wanted))
            .values("value")
            .annotate(total=Count("id"))
            .values_list("value", "total")
        )
        for normalised, total in rows:
            key = wanted[normalised]
            counts[key] = max(counts.get(key, 0), min(int(total), FREQUENCY_CAP))

    def frequency(kind: str, value: str) -> int:
        return counts.get(value, 1) if kind == "name" else 1

    return frequency


def candidates_for(
    kind: str,
    values: Mapping[str, Any],
    *,
    user: Any = None,
    exclude: Iterable[int] = (),
    limit: int = 5,
) -> list[Candidate]:
    """Customers that the values about to be saved probably describe, best first: those
    scoring at least "maybe" and visible to ``user`` (``None``: every customer)."""
    probe = features_from_values(kind, values)
    found = _scored(probe, set(exclude))
    if not found:
        return []
    queryset = Party.objects.visible_to(user) if user is not None else Party.objects.all()
    parties = {party.pk: party for party in queryset.filter(pk__in=[pk for pk, _s in found])}
    return [Candidate(parties[pk], score) for pk, score in found if pk in parties][:limit]


def _scored(probe: Features, exclude: set[int]) -> list[tuple[int, Score]]:
    ids = _candidate_ids(probe, exclude)
    if not ids:
        return []
    stored = load_features(ids)
    frequency = _name_frequency([probe])
    size = base_size_now()
    scored = []
    for pk, features in stored.items():
        if features.kind != probe.kind:
            continue
        score = compare(probe, features, base_size=size, frequency=frequency)
        if score.decision != "different":
            scored.append((pk, score))
    scored.sort(key=lambda item: (-item[1].probability, item[0]))
    return scored


def candidates_for_many(
    items: Sequence[tuple[str, Mapping[str, Any]]],
) -> list[list[tuple[int, Score]]]:
    """:func:`candidates_for` for many records at once (imports): for each, the ids and scores
    of customers at "maybe" or above, best first. No record scope is applied."""
    probes = [features_from_values(kind, values) for kind, values in items]
    wanted: dict[tuple[str, str], list[int]] = {}
    for index, probe in enumerate(probes):
        for key in _probe_keys(probe):
            wanted.setdefault(key, []).append(index)
    per_item: list[set[int]] = [set() for _probe in probes]
    by_kind: dict[str, set[str]] = {}
    for kind, value in wanted:
        by_kind.setdefault(kind, set()).add(value)
    for kind, values in by_kind.items():
        seen: dict[str, int] = {}
        for start in range(0, len(values), 500):
            chunk = sorted(values)[start : start + 500]
            for value, party_id in SearchKey.objects.filter(kind=kind, value__in=chunk).values_list(
                "value", "party_id"
            ):
                if seen.get(value, 0) >= KEY_LIMIT:
                    continue
                seen[value] = seen.get(value, 0) + 1
                for index in wanted[(kind, value)]:
                    per_item[index].add(party_id)
    stored = load_features(set().union(*per_item)) if any(per_item) else {}
    frequency = _name_frequency(probes)
    size = base_size_now()
    results: list[list[tuple[int, Score]]] = []
    for probe, ids in zip(probes, per_item, strict=True):
        scored = []
        for pk in ids:
            features = stored.get(pk)
            if features is None or features.kind != probe.kind:
                continue
            score = compare(probe, features, base_size=size, frequency=frequency)
            if score.decision != "different":
                scored.append((pk, score))
        scored.sort(key=lambda item: (-item[1].probability, item[0]))
        results.append(scored)
    return results
