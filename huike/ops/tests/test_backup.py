"""Backups that restore: backup → restore into a fresh database → the same rows and values.

A backup copies what the database has committed, so the tests that make an archive commit
their data (``transaction=True``). Such a test empties every table when it ends and only the
post_migrate handlers (roles) come back, so ``customers_with_sealed_values`` puts the profile
fields back first. The restore goes into a second, fresh database: a SQLite file in a temporary
folder, or on PostgreSQL a database created for the test and dropped afterwards.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import secrets
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.db.utils import load_backend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huike.core import crypto
from huike.core.models import AccessLog, IdempotencyRecord
from huike.core.tasks import purge_idempotency_records
from huike.ops import backup as backup_module
from huike.ops.backup import (
    BackupError,
    copy_key_file,
    create_backup,
    find_pg_tool,
    pg_environment,
    prune_backups,
    scheduled_backup,
)
from huike.ops.models import SystemState
from huike.ops.restore import check_keys, restore_backup
from huike.ops.services import health, is_paused, pause, resume
from huike.parties.attributes import ensure_default_attributes
from huike.parties.services import create_party

RESIDENT_IDS = ("11010519491231002X", "110102198001010017")
TARGET = "restore_target"
ROUND_TRIP = pytest.mark.django_db(transaction=True)
POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="runs when DATABASE_URL points to PostgreSQL"
)


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def machine(settings: Any, tmp_path: Path) -> Path:
    """This machine's var/ folder, uploads and key file, in a temporary folder."""
    var = tmp_path / "var"
    (var / "media" / "licences").mkdir(parents=True)
    (var / "media" / "licences" / "huawei.txt").write_text("营业执照", encoding="utf-8")
    (var / "secret_key").write_text("a-secret-key-that-must-stay-home", encoding="utf-8")
    settings.VAR_DIR = var
    settings.MEDIA_ROOT = var / "media"
    settings.HUIKE_KEYS_FILE = var / "keys.json"
    settings.BACKUP_DIR = str(tmp_path / "backups")
    crypto.ring()  # the key file, as on first use
    return var


@pytest.fixture
def fresh_database(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """A second, empty database under the alias ``restore_target``."""
    base = connections["default"].settings_dict
    settings_dict = copy.deepcopy(base)
    created = ""
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = str(tmp_path / "new-machine" / "huike.sqlite3")
        Path(settings_dict["NAME"]).parent.mkdir()
    else:
        created = "{}_restore_{}".format(base["NAME"], secrets.token_hex(4))
        run_admin_sql(f'CREATE DATABASE "{created}"')
        settings_dict["NAME"] = created
    # Not added to the settings: Django's test case lets "dynamically created" aliases connect.
    connections[TARGET] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
        settings_dict, TARGET
    )
    try:
        yield TARGET
    finally:
        connections[TARGET].close()
        del connections[TARGET]
        if created:
            run_admin_sql(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')


def run_admin_sql(sql: str) -> None:
    """CREATE/DROP DATABASE: outside any transaction, on a connection of its own."""
    wrapper = connections["default"]
    database: Any = wrapper.Database  # type: ignore[attr-defined]
    raw = database.connect(**wrapper.get_connection_params())
    try:
        raw.autocommit = True
        raw.execute(sql)
    finally:
        raw.close()


# --- Helpers -----------------------------------------------------------------------------------


def customers_with_sealed_values() -> None:
    ensure_default_attributes()  # gone if an earlier transactional test emptied the tables
    for number, resident_id in enumerate(RESIDENT_IDS):
        create_party(
            actor=None,
            kind="person",
            name=f"张三{number}",
            attributes={"resident_id": resident_id, "mobile": f"1380013800{number}"},
        )


def fetch(target: str | Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows from a SQLite file (opened with sqlite3 itself) or from a database alias."""
    if isinstance(target, Path):
        with closing(sqlite3.connect(target)) as raw:
            return raw.execute(sql).fetchall()
    with connections[target].cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def table_counts(target: str | Path) -> dict[str, int]:
    """Rows per table of a SQLite file (read with sqlite3) or of a database alias."""
    if isinstance(target, Path):
        with closing(sqlite3.connect(target)) as raw:
            plain = raw.cursor()
            return backup_module.row_counts(plain, backup_module.table_names(plain, "sqlite"))
    with connections[target].cursor() as cursor:
        tables = backup_module.table_names(cursor, connections[target].vendor)
        return backup_module.row_counts(cursor, tables)


def decrypted_values(target: str | Path) -> tuple[str, int]:
    """SHA-256 over every stored attribute value, sealed ones decrypted with the key file in
    ``settings.HUIKE_KEYS_FILE`` (context: the attribute's code), and how many were sealed."""
    digest = hashlib.sha256()
    sealed = 0
    for table in ("parties_observation", "parties_goldenvalue"):
        rows = fetch(
            target,
            f"SELECT v.id, d.code, CAST(v.value AS TEXT) FROM {table} v "  # noqa: S608
            "JOIN parties_attributedefinition d ON d.id = v.attribute_id ORDER BY v.id",
        )
        for row_id, code, text in rows:
            value = json.loads(text)
            if crypto.is_sealed(value):
                sealed += 1
                value = ["decrypted", crypto.unseal(value, code)]
            digest.update(json.dumps([table, row_id, code, value]).encode("utf-8"))
    return digest.hexdigest(), sealed


def restored_path(alias: str) -> str | Path:
    """How the test reads the restored copy: the SQLite file itself, else the alias."""
    name = connections[alias].settings_dict["NAME"]
    return Path(name) if connection.vendor == "sqlite" else alias


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {
            member.name: tar.extractfile(member).read()  # type: ignore[union-attr]
            for member in tar.getmembers()
            if member.isfile()
        }


def key_material(path: Path) -> list[bytes]:
    """Every key in a key file, as stored (base64) and raw."""
    data = json.loads(path.read_text(encoding="utf-8"))
    ring = crypto.parse_ring(data)
    encoded = [*data["keys"].values(), data["index_key"]]
    raw = [*ring.keys.values(), ring.index_key]
    return [text.encode("ascii") for text in encoded] + raw


def tampered_copy(archive: Path, destination: Path) -> Path:
    """The archive with one byte of the database changed and the manifest left alone."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(destination, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.startswith("database/"):
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            target.addfile(member, io.BytesIO(data))
    return destination


# --- Backup → restore ----------------------------------------------------------------------


@ROUND_TRIP
def test_a_backup_restores_into_a_fresh_database_with_the_same_rows_and_decrypted_values(
    machine: Path, fresh_database: str, tmp_path: Path, settings: Any
) -> None:
    # Given customers whose resident ID numbers are stored sealed, and an upload
    customers_with_sealed_values()
    source_counts = table_counts("default")
    source_values, sealed = decrypted_values("default")
    assert sealed >= len(RESIDENT_IDS)
    keys_apart = copy_key_file(tmp_path / "usb-stick" / "keys.json")

    # When backed up, then restored on a "new machine" with the key file kept apart
    result = create_backup(Path(settings.BACKUP_DIR))
    new_keys = tmp_path / "new-machine" / "keys.json"
    restored = restore_backup(
        result.path,
        using=fresh_database,
        keys=keys_apart,
        keys_file=new_keys,
        media_root=tmp_path / "new-machine" / "media",
    )

    # Then every table has the rows it had (plus the restore's own access-log row and pause)
    assert result.counts == source_counts
    target = restored_path(fresh_database)
    restored_counts = table_counts(target)
    assert restored_counts["core_accesslog"] == source_counts["core_accesslog"] + 1
    assert restored_counts["ops_systemstate"] == 1
    unchanged = {"core_accesslog", "ops_systemstate"}
    assert {t: n for t, n in restored_counts.items() if t not in unchanged} == {
        t: n for t, n in source_counts.items() if t not in unchanged
    }
    # …the installed key file opens every sealed value to the same plain text
    settings.HUIKE_KEYS_FILE = new_keys
    assert decrypted_values(target) == (source_values, sealed)
    assert restored.keys.status == "ok"
    assert restored.keys.checked >= len(RESIDENT_IDS)
    assert new_keys.stat().st_mode & 0o777 == 0o600
    # …the upload is back, and the copy starts paused
    assert (tmp_path / "new-machine" / "media" / "licences" / "huawei.txt").read_text(
        encoding="utf-8"
    ) == "营业执照"
    assert is_paused(using=fresh_database)
    assert not is_paused()
    # …and the backup was logged on the source
    assert AccessLog.objects.filter(action="backup", reason=result.path.name).exists()


@ROUND_TRIP
def test_the_archive_holds_database_uploads_and_manifest_but_no_key_or_secret(
    machine: Path, settings: Any
) -> None:
    # Given a key file and secret key that sit inside the uploads folder by mistake
    settings.MEDIA_ROOT = machine
    customers_with_sealed_values()

    result = create_backup(Path(settings.BACKUP_DIR))

    files = members(result.path)
    assert set(files) == {
        "manifest.json",
        "database/huike.sqlite3" if connection.vendor == "sqlite" else "database/huike.pgdump",
        "media/media/licences/huawei.txt",
    }
    for name, data in files.items():
        for secret in key_material(machine / "keys.json"):
            assert secret not in data, f"key material in {name}"
        assert b"a-secret-key-that-must-stay-home" not in data
    manifest = json.loads(files["manifest.json"])
    assert manifest["keys"]["ids"] == ["k1"]
    assert set(manifest["keys"]["checks"]) == {"k1", "index"}
    assert manifest["tables"]["parties_party"] == len(RESIDENT_IDS)
    assert manifest["database"]["vendor"] == connection.vendor
    assert "0001_initial" in manifest["migrations"]["ops"]
    for name, entry in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == entry["sha256"]
    assert result.path.stat().st_mode & 0o777 == 0o600


@ROUND_TRIP
def test_the_command_line_contract_of_backup_and_restore(
    machine: Path,
    fresh_database: str,
    tmp_path: Path,
    settings: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    customers_with_sealed_values()
    backups = tmp_path / "backups"

    # huike backup --json prints one object; --keys-to copies the key file apart (0600)
    call_command(
        "backup",
        "--output",
        str(backups),
        "--keys-to",
        str(tmp_path / "apart" / "keys.json"),
        "--json",
    )
    out = json.loads(capsys.readouterr().out)
    archive = Path(out["path"])
    assert {"path", "size", "sha256", "counts"} <= set(out)
    assert out["size"] == archive.stat().st_size
    assert out["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert out["counts"]["parties_party"] == len(RESIDENT_IDS)
    assert (tmp_path / "apart" / "keys.json").stat().st_mode & 0o777 == 0o600

    # A key copy inside the backup folder is refused
    with pytest.raises(CommandError, match="apart"):
        call_command("backup", "--output", str(backups), "--keys-to", str(backups / "k.json"))

    # The new machine: no key file yet, empty uploads
    settings.HUIKE_KEYS_FILE = tmp_path / "new-machine" / "keys.json"
    settings.MEDIA_ROOT = tmp_path / "new-machine" / "media"

    # A tampered archive: exit code 1, nothing written
    bad = tampered_copy(archive, tmp_path / "bad.tar.gz")
    with pytest.raises(CommandError, match="damaged or was altered") as refused:
        call_command("restore", str(bad), "--database", fresh_database, "--yes", "--json")
    assert refused.value.returncode == 1
    assert capsys.readouterr().out == ""
    assert table_counts(restored_path(fresh_database)) == {}
    assert not settings.MEDIA_ROOT.exists()

    # Restored without the key file: exit code 3, the JSON says which values cannot be read
    with pytest.raises(CommandError, match="missing") as unreadable:
        call_command("restore", str(archive), "--database", fresh_database, "--yes", "--json")
    assert unreadable.value.returncode == 3
    report = json.loads(capsys.readouterr().out)
    assert report["paused"] is True
    assert report["keys"]["status"] == "missing"
    assert report["keys"]["unreadable"] >= len(RESIDENT_IDS)
    assert report["media_files"] == 1
    assert not settings.HUIKE_KEYS_FILE.exists()

    # Now the database is in use: a second restore is refused unless forced
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive), "--database", fresh_database, "--yes")

    # With --force and the key file: exit code 0, the keys open the values
    call_command(
        "restore",
        str(archive),
        "--database",
        fresh_database,
        "--yes",
        "--force",
        "--keys",
        str(tmp_path / "apart" / "keys.json"),
        "--json",
    )
    report = json.loads(capsys.readouterr().out)
    assert report["keys"]["status"] == "ok"
    # …and the uploads of the first restore were set aside, not deleted
    [aside] = report["set_aside"]
    assert aside.startswith(str(settings.MEDIA_ROOT) + ".before-restore-")
    assert (Path(aside) / "licences" / "huawei.txt").exists()
    assert (settings.MEDIA_ROOT / "licences" / "huawei.txt").exists()


@ROUND_TRIP
def test_a_wrong_key_file_is_reported_and_refused_without_force(
    machine: Path, fresh_database: str, tmp_path: Path, settings: Any
) -> None:
    customers_with_sealed_values()
    result = create_backup(Path(settings.BACKUP_DIR))
    # The new machine holds another installation's key file: also "k1", but other keys
    new_keys = tmp_path / "new-machine" / "keys.json"
    crypto.write_ring(crypto.new_ring(), new_keys)

    # Installing the right one over it needs --force
    with pytest.raises(BackupError, match="different key file"):
        restore_backup(
            result.path, using=fresh_database, keys=machine / "keys.json", keys_file=new_keys
        )

    restored = restore_backup(
        result.path,
        using=fresh_database,
        keys_file=new_keys,
        media_root=tmp_path / "new-machine" / "media",
    )

    assert restored.keys.status == "wrong"
    assert restored.keys.missing_key_ids == ["index", "k1"]  # same ids, other check values
    assert restored.keys.unreadable == restored.keys.checked > 0
    assert not restored.keys.readable


def as_older_version(archive: Path, destination: Path, work: Path) -> Path:
    """The archive as a Huike without paused mode would have written it (SQLite)."""
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(work, filter="data")
    with closing(sqlite3.connect(work / "database" / "huike.sqlite3")) as raw:
        raw.execute("DROP TABLE ops_systemstate")
        raw.execute("DELETE FROM django_migrations WHERE app = 'ops'")
        raw.commit()
    manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
    del manifest["tables"]["ops_systemstate"]
    manifest["tables"]["django_migrations"] -= len(manifest["migrations"].pop("ops"))
    database = work / "database" / "huike.sqlite3"
    manifest["files"]["database/huike.sqlite3"] = {
        "sha256": hashlib.sha256(database.read_bytes()).hexdigest(),
        "size": database.stat().st_size,
    }
    (work / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with tarfile.open(destination, "w:gz") as tar:
        for path in sorted(work.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=path.relative_to(work).as_posix())
    return destination


@ROUND_TRIP
@pytest.mark.skipif(connection.vendor != "sqlite", reason="rewrites a SQLite archive")
def test_a_backup_of_an_older_version_is_migrated_then_paused(
    machine: Path, fresh_database: str, tmp_path: Path, settings: Any
) -> None:
    customers_with_sealed_values()
    result = create_backup(Path(settings.BACKUP_DIR))
    older = as_older_version(result.path, tmp_path / "older.tar.gz", tmp_path / "unpacked")

    restored = restore_backup(
        older,
        using=fresh_database,
        keys=machine / "keys.json",
        keys_file=tmp_path / "new-machine" / "keys.json",
        media_root=tmp_path / "new-machine" / "media",
    )

    assert restored.migrated == ["ops.0001_initial"]
    assert is_paused(using=fresh_database)
    assert restored.keys.status == "ok"


@ROUND_TRIP
def test_the_scheduled_backup_runs_at_the_backup_hour_and_keeps_the_newest(
    machine: Path, settings: Any
) -> None:
    backups = Path(settings.BACKUP_DIR)
    backups.mkdir()
    old = [backups / f"huike-backup-2026010{day}T020000Z.tar.gz" for day in range(1, 5)]
    for path in old:
        path.write_bytes(b"old")
    (backups / "notes.txt").write_text("not an archive", encoding="utf-8")
    settings.BACKUP_KEEP = 3
    now = timezone.now()
    settings.BACKUP_HOUR = timezone.localtime(now).hour

    result = scheduled_backup(now)

    assert result is not None
    assert sorted(p.name for p in backups.iterdir()) == sorted(
        [old[2].name, old[3].name, result.path.name, "notes.txt"]
    )
    # The same hour again (another worker, a retry): no second archive
    assert scheduled_backup(now + timedelta(minutes=20)) is None
    assert AccessLog.objects.filter(action="backup", channel="job").count() == 1


# --- Archives that must not restore --------------------------------------------------------------


def test_a_truncated_archive_is_refused(machine: Path, tmp_path: Path, db: None) -> None:
    broken = tmp_path / "huike-backup-20260101T020000Z.tar.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")

    with pytest.raises(BackupError, match="not a readable Huike backup"):
        restore_backup(broken)


def test_an_archive_with_a_link_is_refused(machine: Path, tmp_path: Path, db: None) -> None:
    archive = tmp_path / "links.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        link = tarfile.TarInfo("media/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)

    with pytest.raises(BackupError, match="damaged or was altered"):
        restore_backup(archive)


# --- Paused mode ---------------------------------------------------------------------------------


@pytest.fixture
def pausable_mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "huike.ops.mail.PausableEmailBackend"
    settings.HUIKE_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.django_db
def test_no_mail_leaves_while_paused_and_it_does_again_after_resuming(
    pausable_mail: None, mailoutbox: list[Any]
) -> None:
    pause("restored")

    assert mail.send_mail("Hi", "body", "a@example.com", ["b@example.com"]) == 0
    assert mailoutbox == []

    assert resume(actor=None) is True
    assert mail.send_mail("Hi", "body", "a@example.com", ["b@example.com"]) == 1
    assert [message.subject for message in mailoutbox] == ["Hi"]


@pytest.mark.django_db
def test_periodic_jobs_skip_while_paused(settings: Any, make_user: Any) -> None:
    stale = IdempotencyRecord.objects.create(
        user=make_user("salesperson"), key="k", method="POST", path="/", request_hash="h"
    )
    old = timezone.now() - settings.IDEMPOTENCY_TTL - timedelta(hours=1)
    IdempotencyRecord.objects.filter(pk=stale.pk).update(created_at=old)
    settings.BACKUP_HOUR = timezone.localtime().hour
    pause("restored")

    assert purge_idempotency_records.call_local() == 0
    assert scheduled_backup() is None
    assert IdempotencyRecord.objects.filter(pk=stale.pk).exists()

    resume(actor=None)
    assert purge_idempotency_records.call_local() == 1


@pytest.mark.django_db
def test_administrators_see_a_banner_and_resume_with_its_button(make_user: Any) -> None:
    pause("Restored from huike-backup-20260101T020000Z.tar.gz")
    admin = make_user("administrator")
    seller = make_user("salesperson")
    client = Client()

    client.force_login(seller)
    assert 'id="paused-banner"' not in client.get(reverse("home")).content.decode()
    assert client.post(reverse("ops:resume")).status_code == 403
    assert is_paused()

    client.force_login(admin)
    page = client.get(reverse("home")).content.decode()
    assert 'id="paused-banner"' in page
    assert reverse("ops:resume") in page
    assert "huike-backup-20260101T020000Z.tar.gz" in page

    response = client.post(reverse("ops:resume"), {"next": "/customers/"})
    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    assert not is_paused()
    assert SystemState.objects.get().resumed_by == admin.username
    assert 'id="paused-banner"' not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_the_resume_button_refuses_while_encrypted_values_do_not_open(
    machine: Path, make_user: Any, settings: Any
) -> None:
    customers_with_sealed_values()
    settings.HUIKE_KEYS_FILE = machine / "lost-keys.json"
    pause("restored")
    client = Client()
    client.force_login(make_user("administrator"))

    response = client.post(reverse("ops:resume"), follow=True)

    assert is_paused()
    assert "is missing" in response.content.decode()


@pytest.mark.django_db
def test_huike_resume_checks_the_key_file_first(
    machine: Path, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    customers_with_sealed_values()
    settings.HUIKE_KEYS_FILE = machine / "lost-keys.json"
    pause("restored")

    with pytest.raises(CommandError, match="missing") as refused:
        call_command("resume")
    assert refused.value.returncode == 3
    assert is_paused()

    call_command("resume", "--force", "--json")
    assert json.loads(capsys.readouterr().out)["resumed"] is True
    assert not is_paused()
    assert not (machine / "lost-keys.json").exists()  # checking never creates a key file


@pytest.mark.django_db
def test_the_health_check_says_when_huike_is_paused() -> None:
    assert health()["paused"] is False
    pause("restored")
    assert health()["paused"] is True


@pytest.mark.django_db
def test_check_keys_has_nothing_to_check_without_sealed_values(tmp_path: Path) -> None:
    check = check_keys(keys_file=tmp_path / "absent.json")

    assert check.status == "none"
    assert check.readable


# --- Small parts ---------------------------------------------------------------------------------


def test_retention_keeps_the_newest_archives_and_nothing_else_is_touched(tmp_path: Path) -> None:
    names = [f"huike-backup-2026010{day}T020000Z.tar.gz" for day in range(1, 6)]
    for name in [*names, "huike-backup-latest.tar.gz", "other.tar.gz"]:
        (tmp_path / name).write_bytes(b"x")

    deleted = prune_backups(tmp_path, 2)

    assert [path.name for path in deleted] == names[:3]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [*names[3:], "huike-backup-latest.tar.gz", "other.tar.gz"]
    )
    assert prune_backups(tmp_path, 0) == []


def test_the_postgresql_password_travels_in_the_environment_only() -> None:
    env = pg_environment(
        {
            "NAME": "huike",
            "USER": "huike",
            "PASSWORD": "s3cret",
            "HOST": "db",
            "PORT": 5432,
            "OPTIONS": {"sslmode": "require"},
        }
    )

    assert env["PGPASSWORD"] == "s3cret"
    assert (env["PGHOST"], env["PGPORT"], env["PGDATABASE"]) == ("db", "5432", "huike")
    assert env["PGSSLMODE"] == "require"


def test_pg_tools_are_found_outside_path_or_named_in_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(backup_module.shutil, "which", lambda name: None)
    for version in ("13", "15"):
        tool = tmp_path / version / "bin" / "pg_dump"
        tool.parent.mkdir(parents=True)
        tool.write_text("#!/bin/sh\n", encoding="utf-8")
        tool.chmod(0o755)
    monkeypatch.setattr(backup_module, "PG_LIBDIR", tmp_path)

    assert find_pg_tool("pg_dump") == str(tmp_path / "15" / "bin" / "pg_dump")
    with pytest.raises(BackupError, match="pg_restore was not found"):
        find_pg_tool("pg_restore")


@POSTGRES_ONLY
@ROUND_TRIP
def test_postgresql_backups_use_pg_dump_without_the_password_on_the_command_line(
    machine: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def spy(arguments: list[str], **kwargs: Any) -> Any:
        calls.append(arguments)
        return real_run(arguments, **kwargs)

    monkeypatch.setattr(backup_module.subprocess, "run", spy)
    password = str(connections["default"].settings_dict.get("PASSWORD") or "")

    result = create_backup(Path(settings.BACKUP_DIR))

    assert Path(calls[0][0]).name == "pg_dump"
    assert "--format=custom" in calls[0]
    assert not password or not any(password in argument for argument in calls[0])
    assert "database/huike.pgdump" in members(result.path)
