"""Reference data shipped with Huike: countries, Chinese regions and industries.

The CSV files in ``data/`` are built by ``scripts/build_reference_data.py`` from offline copies
of their sources (see the first line of each file). ``load_reference_data`` puts them into the
database; the data migration runs it with historical models and the ``load_reference_data``
command runs it again after an upgrade ships newer files.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction

DATA_DIR = Path(__file__).resolve().parent / "data"
COUNTRIES_CSV = DATA_DIR / "countries.csv"
REGIONS_CN_CSV = DATA_DIR / "regions_cn.csv"
INDUSTRIES_CN_CSV = DATA_DIR / "industries_cn.csv"

BATCH_SIZE = 500
PATH_SEPARATOR = "/"


@dataclass(frozen=True)
class ReferenceRow:
    """One node of a reference tree as the CSV files give it."""

    code: str
    parent_code: str
    level: str
    name_zh: str
    name_en: str


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a shipped CSV file; lines starting with ``#`` record the source."""
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(line for line in handle if not line.startswith("#"))


def region_rows() -> list[ReferenceRow]:
    """Countries (roots) followed by China's provinces, cities and counties."""
    rows = [
        ReferenceRow(row["code"], "", "country", row["name_zh"], row["name_en"])
        for row in read_csv(COUNTRIES_CSV)
    ]
    rows += [ReferenceRow(**row) for row in read_csv(REGIONS_CN_CSV)]
    return rows


def industry_rows() -> list[ReferenceRow]:
    return [ReferenceRow(**row) for row in read_csv(INDUSTRIES_CN_CSV)]


def tree_paths(rows: Iterable[ReferenceRow]) -> dict[str, str]:
    """``{code: "CN/330000/330100"}`` for every row; a parent must be in ``rows`` too."""
    parents = {row.code: row.parent_code for row in rows}
    paths: dict[str, str] = {}

    def path_of(code: str) -> str:
        if code not in paths:
            parent = parents[code]
            if parent and parent not in parents:
                raise ValueError(f"Reference row {code} has an unknown parent {parent}.")
            paths[code] = path_of(parent) + PATH_SEPARATOR + code if parent else code
        return paths[code]

    for code in parents:
        path_of(code)
    return paths


def load_tree(model: Any, rows: list[ReferenceRow], using: str = DEFAULT_DB_ALIAS) -> int:
    """Insert missing codes and bring existing ones up to date; return how many rows changed.

    Rows already in the database but no longer in the files stay: customers may point at them.
    Works on a historical model (no custom managers or methods are used).
    """
    paths = tree_paths(rows)
    manager = model._default_manager.db_manager(using)
    existing: dict[str, Any] = {obj.code: obj for obj in manager.all()}
    by_depth: dict[int, list[ReferenceRow]] = {}
    for row in rows:
        by_depth.setdefault(paths[row.code].count(PATH_SEPARATOR), []).append(row)

    changed = 0
    for depth in sorted(by_depth):
        # Any: historical models are built at run time and have no static type.
        created: list[Any] = []
        updated: list[Any] = []
        for row in by_depth[depth]:
            values = {
                "level": row.level,
                "name_zh": row.name_zh,
                "name_en": row.name_en,
                "path": paths[row.code],
                "parent_id": existing[row.parent_code].pk if row.parent_code else None,
            }
            obj = existing.get(row.code)
            if obj is None:
                created.append(model(code=row.code, **values))
            elif any(getattr(obj, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(obj, field, value)
                updated.append(obj)
        if created:
            manager.bulk_create(created, batch_size=BATCH_SIZE)
            # Not every database hands back primary keys from a bulk insert: read them.
            codes = [obj.code for obj in created]
            for start in range(0, len(codes), BATCH_SIZE):
                batch = codes[start : start + BATCH_SIZE]
                existing.update((obj.code, obj) for obj in manager.filter(code__in=batch))
        if updated:
            manager.bulk_update(
                updated,
                ["level", "name_zh", "name_en", "path", "parent"],
                batch_size=BATCH_SIZE,
            )
        changed += len(created) + len(updated)
    return changed


def load_reference_data(
    region_model: Any, industry_model: Any, using: str = DEFAULT_DB_ALIAS
) -> tuple[int, int]:
    """Load regions and industries from the shipped files; idempotent.

    Takes the models as arguments so that a migration can pass its historical models. Returns
    the number of regions and of industries added or updated: ``(0, 0)`` when the database
    already matches the files.
    """
    with transaction.atomic(using=using):
        return (
            load_tree(region_model, region_rows(), using),
            load_tree(industry_model, industry_rows(), using),
        )
