"""Background checkpoints: the log is copied back by another thread, nothing is lost, and the
connection's own checkpoints resume afterwards."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection as django_connection

from huike.core.sqlite_wal import background_checkpoints


class Connection:
    """The parts of a Django connection the helper uses, over a plain sqlite3 connection."""

    vendor = "sqlite"

    def __init__(self, path: Path) -> None:
        self.connection: sqlite3.Connection | None = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")

    @contextlib.contextmanager
    def cursor(self) -> Iterator[sqlite3.Cursor]:
        assert self.connection is not None
        cursor = self.connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def value(self, sql: str) -> int:
        with self.cursor() as cursor:
            cursor.execute(sql)
            return int(cursor.fetchone()[0])


def write_batches(db: Connection, batches: int, rows: int) -> None:
    assert db.connection is not None
    db.connection.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB)")
    db.connection.execute("CREATE INDEX IF NOT EXISTS t_v ON t (v)")
    for _batch in range(batches):
        db.connection.execute("BEGIN IMMEDIATE")
        db.connection.executemany(
            "INSERT INTO t (v) VALUES (?)", [(os.urandom(64),) for _row in range(rows)]
        )
        db.connection.execute("COMMIT")


def wait_for(check: Callable[[], bool], deadline: float = 30.0) -> bool:
    """Whether ``check`` comes true (the thread polls the log every few hundredths of a
    second); the deadline only stops a broken thread from hanging the suite."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_the_log_is_checkpointed_by_another_thread_and_nothing_is_lost(tmp_path: Path) -> None:
    db = Connection(tmp_path / "load.sqlite3")
    write_batches(db, 1, 10)
    assert db.value("PRAGMA wal_autocheckpoint") == 1000

    with background_checkpoints(db, threshold=64 * 1024) as worker:
        assert worker is not None
        assert db.value("PRAGMA wal_autocheckpoint") == 0  # the job's commits do not checkpoint
        write_batches(db, 20, 2000)
        assert wait_for(lambda: worker.checkpoints > 0)

    assert not worker.is_alive()
    assert db.value("PRAGMA wal_autocheckpoint") == 1000
    other = sqlite3.connect(tmp_path / "load.sqlite3")
    assert other.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 40_010
    assert other.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    other.close()


def test_nothing_happens_without_a_log(tmp_path: Path) -> None:
    db = Connection(tmp_path / "plain.sqlite3")
    assert db.connection is not None
    db.connection.execute("PRAGMA journal_mode=DELETE")
    with background_checkpoints(db) as worker:
        assert worker is None
        assert db.value("PRAGMA wal_autocheckpoint") == 1000


@pytest.mark.django_db
def test_nothing_happens_on_another_database_or_in_memory() -> None:
    class Other:
        vendor = "postgresql"

    with background_checkpoints(Other()) as worker:
        assert worker is None
    if django_connection.vendor == "sqlite":  # the test database lives in memory
        with background_checkpoints(django_connection) as worker:
            assert worker is None
