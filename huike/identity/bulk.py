"""Finding duplicates in the whole customer base (or a segment): blocking, then scoring.

Comparing every customer with every other grows with the square of the base (5 × 10¹¹ pairs at
a million). Blocking compares only records that share at least one *blocking key*: a phone, an
e-mail, an identifier, the name (as written and as spelt in pinyin), the birth date with the
start of a name word, a rare name word, the numbers of an address with the name's initial.
A key shared by more than ``MAX_BLOCK`` records (a switchboard number, 王伟) says too little to
be worth its pairs and is skipped; the other keys still bring those records together. The
work therefore grows about linearly with the base.

Keys are hashed to 64-bit integers and sorted with numpy, so a million records' keys take
tens of megabytes; each candidate pair is scored once by :func:`matching.compare`, with the
frequencies of names, birth dates, phones and e-mails counted over the records compared.
"""

from __future__ import annotations

import array
import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import QuerySet

from huike.identity import matching
from huike.identity.matching import Features, Score
from huike.parties.models import Party

# A key shared by more records than this brings no pairs (see the module's docstring).
MAX_BLOCK = 40
LOAD_CHUNK = 2_000


@dataclass(frozen=True, slots=True)
class FoundPair:
    a: int
    b: int
    score: Score


def blocking_keys(features: Features) -> list[str]:
    """The blocking keys of one record."""
    keys = [f"p{phone}" for phone in features.phones]
    keys += [f"e{email}" for email in features.emails]
    keys += [f"i{identifier}" for identifier in features.identifiers]
    keys += [f"x{external}" for external in features.external_ids]
    names = features.names
    kind = features.kind[0]
    if names.key:
        keys.append(f"n{kind}{names.key}")
        keys += [f"s{kind}{spelling}" for spelling in names.spellings[:3]]
        words = {word for word in names.tokens if len(word) >= 2}
        keys += [f"w{kind}{word}" for word in words if len(word) >= 3]
        if features.birth_date:
            keys += [f"d{features.birth_date}{word[:2]}" for word in words]
            if names.han:
                keys.append(f"h{features.birth_date}{names.han[0]}")
        initial = names.key[0]
        for address in features.addresses:
            numbers = "".join(char if char.isdigit() else " " for char in address).split()
            if numbers:
                keys.append(f"a{initial}{'/'.join(numbers[-3:])}")
    return keys


@dataclass
class PairSearch:
    """An iterable over the pairs at "maybe" or above; ``stats`` when iterated."""

    party_ids: Iterable[int] | QuerySet | None = None
    progress: Callable[[int, int], None] | None = None
    cancelled: Callable[[], bool] | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[FoundPair]:
        started = time.monotonic()
        ids = self._ids()
        total = len(ids)
        records: list[Features] = []
        for start in range(0, total, LOAD_CHUNK):
            if self.cancelled is not None and self.cancelled():
                self.stats.update(cancelled=True)
                return
            chunk = ids[start : start + LOAD_CHUNK]
            loaded = matching.load_features(chunk)
            records.extend(loaded[pk] for pk in chunk if pk in loaded)
            self._report(start + len(chunk), total, phase=0)
        loaded_at = time.monotonic()
        yield from search(
            records,
            progress=lambda done, _total: self._report(done, total, phase=1),
            cancelled=self.cancelled,
            stats=self.stats,
        )
        self.stats.update(
            records=len(records),
            load_seconds=round(loaded_at - started, 2),
            seconds=round(time.monotonic() - started, 2),
        )

    def _ids(self) -> list[int]:
        if self.party_ids is None:
            return list(Party.objects.order_by("pk").values_list("pk", flat=True))
        if isinstance(self.party_ids, QuerySet):
            return list(self.party_ids.order_by("pk").values_list("pk", flat=True))
        return sorted(set(self.party_ids))

    def _report(self, done: int, total: int, *, phase: int) -> None:
        # Loading is the first half of the work, comparing the second.
        if self.progress is not None:
            self.progress(phase * total + done, 2 * total)


def find_pairs(
    party_ids: Iterable[int] | QuerySet | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> PairSearch:
    """The likely duplicate pairs among ``party_ids`` (default: every customer)."""
    return PairSearch(party_ids, progress, cancelled)


def search(
    records: list[Features],
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    stats: dict[str, Any] | None = None,
    base_size: int | None = None,
) -> Iterator[FoundPair]:
    """The pairs of ``records`` at "maybe" or above, each once (``a < b`` by party id; records
    without a party id are numbered by position)."""
    stats = stats if stats is not None else {}
    count = len(records)
    pairs = candidate_pairs(records, stats)
    frequency = _frequencies(records)
    size = base_size if base_size is not None else max(count, matching.base_size_now())
    compared = found = 0
    step = max(1, len(pairs) // 200)
    for position, code in enumerate(_each(pairs)):
        if position % step == 0:
            if cancelled is not None and cancelled():
                stats.update(cancelled=True)
                return
            if progress is not None:
                progress(int(count * position / max(len(pairs), 1)), count)
        i, j = divmod(code, count)
        a, b = records[i], records[j]
        if a.kind != b.kind:
            continue
        compared += 1
        score = matching.compare(a, b, base_size=size, frequency=frequency)
        if score.decision == "different":
            continue
        found += 1
        left = a.party_id if a.party_id is not None else i
        right = b.party_id if b.party_id is not None else j
        if left > right:
            left, right = right, left
        yield FoundPair(left, right, score)
    if progress is not None:
        progress(count, count)
    stats.update(
        pairs_compared=compared,
        pairs_per_record=round(compared / count, 2) if count else 0.0,
        found=found,
    )


def _each(pairs: np.ndarray, chunk: int = 100_000) -> Iterator[int]:
    """The pairs as Python integers, a chunk at a time (a list of them all would take about
    40 bytes a pair)."""
    for start in range(0, len(pairs), chunk):
        yield from pairs[start : start + chunk].tolist()


def candidate_pairs(records: list[Features], stats: dict[str, Any] | None = None) -> np.ndarray:
    """Each pair of record positions sharing a useful blocking key, once, as ``i * n + j``
    with ``i < j``."""
    count = len(records)
    # Machine integers, not Python lists: 16 bytes a key instead of about 80.
    hashes = array.array("q")
    owners = array.array("q")
    for index, features in enumerate(records):
        for key in set(blocking_keys(features)):
            hashes.append(hash(key))
            owners.append(index)
    if not hashes:
        return np.zeros(0, dtype=np.int64)
    key_array = np.frombuffer(hashes, dtype=np.int64)
    owner_array = np.frombuffer(owners, dtype=np.int64)
    order = np.argsort(key_array, kind="stable")
    key_array = key_array[order]
    owner_array = owner_array[order]
    boundaries = np.flatnonzero(np.diff(key_array)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(key_array)]))
    sizes = ends - starts
    useful = (sizes >= 2) & (sizes <= MAX_BLOCK)
    codes = array.array("q")
    for start, end in zip(starts[useful].tolist(), ends[useful].tolist(), strict=True):
        members = sorted(owner_array[start:end].tolist())
        codes.extend(i * count + j for i, j in itertools.combinations(members, 2) if i != j)
    key_count = len(key_array)
    del key_array, owner_array, order
    pairs = np.unique(np.frombuffer(codes, dtype=np.int64)) if codes else np.zeros(0, np.int64)
    if stats is not None:
        stats.update(
            blocking_keys=key_count,
            blocks=int(useful.sum()),
            blocks_skipped=int((sizes > MAX_BLOCK).sum()),
            candidate_pairs=len(pairs),
        )
    return pairs


def _frequencies(records: list[Features]) -> matching.Frequency:
    names = Counter(f.names.key for f in records if f.names.key)
    births = Counter(f.birth_date for f in records if f.birth_date)
    phones = Counter(p for f in records for p in f.phones)
    emails = Counter(e for f in records for e in f.emails)
    words = Counter(
        w for f in records for w in set(f.names.tokens[1:] if f.names.han else f.names.tokens)
    )
    tables = {
        "name": names,
        "birth_date": births,
        "phone": phones,
        "email": emails,
        "word": words,
    }

    def frequency(kind: str, value: str) -> int:
        return tables[kind].get(value, 1)

    return frequency
