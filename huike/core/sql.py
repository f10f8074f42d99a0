"""Plain SQL for the few hot lookups that take hundreds of values at once.

Building a 500-value ``IN`` through the ORM costs more than running the query (each value goes
through the field's preparation and the compiler), which shows when an import looks up a
thousand rows' keys per batch. :func:`select_in` writes the statement directly; table and
column names come from the models, every value is a parameter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

CHUNK = 500


def select_in(
    model: type[Model],
    columns: str,
    column: str,
    values: Sequence[Any],
    *,
    where: Mapping[str, Any] | None = None,
    tail: str = "",
    using: str = DEFAULT_DB_ALIAS,
) -> Iterator[tuple[Any, ...]]:
    """Rows of ``SELECT columns FROM model's table WHERE column IN values [AND where…] tail``,
    ``CHUNK`` values a statement. ``where`` maps a column to a value, or to a few values as a
    list, tuple or set. ``columns`` and ``tail`` (``GROUP BY``, ``ORDER BY``) are SQL written by
    the caller, never user input."""
    table = model._meta.db_table
    conditions = ""
    fixed: list[Any] = []
    for name, wanted in (where or {}).items():
        if isinstance(wanted, list | tuple | set | frozenset):
            listed = sorted(wanted)
            conditions += f' AND "{name}" IN ({", ".join(["%s"] * len(listed))})'
            fixed.extend(listed)
        else:
            conditions += f' AND "{name}" = %s'
            fixed.append(wanted)
    with connections[using].cursor() as cursor:
        for start in range(0, len(values), CHUNK):
            chunk = list(values[start : start + CHUNK])
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f'SELECT {columns} FROM "{table}" WHERE "{column}" IN ({marks}){conditions} {tail}',  # noqa: S608
                [*chunk, *fixed],
            )
            yield from cursor.fetchall()
