"""Searches for duplicates over the whole base or a segment (``DedupeJob``).

``start_dedupe`` creates the job and hands it to the worker when the transaction commits;
``run_dedupe`` does the work, in the worker or synchronously for ``huike dedupe``: the customers
the job's creator may see, filtered like the customer list by the job's segment, are compared
by :func:`huike.identity.bulk.find_pairs`; the pairs found are queued for review, and with
``auto_merge`` the open pairs at or above the automatic-merge threshold are merged.

One search runs at a time. Progress is written at most once a second; a search whose worker
stopped (no progress for ``STALE`` seconds) is failed when the next one starts.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from huike.core.services import record_change
from huike.identity.models import DedupeJob, MatchCandidate
from huike.parties.models import Party

logger = logging.getLogger(__name__)

START = "identity.add_dedupejob"
MERGE = "identity.merge_parties"
PROGRESS_EVERY = 1.0  # seconds between two progress writes
CHUNK = 500  # pairs queued per call of services.queue_candidates
STALE = 15 * 60  # seconds without progress after which a running search counts as abandoned
UNCLAIMED = 120  # seconds a waiting search may wait before the periodic task queues it again
UNFINISHED = (DedupeJob.Status.PENDING, DedupeJob.Status.RUNNING)
SEGMENT_MAX = 500  # DedupeJob.segment's max_length


class Paused(Exception):
    """Huike was paused while a search ran: it stops and waits to be queued again."""


def _now() -> datetime.datetime:
    return timezone.now()


def _heartbeat(job: DedupeJob) -> datetime.datetime | None:
    beat = (job.stats or {}).get("heartbeat")
    parsed = parse_datetime(beat) if isinstance(beat, str) else None
    return parsed or job.started_at


def is_abandoned(job: DedupeJob, now: datetime.datetime | None = None) -> bool:
    """Whether ``job`` says it runs but its worker gave no sign of life for ``STALE`` s."""
    if job.status != DedupeJob.Status.RUNNING:
        return False
    beat = _heartbeat(job)
    return beat is None or ((now or _now()) - beat).total_seconds() > STALE


def fail_abandoned() -> int:
    """Fail the searches whose worker stopped (a restart, a crash): they hold nobody up."""
    now = _now()
    failed = 0
    for job in DedupeJob.objects.filter(status=DedupeJob.Status.RUNNING):
        if is_abandoned(job, now):
            failed += DedupeJob.objects.filter(pk=job.pk, status=job.Status.RUNNING).update(
                status=DedupeJob.Status.FAILED,
                finished_at=now,
                error=_("The search stopped with its worker. Start it again."),
            )
    return failed


def running_job() -> DedupeJob | None:
    """The search waiting or running now, if any (after failing the abandoned ones)."""
    fail_abandoned()
    return DedupeJob.objects.filter(status__in=UNFINISHED).order_by("pk").first()


def check_segment(segment: str) -> str:
    """The segment (the customer list's query string) trimmed; refuses filters that are not
    valid, with the reason."""
    segment = (segment or "").strip().lstrip("?")
    if len(segment) > SEGMENT_MAX:
        raise ValidationError({"segment": [_("The segment is too long.")]})
    from huike.parties.filters import PartyFilterSet

    filterset = PartyFilterSet(_segment_data(segment), queryset=Party.objects.none())
    if not filterset.is_valid():
        problems = [
            "{}: {}".format(name, " ".join(str(message) for message in messages))
            for name, messages in filterset.errors.items()
        ]
        raise ValidationError({"segment": problems})
    return segment


def _segment_data(segment: str) -> QueryDict:
    data = QueryDict(segment, mutable=True)
    for ignored in ("cursor", "sort", "per_page", "export"):  # list paging, not filters
        data.pop(ignored, None)
    return data


def segment_party_ids(job: DedupeJob) -> QuerySet:
    """Ids of the customers ``job`` compares: those its creator may see, filtered by the
    segment, without erased customers and those whose processing is restricted."""
    from huike.parties.filters import PartyFilterSet

    parties = Party.objects.visible_to(job.created_by).filter(
        processing_restricted=False, erased_at__isnull=True
    )
    filterset = PartyFilterSet(_segment_data(job.segment), queryset=parties)
    if not filterset.is_valid():
        raise ValidationError(_("The segment's filters are not valid any more."))
    return filterset.qs.order_by().values_list("pk", flat=True)


def create_job(*, actor: Any, segment: str = "", auto_merge: bool = False) -> DedupeJob:
    """The job row of a new search; refused while another search waits or runs."""
    if actor is not None and not actor.has_perm(START):
        raise PermissionDenied
    if auto_merge and actor is not None and not actor.has_perm(MERGE):
        raise PermissionDenied
    segment = check_segment(segment)
    with transaction.atomic():
        current = running_job()
        if current is not None:
            raise ValidationError(
                _(
                    "A search for duplicates is already under way (#{number}): wait for it to "
                    "finish or stop it."
                ).format(number=current.pk)
            )
        job = DedupeJob.objects.create(created_by=actor, segment=segment, auto_merge=auto_merge)
        record_change(
            job,
            actor=actor,
            action="create",
            message="duplicate search started",
            changes={"segment": segment, "auto_merge": auto_merge},
        )
    return job


def start_dedupe(*, actor: Any, segment: str = "", auto_merge: bool = False) -> DedupeJob:
    """Create a search and hand it to the background worker once the transaction commits."""
    from huike.identity.tasks import dedupe

    with transaction.atomic():
        job = create_job(actor=actor, segment=segment, auto_merge=auto_merge)
        job_id = job.pk
        transaction.on_commit(lambda: dedupe(job_id))
    return job


@transaction.atomic
def cancel(job: DedupeJob, *, actor: Any) -> DedupeJob:
    """Stop ``job``: at once when it has not started (or its worker stopped), else as soon as
    the search notices (within a second or so); pairs already queued stay queued."""
    if job.finished:
        raise ValidationError(_("This search has already finished."))
    now = _now()
    stopped = DedupeJob.objects.filter(pk=job.pk, status=DedupeJob.Status.PENDING).update(
        status=DedupeJob.Status.CANCELLED, cancel_requested=True, finished_at=now
    )
    if not stopped and is_abandoned(job, now):
        stopped = DedupeJob.objects.filter(pk=job.pk, status=DedupeJob.Status.RUNNING).update(
            status=DedupeJob.Status.CANCELLED, cancel_requested=True, finished_at=now
        )
    if not stopped:
        DedupeJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    job.refresh_from_db()
    record_change(job, actor=actor, action="action", message="cancel requested")
    return job


def waiting_jobs() -> list[int]:
    """Searches still waiting for a worker after ``UNCLAIMED`` seconds (queued while paused,
    or lost by a restarted worker)."""
    oldest = _now() - datetime.timedelta(seconds=UNCLAIMED)
    return list(
        DedupeJob.objects.filter(status=DedupeJob.Status.PENDING, created_at__lt=oldest)
        .order_by("pk")
        .values_list("pk", flat=True)[:10]
    )


def _claim(job_id: int) -> DedupeJob | None:
    """Take a waiting job for this process; ``None`` when it is finished or running elsewhere.
    A job whose cancel was asked for before it started is cancelled here."""
    now = _now()
    DedupeJob.objects.filter(
        pk=job_id, status=DedupeJob.Status.PENDING, cancel_requested=True
    ).update(status=DedupeJob.Status.CANCELLED, finished_at=now)
    taken = DedupeJob.objects.filter(pk=job_id, status=DedupeJob.Status.PENDING).update(
        status=DedupeJob.Status.RUNNING,
        started_at=now,
        finished_at=None,
        total=0,
        done=0,
        pairs=0,
        found=0,
        merged=0,
        error="",
        stats={"heartbeat": now.isoformat()},
    )
    if not taken:
        return None
    return DedupeJob.objects.select_related("created_by").get(pk=job_id)


class _Run:
    """The state of one search while it runs: counts, throttled writes, cancel and pause."""

    def __init__(
        self,
        job: DedupeJob,
        *,
        echo: Callable[[DedupeJob], None] | None,
        stop: Callable[[], bool] | None,
        pausable: bool,
    ) -> None:
        self.job = job
        self.echo = echo
        self.stop = stop
        self.pausable = pausable
        self.last_write = 0.0
        self.last_check = 0.0
        self.cancel_requested = False
        self.paused = False
        self.search: Any = None

    def progress(self, done: int, total: int) -> None:
        # The search reports its own units of work; the job counts customers.
        share = min(1.0, done / total) if total else 0.0
        self.job.done = round(self.job.total * share)
        self.tick()

    def cancelled(self) -> bool:
        if self.stop is not None and self.stop():
            self.cancel_requested = True
        now = time.monotonic()
        if now - self.last_check >= PROGRESS_EVERY:
            self.last_check = now
            self.cancel_requested = self.cancel_requested or (
                DedupeJob.objects.filter(pk=self.job.pk, cancel_requested=True).exists()
            )
            if self.pausable and not self.paused:
                from huike.ops.services import is_paused

                self.paused = is_paused()
            self.tick()
        return self.cancel_requested or self.paused

    def tick(self, *, force: bool = False) -> None:
        """Write the progress when a second has passed since the last write (or ``force``)."""
        now = time.monotonic()
        if not force and now - self.last_write < PROGRESS_EVERY:
            return
        self.last_write = now
        job = self.job
        stats = getattr(self.search, "stats", None) or {}
        if stats.get("pairs_compared") is not None:
            job.pairs = int(stats["pairs_compared"])
        DedupeJob.objects.filter(pk=job.pk).update(
            total=job.total,
            done=job.done,
            pairs=job.pairs,
            found=job.found,
            stats={"heartbeat": _now().isoformat()},
        )
        if self.echo is not None:
            self.echo(job)


def _queue(pairs: Sequence[Any], job: DedupeJob) -> int:
    from huike.identity import services

    return services.queue_candidates(
        [(pair.a, pair.b, pair.score) for pair in pairs], found_by="job", job=job
    )


def _auto_merge(job: DedupeJob, ids: QuerySet) -> int:
    """Merge the open pairs of the segment at or above the automatic-merge threshold."""
    from huike.identity import matching, services
    from huike.identity.filters import candidates_visible_to

    threshold = matching.thresholds().auto_merge
    candidates = candidates_visible_to(job.created_by).filter(
        status=MatchCandidate.Status.OPEN,
        score__gte=threshold,
        party_a__in=ids,
        party_b__in=ids,
    )
    return services.bulk_merge(candidates, actor=job.created_by, min_score=threshold)


def _execute(
    job: DedupeJob,
    *,
    echo: Callable[[DedupeJob], None] | None,
    on_pairs: Callable[[Sequence[Any]], None] | None,
    stop: Callable[[], bool] | None,
    pausable: bool,
) -> DedupeJob:
    from huike.identity import bulk

    run = _Run(job, echo=echo, stop=stop, pausable=pausable)
    ids = segment_party_ids(job)
    job.total = ids.count()
    run.tick(force=True)
    run.search = bulk.find_pairs(ids, progress=run.progress, cancelled=run.cancelled)
    queued = 0
    waiting: list[Any] = []
    for pair in run.search:
        waiting.append(pair)
        job.found += 1
        if len(waiting) >= CHUNK:
            if on_pairs is not None:
                on_pairs(waiting)
            queued += _queue(waiting, job)
            waiting = []
            run.tick()
    if waiting:
        if on_pairs is not None:
            on_pairs(waiting)
        queued += _queue(waiting, job)
    if run.paused and not run.cancel_requested:
        raise Paused
    stats = dict(getattr(run.search, "stats", None) or {})
    job.pairs = int(stats.get("pairs_compared", job.pairs) or 0)
    if run.cancel_requested:
        job.status = DedupeJob.Status.CANCELLED
    else:
        if job.auto_merge:
            job.merged = _auto_merge(job, ids)
        job.status = DedupeJob.Status.DONE
        job.done = job.total
    stats.update(queued=queued, merged=job.merged)
    job.stats = stats
    job.finished_at = _now()
    DedupeJob.objects.filter(pk=job.pk).update(
        status=job.status,
        total=job.total,
        done=job.done,
        pairs=job.pairs,
        found=job.found,
        merged=job.merged,
        stats=job.stats,
        finished_at=job.finished_at,
    )
    job.refresh_from_db()
    if echo is not None:
        echo(job)
    return job


def run_dedupe(
    job_id: int,
    *,
    echo: Callable[[DedupeJob], None] | None = None,
    on_pairs: Callable[[Sequence[Any]], None] | None = None,
    stop: Callable[[], bool] | None = None,
    pausable: bool = True,
) -> DedupeJob:
    """Run search ``job_id`` to its end and return it. Never raises: a failure fails the job
    with a message for the person who started it (details in the log).

    ``echo(job)`` is called after each progress write and at the end; ``on_pairs(pairs)``
    with each chunk of :class:`~huike.identity.bulk.FoundPair` before it is queued; ``stop()``
    returning true cancels (Ctrl-C of ``huike dedupe``). With ``pausable`` (the worker), a
    pause of Huike stops the search and leaves it waiting to run again.
    """
    job = _claim(job_id)
    if job is None:  # finished, cancelled before it started, or running elsewhere
        return DedupeJob.objects.get(pk=job_id)
    language = getattr(job.created_by, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            return _execute(job, echo=echo, on_pairs=on_pairs, stop=stop, pausable=pausable)
        except Paused:
            DedupeJob.objects.filter(pk=job.pk).update(status=DedupeJob.Status.PENDING)
        except ValidationError as error:
            DedupeJob.objects.filter(pk=job.pk).update(
                status=DedupeJob.Status.FAILED,
                finished_at=_now(),
                error=" ".join(error.messages),
            )
        except Exception:
            logger.exception("duplicate search %s stopped by an unexpected error", job.pk)
            DedupeJob.objects.filter(pk=job.pk).update(
                status=DedupeJob.Status.FAILED,
                finished_at=_now(),
                error=_(
                    "The search stopped because of an unexpected error. The pairs found before "
                    "it stay queued. Tell your administrator (search #{number})."
                ).format(number=job.pk),
            )
    job.refresh_from_db()
    if echo is not None:
        echo(job)
    return job
