"""Running an import job: read the file, map each row, match, write in batches with a checkpoint.

Each batch is one transaction that also moves the job's ``checkpoint`` to its last line, so a
crash loses at most the batch in progress and a restart continues after the checkpoint.

A batch is set-based: every row is mapped and checked in memory (validation with the attribute
definitions read once, field-level edit rights), the suppression list and the exact-match keys
(external id, e-mail, mobile) are looked up for the whole batch in a handful of queries, and the
rows that create customers are written together by :mod:`huike.imports.writer`. Rows that add to
an existing customer go one by one through the customer services (survivorship decides the
golden values). A bad row is rejected with its reasons and the batch goes on. Every
observation's ``source_ref`` names the file's digest and line, so importing the same file again
skips the rows it already holds.

Rows without an exact match are also compared, the whole batch in one call of
``identity.matching.candidates_for_features``, with the customers already on file that the importer
may see: a row that probably is one of them is still created (never merged at import time), and
each such pair is queued for review (``MatchCandidate``, found by "import") and the row counted
in ``ImportJob.duplicates``. Rows of one batch are not compared with each other (nor with
customers created by the same batch): the duplicate search (``huike dedupe``) finds those.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from huike.core import sql
from huike.identity import matching
from huike.identity import services as identity
from huike.identity.models import MatchCandidate
from huike.imports import pipeline, presets, reading, writer
from huike.imports.models import ImportJob, ImportProblem
from huike.imports.prepare import SENSITIVITIES, Plan, Prepared, messages
from huike.parties import population, services
from huike.parties.models import AttributeDefinition, GoldenValue, Observation, Party, SearchKey
from huike.parties.text import normalise_email, normalise_phone, phone_region

# Rows a transaction writes: fewer, larger commits cost less per row (2,500 measured about 25%
# faster than 1,000 at 100k rows); a crash loses at most one batch in progress.
BATCH = 2500
# SQLite's page cache while importing (KiB, negative as PRAGMA cache_size takes it): big enough
# that the value indexes stay in memory for a long while, small enough for a 1 GB budget.
IMPORT_CACHE_KIB = -256 * 1024
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


def find_match(values: Mapping[str, Any]) -> Party | None:
    """An existing customer with the same external id, e-mail or mobile (exact keys only:
    values are added to a customer only on such evidence; a likely duplicate found by fuzzy
    matching is queued for review instead). ``values`` as a form or file gives them;
    :func:`find_matches` does the same for a batch of validated keys."""
    keys = exact_keys(values)
    if keys is None:
        return None  # the row is rejected when it is validated
    found = find_matches([keys])[0]
    return Party.objects.filter(pk=found).first() if found else None


def exact_keys(values: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(external id, normalised e-mail, E.164 mobile) of values as a form or file gives them
    (empty when absent), as :func:`find_matches` takes them; None when the e-mail or mobile
    cannot be read."""
    try:
        email = normalise_email(str(values.get("email") or "")) if values.get("email") else ""
        e164 = normalise_phone(str(values["mobile"])) if values.get("mobile") else ""
    except ValidationError:
        return None
    return str(values.get("external_id") or "").strip(), email, e164


class JobFailed(Exception):
    """The job cannot start (an unknown consent purpose…): the message says why, translated."""


@dataclass
class Context:
    """What a job reads once: how to prepare its rows, the consent declared for the file, and
    the set-based writer."""

    job: ImportJob
    plan: Plan
    consent: writer.Consent | None
    writer: writer.Writer
    seen_before: bool = False

    @classmethod
    def start(
        cls,
        job: ImportJob,
        mapping: presets.CompiledMapping,
        kind: str,
        known: dict[str, AttributeDefinition],
    ) -> Context:
        actor = job.created_by
        consent = declared_consent(job)
        return cls(
            job=job,
            plan=Plan(
                mapping=mapping,
                kind=kind,
                known=known,
                editable={
                    sensitivity: actor is None or actor.may_edit_field(sensitivity)
                    for sensitivity in SENSITIVITIES
                },
                language=get_language() or settings.LANGUAGE_CODE,
                region=job.phone_region or phone_region(),
            ),
            consent=consent,
            writer=writer.Writer(
                actor=actor,
                source=job.source,
                consent_text=job.consent,
                consent=consent,
                known=known,
            ),
            seen_before=_seen_before(job),
        )


def declared_consent(job: ImportJob) -> writer.Consent | None:
    """The consent-ledger entry the job's ``consent`` ("PURPOSE" or "PURPOSE: EVIDENCE")
    declares for every customer it writes; None when it names no consent-based purpose.

    Raises :class:`JobFailed` for an unknown purpose, a retired one, or one needing separate
    consent (notice and evidence) that the declaration cannot give.
    """
    from huike.privacy.models import ConsentNotice, Purpose

    code, _sep, evidence = (job.consent or "").partition(":")
    code = code.strip()
    evidence = (job.evidence or evidence).strip()
    if not code:
        return None
    purpose = Purpose.objects.filter(code__iexact=code).first()
    if purpose is None:
        known = ", ".join(Purpose.objects.filter(is_active=True).values_list("code", flat=True))
        raise JobFailed(
            _("Unknown purpose “{code}” in the consent declared. Known purposes: {known}.").format(
                code=code, known=known
            )
        )
    if not purpose.needs_consent:
        return None  # another legal basis: stamped on the observations, nothing to grant
    if not purpose.is_active:
        raise JobFailed(
            _("“{purpose}” is retired; consent to it can no longer be given.").format(
                purpose=purpose
            )
        )
    notice = (
        ConsentNotice.objects.filter(purpose=purpose, published_at__lte=timezone.now())
        .order_by("-published_at", "-version")
        .first()
    )
    if purpose.requires_separate_consent and (notice is None or not evidence):
        raise JobFailed(
            _(
                "“{purpose}” needs separate consent: declare it as “{code}: evidence” and "
                "publish its notice first."
            ).format(purpose=purpose, code=purpose.code)
        )
    return writer.Consent(
        purpose=purpose,
        notice=notice,
        evidence=evidence or _("declared for import “{file}”").format(file=job.original_name),
        language=get_language() or settings.LANGUAGE_CODE,
    )


def _lookup(model: Any, column: str, values: set[str], **where: Any) -> dict[str, int]:
    """``{value: party id}`` for the rows of ``model`` whose ``column`` is one of ``values``
    (the lowest party id when several share one)."""
    found: dict[str, int] = {}
    if not values or None in where.values():
        return found
    rows = sql.select_in(model, f'"{column}", party_id', column, sorted(values), where=where)
    for value, party_id in sorted(rows, key=lambda row: row[1]):
        found.setdefault(value, party_id)
    return found


def find_matches(keys: list[tuple[str, str, str]]) -> list[int | None]:
    """:func:`find_match` for many rows in a few queries (one per key and 500 values): each
    row's matching party id, given its (external id, normalised e-mail, E.164 mobile)."""
    attributes = dict(
        AttributeDefinition.objects.filter(code__in=("external_id", "mobile")).values_list(
            "code", "pk"
        )
    )
    externals = _lookup(
        GoldenValue,
        "value_text",
        {k[0] for k in keys if k[0]},
        attribute_id=attributes.get("external_id"),
    )
    emails = _lookup(
        SearchKey, "value", {k[1] for k in keys if k[1]}, kind=SearchKey.Kind.EMAIL.value
    )
    mobiles = _lookup(
        GoldenValue,
        "value_text",
        {k[2] for k in keys if k[2]},
        attribute_id=attributes.get("mobile"),
    )
    return [
        externals.get(external) or emails.get(email) or mobiles.get(mobile)
        for external, email, mobile in keys
    ]


def _likely_duplicates(
    rows: list[Prepared], visible: Any = None
) -> list[list[tuple[int, matching.Score]]]:
    """For each row about to create a customer, the customers on file it probably is (scoring
    "maybe" or more), among ``visible`` (a queryset; None: every customer): one matching call
    and one scope query for the whole batch. A name shared by more than
    ``IMPORT_NAME_BLOCK`` customers is no reason on its own to compare (see
    ``matching.candidates_for_features``): ``huike dedupe`` compares those too."""
    if not rows:
        return []
    found = matching.candidates_for_features(
        [item.features for item in rows],
        keys=[item.match_keys for item in rows],
        name_block=settings.IMPORT_NAME_BLOCK,
    )
    if visible is not None:
        ids = sorted({pk for pairs in found for pk, _score in pairs})
        seen: set[int] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            seen.update(visible.filter(pk__in=chunk).values_list("pk", flat=True))
        found = [[(pk, score) for pk, score in pairs if pk in seen] for pairs in found]
    return found


def _suppressed(prepared: list[Prepared]) -> list[dict[str, list[str]]]:
    """For each row, the suppression-list errors it gets (one query for the batch)."""
    pairs = {pair for item in prepared for pair in item.contacts.values()}
    if not pairs:
        return [{} for _item in prepared]
    from huike.subjects.suppression import on_list

    live = on_list(pairs)
    message = str(services.SUPPRESSED)
    return [
        {code: [message] for code, pair in item.contacts.items() if pair in live}
        for item in prepared
    ]


def _grant(context: Context, party: Party) -> None:
    """The declared consent for a customer the row was added to (new ones get theirs from
    the writer, in bulk)."""
    consent = context.consent
    if consent is None:
        return
    from huike.privacy.models import Channel
    from huike.privacy.services import grant

    grant(
        party,
        consent.purpose,
        actor=context.job.created_by,
        notice=consent.notice,
        channel=Channel.IMPORT,
        evidence=consent.evidence,
        language=consent.language,
    )


def _add_to(context: Context, item: Prepared, party: Party | None) -> str:
    """Add a row to the customer it matches (or create it, when what it matched was a row of
    the same batch that turned out invalid), one row at a time through the services."""
    job = context.job
    actor = job.created_by
    provenance = services.Provenance(
        source=job.source, source_ref=row_ref(job, item.line), consent=job.consent
    )
    outcome = "updated" if party is not None else "created"
    try:
        with transaction.atomic():
            if party is not None:
                services.record_observations(party, item.values, actor=actor, provenance=provenance)
            else:
                party = services.create_party(
                    actor=actor,
                    kind=item.kind,
                    name=item.name,
                    attributes=item.values,
                    provenance=provenance,
                    owner=actor if getattr(actor, "is_authenticated", False) else None,
                )
            _grant(context, party)
    except ValidationError as error:
        _problem(job, item.line, item.row, messages(error), ImportProblem.Kind.REJECTED)
        return "rejected"
    return outcome


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
            "data": ImportProblem.seal(list(row.items())),
            "errors": ImportProblem.seal_errors(errors),
            "party": party,
        },
    )


def _seen_before(job: ImportJob) -> bool:
    """Whether another import of the same file may have written rows already (then each
    batch looks its rows up by ``source_ref``; a file imported for the first time skips that)."""
    return (
        ImportJob.objects.filter(digest=job.digest, dry_run=False)
        .exclude(pk=job.pk)
        .exclude(rows_done=0)
        .exists()
    )


def _commit(context: Context, batch: list[tuple[int, dict[str, str]]], results: list[Any]) -> None:
    """Import one prepared batch in one transaction that also moves the checkpoint to its
    last line."""
    job = context.job
    policy = job.policy
    counts = {"created": 0, "updated": 0, "skipped": 0, "rejected": 0, "duplicate": 0}
    flagged: set[int] = set()  # lines skipped, rejected or queued: no warning for them

    def count(item: Prepared, outcome: str) -> None:
        counts[outcome] += 1
        if outcome != "created" and outcome != "updated":
            flagged.add(item.line)

    with transaction.atomic():
        already: set[str] = set()
        if context.seen_before:
            refs = [row_ref(job, line) for line, _row in batch]
            already = set(
                Observation.objects.filter(source_ref__in=refs, source=job.source).values_list(
                    "source_ref", flat=True
                )
            )
        prepared: list[Prepared] = []
        for result in results:
            if already and row_ref(job, result.line) in already:
                counts["skipped"] += 1  # imported before: the same file again
            elif isinstance(result, Prepared):
                prepared.append(result)
            else:
                _problem(job, result.line, result.row, result.errors, ImportProblem.Kind.REJECTED)
                counts["rejected"] += 1
        accepted = []
        for item, errors in zip(prepared, _suppressed(prepared), strict=True):
            if errors:
                _problem(job, item.line, item.row, errors, ImportProblem.Kind.REJECTED)
                count(item, "rejected")
            else:
                accepted.append(item)
        matches: list[int | None] = (
            [None] * len(accepted)
            if policy == ImportJob.Policy.CREATE
            else find_matches([item.keys for item in accepted])
        )
        # Only customers the importer may see are matched: a row matching someone else's
        # customer creates the importer's own (identity resolution finds the pair later).
        actor = job.created_by
        candidates = Party.objects.all() if actor is None else Party.objects.visible_to(actor)
        parties = candidates.in_bulk([pk for pk in matches if pk is not None])
        new: list[Prepared] = []
        later: list[tuple[Prepared, Party | None]] = []  # one by one, after the new ones
        pending: set[str] = set()  # match keys of this batch's new customers
        for item, match in zip(accepted, matches, strict=True):
            party = parties.get(match) if match is not None else None
            keys = {f"{i}:{key}" for i, key in enumerate(item.keys) if key}
            if party is None and policy != ImportJob.Policy.CREATE and keys & pending:
                later.append((item, None))  # matches a customer this batch creates
                continue
            if party is None:
                pending |= keys
                new.append(item)
            elif policy == ImportJob.Policy.SKIP:
                count(item, "skipped")
            elif policy == ImportJob.Policy.REVIEW:
                _problem(job, item.line, item.row, {}, ImportProblem.Kind.REVIEW, party=party)
                count(item, "duplicate")
            else:
                later.append((item, party))
        counts["created"] += len(new)
        likely = _likely_duplicates(new, candidates if actor is not None else None)
        counts["duplicate"] += sum(1 for pairs in likely if pairs)
        if job.dry_run:
            outcome = {"skip": "skipped", "review": "duplicate"}.get(str(policy), "updated")
            for item, party in later:
                count(item, "updated" if party is not None else outcome)
        else:
            created = context.writer.write(new, [row_ref(job, item.line) for item in new])
            identity.queue_candidates(
                [
                    (party_id, other, score)
                    for party_id, pairs in zip(created, likely, strict=True)
                    for other, score in pairs
                ],
                found_by=MatchCandidate.FoundBy.IMPORT,
            )
            for item, party in later:
                if party is None:  # the customer this batch created for an earlier row
                    party = find_match({services.NAME: item.name, **item.values})
                    if party is not None and policy == ImportJob.Policy.SKIP:
                        count(item, "skipped")
                        continue
                    if party is not None and policy == ImportJob.Policy.REVIEW:
                        _problem(
                            job, item.line, item.row, {}, ImportProblem.Kind.REVIEW, party=party
                        )
                        count(item, "duplicate")
                        continue
                count(item, _add_to(context, item, party))
        for item in accepted:
            if item.warnings and item.line not in flagged:
                _problem(
                    job, item.line, item.row, {"__all__": item.warnings}, ImportProblem.Kind.WARNING
                )
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
    workers: pipeline.Inline | pipeline.Workers | None = None
    try:
        table = reading.open_table(
            job.path, name=job.original_name, encoding=job.encoding or None, max_bytes=sys.maxsize
        )
        job.kind, job.encoding = table.kind, table.encoding
        known = services.definitions()
        mapping, kind = resolve_mapping(table.header, job, known.keys())
        job.mapping = mapping
        job.save()
        context = Context.start(job, presets.compile_mapping(mapping), kind, known)

        def broken(skipped: reading.Skipped) -> None:  # a record the reader could not read
            if skipped.line > job.checkpoint:
                _problem(
                    job,
                    skipped.line,
                    {"": str(skipped.raw)[:2000]},
                    {"__all__": [str(skipped.message)]},
                    ImportProblem.Kind.REJECTED,
                )
                job.rejected += 1

        def commit_next() -> bool:
            """Commit the oldest batch in flight; False when the job was cancelled."""
            assert workers is not None
            batch, results = workers.next()
            _commit(context, batch, results)
            job.progress = table.progress()
            if progress:
                progress(job)
            if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
                job.status = ImportJob.Status.CANCELLED
                return False
            return True

        workers = pipeline.start(context.plan, job.size or Path(job.path).stat().st_size)
        batch: list[tuple[int, dict[str, str]]] = []
        going = True
        with table, population.bulk_load(DEFAULT_DB_ALIAS, IMPORT_CACHE_KIB):
            for line, row in table.rows(on_skip=broken):
                if line <= job.checkpoint:
                    continue
                batch.append((line, row))
                if len(batch) >= batch_size:
                    workers.submit(batch)
                    batch = []
                    if workers.full() and not commit_next():
                        going = False
                        break
            if going:
                if batch:
                    workers.submit(batch)
                while len(workers) and going:
                    going = commit_next()
            if going:
                job.status = ImportJob.Status.DONE
                job.progress = 1.0
    except (reading.ReadError, JobFailed) as error:
        job.status = ImportJob.Status.FAILED
        job.error = str(error)
    finally:
        if workers is not None:
            workers.close()
    job.finished_at = timezone.now()
    job.save()
    if progress:
        progress(job)
    return job
