"""Checks on files people upload (imports) and a safe way to hand files back (downloads).

:func:`check_upload` refuses a file before anything parses it when it is too large, its name
says a type that is not accepted, or its content is not what its name says (a program renamed
``customers.csv``, a text file renamed ``.xlsx``). The type is read from the first bytes, not
from the name or the browser's Content-Type, both of which the sender chooses:

- ``xlsx``: a ZIP archive holding ``[Content_Types].xml`` (Office Open XML);
- ``xls``: an OLE2 compound document (the old Excel format);
- ``csv``, ``tsv``, ``txt``, ``vcf``: text without NUL bytes in the first 64 KiB that decodes as
  UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's "Unicode text") or GB 18030 (Excel's
  CSV on Chinese Windows); a vCard also starts with ``BEGIN:VCARD``.

:func:`serve_download` always sends a file as an attachment with ``nosniff``, so a browser never
renders an uploaded or exported file as a page of this site.
"""

from __future__ import annotations

import codecs
import mimetypes
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

TEXT_TYPES = frozenset({"csv", "tsv", "txt", "vcf"})
DEFAULT_ALLOWED = ("csv", "xlsx", "xls", "vcf", "tsv", "txt")
SNIFF_BYTES = 64 * 1024
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
MAX_NAME = 150
CONTENT_TYPES = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "txt": "text/plain",
    "vcf": "text/vcard",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "json": "application/json",
    "zip": "application/zip",
}

# Types a browser would run as a page of this site if it ever displayed them.
ACTIVE_CONTENT = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml"})


@dataclass(frozen=True)
class CheckedUpload:
    """What :func:`check_upload` found: a safe name, the type, the size, a text's encoding."""

    name: str
    kind: str
    size: int
    encoding: str = ""


def safe_filename(name: str, default: str = "upload") -> str:
    """``name`` without folders, control characters or ``..``, at most 150 characters.

    ``../../etc/passwd`` → ``passwd``; ``C:\\Users\\x\\a.csv`` → ``a.csv``; ``.env`` → ``env``.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    while ".." in name:
        name = name.replace("..", ".")
    name = name.strip(" .")
    if not name:
        return default
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_NAME - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_NAME]
    return name


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def _head(file: IO[bytes], size: int) -> bytes:
    file.seek(0)
    head = file.read(size)
    file.seek(0)
    return head if isinstance(head, bytes) else bytes(head)


def _size(file: Any, max_bytes: int) -> int:
    """The file's size without reading it when it is known, else by reading at most past it."""
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    file.seek(0)
    total = 0
    while total <= max_bytes:
        chunk = file.read(SNIFF_BYTES)
        if not chunk:
            break
        total += len(chunk)
    file.seek(0)
    return total


def _decode_text(head: bytes) -> str:
    """The encoding ``head`` decodes with, or ``""``. A character cut at the end is fine."""
    candidates: list[tuple[str, bytes]] = []
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates.append(("utf-16", head))
    else:
        if b"\x00" in head:
            return ""
        candidates += [("utf-8-sig", head), ("gb18030", head)]
    for encoding, data in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            text = decoder.decode(data, final=False)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            return ""
        return encoding
    return ""


def _is_xlsx(file: IO[bytes]) -> bool:
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            return "[Content_Types].xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        file.seek(0)


def check_upload(
    file: Any,
    allowed: tuple[str, ...] = DEFAULT_ALLOWED,
    max_bytes: int | None = None,
) -> CheckedUpload:
    """Check an uploaded file; raise a translated :class:`ValidationError` when refused."""
    limit = int(max_bytes if max_bytes is not None else settings.UPLOAD_MAX_BYTES)
    name = safe_filename(getattr(file, "name", "") or "")
    size = _size(file, limit)
    if size > limit:
        raise ValidationError(
            _("The file is too large: at most {size} MB.").format(
                size=round(limit / (1024 * 1024), 1)
            ),
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    extension = _extension(name)
    accepted = ", ".join("." + kind for kind in allowed)
    if extension not in allowed:
        raise ValidationError(
            _("Files of this type are not accepted. Accepted: {types}.").format(types=accepted),
            code="type",
        )
    mismatch = ValidationError(
        _("The file's content does not match its name (.{extension}).").format(extension=extension),
        code="content",
    )
    head = _head(file, SNIFF_BYTES)
    encoding = ""
    if extension == "xlsx":
        if not (head.startswith(ZIP) and _is_xlsx(file)):
            raise mismatch
    elif extension == "xls":
        if not head.startswith(OLE2):
            raise mismatch
    elif extension in TEXT_TYPES:
        encoding = _decode_text(head)
        if not encoding:
            raise mismatch
        if extension == "vcf":
            text = codecs.getincrementaldecoder(encoding)().decode(head[:4096], final=False)
            if not text.lstrip("\ufeff \r\n\t").upper().startswith("BEGIN:VCARD"):
                raise mismatch
    else:
        raise mismatch  # a type this function cannot check is not accepted blindly
    return CheckedUpload(name=name, kind=extension, size=size, encoding=encoding)


def serve_download(path: str | Path, name: str, *, root: str | Path | None = None) -> FileResponse:
    """Send the file at ``path`` as a download named ``name`` (never shown inline).

    With ``root``, a ``path`` outside that folder answers 404 (a stored path that was tampered
    with cannot reach other files).
    """
    file_path = Path(path).resolve()
    if root is not None and not file_path.is_relative_to(Path(root).resolve()):
        raise Http404
    if not file_path.is_file():
        raise Http404
    filename = safe_filename(name, default="download")
    content_type = CONTENT_TYPES.get(_extension(filename)) or (
        mimetypes.guess_type(filename)[0] or "application/octet-stream"
    )
    if content_type in ACTIVE_CONTENT:
        content_type = "application/octet-stream"
    response = FileResponse(
        file_path.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
