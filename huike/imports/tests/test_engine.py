"""``huike import``: a file becomes customers and observations, batch by batch, resumable."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from huike.accounts.models import User
from huike.imports import engine
from huike.imports.models import ImportJob
from huike.parties.models import Observation, Party

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
GBK_ROWS = (
    "姓名,手机,邮箱,备注\n"
    "张三,13800138000,zs@example.com,老客户\n"
    "李四,13900139000,,\n"
    "王五,12345,bad-email,\n"
)


def run_import(path: Path, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("import", str(path), "--json", *args, stdout=out, stderr=io.StringIO())
    return dict(json.loads(out.getvalue()))


@pytest.fixture(autouse=True)
def administrator(admin_user: User) -> User:
    return admin_user  # the collector when no --as is given


@pytest.fixture
def gbk_file(tmp_path: Path) -> Path:
    path = tmp_path / "客户.csv"
    path.write_bytes(GBK_ROWS.encode("gb18030"))
    return path


def test_a_gbk_file_with_chinese_headers_imports_with_its_provenance(
    gbk_file: Path, admin_user: User
) -> None:
    summary = run_import(gbk_file, "--consent", "marketing: signed form 2026-11")

    assert summary["status"] == "done"
    assert summary["encoding"] in {"gb18030", "gbk"}
    assert (summary["created"], summary["rejected"]) == (2, 1)
    zhang = Party.objects.get(name="张三")
    assert zhang.golden["mobile"] == "+8613800138000"
    mobile = Observation.objects.get(party=zhang, attribute__code="mobile")
    assert mobile.source == "import"
    assert mobile.source_ref.startswith("客户.csv#2")
    assert mobile.collector == admin_user
    assert mobile.consent == "marketing: signed form 2026-11"


def test_importing_the_same_file_again_writes_nothing_twice(gbk_file: Path) -> None:
    first = run_import(gbk_file)
    observations = Observation.objects.count()
    again = run_import(gbk_file)

    assert first["created"] == 2
    assert (again["created"], again["updated"], again["skipped"]) == (0, 0, 2)
    assert Observation.objects.count() == observations
    assert Party.objects.count() == 2


def test_a_dry_run_reports_problems_and_writes_no_customer(gbk_file: Path) -> None:
    summary = run_import(gbk_file, "--dry-run")
    assert (summary["created"], summary["rejected"], summary["dry_run"]) == (2, 1, True)
    assert not Party.objects.exists()


def test_rejected_rows_come_back_as_a_file_to_fix_and_import_again(
    gbk_file: Path, tmp_path: Path
) -> None:
    rejects = tmp_path / "rejects.csv"
    run_import(gbk_file, "--rejects", str(rejects))
    rows = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8-sig"))))
    assert rows[0][-1] == "Problems"
    assert rows[1][0] == "王五" and rows[1][-1]  # with the reason

    rows[1][1] = "13700137000"  # fix the phone, drop the bad e-mail
    rows[1][2] = ""
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([row[:-1] for row in rows])
    assert run_import(fixed)["created"] == 1
    assert Party.objects.get(name="王五").golden["mobile"] == "+8613700137000"


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("update", (0, 1, 0, 0)), ("skip", (0, 0, 1, 0)), ("review", (0, 0, 0, 1))],
)
def test_rows_matching_a_customer_follow_the_policy(
    tmp_path: Path, admin_user: User, policy: str, expected: tuple[int, int, int, int]
) -> None:
    from huike.parties.services import create_party

    create_party(
        actor=admin_user, kind="person", name="张三", attributes={"email": "zs@example.com"}
    )
    path = tmp_path / "one.csv"
    path.write_text("Name,E-mail,Mobile\nZhang San,ZS@example.com,13800138000\n", encoding="utf-8")

    summary = run_import(path, "--policy", policy)

    got = (summary["created"], summary["updated"], summary["skipped"], summary["duplicates"])
    assert got == expected


def test_a_crash_resumes_after_the_last_committed_batch(
    gbk_file: Path, admin_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = ImportJob.objects.create(
        created_by=admin_user,
        path=str(gbk_file),
        original_name=gbk_file.name,
        digest=engine.file_digest(gbk_file),
    )
    real = engine._commit
    calls = {"n": 0}

    def crash_on_second_batch(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        real(*args, **kwargs)

    monkeypatch.setattr(engine, "_commit", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        engine.run(job, batch_size=1)
    job.refresh_from_db()
    assert job.checkpoint == 2 and Party.objects.count() == 1

    monkeypatch.setattr(engine, "_commit", real)
    engine.run(job, batch_size=1)
    job.refresh_from_db()
    assert job.status == "done" and job.checkpoint == 4
    assert sorted(Party.objects.values_list("name", flat=True)) == ["张三", "李四"]
    assert Observation.objects.filter(attribute__code="mobile").count() == 2


def test_without_json_one_summary_line_is_printed(gbk_file: Path) -> None:
    out = io.StringIO()
    call_command("import", str(gbk_file), stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == (
        "Done: 3 rows — 2 created, 0 updated, 0 skipped, 1 rejected, 0 duplicates queued."
    )


SAMPLES = Path(__file__).parent / "samples"


@pytest.mark.parametrize(
    ("sample", "preset", "name", "email"),
    [
        ("outlook.csv", "outlook", "张San", "san.zhang@example.com"),
        ("google.csv", "google", "张San", "san@example.com"),
        ("apple.vcf", "vcard", "张San", "san.zhang@example.com"),
        ("customers_gbk.csv", "", "", ""),
    ],
)
def test_other_tools_exports_import_from_the_command_line(
    sample: str, preset: str, name: str, email: str
) -> None:
    summary = run_import(SAMPLES / sample, "--source", "import:test")

    assert summary["status"] == "done" and summary["preset"] == preset
    assert summary["created"] >= 1 and summary["created"] == Party.objects.count()
    if email:
        party = Party.objects.get(search_keys__kind="email", search_keys__value=email)
        assert party.golden["mobile"] == "+8613800138000"
        observation = Observation.objects.filter(party=party).first()
        assert observation is not None and observation.source == "import:test"
        assert observation.source_ref.startswith(f"{sample}#")


def test_a_value_a_transform_cannot_read_is_left_out_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Zhang San\nN:Zhang;San;;;\n"
        "TEL;type=CELL:+86 138 0013 8000\nBDAY:--05-30\nEND:VCARD\n",
        encoding="utf-8",
    )
    summary = run_import(path)
    assert (summary["created"], summary["rejected"], summary["warnings"]) == (1, 0, 1)
    party = Party.objects.get()
    assert "birth_date" not in party.golden and party.golden["mobile"] == "+8613800138000"
    problem = ImportJob.objects.get().problems.get()
    assert problem.kind == "warning" and "no year" in problem.reasons["__all__"][0]


def test_a_2_gb_file_of_junk_fails_at_once_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: 2 GB of NUL bytes, no disk used
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", str(path), "--json", stdout=out, stderr=io.StringIO())
    summary = json.loads(out.getvalue())
    assert summary["status"] == "failed" and summary["rows"] == 0
    assert "binary" in summary["error"].lower() or "not a text" in summary["error"].lower()
    assert not Party.objects.exists()
