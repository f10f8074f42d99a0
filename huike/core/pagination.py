"""Keyset pagination for HTML lists: pages by "rows after this one", never by counting.

``OFFSET 200000`` and ``COUNT(*)`` over a million customers are what make other CRMs take
seconds per list request. A keyset page costs the same on page 1 and page 10,000.
The cursor is an opaque token holding the sort value and primary key of the edge row.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import IntegerField, Model, Q, QuerySet


def _encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, default=str, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(token: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or "pk" not in payload:
        return None
    return payload


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _read(model: type[Model], name: str, raw: Any) -> Any:
    """``raw`` as the model field ``name`` stores it; raises on values no real cursor holds."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # an annotation: the database compares the raw value
        return raw
    value = field.to_python(raw)  # type: ignore[union-attr]
    if isinstance(field, IntegerField):  # out of range, the database would fail the query
        field.run_validators(value)
    return value


def _edge_key(model: type[Model], field: str, payload: dict[str, Any]) -> tuple[Any, Any] | None:
    """The cursor's (sort value, pk), or None when it was tampered with."""
    try:
        pk = _read(model, model._meta.pk.name, payload["pk"])
        value = pk if field == "pk" else _read(model, field, payload.get("v"))
    except (ValidationError, TypeError, ValueError):
        return None
    if pk is None or value is None:
        return None
    return value, pk


@dataclass
class KeysetPage:
    """One page of rows plus the cursors to the neighbouring pages (None at either end)."""

    rows: list[Model]
    next_cursor: str | None
    previous_cursor: str | None
    is_first: bool


def keyset_page(queryset: QuerySet, *, order: str, cursor: str | None, size: int) -> KeysetPage:
    """Slice ``queryset`` ordered by ``order`` (a field name, ``-`` for descending) then pk.

    The sort field must not be nullable. A bad or tampered cursor yields the first page.
    """
    descending = order.startswith("-")
    field = order.lstrip("-")
    payload = (_decode(cursor) if cursor else None) or {}
    key = _edge_key(queryset.model, field, payload) if payload else None
    backwards = key is not None and payload.get("dir") == "prev"

    # Walking backwards reverses the order, fetches, then flips the rows back.
    walk_desc = descending != backwards
    prefix = "-" if walk_desc else ""
    ordered = queryset.order_by(prefix + field, prefix + "pk")
    if key is not None:
        op = "lt" if walk_desc else "gt"
        value, pk = key
        if field == "pk":
            ordered = ordered.filter(**{"pk__" + op: pk})
        else:
            ordered = ordered.filter(
                Q(**{f"{field}__{op}": value}) | Q(**{field: value, "pk__" + op: pk})
            )
    rows = list(ordered[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()

    def edge(row: Model, direction: str) -> str:
        value = row.pk if field == "pk" else getattr(row, field)
        return _encode({"v": _plain(value), "pk": row.pk, "dir": direction})

    at_start = key is None or (backwards and not has_more)
    more_after = has_more if not backwards else True
    return KeysetPage(
        rows=rows,
        next_cursor=edge(rows[-1], "next") if rows and more_after else None,
        previous_cursor=edge(rows[0], "prev") if rows and not at_start else None,
        is_first=at_start,
    )
