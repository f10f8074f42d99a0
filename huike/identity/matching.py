"""Are two customer records the same customer? Comparison, scoring and the entry check.

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

String similarity is rapidfuzz's (Jaro–Winkler, normalised Indel); records are normalised by
:mod:`huike.identity.normalise` and :mod:`huike.identity.features`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rapidfuzz.distance import Indel, JaroWinkler, Levenshtein

from huike.core import crypto, sql
from huike.identity.features import (
    Features,
    features_from_values,
    load_features,
)
from huike.identity.normalise import HAN, NameForms, simplified
from huike.parties import text
from huike.parties.models import Party, SearchKey

# The smallest base size the prior and chance agreement are computed for.
MIN_BASE = 10_000
# Frequencies above this are not counted exactly at entry (a common name is common enough).
FREQUENCY_CAP = 1_000


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
    "region": _("Region"),
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
    "spelling": (0.12, None),
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
PHONE_LEVELS = {"exact": (0.65, None), "close": (0.05, 0.0001), "different": (0.35, 1.0)}
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
    "different": (0.20, 0.98),
}
# The customer's region (administrative division): the same county or city, the same province.
REGION_LEVELS = {
    "exact": (0.60, 0.002),
    "partial": (0.25, 0.05),
    "different": (0.15, 0.95),
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


def _same_registered_name(a: str, b: str) -> bool:
    full = text.normalise_name(simplified(a))
    return (
        len(full) >= 6
        and full == text.normalise_name(simplified(b))
        and full != text.organisation_core_name(full)
        and bool(HAN.search(full))
    )


def _region_level(a: str, b: str) -> str | None:
    """Regions are paths from the country down (``CN/330000/330100/330106``). Equal below the
    province: "exact"; one inside the other or the same province: "partial"; else "different".
    Two paths that name only a country say nothing."""
    parts_a, parts_b = a.split("/"), b.split("/")
    if len(parts_a) < 2 or len(parts_b) < 2:
        return None
    if parts_a == parts_b and len(parts_a) >= 3:
        return "exact"
    if parts_a[:2] == parts_b[:2]:
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
            if not a.is_person and _same_registered_name(a.name, b.name):
                # A Chinese company's full registered name (legal form included) is unique
                # where it is registered: two records spelling all of it alike rarely differ.
                chance /= 10
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
    if a.region and b.region:
        region = _region_level(a.region, b.region)
        if region is not None:
            add("region", region, _weight(REGION_LEVELS, region))
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


def forget_base_size() -> None:
    """Read the base size again at the next score (after a bulk load or a purge)."""
    global _base_size_cache
    _base_size_cache = None


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


def probe_keys(features: Features) -> list[tuple[str, str]]:
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
    for kind, value in probe_keys(features):
        found = SearchKey.objects.filter(kind=kind, value=value).values_list("party_id", flat=True)
        ids.update(found[:KEY_LIMIT])
    ids.difference_update(exclude)
    return ids


def _name_frequency(features: Sequence[Features]) -> Frequency:
    """How many customers carry each name (counted on the name search key, up to
    ``FREQUENCY_CAP``), for the given records."""
    name = SearchKey.Kind.NAME.value
    keys = {(name, text.normalise_name(f.name)[:200]) for f in features if f.name and f.names.key}
    return _frequency_from_counts(features, _key_counts(keys))


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
    """:func:`candidates_for` for many records at once: for each, the ids and scores of
    customers at "maybe" or above, best first. No record scope is applied."""
    return candidates_for_features([features_from_values(kind, values) for kind, values in items])


# Keys that identify on their own: every customer sharing one is compared.
STRONG_KEYS = (SearchKey.Kind.PHONE.value, SearchKey.Kind.EMAIL.value, SearchKey.Kind.CODE.value)


def candidates_for_features(
    probes: Sequence[Features],
    *,
    keys: Sequence[Sequence[tuple[str, str]]] | None = None,
    name_block: int | None = None,
) -> list[list[tuple[int, Score]]]:
    """:func:`candidates_for_many` for records already normalised (imports prepare them in
    their worker processes).

    With ``name_block``, a name or spelling shared by more customers than that is not a reason
    on its own to compare (imports: a common name would bring dozens of customers to load and
    score for every row); phones, e-mails, identifiers and external ids always are. ``keys``
    are the probes' :func:`probe_keys` when already computed. A few queries per key kind count
    the name keys and fetch the candidates for the whole batch."""
    wanted: dict[tuple[str, str], list[int]] = {}
    for index, probe in enumerate(probes):
        for key in keys[index] if keys is not None else probe_keys(probe):
            wanted.setdefault(key, []).append(index)
    # Counting stops at what the decision needs: past name_block a key is not used, and a
    # common spelling would otherwise cost thousands of index entries per row.
    cap = FREQUENCY_CAP if name_block is None else min(name_block + 1, FREQUENCY_CAP)
    counts = _key_counts([key for key in wanted if key[0] not in STRONG_KEYS], cap=cap)
    if name_block is not None:
        wanted = {
            key: indexes
            for key, indexes in wanted.items()
            if key[0] in STRONG_KEYS or counts.get(key, 0) <= name_block
        }
    per_item: list[set[int]] = [set() for _probe in probes]
    by_kind: dict[str, list[str]] = {}
    for kind, value in wanted:
        by_kind.setdefault(kind, []).append(value)
    for kind, values in by_kind.items():
        values.sort()
        seen: dict[str, int] = {}
        rows = sql.select_in(SearchKey, "value, party_id", "value", values, where={"kind": kind})
        for value, party_id in rows:
            if seen.get(value, 0) >= KEY_LIMIT:
                continue
            seen[value] = seen.get(value, 0) + 1
            for index in wanted[(kind, value)]:
                per_item[index].add(party_id)
    if not any(per_item):
        return [[] for _probe in probes]
    if cap < FREQUENCY_CAP:  # the names of the records to score, counted in full
        name = SearchKey.Kind.NAME.value
        recount = {
            (name, text.normalise_name(probe.name)[:200])
            for probe, ids in zip(probes, per_item, strict=True)
            if ids and probe.name
        }
        counts.update(_key_counts([k for k in recount if counts.get(k, 0) >= cap]))
    stored = load_features(set().union(*per_item))
    frequency = _frequency_from_counts(probes, counts)
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


def _key_counts(
    keys: Iterable[tuple[str, str]], *, cap: int = FREQUENCY_CAP
) -> dict[tuple[str, str], int]:
    """How many customers carry each (kind, value) search key, counted up to ``cap`` (each
    value's count stops there): one query per kind and 500 values."""
    by_kind: dict[str, list[str]] = {}
    for kind, value in keys:
        by_kind.setdefault(kind, []).append(value)
    table = SearchKey._meta.db_table
    counts: dict[tuple[str, str], int] = {}
    with connection.cursor() as cursor:
        for kind, values in by_kind.items():
            values.sort()
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                rows = ", ".join(["(%s)"] * len(chunk))
                cursor.execute(
                    "SELECT v.column1, (SELECT COUNT(*) FROM (SELECT 1 FROM "  # noqa: S608
                    f'"{table}" AS k WHERE k.kind = %s AND k.value = v.column1 LIMIT %s) AS c) '
                    f"FROM (VALUES {rows}) AS v",
                    [kind, int(cap), *chunk],
                )
                counts.update(
                    ((kind, value), int(total)) for value, total in cursor.fetchall() if total
                )
    return counts


def _frequency_from_counts(
    probes: Iterable[Features], counts: Mapping[tuple[str, str], int]
) -> Frequency:
    """How often each record's name occurs (for ``compare``), from name-key counts made by
    :func:`_key_counts`."""
    by_key: dict[str, int] = {}
    name = SearchKey.Kind.NAME.value
    for probe in probes:
        if probe.name and probe.names.key:
            total = counts.get((name, text.normalise_name(probe.name)[:200]), 0)
            if total:
                key = probe.names.key
                by_key[key] = max(by_key.get(key, 0), min(total, FREQUENCY_CAP))

    def frequency(kind: str, value: str) -> int:
        return by_key.get(value, 1) if kind == "name" else 1

    return frequency
