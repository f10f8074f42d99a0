"""Preparing the next batches in other processes while the job's process writes this one.

Preparing a row (mapping, validation, pinyin, search keys, sealing) is pure Python and costs
about as much as writing it, so on a machine with two cores a large file imports nearly twice as
fast when one process prepares while the other writes. Workers are started with ``spawn`` (a
fresh interpreter: no database connection is ever shared) and get the job's :class:`Plan`
pickled; they never touch the database. Batches are committed in file order, so checkpoints and
resuming work as without workers. At most ``workers + 1`` batches are in flight, so memory stays
flat whatever the file's size.

``IMPORT_WORKERS`` (default: one fewer than the CPUs, at most 2) sets how many; files smaller
than ``IMPORT_WORKERS_MIN_BYTES`` (default 8 MB) are prepared in the job's process, since a
worker's start-up (about a second) would cost more than it saves.
"""

from __future__ import annotations

import collections
import logging
import multiprocessing
import os
import pickle
from typing import Any

from django.conf import settings

from huike.imports import worker
from huike.imports.prepare import Plan, prepare_batch

logger = logging.getLogger(__name__)

Batch = list[tuple[int, dict[str, str]]]


def worker_count(size: int) -> int:
    """How many worker processes a file of ``size`` bytes gets (0: none)."""
    if size < settings.IMPORT_WORKERS_MIN_BYTES:
        return 0
    return max(0, int(settings.IMPORT_WORKERS))


class Inline:
    """Prepares each batch in this process, when it is asked for."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.pending: collections.deque[Batch] = collections.deque()

    def full(self) -> bool:
        return bool(self.pending)

    def __len__(self) -> int:
        return len(self.pending)

    def submit(self, batch: Batch) -> None:
        self.pending.append(batch)

    def next(self) -> tuple[Batch, list[Any]]:
        batch = self.pending.popleft()
        return batch, prepare_batch(self.plan, batch)

    def close(self) -> None:
        self.pending.clear()


class Workers:
    """Prepares batches in ``count`` worker processes, ``count + 1`` batches ahead at most."""

    def __init__(self, plan: Plan, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.limit = count + 1
        self.plan = plan
        self.broken = False
        self.pool = context.Pool(
            count,
            initializer=worker.start,
            initargs=(
                pickle.dumps(plan),
                os.environ.get("DJANGO_SETTINGS_MODULE", "huike.settings"),
                str(settings.HUIKE_KEYS_FILE),
                plan.language,
            ),
        )
        self.pending: collections.deque[tuple[Batch, Any]] = collections.deque()

    def full(self) -> bool:
        return len(self.pending) >= self.limit

    def __len__(self) -> int:
        return len(self.pending)

    def submit(self, batch: Batch) -> None:
        result = None if self.broken else self.pool.apply_async(worker.prepare, (batch,))
        self.pending.append((batch, result))

    def next(self) -> tuple[Batch, list[Any]]:
        """The oldest batch, prepared; prepared here if the workers failed (logged once)."""
        batch, result = self.pending.popleft()
        if result is not None:
            try:
                results = result.get()
            except Exception:
                if not self.broken:
                    logger.exception("import workers failed; preparing in the job's process")
                self.broken = True
            else:
                rows = dict(batch)  # the worker sends each row's results without the row
                for prepared in results:
                    prepared.row = rows[prepared.line]
                return batch, results
        return batch, prepare_batch(self.plan, batch)

    def close(self) -> None:
        self.pending.clear()
        self.pool.terminate()
        self.pool.join()


def start(plan: Plan, size: int) -> Inline | Workers:
    count = worker_count(size)
    return Workers(plan, count) if count else Inline(plan)
