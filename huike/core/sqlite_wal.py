"""Checkpointing SQLite's write-ahead log in a background thread during bulk loads.

In WAL mode every commit appends the changed pages to the ``-wal`` file, and once the log holds
``wal_autocheckpoint`` pages (1,000 by default) the committing connection copies them back into
the database and syncs it: the *checkpoint*. A bulk load whose value indexes take rows in random
order changes tens of thousands of pages per batch, and at a million customers the job's
process spent a fifth of its time in those checkpoints (``huike bench imports``).

:func:`background_checkpoints` turns the automatic checkpoint off for one connection and has a
thread with a connection of its own run ``PRAGMA wal_checkpoint(PASSIVE)`` whenever the log has
grown past ``threshold`` bytes. A passive checkpoint never blocks the writer and copies only
committed pages, so nothing about durability changes (the log is synced as before; a crash
recovers from it). SQLite releases Python's GIL while it copies and syncs, so the copying runs
on the other core while the job writes its next batch. The log restarts from its beginning
whenever a checkpoint has caught up, so its size stays near one batch.

Nothing happens on PostgreSQL, for in-memory databases or when the database is not in WAL mode.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger(__name__)

THRESHOLD_BYTES = 16 * 1024 * 1024
POLL_SECONDS = 0.05


class Checkpointer(threading.Thread):
    """Runs a passive checkpoint whenever the log of the database at ``path`` has grown past
    ``threshold`` bytes; ``checkpoints`` counts them."""

    def __init__(self, path: str, threshold: int) -> None:
        super().__init__(name="huike-wal-checkpoint", daemon=True)
        self.path = path
        self.wal = path + "-wal"
        self.threshold = threshold
        self.stopping = threading.Event()
        self.checkpoints = 0

    def _wal_size(self) -> int:
        try:
            return os.path.getsize(self.wal)
        except OSError:
            return 0

    def run(self) -> None:
        try:
            connection = sqlite3.connect(self.path, timeout=1, isolation_level=None)
        except sqlite3.Error:
            logger.exception("no connection for background checkpoints")
            return
        try:
            while not self.stopping.wait(POLL_SECONDS):
                if self._wal_size() < self.threshold:
                    continue
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error as error:  # busy: another checkpoint; try again later
                    logger.debug("background checkpoint: %s", error)
        finally:
            connection.close()


def _database_file(connection: Any) -> str | None:
    """The file of a SQLite connection in WAL mode, else ``None``."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = str(cursor.fetchone()[0]).lower()
        cursor.execute("PRAGMA database_list")
        path = next((row[2] for row in cursor.fetchall() if row[1] == "main"), "")
    return str(path) if mode == "wal" and path else None


@contextlib.contextmanager
def background_checkpoints(
    connection: Any, threshold: int = THRESHOLD_BYTES
) -> Iterator[Checkpointer | None]:
    """While inside, ``connection`` (a Django connection) leaves checkpoints to a background
    thread (see the module's docstring), which it gives (``None`` when there is none); its
    automatic checkpoints resume on leaving."""
    path = _database_file(connection)
    if path is None:
        yield None
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        previous = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA wal_autocheckpoint = 0")
    worker = Checkpointer(path, threshold)
    worker.start()
    try:
        yield worker
    finally:
        worker.stopping.set()
        worker.join()
        if connection.connection is not None:  # the job's connection may have been closed
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA wal_autocheckpoint = {int(previous)}")
