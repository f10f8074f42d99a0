"""Running an import job: read the file, map each row, match, write in batches with a checkpoint.

Each batch is one transaction that also moves the job's ``checkpoint`` to its last line, so a
crash loses at most the batch in progress and a restart continues after the checkpoint. Rows are
written through the customer services (validation, survivorship, search keys, change log,
suppression list, field-level edit rights), each in a savepoint: one bad row is rejected with its
reasons and the batch goes on. Every observation's ``source_ref`` names the file's digest and
line, so importing the same file again skips the rows it already holds.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huike.imports import presets, reading
from huike.imports.models import ImportJob, ImportProblem
from huike.parties import services
from huike.parties.models import GoldenValue, Observation, Party, SearchKey
from huike.parties.text import normalise_email, normalise_phone

BATCH = 500
Progress = Callable[[ImportJob], None]


def file_digest(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def row_ref(job: ImportJob, line: int) -> str:
    """What each observation of a row says about where it came from (≤ 200 characters)."""
    return f"{job.original_name[:150]}#{line} ({job.digest[:12]})"


def resolve_mapping(
    header: list[str], job: ImportJob, known: Iterable[str]
) -> tuple[dict[str, Any], str]:
    """The job's mapping and the kind of customer its rows are: the preset's (named or
    recognised from the header), else suggestions from the column names, then the user's own
    ``--map`` entries on top."""
    known = list(known)
    preset = presets.get(job.preset) if job.preset else presets.recognise(header)
    kind = job.party_kind or (preset.kind if preset is not None else "") or "person"
    if preset is not None:
        job.preset = preset.code
        mapping: dict[str, Any] = dict(preset.mapping_for(header, known))
    else:
        mapping = dict(presets.suggest(header, known, kind=kind))
    mapping.update(job.mapping or {})
    return {column: target for column, target in mapping.items() if target}, kind


def _party(party_ids: Any) -> Party | None:
    """The customer with the first of ``party_ids`` (a ``values_list`` queryset), if any."""
    first = list(party_ids[:1])
    return Party.objects.filter(pk=first[0]).first() if first else None


def find_match(values: Mapping[str, Any]) -> Party | None:
    """An existing customer with the same external id, e-mail or mobile (exact keys only; the
    identity-resolution issue plugs fuzzy matching in here)."""
    external = str(values.get("external_id") or "").strip()
    if external:
        found = _party(
            GoldenValue.objects.filter(
                attribute__code="external_id", value_text=external
            ).values_list("party_id", flat=True)
        )
        if found:
            return found
    try:
        email = normalise_email(str(values.get("email") or "")) if values.get("email") else ""
        e164 = normalise_phone(str(values["mobile"])) if values.get("mobile") else ""
    except ValidationError:
        return None  # the row is rejected when it is validated
    if email:
        found = _party(
            SearchKey.objects.filter(kind=SearchKey.Kind.EMAIL, value=email).values_list(
                "party_id", flat=True
            )
        )
        if found:
            return found
    if e164:
        return _party(
            GoldenValue.objects.filter(attribute__code="mobile", value_text=e164).values_list(
                "party_id", flat=True
            )
        )
    return None


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {key: [str(m) for m in messages] for key, messages in error.message_dict.items()}
    return {"__all__": [str(m) for m in error.messages]}


def _process_row(
    job: ImportJob, line: int, row: dict[str, str], mapping: Any, actor: Any, kind: str
) -> str:
    """Import one row; returns what happened: created, updated, skipped, rejected, duplicate."""
    values, problems = presets.map_row(row, mapping, kind=kind)
    values = {code: value for code, value in values.items() if str(value).strip()}
    kind = str(values.pop("kind", "") or kind)
    name = str(values.pop("name", "") or "").strip()
    if problems or not name:
        errors = {"__all__": list(problems)} if problems else {}
        if not name:
            errors["name"] = [_("A customer needs a name.")]
        _problem(job, line, row, errors, ImportProblem.Kind.REJECTED)
        return "rejected"
    provenance = services.Provenance(
        source=job.source, source_ref=row_ref(job, line), consent=job.consent
    )
    match = None if job.policy == ImportJob.Policy.CREATE else find_match(values)
    if match is not None and job.policy == ImportJob.Policy.SKIP:
        return "skipped"
    if match is not None and job.policy == ImportJob.Policy.REVIEW:
        _problem(job, line, row, {}, ImportProblem.Kind.REVIEW, party=match)
        return "duplicate"
    try:
        with transaction.atomic():
            if job.dry_run:
                services.check_suppression(values)
                services.validate_values(kind, {services.NAME: name, **values})
            elif match is not None:
                services.record_observations(match, values, actor=actor, provenance=provenance)
            else:
                services.create_party(
                    actor=actor,
                    kind=kind,
                    name=name,
                    attributes=values,
                    provenance=provenance,
                    owner=actor if getattr(actor, "is_authenticated", False) else None,
                )
    except ValidationError as error:
        _problem(job, line, row, _messages(error), ImportProblem.Kind.REJECTED)
        return "rejected"
    return "updated" if match is not None else "created"


def _problem(
    job: ImportJob,
    line: int,
    row: dict[str, str],
    errors: dict[str, list[str]],
    kind: str,
    party: Party | None = None,
) -> None:
    if job.dry_run and kind == ImportProblem.Kind.REVIEW:
        return
    ImportProblem.objects.update_or_create(
        job=job,
        line=line,
        # [column, value] pairs: a JSON object loses the column order on PostgreSQL (jsonb).
        defaults={
            "kind": kind,
            "data": [[column, value] for column, value in row.items()],
            "errors": errors,
            "party": party,
        },
    )


def _commit(
    job: ImportJob, batch: list[tuple[int, dict[str, str]]], mapping: Any, kind: str
) -> None:
    actor = job.created_by
    refs = {row_ref(job, line): line for line, _row in batch}
    already = set(
        Observation.objects.filter(source=job.source, source_ref__in=list(refs)).values_list(
            "source_ref", flat=True
        )
    )
    counts = {"created": 0, "updated": 0, "skipped": 0, "rejected": 0, "duplicate": 0}
    with transaction.atomic():
        for line, row in batch:
            if row_ref(job, line) in already:
                counts["skipped"] += 1  # imported before: the same file again
                continue
            counts[_process_row(job, line, row, mapping, actor, kind)] += 1
        job.created += counts["created"]
        job.updated += counts["updated"]
        job.skipped += counts["skipped"]
        job.rejected += counts["rejected"]
        job.duplicates += counts["duplicate"]
        job.rows_done += len(batch)
        job.checkpoint = batch[-1][0]
        job.save()


def run(job: ImportJob, *, progress: Progress | None = None, batch_size: int = BATCH) -> ImportJob:
    """Import ``job``'s file from its checkpoint on; safe to call again after a crash."""
    job.status = ImportJob.Status.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.save()
    try:
        table = reading.open_table(
            job.path, name=job.original_name, encoding=job.encoding or None, max_bytes=sys.maxsize
        )
        job.kind, job.encoding = table.kind, table.encoding
        mapping, kind = resolve_mapping(table.header, job, services.definitions().keys())
        job.mapping = mapping
        job.save()
        compiled = presets.compile_mapping(mapping)

        def broken(skipped: reading.Skipped) -> None:  # a record the reader could not read
            if skipped.line > job.checkpoint:
                _problem(
                    job,
                    skipped.line,
                    {"": str(skipped.raw)[:2000]},
                    {"__all__": [str(skipped.message)]},
                    ImportProblem.Kind.REJECTED,
                )

        batch: list[tuple[int, dict[str, str]]] = []
        with table:
            for line, row in table.rows(on_skip=broken):
                if line <= job.checkpoint:
                    continue
                batch.append((line, row))
                if len(batch) >= batch_size:
                    _commit(job, batch, compiled, kind)
                    batch = []
                    job.progress = table.progress()
                    if progress:
                        progress(job)
                    if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
                        job.status = ImportJob.Status.CANCELLED
                        break
            else:
                if batch:
                    _commit(job, batch, compiled, kind)
                job.status = ImportJob.Status.DONE
                job.progress = 1.0
    except reading.ReadError as error:
        job.status = ImportJob.Status.FAILED
        job.error = str(error)
    job.finished_at = timezone.now()
    job.save()
    if progress:
        progress(job)
    return job
