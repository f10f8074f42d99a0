"""Writes shared by every app: the change log and the access log."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from huike.core.models import AccessLog, ChangeLog


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value for the change log."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` on ``obj``, ready to diff and log."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for every field whose value changed.

    ``diff({}, snapshot(obj))`` describes a creation and ``diff(snapshot(obj), {})`` a deletion.
    """
    names = list(after) + [name for name in before if name not in after]
    return {
        name: [before.get(name), after.get(name)]
        for name in names
        if before.get(name) != after.get(name)
        and not (_blank(before.get(name)) and _blank(after.get(name)))
    }


def _blank(value: Any) -> bool:
    """None, "" and empty lists all mean "nothing": a change between them is no change."""
    return value is None or value == "" or value == [] or value == {}


def _change(
    obj: models.Model,
    *,
    actor: Any,
    action: str,
    changes: Mapping[str, Any] | None,
    message: str,
    remote_addr: str | None = None,
) -> ChangeLog:
    """The (unsaved) change-log row for ``obj``."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return ChangeLog(
        actor=actor if is_user else None,
        actor_name=(actor.get_username() if is_user else "system")[:150],
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        message=message[:200],
        changes={key: _plain(value) for key, value in (changes or {}).items()},
        remote_addr=remote_addr,
    )


def record_change(
    obj: models.Model,
    *,
    actor: Any,
    action: str,
    changes: Mapping[str, Any] | None = None,
    message: str = "",
    remote_addr: str | None = None,
) -> ChangeLog:
    """Append one change-log row for ``obj``. Call inside the service's transaction."""
    row = _change(
        obj,
        actor=actor,
        action=action,
        changes=changes,
        message=message,
        remote_addr=remote_addr,
    )
    row.save(force_insert=True)
    return row


def record_changes(
    entries: Iterable[tuple[models.Model, Mapping[str, Any] | None, str]],
    *,
    actor: Any,
    action: str,
) -> list[ChangeLog]:
    """:func:`record_change` for many ``(obj, changes, message)`` at once, in one insert (a
    batch of new customers' consents)."""
    return ChangeLog.objects.bulk_create(
        _change(obj, actor=actor, action=action, changes=changes, message=message)
        for obj, changes, message in entries
    )


def log_access(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    fields: Iterable[str] = (),
    count: int = 1,
    reason: str = "",
    channel: str = "web",
    request: Any = None,
) -> AccessLog:
    """Append one access-log row: ``actor`` read personal information of ``obj`` (or ``count``
    records, for exports), through ``channel`` (web, api, cli, job), for ``reason``."""
    from huike.core.http import client_ip

    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AccessLog.objects.create(
        actor=actor if is_user else None,
        actor_name=(actor.get_username() if is_user else "system")[:150],
        action=action,
        content_type=(
            ContentType.objects.get_for_model(obj, for_concrete_model=False) if obj else None
        ),
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        fields=sorted(set(fields)),
        count=count,
        reason=reason[:300],
        channel=channel[:20],
        path=(request.get_full_path()[:300] if request is not None else ""),
        remote_addr=(client_ip(request) if request is not None else None),
    )
