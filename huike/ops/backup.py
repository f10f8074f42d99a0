"""Backups that restore: ``huike backup``, ``huike restore`` and the nightly job.

An archive ``huike-backup-<UTC time>.tar.gz`` holds:

``manifest.json``
    Huike's version, the time (UTC), the database vendor, the migrations applied per app, the
    rows per table, the SHA-256 and size of every other file, and the ids of the encryption keys
    in use with a one-way check value of each (never the keys themselves).
``database/huike.sqlite3`` or ``database/huike.pgdump``
    SQLite: a copy made with SQLite's online backup API, consistent while Huike runs.
    PostgreSQL: ``pg_dump --format=custom`` of the snapshot the row counts were taken from.
``media/…``
    The uploaded files (``MEDIA_ROOT``).

The key file (``HUIKE_KEYS_FILE``) and ``var/secret_key`` are never in the archive: a stolen
backup must not open its own sealed values. ``copy_key_file`` copies the key file elsewhere.

``extract_archive`` verifies an archive against its manifest; :mod:`huike.ops.restore` puts it
back in place.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _

import huike
from huike.core import crypto
from huike.core.models import AccessLog
from huike.core.services import log_access
from huike.ops.services import is_paused

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database/huike.sqlite3", "postgresql": "database/huike.pgdump"}
MEDIA = "media"
ARCHIVE_NAME = re.compile(r"^huike-backup-(\d{8}T\d{6}Z)\.tar\.gz$")
STAMP = "%Y%m%dT%H%M%SZ"
KEY_CHECK_LABEL = b"huike backup key check"
# Debian installs each PostgreSQL version's programs here, not always on PATH.
PG_LIBDIR = Path("/usr/lib/postgresql")

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do.

    ``exit_code`` is what ``huike backup``/``restore`` exit with: 1 when nothing was written,
    3 when the data is restored but the key file cannot open its sealed values.
    """

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def quiet(message: str) -> None:
    """The default progress reporter: silence."""


# --- Small helpers -------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader(io.RawIOBase):
    """Reads a file once, hashing what ``tarfile`` copies, so the sum matches what was stored."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_names(cursor: Any, vendor: str) -> list[str]:
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
        )
    else:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()"
        )
    return sorted(row[0] for row in cursor.fetchall())


def row_counts(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute("SELECT COUNT(*) FROM " + quote_name(table))  # noqa: S608 - quoted name
        counts[table] = int(cursor.fetchone()[0])
    return counts


def applied_migrations(cursor: Any, tables: list[str]) -> dict[str, list[str]]:
    if "django_migrations" not in tables:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def key_check_value(key: bytes) -> str:
    """A one-way check value: tells whether a key file is the right one, reveals nothing."""
    return hmac.new(key, KEY_CHECK_LABEL, hashlib.sha256).hexdigest()[:16]


def _key_summary() -> dict[str, Any]:
    """Ids and check values of the key ring in use, or nothing when there is no key file."""
    if not crypto.keys_file().exists():
        return {"ids": [], "active": None, "checks": {}}
    ring = crypto.ring()
    checks = {kid: key_check_value(key) for kid, key in ring.keys.items()}
    checks["index"] = key_check_value(ring.index_key)
    return {"ids": sorted(ring.keys), "active": ring.active, "checks": checks}


# --- PostgreSQL tools ----------------------------------------------------------------------------


def find_pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore`` from PATH, else from the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: Path) -> int:
        number = path.parent.parent.name
        return int(number) if number.isdigit() else 0

    candidates = sorted(PG_LIBDIR.glob(f"*/bin/{name}"), key=version)
    for candidate in reversed(candidates):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(
        _(
            "{tool} was not found. Install the PostgreSQL client programs of your server's "
            "version (for example: apt-get install postgresql-client) and try again."
        ).format(tool=name)
    )


PG_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}


def pg_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The environment for pg_dump/pg_restore: the password travels here, never in argv."""
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    for option, variable in PG_OPTIONS.items():
        value = (settings_dict.get("OPTIONS") or {}).get(option)
        if value:
            env[variable] = str(value)
    return env


def run_pg(arguments: list[str], settings_dict: dict[str, Any]) -> None:
    completed = subprocess.run(  # noqa: S603 - fixed program, no shell
        arguments,
        env=pg_environment(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip()[-2000:]
        raise BackupError(
            _("{tool} failed: {detail}").format(tool=Path(arguments[0]).name, detail=detail)
        )


# --- Backup ------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    size: int
    sha256: str
    created_at: str
    vendor: str
    counts: dict[str, int]
    files: int
    key_ids: list[str]
    keys_to: Path | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["keys_to"] = str(self.keys_to) if self.keys_to else None
        return data


def _dump_sqlite(using: str, target: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError(_("A backup cannot run inside a database transaction."))
    connection.ensure_connection()
    with closing(sqlite3.connect(target)) as copy:
        connection.connection.backup(copy)  # one step: a consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        cursor = copy.cursor()
        tables = table_names(cursor, "sqlite")
        return row_counts(cursor, tables), applied_migrations(cursor, tables)


def _dump_postgres(using: str, target: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    """pg_dump of an exported snapshot, so the counts describe exactly what was dumped."""
    pg_dump = find_pg_tool("pg_dump")
    wrapper = connections[using]
    database: Any = wrapper.Database  # type: ignore[attr-defined]
    with closing(database.connect(**wrapper.get_connection_params())) as raw:
        raw.isolation_level = database.IsolationLevel.REPEATABLE_READ
        raw.read_only = True
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            tables = table_names(cursor, "postgresql")
            counts, applied = row_counts(cursor, tables), applied_migrations(cursor, tables)
            run_pg(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                ],
                wrapper.settings_dict,
            )
        raw.rollback()
    return counts, applied


def _excluded_paths(output_dir: Path, using: str) -> tuple[set[Path], list[Path]]:
    """Files and folders that never go into an archive, even when they sit under MEDIA_ROOT:
    secrets, the SQLite files (the database is copied properly) and the backups."""
    var = Path(settings.VAR_DIR)
    files = {crypto.keys_file(), var / "secret_key", var / "admin-password"}
    for database in (connections[using].settings_dict["NAME"], settings.HUEY.get("filename")):
        if database:
            files |= {Path(f"{database}{end}") for end in ("", "-wal", "-shm", "-journal")}
    folders = [output_dir]
    if str(settings.BACKUP_DIR).lower() != "off":
        folders.append(Path(settings.BACKUP_DIR))
    return {path.resolve() for path in files}, [folder.resolve() for folder in folders]


def _media_files(output_dir: Path, using: str) -> list[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    excluded_files, excluded_folders = _excluded_paths(output_dir, using)
    keys_name = crypto.keys_file().name
    found = []
    for directory, folders, names in os.walk(root):
        here = Path(directory).resolve()
        if any(here == folder or folder in here.parents for folder in excluded_folders):
            folders[:] = []
            continue
        folders.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_symlink() or not path.is_file() or path.resolve() in excluded_files:
                continue
            if name.startswith(f".{keys_name}."):  # a key file being written
                continue
            found.append((path, f"{MEDIA}/{path.relative_to(root).as_posix()}"))
    return found


def _tar_info(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o600
    return info


def _write_archive(
    partial: Path, members: list[tuple[Path, str]], manifest: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Write ``members`` and then the manifest (with their checksums) into ``partial``."""
    files: dict[str, dict[str, Any]] = {}
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with (
        os.fdopen(descriptor, "wb") as raw,
        tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as archive,
    ):
        for path, name in members:
            stat = path.stat()
            with path.open("rb") as handle:
                reader = _HashingReader(handle)
                archive.addfile(_tar_info(name, stat.st_size, stat.st_mtime), reader)
            files[name] = {"sha256": reader.digest.hexdigest(), "size": stat.st_size}
        body = json.dumps({**manifest, "files": files}, indent=2, sort_keys=True).encode()
        archive.addfile(_tar_info(MANIFEST, len(body), partial.stat().st_mtime), io.BytesIO(body))
    return files


def create_backup(
    output_dir: Path, *, using: str = "default", progress: Progress = quiet, channel: str = "cli"
) -> BackupResult:
    """Write one archive into ``output_dir`` (mode 0600) and log it in the access log.

    The archive appears under its final name only when complete.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = timezone.now().astimezone(datetime.UTC)
    final = output_dir / f"huike-backup-{created.strftime(STAMP)}.tar.gz"
    if final.exists():
        raise BackupError(_("{path} exists already; try again in a second.").format(path=final))
    vendor = connections[using].vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(
            _("Backups support SQLite and PostgreSQL, not {vendor}.").format(vendor=vendor)
        )
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "huike_version": huike.__version__,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "database": {"vendor": vendor, "file": DATABASE_FILES[vendor]},
        "keys": _key_summary(),
    }
    with tempfile.TemporaryDirectory(dir=output_dir, prefix=".huike-backup-") as work_name:
        work = Path(work_name)
        database_file = work / "database"
        progress(_("Copying the database ({vendor})…").format(vendor=vendor))
        dump = _dump_sqlite if vendor == "sqlite" else _dump_postgres
        manifest["tables"], manifest["migrations"] = dump(using, database_file)
        media = _media_files(output_dir, using)
        progress(_("Adding {count} uploaded files…").format(count=len(media)))
        partial = work / "archive.tar.gz"
        try:
            files = _write_archive(
                partial, [(database_file, DATABASE_FILES[vendor]), *media], manifest
            )
            os.replace(partial, final)
        except OSError as error:
            raise BackupError(
                _("Could not write the archive: {error}").format(error=error)
            ) from error
    counts: dict[str, int] = manifest["tables"]
    result = BackupResult(
        path=final,
        size=final.stat().st_size,
        sha256=sha256_file(final),
        created_at=manifest["created_at"],
        vendor=vendor,
        counts=counts,
        files=len(files),
        key_ids=manifest["keys"]["ids"],
    )
    log_access(
        actor=None,
        action=AccessLog.Action.BACKUP,
        count=counts.get("parties_party", 0),
        reason=final.name,
        channel=channel,
    )
    progress(_("Written {path} ({size} bytes).").format(path=final, size=result.size))
    return result


def copy_key_file(destination: Path, *, archive_dir: Path | None = None) -> Path:
    """Copy the key file to ``destination`` (a file, or a folder to put ``keys.json`` in) with
    owner-only permissions. Refuses a destination inside the archive folder."""
    source = crypto.keys_file()
    if not source.exists():
        raise BackupError(
            _("There is no key file at {path} yet: nothing has been encrypted.").format(path=source)
        )
    crypto.parse_ring(json.loads(source.read_text(encoding="utf-8")))  # refuse a broken file
    destination = Path(destination)
    if destination.is_dir():
        destination = destination / source.name
    resolved = destination.resolve()
    if archive_dir is not None:
        folder = Path(archive_dir).resolve()
        if folder == resolved.parent or folder in resolved.parents:
            raise BackupError(
                _(
                    "Store the key file apart from the backups: {path} is inside the backup "
                    "folder {folder}."
                ).format(path=destination, folder=archive_dir)
            )
    if resolved == source.resolve():
        raise BackupError(_("{path} is the key file itself.").format(path=destination))
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(f".{destination.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(source.read_bytes())
    os.chmod(temporary, 0o600)
    os.replace(temporary, destination)
    return destination


# --- Reading an archive --------------------------------------------------------------------------


def _tampered(detail: str) -> BackupError:
    return BackupError(
        _(
            "The archive is damaged or was altered ({detail}); nothing was restored. Use "
            "another copy of the backup."
        ).format(detail=detail)
    )


def extract_archive(archive: Path, work: Path) -> dict[str, Any]:
    """Unpack ``archive`` into ``work`` and verify it against its manifest; the manifest."""
    if not Path(archive).is_file():
        raise BackupError(_("{path} does not exist.").format(path=archive))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                member_path = PurePosixPath(member.name)
                if (
                    member_path.is_absolute()
                    or ".." in member_path.parts
                    or not (member.isfile() or member.isdir())
                ):
                    raise _tampered(_("unexpected entry {name}").format(name=member.name))
            tar.extractall(work, members=members, filter="data")
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise BackupError(
            _("{path} is not a readable Huike backup ({error}).").format(path=archive, error=error)
        ) from error
    try:
        manifest = json.loads((work / MANIFEST).read_text(encoding="utf-8"))
        listed: dict[str, dict[str, Any]] = manifest["files"]
        vendor = manifest["database"]["vendor"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise _tampered(_("no readable manifest")) from error
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("This backup has format {found}; this Huike reads format {known}.").format(
                found=manifest.get("format"), known=FORMAT
            )
        )
    present = {path.relative_to(work).as_posix() for path in work.rglob("*") if path.is_file()} - {
        MANIFEST
    }
    if DATABASE_FILES.get(vendor) not in listed:
        raise _tampered(_("no database in the manifest"))
    unlisted = sorted(present ^ set(listed))
    if unlisted:
        raise _tampered(_("{name} is not as listed").format(name=unlisted[0]))
    for name, expected in sorted(listed.items()):
        path = work / name
        if path.stat().st_size != expected.get("size") or sha256_file(path) != expected.get(
            "sha256"
        ):
            raise _tampered(_("checksum of {name} differs").format(name=name))
    return manifest


# --- Scheduled backups -------------------------------------------------------------------------


def archives(directory: Path) -> list[Path]:
    """Huike archives in ``directory``, oldest first (their names sort by time)."""
    if not Path(directory).is_dir():
        return []
    return sorted(p for p in Path(directory).iterdir() if ARCHIVE_NAME.match(p.name))


def prune_backups(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives (0 keeps them all); the deleted ones."""
    if keep <= 0:
        return []
    old = archives(directory)[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def _archive_time(path: Path) -> datetime.datetime:
    match = ARCHIVE_NAME.match(path.name)
    assert match is not None
    return datetime.datetime.strptime(match.group(1), STAMP).replace(tzinfo=datetime.UTC)


def scheduled_backup(now: datetime.datetime | None = None) -> BackupResult | None:
    """The nightly backup: at ``BACKUP_HOUR`` local time into ``BACKUP_DIR``, keeping the
    newest ``BACKUP_KEEP``. Does nothing while paused, when switched off, at another hour, or
    when this hour's archive exists (several workers may run the schedule)."""
    directory = str(settings.BACKUP_DIR)
    now = now or timezone.now()
    if directory.lower() == "off" or is_paused():
        return None
    if timezone.localtime(now).hour != settings.BACKUP_HOUR:
        return None
    existing = archives(Path(directory))
    if existing and now - _archive_time(existing[-1]) < datetime.timedelta(hours=1):
        return None
    result = create_backup(Path(directory), channel="job")
    prune_backups(Path(directory), settings.BACKUP_KEEP)
    return result
