"""``huike bench identity``: quality and speed of duplicate detection (issue 7).

**Quality** (``HUIKE_BENCH_IDENTITY_QUALITY``, default febrl1–febrl4 and ``chinese10000``):
each set of :mod:`huike.identity.datasets` is imported through the import pipeline with the
"create" policy (every row its own customer), then :func:`huike.identity.bulk.find_pairs`
searches the whole base. Pairwise precision, recall and F1 of the pairs at or above the "same"
threshold (``IDENTITY_SAME``) and at or above "maybe" (``IDENTITY_MAYBE``) against the set's
truth. Their baseline is the issue's target (precision 0.98, recall 0.95; F1 of the two), not a
measurement: ``ratio`` ≥ 1 means the target is met. The search's time has as baseline the time to
read every customer's golden record in one query (the floor of any bulk search). The true pairs
missed at "same" are counted by variant kind (generated set) or by the fields that differ
(FEBRL) on standard error: what to tune next.

**Speed** (``HUIKE_BENCH_IDENTITY_SIZES``, default ``10000``; the issue's figures are
``100000,1000000``): a generated Chinese base of that size (30 % duplicates) is written set-based
(not timed), then a duplicate search runs in a child process, exactly as ``huike dedupe`` runs
it (``jobs.run_dedupe``: search, then queue the pairs), so that its peak memory is its own.
Lines: wall time (baseline: the golden-record read), peak resident memory (baseline: the child's
memory before the search), pairs compared per customer (baseline: true pairs per customer, the
least a search with full recall must compare), pairs compared per second (baseline: golden
records read per second), precision and recall at that size; then the check at entry:
``matching.candidates_for`` on 300 duplicates of customers in the base, as a form would send them
(their own record excluded), median and p95 in ms, against one exact ``SearchKey`` lookup.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from huike.identity import datasets
from huike.ops.bench import Measurement, benchmark, compare, timed
from huike.parties import population

QUALITY_ENV = "HUIKE_BENCH_IDENTITY_QUALITY"
SIZES_ENV = "HUIKE_BENCH_IDENTITY_SIZES"
DEFAULT_QUALITY = ("febrl1", "febrl2", "febrl3", "febrl4", "chinese10000")
DEFAULT_SIZES = (10_000,)
SEED = 2026
PRECISION, RECALL = 0.98, 0.95
F1 = 2 * PRECISION * RECALL / (PRECISION + RECALL)
ENTRY_CALLS = 300
DATABASE_ENV = "HUIKE_BENCH_DATABASE"
# The child: Django on the parent's scratch database, then one duplicate search.
CHILD = (
    "import json, os, sys, django\n"
    "from django.conf import settings\n"
    f"settings.DATABASES['default'].update(json.loads(os.environ['{DATABASE_ENV}']))\n"
    "django.setup()\n"
    "from huike.identity.bench import dedupe_child\n"
    "dedupe_child(sys.argv[1])\n"
)


def log(message: str) -> None:
    print(f"[identity bench] {message}", file=sys.stderr, flush=True)


def _names(variable: str, default: Iterable[str]) -> list[str]:
    """The comma-separated names in ``variable``; ``default`` when it is not set (set and
    empty: none, e.g. speed without quality)."""
    if variable not in os.environ:
        return list(default)
    return [part.strip() for part in os.environ[variable].split(",") if part.strip()]


def quality_sets() -> list[str]:
    return _names(QUALITY_ENV, DEFAULT_QUALITY)


def sizes() -> list[int]:
    return sorted(
        {int(size.replace("_", "")) for size in _names(SIZES_ENV, map(str, DEFAULT_SIZES))}
    )


def dataset(name: str) -> datasets.Dataset:
    if name.startswith("febrl"):
        return datasets.febrl(name)
    if name.startswith("chinese"):
        return datasets.chinese(int(name.removeprefix("chinese")), seed=SEED)
    raise ValueError(f"unknown data set {name!r}: febrl1…febrl4 or chinese<count>")


def peak_rss_mb() -> float:
    """This process's peak resident memory (MB) since it started its program: Linux's VmHWM,
    which ``exec`` resets — ``ru_maxrss`` would still count the parent it was forked from."""
    with contextlib.suppress(OSError):
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


# --- the base ---------------------------------------------------------------------------------


def empty_tables() -> None:
    """Remove every customer and what hangs off them; ids start again at 1, so that each set
    is matched as a base of its own size (the matcher's prior follows the base's size)."""
    from huike.core.models import ChangeLog
    from huike.identity import features, matching
    from huike.identity.models import DedupeJob, MatchCandidate, Merge
    from huike.imports.models import ImportJob, ImportProblem
    from huike.parties.models import GoldenValue, Observation, Party, SearchKey

    models = [MatchCandidate, Merge, DedupeJob, ImportProblem, ImportJob, GoldenValue]
    models += [SearchKey, Observation, ChangeLog, Party.tags.through, Party]
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(f'"{table}"' for table in tables)
            cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in tables:
                cursor.execute(f'DELETE FROM "{table}"')  # noqa: S608 (model table names)
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(f"DELETE FROM sqlite_sequence WHERE name IN ({marks})", tables)  # noqa: S608
            cursor.execute("PRAGMA foreign_keys = ON")
    features.forget_roles()
    matching.forget_base_size()
    gc.collect()


def golden_floor() -> tuple[float, int]:
    """Seconds to read every customer's golden record with one query, and how many."""
    from huike.parties.models import Party

    began = time.perf_counter()
    count = 0
    rows = Party.objects.order_by().values_list("pk", "kind", "name", "golden")
    for _row in rows.iterator(chunk_size=2000):
        count += 1
    return time.perf_counter() - began, count


def _measure(
    bench: str, n: int, value: float, unit: str, baseline: float, digits: int = 4
) -> Measurement:
    return Measurement(
        bench=bench,
        n=n,
        value=round(value, digits),
        unit=unit,
        baseline=round(baseline, digits),
        ratio=round(value / baseline, 3) if baseline else 0.0,
        database=connection.vendor,
    )


def scores(
    found: Iterable[tuple[str, str, float]], truth: set[tuple[str, str]], threshold: float
) -> tuple[int, float, float, float]:
    """(pairs, precision, recall, F1) of the pairs at or above ``threshold``."""
    pairs = {(a, b) if a < b else (b, a) for a, b, probability in found if probability >= threshold}
    true = len(pairs & truth)
    precision = true / len(pairs) if pairs else 0.0
    recall = true / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return len(pairs), precision, recall, f1


def quality_lines(
    prefix: str, n: int, found: list[tuple[str, str, float]], truth: set[tuple[str, str]]
) -> list[Measurement]:
    lines = []
    thresholds = (("same", settings.IDENTITY_SAME), ("maybe", settings.IDENTITY_MAYBE))
    for label, threshold in thresholds:
        pairs, precision, recall, f1 = scores(found, truth, threshold)
        lines += [
            _measure(f"{prefix}.{label}.precision", n, precision, "ratio", PRECISION),
            _measure(f"{prefix}.{label}.recall", n, recall, "ratio", RECALL),
            _measure(f"{prefix}.{label}.f1", n, f1, "ratio", F1),
            _measure(f"{prefix}.{label}.pairs", n, pairs, "pairs", len(truth), 0),
        ]
    return lines


def misses(
    data: datasets.Dataset, found: list[tuple[str, str, float]], threshold: float
) -> dict[str, Any]:
    """The true pairs not found at ``threshold``, counted by label (of all true pairs with that
    label), and the pairs found that are not true, with a few examples of each."""
    pairs = {(a, b) if a < b else (b, a) for a, b, p in found if p >= threshold}
    missed = sorted(data.truth - pairs)
    labels = collections.Counter(label for pair in missed for label in data.pair_labels(*pair))
    totals = collections.Counter(label for pair in data.truth for label in data.pair_labels(*pair))
    rows = {row["external_id"]: row for row in data.rows}
    wrong = sorted(pairs - data.truth)
    return {
        "missed": len(missed),
        "by_label": {label: f"{count}/{totals[label]}" for label, count in labels.most_common()},
        "missed_examples": [[rows[a], rows[b]] for a, b in missed[:5]],
        "wrong": len(wrong),
        "wrong_examples": [[rows[a], rows[b]] for a, b in wrong[:5]],
    }


# --- quality ----------------------------------------------------------------------------------


def quality(name: str) -> list[Measurement]:
    from huike.identity import bulk

    data = dataset(name)
    empty_tables()
    began = time.perf_counter()
    ids = datasets.load(data.rows, fast=False)
    log(f"{name}: {len(ids):,} rows imported in {time.perf_counter() - began:.1f} s")
    external = {pk: ext for ext, pk in ids.items()}
    floor, _count = golden_floor()
    began = time.perf_counter()
    search = bulk.find_pairs()
    found = [(external[pair.a], external[pair.b], pair.score.probability) for pair in search]
    seconds = time.perf_counter() - began
    log(f"{name}: search {seconds:.1f} s, {json.dumps(search.stats)}")
    missed = misses(data, found, settings.IDENTITY_SAME)
    log(f"{name}: misses {json.dumps(missed, ensure_ascii=False)}")
    prefix, n = f"identity.quality.{name}", len(data.rows)
    lines = quality_lines(prefix, n, found, data.truth)
    lines.append(_measure(f"{prefix}.seconds", n, seconds, "s", floor, 3))
    return lines


# --- speed ------------------------------------------------------------------------------------


def load_base(size: int) -> tuple[dict[str, int], list[tuple[int, dict[str, str]]]]:
    """The generated base of ``size`` written set-based; external id → party id, and the
    duplicates to probe the check at entry with (party id, row)."""
    empty_tables()
    chosen = random.Random(size)
    probes: list[dict[str, str]] = []
    seen = 0

    def rows() -> Iterable[dict[str, str]]:
        nonlocal seen
        for item in datasets.iter_chinese(size, seed=SEED):
            if "-dup-" in item.row["external_id"]:  # reservoir sample of the duplicates
                seen += 1
                if len(probes) < ENTRY_CALLS:
                    probes.append(item.row)
                elif (slot := chosen.randrange(seen)) < ENTRY_CALLS:
                    probes[slot] = item.row
            yield item.row

    began = time.perf_counter()
    step = max(size // 10, 1)

    def progress(done: int) -> None:
        if done % step < population.BATCH_SIZE or done == size:
            elapsed = time.perf_counter() - began
            log(f"  {done:,}/{size:,} customers written, {elapsed:.0f} s")

    ids = datasets.load(rows(), fast=True, progress=progress)
    population.analyze()
    log(f"base of {size:,} written in {time.perf_counter() - began:.0f} s (not counted)")
    return ids, [(ids[row["external_id"]], row) for row in probes]


def truth_of(ids: Mapping[str, int]) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for external in ids:
        groups[entity_of(external)].append(external)
    return datasets.pairs_of(group for group in groups.values() if len(group) > 1)


def run_child() -> dict[str, Any]:
    """One duplicate search in a fresh process on this database; what it reports."""
    keys = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")
    database = {key: connection.settings_dict.get(key) for key in keys}
    with tempfile.TemporaryDirectory(prefix="huike-identity-bench-") as folder:
        out = Path(folder) / "pairs.tsv"
        env = {**os.environ, DATABASE_ENV: json.dumps(database, default=str)}
        done = subprocess.run(  # noqa: S603 (this interpreter, our own code)
            [sys.executable, "-c", CHILD, str(out)],
            env=env,
            stdout=subprocess.PIPE,
            check=True,
            text=True,
        )
        report = json.loads(done.stdout.strip().splitlines()[-1])
        with out.open(encoding="utf-8") as handle:
            report["pairs"] = [
                (int(a), int(b), float(p)) for a, b, p in (line.split("\t") for line in handle)
            ]
    return report


def bench_user() -> Any:
    """An administrator (record scope "all"), as whoever runs ``huike dedupe`` on everything."""
    from huike.accounts.models import Role, User

    user, _created = User.objects.get_or_create(
        username="bench-identity", defaults={"role": Role.objects.get(code="administrator")}
    )
    return user


def dedupe_child(out: str) -> None:
    """In the child: run a search as ``huike dedupe`` does, write the pairs (a, b, probability)
    to ``out``, print one JSON line: seconds, memory before and at peak, the search's stats."""
    from huike.identity import jobs

    gc.collect()
    before = peak_rss_mb()
    began = time.perf_counter()
    with open(out, "w", encoding="utf-8") as handle:

        def on_pairs(pairs: Any) -> None:
            handle.writelines(f"{p.a}\t{p.b}\t{p.score.probability!r}\n" for p in pairs)

        last = [began]

        def echo(job: Any) -> None:
            now = time.perf_counter()
            if now - last[0] > 30:
                last[0] = now
                elapsed = now - began
                log(f"  search: {job.done:,}/{job.total:,}, {job.found:,} pairs, {elapsed:.0f} s")

        job = jobs.create_job(actor=bench_user())
        job = jobs.run_dedupe(job.pk, echo=echo, on_pairs=on_pairs, pausable=False)
    seconds = time.perf_counter() - began
    print(
        json.dumps(
            {
                "status": job.status,
                "error": job.error,
                "seconds": seconds,
                "rss_before_mb": before,
                "peak_rss_mb": peak_rss_mb(),
                "stats": job.stats,
            }
        ),
        flush=True,
    )


def entity_of(external_id: str) -> str:
    """The entity a generated row belongs to: "zh-12" of "zh-12-org" and "zh-12-dup-0"."""
    return external_id.rsplit("-", 2)[0] if "-dup-" in external_id else external_id[:-4]


def entry_check(size: int, probes: list[tuple[int, dict[str, str]]]) -> list[Measurement]:
    """``candidates_for`` on duplicates of customers in the base, against one key lookup."""
    from huike.identity import matching
    from huike.parties import text
    from huike.parties.models import SearchKey

    calls = [
        (pk, row["kind"], {k: v for k, v in row.items() if k not in ("kind", "external_id")})
        for pk, row in probes
    ]
    found = 0
    for (pk, kind, values), (_pk, row) in zip(calls, probes, strict=True):
        hits = matching.candidates_for(kind, values, exclude=[pk])
        entities = {entity_of(str(hit.party.golden.get("external_id", ""))) for hit in hits}
        found += entity_of(row["external_id"]) in entities
    log(f"entry check at {size:,}: {found}/{len(calls)} duplicates found another copy")
    keys = [text.normalise_name(values["name"])[:200] for _pk, _kind, values in calls]
    position = [0, 0]

    def check() -> None:
        pk, kind, values = calls[position[0] % len(calls)]
        position[0] += 1
        matching.candidates_for(kind, values, exclude=[pk])

    def lookup() -> None:
        key = keys[position[1] % len(keys)]
        position[1] += 1
        list(SearchKey.objects.filter(kind="name", value=key).values_list("party_id", flat=True))

    measured = timed(check, len(calls))
    baseline = timed(lookup, len(calls))
    return compare(f"identity.entry.{size}", measured, baseline)


def speed(size: int) -> list[Measurement]:
    ids, probes = load_base(size)
    floor, count = golden_floor()
    log(f"golden records of {count:,} customers read in {floor:.2f} s")
    report = run_child()
    if report["status"] != "done":
        raise RuntimeError(f"the search did not finish: {report['status']} {report['error']}")
    stats = report["stats"]
    log(f"search at {size:,}: {report['seconds']:.1f} s, {json.dumps(stats)}")
    external = {pk: ext for ext, pk in ids.items()}
    found = [(external[a], external[b], p) for a, b, p in report["pairs"]]
    truth = truth_of(ids)
    del report["pairs"]
    compared = int(stats.get("pairs_compared") or 0)
    seconds = report["seconds"]
    prefix = f"identity.dedupe.{size}"
    lines = [
        _measure(f"{prefix}.seconds", size, seconds, "s", floor, 2),
        _measure(
            f"{prefix}.peak_rss", size, report["peak_rss_mb"], "MB", report["rss_before_mb"], 1
        ),
        _measure(
            f"{prefix}.pairs_per_record", size, compared / size, "pairs", len(truth) / size, 3
        ),
        _measure(f"{prefix}.pairs_per_s", size, compared / seconds, "pairs/s", count / floor, 0),
    ]
    lines += [
        line
        for line in quality_lines(prefix, size, found, truth)
        if line.bench.endswith(("precision", "recall"))
    ]
    lines += entry_check(size, probes)
    return lines


@benchmark("identity")
def identity(repeat: int) -> list[Measurement]:
    """Duplicate detection: precision/recall on FEBRL and generated Chinese customers; bulk
    search time, memory and pairs per customer; the check at entry (``--repeat`` is unused:
    300 entry checks per size)."""
    results: list[Measurement] = []
    for name in quality_sets():
        lines = quality(name)
        for line in lines:
            log(line.as_json())
        results += lines
    for size in sizes():
        lines = speed(size)
        for line in lines:
            log(line.as_json())
        results += lines
    empty_tables()
    return results
