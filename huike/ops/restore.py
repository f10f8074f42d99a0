"""Restoring a backup (``huike restore``) and checking the key file (``huike resume``).

A restore verifies every checksum before it writes anything, refuses a database that already
holds users or customers (unless forced), then puts the database and the uploaded files in
place, brings the schema up to this version, and leaves the installation *paused* (no e-mail,
jobs or webhooks) until an administrator resumes. It then checks that the key file opens the
sealed values: a backup without its key file restores everything except those values.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

from huike.accounts.keys import CONTEXT as TOTP_CONTEXT
from huike.core import crypto
from huike.core.models import AccessLog
from huike.ops.backup import (
    DATABASE_FILES,
    MEDIA,
    STAMP,
    BackupError,
    Progress,
    extract_archive,
    find_pg_tool,
    key_check_value,
    quiet,
    quote_name,
    row_counts,
    run_pg,
    table_names,
)
from huike.ops.services import pause

# Tables whose rows mean "this database is in use": a restore refuses to overwrite them.
DATA_TABLES = ("accounts_user", "parties_party")
# Where sealed values live; their ``attribute_id`` names the sealing context (the code).
SEALED_TABLES = ("parties_observation", "parties_goldenvalue")

# --- Sealed values and the key file -------------------------------------------------------------


@dataclass
class KeyCheck:
    """Whether the key file opens the sealed values: ``ok``, ``none`` (nothing sealed),
    ``missing`` (no key file) or ``wrong`` (a key file that does not open them)."""

    status: str
    keys_file: str
    checked: int = 0
    unreadable: int = 0
    missing_key_ids: list[str] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return self.status in {"ok", "none"}

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def explain(self) -> str:
        if self.status == "ok":
            return _("The key file opens the encrypted values ({count} checked).").format(
                count=self.checked
            )
        if self.status == "none":
            return _("No encrypted values to check.")
        if self.status == "missing":
            return _(
                "The key file {path} is missing: encrypted values cannot be read. Copy the key "
                "file kept apart from the backups there (mode 0600) before Huike starts; "
                "'huike resume' checks it."
            ).format(path=self.keys_file)
        return _(
            "The key file {path} does not open the encrypted values ({unreadable} of {checked} "
            "checked did not open; keys missing or different: {ids}). Install the key file that "
            "belongs to this backup."
        ).format(
            path=self.keys_file,
            unreadable=self.unreadable,
            checked=self.checked,
            ids=", ".join(self.missing_key_ids) or "-",
        )


def _sealed_queries() -> list[tuple[str, str, bool]]:
    """``(SELECT context, stored text …, LIKE pattern, stored as JSON)`` per place holding
    sealed values: customers' sensitive attributes (the attribute code is the context) and
    authenticator secrets (without them, nobody with two-factor sign-in gets in)."""
    json_pattern = '"' + crypto.PREFIX + "%"
    queries = [
        (
            f"SELECT d.code, CAST(v.value AS TEXT), v.id FROM {quote_name(table)} v "  # noqa: S608
            "JOIN parties_attributedefinition d ON d.id = v.attribute_id "
            "WHERE CAST(v.value AS TEXT) LIKE %s",
            json_pattern,
            True,
        )
        for table in SEALED_TABLES
    ]
    queries.append(
        (
            f"SELECT '{TOTP_CONTEXT}', u.totp_secret, u.id FROM accounts_user u "  # noqa: S608
            "WHERE u.totp_secret LIKE %s",
            crypto.PREFIX + "%",
            False,
        )
    )
    return queries


def sample_sealed_values(using: str = "default", limit: int = 100) -> list[tuple[str, str]]:
    """``(context, sealed value)`` pairs: the oldest and newest ``limit`` of each place, so
    both old and freshly rotated keys are tried."""
    pairs: list[tuple[str, str]] = []
    with connections[using].cursor() as cursor:
        for sql, pattern, is_json in _sealed_queries():
            for order in ("ASC", "DESC"):
                cursor.execute(f"{sql} ORDER BY 3 {order} LIMIT {int(limit)}", [pattern])
                for context, text, _id in cursor.fetchall():
                    with suppress(ValueError):
                        value = json.loads(text) if is_json else text
                        if crypto.is_sealed(value) and (context, value) not in pairs:
                            pairs.append((context, value))
    return pairs


def _opens(ring: crypto.KeyRing, sealed: str, context: str) -> bool:
    try:
        kid, body = sealed[len(crypto.PREFIX) :].split(":", 1)
        raw = crypto._unb64(body)
        nonce = crypto._NONCE
        AESGCM(ring.keys[kid]).decrypt(raw[:nonce], raw[nonce:], context.encode("utf-8"))
    except (KeyError, ValueError, InvalidTag):
        return False
    return True


def read_key_file(path: Path) -> crypto.KeyRing:
    """The key ring in ``path``, without creating one (unlike ``crypto.ring()``)."""
    try:
        return crypto.parse_ring(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, crypto.KeyFileError) as error:
        raise BackupError(
            _("{path} is not a readable Huike key file ({error}).").format(path=path, error=error)
        ) from error


def check_keys(
    *,
    using: str = "default",
    keys_file: Path | None = None,
    expected: dict[str, Any] | None = None,
) -> KeyCheck:
    """Whether the key file opens the sealed values in the database ``using``.

    ``expected`` is a manifest's ``keys`` entry: every key id it lists must be in the file
    with the same check value. Then a sample of sealed values must open.
    """
    path = Path(keys_file or crypto.keys_file())
    sample = sample_sealed_values(using)
    expected_ids = set((expected or {}).get("ids", [])) | {crypto.key_id(v) for _c, v in sample}
    if not sample:
        return KeyCheck("none", str(path))
    count = len(sample)
    if not path.exists():
        return KeyCheck("missing", str(path), count, count, sorted(expected_ids))
    try:
        ring = read_key_file(path)
    except BackupError:
        return KeyCheck("wrong", str(path), count, count, sorted(expected_ids))
    checks = dict((expected or {}).get("checks", {}))
    present = {kid: key_check_value(key) for kid, key in ring.keys.items()}
    present["index"] = key_check_value(ring.index_key)  # the blind-index key, never rotated
    missing = sorted(
        kid
        for kid in expected_ids | ({"index"} & set(checks))
        if kid not in present or checks.get(kid, present[kid]) != present[kid]
    )
    unreadable = sum(1 for code, value in sample if not _opens(ring, value, code))
    status = "ok" if not missing and not unreadable else "wrong"
    return KeyCheck(status, str(path), count, unreadable, missing)


# --- Restore -------------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    archive: Path
    vendor: str
    created_at: str
    rows: int
    tables: int
    media_files: int
    migrated: list[str]
    keys: KeyCheck
    set_aside: list[str]
    paused: bool = True

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["archive"] = str(self.archive)
        data["keys"] = self.keys.as_json()
        return data


def _target_tables(using: str) -> tuple[list[str], bool]:
    """The tables in the target database and whether any of them holds users or customers."""
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = table_names(cursor, connection.vendor)
        used = any(
            count for count in row_counts(cursor, [t for t in DATA_TABLES if t in tables]).values()
        )
    return tables, used


def _unknown_migrations(manifest: dict[str, Any]) -> list[str]:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return sorted(
        f"{app}.{name}"
        for app, names in manifest.get("migrations", {}).items()
        for name in names
        if (app, name) not in known
    )


def _set_aside(path: Path, stamp: str) -> Path:
    aside = path.with_name(f"{path.name}.before-restore-{stamp}")
    os.replace(path, aside)
    return aside


def _restore_sqlite(using: str, source: Path) -> None:
    connection = connections[using]
    target = str(connection.settings_dict["NAME"])
    connection.close()
    try:
        with closing(sqlite3.connect(source)) as copy, closing(sqlite3.connect(target)) as live:
            copy.backup(live)
    except sqlite3.Error as error:
        raise BackupError(
            _("Could not write the database {path}: {error}").format(path=target, error=error)
        ) from error


def _restore_postgres(using: str, source: Path, tables: list[str], pg_restore: str) -> None:
    connection = connections[using]
    if tables:  # a migrated but unused database, or --force: start from nothing
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(
                "DROP TABLE IF EXISTS {} CASCADE".format(", ".join(quote_name(t) for t in tables))
            )
    connection.close()
    run_pg(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--no-password",
            "--single-transaction",
            "--exit-on-error",
            "--dbname={}".format(connection.settings_dict["NAME"]),
            str(source),
        ],
        connection.settings_dict,
    )


def _restore_media(work: Path, media_root: Path, stamp: str) -> tuple[int, Path | None]:
    aside = None
    if media_root.exists() and any(media_root.iterdir()):
        aside = _set_aside(media_root, stamp)
    media_root.mkdir(parents=True, exist_ok=True)
    count = 0
    source = work / MEDIA
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if path.is_file():
                target = media_root / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)
                count += 1
    return count, aside


def _migrate(using: str) -> list[str]:
    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", database=using, interactive=False, verbosity=0)
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


@dataclass
class _Target:
    """Where a restore writes, and what the checks found there."""

    using: str
    keys_file: Path
    media_root: Path
    tables: list[str]
    new_ring: crypto.KeyRing | None
    pg_restore: str


def _check_target(
    manifest: dict[str, Any],
    *,
    using: str,
    keys: Path | None,
    keys_file: Path,
    media_root: Path,
    force: bool,
) -> _Target:
    """Every reason to refuse, before anything is written."""
    connection = connections[using]
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            _(
                "This is a backup of a {found} database; the configured database is {vendor}."
            ).format(found=vendor, vendor=connection.vendor)
        )
    unknown = _unknown_migrations(manifest)
    if unknown and not force:
        raise BackupError(
            _(
                "The backup comes from a newer Huike ({version}); this one does not know "
                "{migrations}. Install that version or newer first."
            ).format(version=manifest.get("huike_version"), migrations=", ".join(unknown[:5]))
        )
    new_ring = read_key_file(keys) if keys else None
    if new_ring is not None and keys_file.exists() and not force:
        if read_key_file(keys_file) != new_ring:
            raise BackupError(
                _(
                    "A different key file exists at {path}. Move it away, or add --force to "
                    "set it aside and install the given one."
                ).format(path=keys_file)
            )
    tables, used = _target_tables(using)
    media_used = media_root.exists() and any(media_root.iterdir())
    if (used or media_used) and not force:
        raise BackupError(
            _(
                "The database or the uploads folder is not empty ({what}). Restore into a "
                "fresh installation, or add --force to replace everything."
            ).format(what=connection.settings_dict["NAME"] if used else media_root)
        )
    pg_restore = find_pg_tool("pg_restore") if vendor == "postgresql" else ""
    return _Target(using, keys_file, media_root, tables, new_ring, pg_restore)


def _install_keys(target: _Target, stamp: str, progress: Progress) -> list[str]:
    if target.new_ring is None:
        return []
    set_aside = []
    if target.keys_file.exists() and read_key_file(target.keys_file) != target.new_ring:
        set_aside.append(str(_set_aside(target.keys_file, stamp)))
    crypto.write_ring(target.new_ring, target.keys_file)
    progress(_("Installed the key file at {path}.").format(path=target.keys_file))
    return set_aside


def restore_backup(
    archive: Path,
    *,
    using: str = "default",
    keys: Path | None = None,
    keys_file: Path | None = None,
    media_root: Path | None = None,
    force: bool = False,
    progress: Progress = quiet,
) -> RestoreResult:
    """Restore ``archive`` into the database ``using``, ``media_root`` and ``keys_file``
    (default: the settings), migrate, pause, and check the key file (``result.keys``).

    Raises :class:`BackupError` before writing anything when the archive is damaged or the
    target is in use; after writing only when the restored row counts differ from the
    manifest (the installation stays paused then).
    """
    archive = Path(archive)
    stamp = timezone.now().strftime(STAMP)
    with tempfile.TemporaryDirectory(dir=settings.VAR_DIR, prefix=".huike-restore-") as name:
        work = Path(name)
        progress(_("Checking {path}…").format(path=archive))
        manifest = extract_archive(archive, work)
        target = _check_target(
            manifest,
            using=using,
            keys=keys,
            keys_file=Path(keys_file or crypto.keys_file()),
            media_root=Path(media_root or settings.MEDIA_ROOT),
            force=force,
        )
        set_aside = _install_keys(target, stamp, progress)
        progress(_("Restoring the database…"))
        vendor = manifest["database"]["vendor"]
        database_file = work / DATABASE_FILES[vendor]
        if vendor == "sqlite":
            _restore_sqlite(using, database_file)
        else:
            _restore_postgres(using, database_file, target.tables, target.pg_restore)
        with connections[using].cursor() as cursor:
            restored = row_counts(cursor, sorted(manifest["tables"]))
        media_files, media_aside = _restore_media(work, target.media_root, stamp)
        set_aside += [str(media_aside)] if media_aside else []
        progress(_("Restored {count} uploaded files.").format(count=media_files))
    ContentType.objects.clear_cache()  # ids of the restored database, not the ones before
    migrated = _migrate(using)
    if migrated:
        progress(_("Applied {count} newer migrations.").format(count=len(migrated)))
    pause(_("Restored from {name}").format(name=archive.name), using=using)
    AccessLog.objects.using(using).create(
        actor_name="system",
        action=AccessLog.Action.BACKUP,
        count=restored.get("parties_party", 0),
        reason="restore " + archive.name,
        channel="cli",
    )
    differ = sorted(t for t, n in manifest["tables"].items() if restored.get(t) != n)
    if differ:
        raise BackupError(
            _("The restored row counts differ from the manifest in: {tables}.").format(
                tables=", ".join(differ)
            )
        )
    check = check_keys(using=using, keys_file=target.keys_file, expected=manifest.get("keys"))
    progress(check.explain())
    return RestoreResult(
        archive=archive,
        vendor=vendor,
        created_at=manifest.get("created_at", ""),
        rows=sum(restored.values()),
        tables=len(restored),
        media_files=media_files,
        migrated=migrated,
        keys=check,
        set_aside=set_aside,
    )
