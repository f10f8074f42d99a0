"""The subject-access archive: everything Huike holds about one person, as JSON and CSV.

``subject.json`` holds every section of the personal-data registry; each section is also a CSV
file (UTF-8 with BOM, so spreadsheet programs read Chinese; formula-like cells neutralised).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import secrets
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from huike.core.exports import neutralise
from huike.parties.models import Party
from huike.subjects import registry


def private_dir() -> Path:
    """Where request results are kept: under ``MEDIA_ROOT`` but never served directly; only
    the permission-checked download view reads them."""
    return Path(settings.MEDIA_ROOT) / "private" / "subject-requests"


def collect(party: Party) -> dict[str, list[dict[str, Any]]]:
    """Every provider's rows about ``party``, by section name."""
    return {provider.name: provider.export(party) for provider in registry.providers()}


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        value = json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    elif isinstance(value, datetime.datetime | datetime.date):
        value = value.isoformat()
    value = neutralise(value)
    return value.isoformat() if isinstance(value, datetime.date) else value


def csv_text(rows: list[dict[str, Any]]) -> str:
    """One section as CSV text: a header of every key seen, then one line per row."""
    header: list[str] = []
    for row in rows:
        header.extend(key for key in row if key not in header)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([neutralise(name) for name in header])
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in header])
    return buffer.getvalue()


def archive(party: Party, sections: Mapping[str, list[dict[str, Any]]], **about: Any) -> bytes:
    """The zip: ``subject.json`` plus ``<section>.csv`` for each section."""
    document = {
        "customer": party.pk,
        "generated_at": timezone.now().isoformat(),
        **about,
        "sections": sections,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(
            "subject.json",
            json.dumps(document, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder),
        )
        for name, rows in sections.items():
            bundle.writestr(f"{name}.csv", csv_text(rows).encode("utf-8"))
    return buffer.getvalue()


def store(request_pk: int, data: bytes) -> str:
    """Write a request's result under the private folder (owner-only); return its path
    relative to ``MEDIA_ROOT``."""
    folder = private_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"request-{request_pk}-{secrets.token_hex(8)}.zip"
    path = folder / name
    with path.open("wb") as handle:
        handle.write(data)
    path.chmod(0o600)
    return str(path.relative_to(Path(settings.MEDIA_ROOT)))


def stored_path(relative: str) -> Path | None:
    """The result file's absolute path, if it exists and lies inside the private folder."""
    if not relative:
        return None
    path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    if private_dir().resolve() not in path.parents or not path.is_file():
        return None
    return path


def remove(relative: str) -> None:
    path = stored_path(relative)
    if path is not None:
        path.unlink(missing_ok=True)
