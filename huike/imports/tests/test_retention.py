"""Old imports lose their problem rows and uploads; abandoned uploads go after a day."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from huike.accounts.models import User
from huike.core import crypto
from huike.imports import engine, retention, services, tasks
from huike.imports.models import ImportJob, ImportProblem

pytestmark = pytest.mark.django_db

ROWS = "姓名,手机\n张三,13800138000\n王五,12345\n".encode()


def upload(user: User) -> ImportJob:
    return services.start_job(SimpleUploadedFile("客户.csv", ROWS), actor=user)


def test_finished_imports_lose_their_rejected_rows_and_upload_after_the_retention(
    admin_user: User, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT, settings.IMPORT_KEEP_DAYS = str(tmp_path), 30
    old, recent = upload(admin_user), upload(admin_user)
    cli_file = tmp_path / "mine.csv"
    cli_file.write_bytes(ROWS)
    cli = ImportJob.objects.create(
        created_by=admin_user, path=str(cli_file), original_name="mine.csv", digest="x"
    )
    for job in (old, recent, cli):
        ImportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now())
        engine.run(ImportJob.objects.get(pk=job.pk))
    assert ImportProblem.objects.count() == 3  # 王五's phone, once per job
    month_ago = timezone.now() - datetime.timedelta(days=31)
    ImportJob.objects.filter(pk__in=[old.pk, cli.pk]).update(finished_at=month_ago)

    counts = retention.purge()

    assert counts == {"problems": 2, "files": 1, "drafts": 0}
    assert not Path(old.path).exists() and Path(recent.path).exists()
    assert cli_file.exists()  # the caller's own file is never touched
    assert list(ImportProblem.objects.values_list("job", flat=True)) == [recent.pk]
    old.refresh_from_db()
    assert (old.path, old.created) == ("", 1)  # the counts stay


def test_uploads_never_confirmed_go_after_a_day(
    admin_user: User, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    draft, fresh = upload(admin_user), upload(admin_user)
    ImportJob.objects.filter(pk=draft.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )

    assert tasks.purge_old_imports.call_local() == {"problems": 0, "files": 1, "drafts": 1}
    assert not Path(draft.path).exists() and Path(fresh.path).exists()
    assert list(ImportJob.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_rejected_rows_are_sealed_at_rest_and_read_back_in_order(admin_user: User) -> None:
    path_rows = "姓名,身份证号,手机\n王五,11010519491231002X,12345\n".encode()
    job = services.start_job(SimpleUploadedFile("证件.csv", path_rows), actor=admin_user)
    ImportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now())
    engine.run(ImportJob.objects.get(pk=job.pk))

    problem = ImportProblem.objects.get()
    stored = json.dumps(problem.data, ensure_ascii=False)
    assert "11010519491231002X" not in stored and "王五" not in stored
    assert crypto.is_sealed(problem.data["sealed"])
    assert problem.pairs == [
        ("姓名", "王五"),
        ("身份证号", "11010519491231002X"),
        ("手机", "12345"),
    ]
    # The reasons quote the rejected phone: sealed too, read back whole.
    assert "12345" not in json.dumps(problem.errors) and crypto.is_sealed(problem.errors["sealed"])
    assert problem.reasons == {"__all__": ["手机: “12345” is not a valid phone number."]}
    assert "12345" in services.problem_reasons(problem)
    header, rows, count = services.rejects(job, user=admin_user)
    assert (header[:3], count) == (["姓名", "身份证号", "手机"], 1)
    assert next(iter(rows))[:3] == ["王五", "11010519491231002X", "12345"]


def test_a_tampered_or_plain_problem_row_reads_without_error(admin_user: User) -> None:
    job = ImportJob.objects.create(created_by=admin_user, original_name="x.csv", digest="x")
    legacy = ImportProblem.objects.create(
        job=job, line=2, kind="rejected", data=[["姓名", "赵六"]], errors={"__all__": ["x"]}
    )
    sealed = ImportProblem.seal([("姓名", "钱七")])
    reasons = ImportProblem.seal_errors({"mobile": ["“1” is not a phone"]})
    tampered = ImportProblem.objects.create(
        job=job,
        line=3,
        kind="rejected",
        data={"sealed": sealed["sealed"][:-4] + "AAAA"},
        errors={"sealed": reasons["sealed"][:-4] + "AAAA"},
    )

    assert (legacy.pairs, legacy.reasons) == ([("姓名", "赵六")], {"__all__": ["x"]})
    assert (tampered.pairs, tampered.reasons) == ([], {})


def test_rotating_keys_reseals_the_kept_problem_rows(
    admin_user: User, tmp_path: Path, settings: Any
) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(crypto.keys_file().read_text())
    settings.HUIKE_KEYS_FILE = keys
    job = ImportJob.objects.create(created_by=admin_user, original_name="x.csv", digest="x")
    old = ImportProblem.objects.create(
        job=job,
        line=2,
        kind="rejected",
        data=ImportProblem.seal([("手机", "12345")]),
        errors=ImportProblem.seal_errors({"mobile": ["“12345” is not a phone"]}),
    )
    plain = ImportProblem.objects.create(
        job=job,
        line=3,
        kind="rejected",
        data=[["手机", "678"]],
        errors={"mobile": ["“678” is not a phone"]},
    )

    out = io.StringIO()
    call_command("rotate_keys", "--json", stdout=out)
    result = json.loads(out.getvalue())

    assert result["resealed"]["imports"] == 2
    for problem, value in ((old, "12345"), (plain, "678")):
        problem.refresh_from_db()
        assert crypto.key_id(problem.data["sealed"]) == result["active_key"]
        assert crypto.key_id(problem.errors["sealed"]) == result["active_key"]
        assert problem.pairs == [("手机", value)]
        assert problem.reasons == {"mobile": [f"“{value}” is not a phone"]}
