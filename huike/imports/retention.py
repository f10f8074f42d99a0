"""How long imports keep what they hold about people beyond the customer records.

A finished job keeps its counts, but after ``IMPORT_KEEP_DAYS`` its problem rows (the rejected
rows as they were, which may hold contact details and identity numbers) and its uploaded file
are deleted. An upload whose columns were never confirmed is deleted with its job after a day.
Files outside the import folder (what ``huike import`` read from the caller's disk) are never
touched.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from huike.core import crypto
from huike.imports.models import PROBLEM_CONTEXT, ImportJob
from huike.imports.services import private_dir

FINISHED = (ImportJob.Status.DONE, ImportJob.Status.FAILED, ImportJob.Status.CANCELLED)
DRAFT_KEEP = datetime.timedelta(days=1)


def _remove_upload(job: ImportJob) -> bool:
    """Delete the job's file if it is an upload in the import folder."""
    if not job.path:
        return False
    path = Path(job.path)
    folder = private_dir().resolve()
    try:
        inside = path.resolve().is_relative_to(folder)
    except OSError:
        return False
    if not inside or not path.is_file():
        return False
    path.unlink()
    return True


def purge(now: datetime.datetime | None = None) -> dict[str, int]:
    """Apply the retention above; returns what was deleted."""
    now = now or timezone.now()
    counts = {"problems": 0, "files": 0, "drafts": 0}
    old = ImportJob.objects.filter(
        status__in=FINISHED,
        finished_at__lt=now - datetime.timedelta(days=settings.IMPORT_KEEP_DAYS),
    )
    for job in old.iterator():
        with transaction.atomic():
            deleted, _ = job.problems.all().delete()
            counts["problems"] += deleted
            if _remove_upload(job):
                counts["files"] += 1
                ImportJob.objects.filter(pk=job.pk).update(path="")
    drafts = ImportJob.objects.filter(
        status=ImportJob.Status.PENDING, queued_at__isnull=True, created_at__lt=now - DRAFT_KEEP
    )
    for job in drafts.iterator():
        if _remove_upload(job):
            counts["files"] += 1
        job.delete()
        counts["drafts"] += 1
    return counts


def reseal_problems(progress: crypto.Progress | None = None) -> int:
    """Re-seal the kept problem rows under the active key (``huike rotate-keys``); rows
    stored in plain text before sealing are sealed on the way."""
    from huike.imports.models import ImportProblem

    active = crypto.ring().active
    changed = []

    def current(stored: Any) -> bool:
        sealed = stored.get("sealed") if isinstance(stored, dict) else None
        return (
            isinstance(sealed, str)
            and crypto.is_sealed(sealed)
            and (crypto.key_id(sealed) == active)
        )

    def opens(stored: Any) -> bool:
        """Plain (stored before sealing), or sealed under a key this installation has."""
        sealed = stored.get("sealed") if isinstance(stored, dict) else None
        if not isinstance(sealed, str):
            return True
        try:
            crypto.unseal(sealed, PROBLEM_CONTEXT)
        except (crypto.TamperedValue, ValueError):
            return False
        return True

    for problem in ImportProblem.objects.only("pk", "data", "errors").iterator(chunk_size=2000):
        fresh = False
        if not current(problem.data) and opens(problem.data):
            problem.data = ImportProblem.seal(problem.pairs)
            fresh = True
        if not current(problem.errors) and opens(problem.errors):
            problem.errors = ImportProblem.seal_errors(problem.reasons)
            fresh = True
        if fresh:
            changed.append(problem)
    ImportProblem.objects.bulk_update(changed, ["data", "errors"], batch_size=2000)
    if progress:
        progress(str(ImportProblem._meta.verbose_name_plural), len(changed), len(changed))
    return len(changed)
