"""Imports started from the import page and the API: upload, mapping, preview, queue, cancel.

The engine (:mod:`huike.imports.engine`) reads and writes the rows; this module is what comes
before and after it for people working in the browser or through the API:

- :func:`start_job` keeps an uploaded file under ``MEDIA_ROOT/private/imports`` under a random
  name (never the name the person gave it) and creates its job;
- :func:`inspect` reads the header row, :func:`suggested_mapping` proposes a mapping (the one
  remembered for the same source and header, else the engine's: preset or column names), and
  :func:`preview` maps the first rows as they will be stored, with their problems;
- :func:`queue` confirms the mapping, remembers it and hands the job to the worker
  (:mod:`huike.imports.tasks`), :func:`cancel` stops it, :func:`import_checked` imports the rows
  of a finished dry run for real;
- :func:`rejects` gives the rejected rows back as a file to fix and import again.

What a reader sees of the rows of a file follows their role's field access, as everywhere else:
a cell of a column mapped to an attribute is shown as that attribute would be (full, masked or
not at all), and a cell of an unmapped column counts as personal information.
"""

from __future__ import annotations

import codecs
import datetime
import hashlib
import logging
import os
import sys
import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huike.core.services import diff, record_change, snapshot
from huike.core.uploads import check_upload, safe_filename
from huike.imports import engine, presets, reading
from huike.imports.models import ImportJob, ImportMapping, ImportProblem
from huike.parties import privacy
from huike.parties import services as party_services
from huike.parties.models import AttributeDefinition

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 10
# A queued job nobody picked up (the worker was paused or down) is handed over again after
# this long; a running job whose worker stopped giving signs of life, after STALE.
UNCLAIMED = 120  # seconds
STALE = 15 * 60  # seconds
JOB_FIELDS = (
    "original_name",
    "size",
    "digest",
    "encoding",
    "phone_region",
    "preset",
    "source",
    "consent",
    "evidence",
    "policy",
    "party_kind",
    "dry_run",
)
UPLOAD_TYPES = tuple(sorted({"csv", "tsv", "txt", "vcf", "xlsx", "xls"}))


def private_dir() -> Path:
    """Where uploaded import files are kept: under ``MEDIA_ROOT`` but never served."""
    return Path(settings.MEDIA_ROOT) / "private" / "imports"


# --- Starting a job ---------------------------------------------------------------------------


def _chunks(upload: Any) -> Iterator[bytes]:
    if hasattr(upload, "chunks"):
        yield from upload.chunks()
        return
    upload.seek(0)
    yield from iter(lambda: upload.read(1 << 20), b"")


def _store(upload: Any, extension: str) -> tuple[Path, str, int]:
    """Copy the upload to the private folder under a random name (owner-only); return its
    path, SHA-256 and size."""
    folder = private_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{uuid.uuid4().hex}.{extension or 'upload'}"
    digest = hashlib.sha256()
    size = 0
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as target:
        for chunk in _chunks(upload):
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    return path, digest.hexdigest(), size


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def check_file(upload: Any, name: str) -> None:
    """Refuse a file before it is stored: too large, empty, or of a type that is not imported.

    Whether the content is what the name says is the reader's to judge (it names the line and
    knows more encodings): such a file becomes a failed job with its reason.
    """
    named = _Named(upload, name)
    try:
        check_upload(named, allowed=UPLOAD_TYPES)
    except ValidationError as error:
        if error.code != "content":
            raise


class _Named:
    """An upload seen under another name (the one the person gave it), for ``check_upload``."""

    def __init__(self, upload: Any, name: str) -> None:
        self._upload = upload
        self.name = name
        size = getattr(upload, "size", None)
        if isinstance(size, int):
            self.size = size

    def read(self, size: int = -1) -> bytes:
        return bytes(self._upload.read(size))

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self._upload.seek(offset, whence) or 0)


def consent_text(consent: str, evidence: str) -> str:
    """What each observation's ``consent`` says: ``purpose: evidence`` (as ``huike import
    --consent``), at most 200 characters."""
    consent, evidence = consent.strip(), " ".join(evidence.split())
    if consent and evidence and ":" not in consent:
        consent = f"{consent}: {evidence}"
    return consent[:200]


def check_options(
    *,
    preset: str = "",
    encoding: str = "",
    policy: str = "",
    party_kind: str = "",
    phone_region: str = "",
) -> dict[str, list[str]]:
    """Problems with a job's options, by option name (translated); ``{}`` if none."""
    errors: dict[str, list[str]] = {}
    if phone_region and phone_region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        errors["phone_region"] = [
            _("“{code}” is not a country code phone numbers know (e.g. CN, HK, US).").format(
                code=phone_region
            )
        ]
    if preset and presets.get(preset) is None:
        errors["preset"] = [_("There is no preset “{code}”.").format(code=preset)]
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            errors["encoding"] = [
                _("“{encoding}” is not an encoding this server knows.").format(encoding=encoding)
            ]
    if policy and policy not in ImportJob.Policy.values:
        errors["policy"] = [_("Choose update, create, skip or review.")]
    if party_kind not in ("", "person", "organization"):
        errors["kind"] = [_("Choose person or organization.")]
    return errors


@transaction.atomic
def start_job(
    upload: Any,
    *,
    actor: Any,
    original_name: str = "",
    preset: str = "",
    mapping: Mapping[str, str | None] | None = None,
    encoding: str = "",
    source: str = "import",
    consent: str = "",
    evidence: str = "",
    policy: str = ImportJob.Policy.UPDATE,
    party_kind: str = "",
    dry_run: bool = False,
    phone_region: str = "",
) -> ImportJob:
    """Keep ``upload`` (an uploaded file, or any binary file) and create its job, not queued.

    Refuses (``ValidationError``) a file that is too large, empty or of a type that is not
    imported, unknown options and a mapping naming unknown attributes; refuses
    (``PermissionDenied``) an actor who may not add customers. The file is stored under a
    random name; ``original_name`` (default: the upload's name) is kept only as text.
    """
    if not (actor is not None and actor.has_perm("parties.add_party")):
        raise PermissionDenied(_("You may not add customers."))
    name = safe_filename(original_name or getattr(upload, "name", "") or "", default="import")
    check_file(upload, name)
    errors = check_options(
        preset=preset,
        encoding=encoding,
        policy=policy,
        party_kind=party_kind,
        phone_region=phone_region,
    )
    if mapping:
        problems = presets.check_mapping(mapping, party_services.definitions().keys())
        if problems:
            errors["map"] = problems
    if errors:
        raise ValidationError(errors)
    path, digest, size = _store(upload, _extension(name))
    job = ImportJob.objects.create(
        created_by=actor,
        path=str(path.resolve()),
        original_name=name[:255],
        size=size,
        digest=digest,
        encoding=encoding,
        phone_region=phone_region.strip().upper(),
        preset=preset,
        mapping=dict(mapping or {}),
        source=(source or "import").strip()[:30] or "import",
        consent=consent_text(consent, evidence),
        evidence=" ".join(evidence.split())[:500],
        policy=policy or ImportJob.Policy.UPDATE,
        party_kind=party_kind,
        dry_run=dry_run,
    )
    record_change(job, actor=actor, action="create", changes=diff({}, snapshot(job, JOB_FIELDS)))
    return job


def fail(job: ImportJob, message: str) -> ImportJob:
    """Mark ``job`` failed with ``message`` (what a person reads on the job page)."""
    job.status = ImportJob.Status.FAILED
    job.error = message
    job.finished_at = timezone.now()
    job.save()
    return job


def _open(job: ImportJob) -> reading.Table:
    # The size was checked when the file was uploaded; the reader must not refuse it again.
    return reading.open_table(
        job.path, name=job.original_name, encoding=job.encoding or None, max_bytes=sys.maxsize
    )


def inspect(job: ImportJob) -> list[str]:
    """Read the file's header row and the rows the preview shows; record the file's format,
    encoding and header on the job.

    A file that cannot be read fails the job with the reader's message (``ReadError`` is
    raised again for the caller to show).
    """
    try:
        with _open(job) as table:
            job.kind, job.encoding, job.header = table.kind, table.encoding, list(table.header)
            for count, _row in enumerate(table.rows(), 1):  # the rows the preview shows
                if count >= PREVIEW_ROWS:
                    break
    except reading.ReadError as error:
        fail(job, str(error))
        raise
    job.save()
    return job.header


# --- Mapping ----------------------------------------------------------------------------------


def header_signature(header: Iterable[str]) -> str:
    """SHA-256 of the header row, normalised: NFKC, case-folded, spaces collapsed, in order."""
    cells = (" ".join(unicodedata.normalize("NFKC", cell).casefold().split()) for cell in header)
    return hashlib.sha256("\x1f".join(cells).encode()).hexdigest()


def remembered(source: str, header: Sequence[str]) -> ImportMapping | None:
    return ImportMapping.objects.filter(source=source, signature=header_signature(header)).first()


def known_codes() -> list[str]:
    return list(AttributeDefinition.objects.filter(is_active=True).values_list("code", flat=True))


@dataclass
class Suggestion:
    """The mapping offered for a file: ``{column: spec or None}`` for every column."""

    mapping: dict[str, str | None]
    kind: str
    preset: str
    remembered: bool


def suggested_mapping(job: ImportJob, header: Sequence[str]) -> Suggestion:
    """The mapping remembered for this source and header, else the engine's (the preset's,
    or suggestions from the column names), with the job's own entries on top."""
    memory = remembered(job.source, header)
    if memory is not None:
        preset = job.preset or memory.preset
        known_preset = presets.get(preset) if preset else None
        kind = (
            job.party_kind
            or memory.party_kind
            or (known_preset.kind if known_preset is not None else "")
            or "person"
        )
        mapping = {column: memory.mapping.get(column) for column in header}
        mapping.update({c: s for c, s in (job.mapping or {}).items() if c in mapping})
        return Suggestion(mapping, kind, preset, remembered=True)
    probe = ImportJob(preset=job.preset, party_kind=job.party_kind, mapping=job.mapping)
    resolved, kind = engine.resolve_mapping(list(header), probe, known_codes())
    mapping = {column: resolved.get(column) or None for column in header}
    return Suggestion(mapping, kind, probe.preset, remembered=False)


def remember(job: ImportJob, mapping: Mapping[str, str | None], *, actor: Any) -> ImportMapping:
    memory, _created = ImportMapping.objects.update_or_create(
        source=job.source,
        signature=header_signature(job.header),
        defaults={
            "header": list(job.header),
            "mapping": dict(mapping),
            "preset": job.preset,
            "party_kind": job.party_kind,
            "updated_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    return memory


# --- What a reader sees of a file's cells -----------------------------------------------------


def _level(user: Any, definition: AttributeDefinition | None) -> str:
    if user is None:
        return privacy.FULL
    if not getattr(user, "is_authenticated", False):
        return privacy.HIDDEN
    if definition is None:  # a column no attribute describes: personal information
        return str(user.field_access(AttributeDefinition.Sensitivity.PERSONAL))
    return privacy.access(user, definition)


def readable_cell(user: Any, definition: AttributeDefinition | None, text: str) -> str:
    """A cell of the file as ``user`` may read it: in full, masked, or empty."""
    level = _level(user, definition)
    if level == privacy.FULL or not text:
        return text
    if level == privacy.HIDDEN:
        return ""
    return privacy.mask_text(text, definition.validator if definition is not None else "")


def readable_in_full(user: Any, definition: AttributeDefinition | None) -> bool:
    return _level(user, definition) == privacy.FULL


def column_definitions(
    mapping: Mapping[str, str | None], known: Mapping[str, AttributeDefinition]
) -> dict[str, AttributeDefinition | None]:
    """Each mapped column's attribute (``None`` for ignored columns and the pseudo targets
    ``phones`` and ``addresses``, which hold personal information)."""
    found: dict[str, AttributeDefinition | None] = {}
    for column, spec in mapping.items():
        target = presets.parse_target(spec)[0] if spec else ""
        found[column] = known.get(target) if target else None
    return found


# --- Preview ----------------------------------------------------------------------------------


@dataclass
class PreviewCell:
    code: str
    text: str
    problems: list[str] = field(default_factory=list)


@dataclass
class PreviewRow:
    line: int
    cells: list[PreviewCell]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems and not any(cell.problems for cell in self.cells)


@dataclass
class Preview:
    """The first rows of a file as they will be stored."""

    header: list[str]
    mapping: dict[str, str | None]
    kind: str
    preset: str
    remembered: bool
    samples: dict[str, str]  # column → first non-empty cell, as the reader may see it
    codes: list[str]  # attributes the rows fill, in order
    labels: dict[str, str]
    rows: list[PreviewRow]
    problems: list[str]  # the mapping's own problems (unknown attribute or transform)

    @property
    def headings(self) -> list[tuple[str, str]]:
        return [(code, self.labels.get(code, code)) for code in self.codes]


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {key: [str(m) for m in messages] for key, messages in error.message_dict.items()}
    return {"__all__": [str(m) for m in error.messages]}


def _preview_row(
    user: Any,
    line: int,
    row: Mapping[str, str],
    compiled: presets.CompiledMapping,
    kind: str,
    known: Mapping[str, AttributeDefinition],
    region: str = "",
) -> PreviewRow:
    values, problems = presets.map_row(row, compiled, kind=kind, region=region or None)
    values = {code: value for code, value in values.items() if str(value).strip()}
    row_kind = str(values.pop("kind", "") or kind)
    name = str(values.get(party_services.NAME, "") or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors[party_services.NAME] = [_("A customer needs a name.")]
    cleaned: dict[str, Any] = {}
    try:
        for valid, value, _text in party_services.validate_values(row_kind, values, known):
            cleaned[valid.code] = value
    except ValidationError as error:
        for code, messages in _messages(error).items():
            errors.setdefault(code, []).extend(messages)
    cells = []
    for code in values:
        definition = known.get(code)
        if code in cleaned and definition is not None:
            seen = privacy.shown(user, definition, cleaned[code])
            text = seen.text if seen.visible else ""
        else:
            text = readable_cell(user, definition, str(values[code]))
        cells.append(PreviewCell(code, text, errors.pop(code, [])))
    if party_services.NAME in errors:
        cells.insert(0, PreviewCell(party_services.NAME, "", errors.pop(party_services.NAME)))
    for messages in errors.values():
        problems.extend(messages)
    return PreviewRow(line, cells, problems)


def preview(
    job: ImportJob,
    *,
    user: Any,
    mapping: Mapping[str, str | None] | None = None,
    rows: int = PREVIEW_ROWS,
) -> Preview:
    """The header, the mapping (``mapping``, else the suggested one) and the first ``rows``
    rows mapped and validated as the import will store them, shown as ``user`` may read them.

    Raises ``reading.ReadError`` when the file cannot be read (the job is then failed).
    """
    known = party_services.definitions()
    try:
        with _open(job) as table:
            header = list(table.header)
            suggestion = suggested_mapping(job, header)
            if mapping is not None:
                chosen = {column: mapping.get(column) or None for column in header}
                kind = job.party_kind or suggestion.kind
            else:
                chosen, kind = suggestion.mapping, suggestion.kind
            problems = presets.check_mapping(chosen, [c for c, d in known.items() if d.is_active])
            raw: list[tuple[int, dict[str, str]]] = []
            for line, row in table.rows():
                raw.append((line, row))
                if len(raw) >= rows:
                    break
    except reading.ReadError as error:
        fail(job, str(error))
        raise
    columns = column_definitions(chosen, known)
    samples: dict[str, str] = {}
    for column in header:
        first = next((row[column] for _line, row in raw if (row.get(column) or "").strip()), "")
        samples[column] = readable_cell(user, columns.get(column), first[:200])
    preview_rows: list[PreviewRow] = []
    if not problems:
        compiled = presets.compile_mapping(chosen)
        preview_rows = [
            _preview_row(user, line, row, compiled, kind, known, job.phone_region)
            for line, row in raw
        ]
    codes: list[str] = []
    for preview_row in preview_rows:
        codes.extend(cell.code for cell in preview_row.cells if cell.code not in codes)
    if party_services.NAME in codes:
        codes.remove(party_services.NAME)
        codes.insert(0, party_services.NAME)
    for preview_row in preview_rows:
        by_code = {cell.code: cell for cell in preview_row.cells}
        preview_row.cells = [by_code.get(code) or PreviewCell(code, "") for code in codes]
    labels = {code: (known[code].label if code in known else code) for code in codes}
    return Preview(
        header=header,
        mapping=chosen,
        kind=kind,
        preset=suggestion.preset,
        remembered=suggestion.remembered,
        samples=samples,
        codes=codes,
        labels=labels,
        rows=preview_rows,
        problems=problems,
    )


# --- Running ----------------------------------------------------------------------------------


def enqueue(job: ImportJob) -> None:
    """Hand ``job`` to the worker once the current transaction commits."""
    from huike.imports.tasks import run_import

    job_id = job.pk
    transaction.on_commit(lambda: run_import(job_id))


@transaction.atomic
def queue(
    job: ImportJob,
    *,
    actor: Any,
    mapping: Mapping[str, str | None] | None = None,
    dry_run: bool = False,
    remember_mapping: bool = True,
) -> ImportJob:
    """Confirm the job's mapping and hand it to the worker; remember the mapping for the next
    file with the same source and header."""
    if not job.is_draft:
        raise ValidationError(_("This import has already been started."))
    if mapping is not None:
        problems = presets.check_mapping(mapping, known_codes())
        if problems:
            raise ValidationError({"map": problems})
        job.mapping = {column: spec or None for column, spec in mapping.items()}
        if remember_mapping and job.header:
            remember(job, job.mapping, actor=actor)
    job.dry_run = dry_run
    job.queued_at = timezone.now()
    job.save()
    record_change(
        job,
        actor=actor,
        action="action",
        message="dry run queued" if dry_run else "import queued",
        changes={"dry_run": dry_run, "mapping": job.mapping},
    )
    enqueue(job)
    return job


@transaction.atomic
def import_checked(job: ImportJob, *, actor: Any) -> ImportJob:
    """After a dry run: import the same file with the same options and mapping, for real."""
    if not (job.dry_run and job.status == ImportJob.Status.DONE):
        raise ValidationError(_("Only a finished dry run can be imported."))
    if not actor.has_perm("parties.add_party"):
        raise PermissionDenied(_("You may not add customers."))
    copy = ImportJob.objects.create(
        created_by=actor,
        **{name: getattr(job, name) for name in (*JOB_FIELDS, "path", "kind", "header")},
        mapping=dict(job.mapping),
    )
    copy.dry_run = False
    copy.queued_at = timezone.now()
    copy.save()
    record_change(
        copy,
        actor=actor,
        action="create",
        message=f"import after dry run #{job.pk}",
        changes=diff({}, snapshot(copy, JOB_FIELDS)),
    )
    enqueue(copy)
    return copy


@transaction.atomic
def cancel(job: ImportJob, *, actor: Any) -> ImportJob:
    """Stop ``job``: one that has not started stops at once; a running one after the batch in
    progress (each batch is written whole or not at all)."""
    if job.is_finished:
        raise ValidationError(_("This import has already finished."))
    now = timezone.now()
    stopped = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.CANCELLED, cancel_requested=True, finished_at=now
    )
    if not stopped:
        ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    job.refresh_from_db()
    record_change(job, actor=actor, action="action", message="cancel requested")
    return job


def claim(job_id: int) -> ImportJob | None:
    """Take a queued job (or one whose worker stopped) for this worker; ``None`` when it is
    finished, not queued, or running elsewhere."""
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=STALE)
    taken = (
        ImportJob.objects.filter(pk=job_id, queued_at__isnull=False)
        .filter(
            Q(status=ImportJob.Status.PENDING)
            | Q(status=ImportJob.Status.RUNNING, heartbeat_at__lt=stale)
        )
        .update(status=ImportJob.Status.RUNNING, heartbeat_at=now)
    )
    return ImportJob.objects.select_related("created_by").get(pk=job_id) if taken else None


class Paused(Exception):
    """Huike was paused while a job ran: it stops after the batch and waits."""


def _beat(job: ImportJob) -> None:
    """After each batch: show progress on the page, and stop when Huike is paused."""
    from huike.ops.services import is_paused

    ImportJob.objects.filter(pk=job.pk).update(progress=job.progress, heartbeat_at=timezone.now())
    if not job.is_finished and is_paused():
        raise Paused


def execute(job: ImportJob, *, batch_size: int = engine.BATCH) -> ImportJob:
    """Run a claimed job in the worker. Never raises: an unexpected error fails the job with
    a message for the person who started it (details in the worker's log)."""
    user = job.created_by
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        if job.cancel_requested:
            job.status = ImportJob.Status.CANCELLED
            job.finished_at = timezone.now()
            job.save()
            return job
        try:
            return engine.run(job, progress=_beat, batch_size=batch_size)
        except Paused:
            ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.PENDING)
        except Exception:
            logger.exception("import job %s stopped by an unexpected error", job.pk)
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.FAILED,
                finished_at=timezone.now(),
                error=_(
                    "The import stopped because of an unexpected error. The batches written "
                    "before it are kept. Tell your administrator (import #{number})."
                ).format(number=job.pk),
            )
    job.refresh_from_db()
    return job


def waiting_jobs() -> list[int]:
    """Queued jobs nobody picked up in time, and running jobs whose worker stopped."""
    now = timezone.now()
    unclaimed = now - datetime.timedelta(seconds=UNCLAIMED)
    stale = now - datetime.timedelta(seconds=STALE)
    return list(
        ImportJob.objects.filter(queued_at__isnull=False)
        .filter(
            Q(status=ImportJob.Status.PENDING, queued_at__lt=unclaimed)
            | Q(status=ImportJob.Status.RUNNING, heartbeat_at__lt=stale)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:100]
    )


# --- Progress ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    percent: int
    rows: int
    total: int | None  # estimated from the share of the file read
    rate: float | None  # rows per second
    eta: int | None  # seconds left


def progress(job: ImportJob, now: Any = None) -> Progress:
    """How far ``job`` got: rows done, the likely total, rows per second and time left."""
    now = now or timezone.now()
    share = max(0.0, min(1.0, job.progress or 0.0))
    if job.status == ImportJob.Status.DONE:
        share = 1.0
    total: int | None = None
    if share >= 1.0 or job.is_finished:
        total = job.rows_done if share >= 1.0 else None
    elif share > 0 and job.rows_done:
        total = max(job.rows_done, round(job.rows_done / share))
    rate = None
    if job.started_at is not None and job.rows_done:
        elapsed = ((job.finished_at or now) - job.started_at).total_seconds()
        if elapsed > 0:
            rate = round(job.rows_done / elapsed, 1)
    eta = None
    if job.status == ImportJob.Status.RUNNING and rate and total is not None:
        eta = max(0, round((total - job.rows_done) / rate))
    return Progress(round(share * 100), job.rows_done, total, rate, eta)


# --- Rejected rows ----------------------------------------------------------------------------


def problem_reasons(problem: ImportProblem) -> str:
    """The reasons of a problem row in one line (as ``huike import --rejects`` writes them)."""
    return "; ".join(
        f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
        for name, messages in problem.reasons.items()
    )


def readable_row(user: Any, job: ImportJob, problem: ImportProblem) -> list[tuple[str, str]]:
    """A problem row's ``[column, value]`` pairs as ``user`` may read them."""
    columns = column_definitions(job.mapping or {}, party_services.definitions())
    return [
        (str(column), readable_cell(user, columns.get(column), str(value)))
        for column, value in problem.pairs
        if str(value).strip()
    ]


def rejects(job: ImportJob, *, user: Any) -> tuple[list[str], Iterator[list[str]], int]:
    """The rejected rows as they were, plus a column saying why: ``(header, rows, count)``
    for a CSV download (cells are neutralised against formulas when written).

    A cell ``user`` may not read in full is left empty: the file is for fixing and importing
    again, and a masked value would be imported as it reads.
    """
    problems = list(job.problems.filter(kind=ImportProblem.Kind.REJECTED).order_by("line"))
    rows_as_given = {problem.pk: problem.pairs for problem in problems}
    columns: list[str] = []
    for problem in problems:
        columns.extend(c for c, _value in rows_as_given[problem.pk] if c not in columns)
    definitions = column_definitions(job.mapping or {}, party_services.definitions())
    full = {column: readable_in_full(user, definitions.get(column)) for column in columns}

    def rows() -> Iterator[list[str]]:
        for problem in problems:
            data = dict(rows_as_given[problem.pk])
            cells = [data.get(column, "") if full[column] else "" for column in columns]
            yield [*cells, problem_reasons(problem)]

    return [*columns, _("Problems")], rows(), len(problems)
