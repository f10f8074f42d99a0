"""Imports: a row that probably is a customer on file is created and the pair queued for review."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from huike.accounts.models import User
from huike.identity import matching
from huike.identity.models import MatchCandidate
from huike.imports import engine
from huike.parties.models import Party
from huike.parties.tests.factories import person

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
# 张三's mobile one digit off (a typo, or a new number): no exact key matches, the name does.
ROWS = "姓名,手机,邮箱\n张三,13800138001,\n王五,13700137000,ww@example.com\n"


def run_import(path: Path, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("import", str(path), "--json", *args, stdout=out, stderr=io.StringIO())
    return dict(json.loads(out.getvalue()))


@pytest.fixture
def rows(tmp_path: Path) -> Path:
    path = tmp_path / "客户.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


@pytest.fixture
def zhang(admin_user: User) -> Party:
    return person("张三", owner=admin_user, attributes={"mobile": "13800138000"})


def test_a_row_like_a_customer_on_file_is_created_and_the_pair_queued(
    rows: Path, zhang: Party, admin_user: User
) -> None:
    summary = run_import(rows, "--as", admin_user.username)

    assert summary["status"] == "done"
    assert (summary["created"], summary["updated"], summary["duplicates"]) == (2, 0, 1)
    new = Party.objects.get(name="张三", golden__mobile="+8613800138001")
    pair = MatchCandidate.objects.get()
    assert (pair.party_a_id, pair.party_b_id) == (zhang.pk, new.pk)
    assert (pair.found_by, pair.status) == ("import", "open")
    assert pair.score >= 0.5
    assert {part["field"] for part in pair.explanation} >= {"name", "phone"}
    # never merged at import time: both records stay
    assert Party.objects.filter(name="张三").count() == 2


@pytest.mark.parametrize("policy", ["create", "skip", "review"])
def test_every_policy_creates_such_a_row_and_queues_the_pair(
    rows: Path, zhang: Party, admin_user: User, policy: str
) -> None:
    summary = run_import(rows, "--policy", policy)

    assert (summary["created"], summary["duplicates"]) == (2, 1)
    assert MatchCandidate.objects.filter(found_by="import").count() == 1


def test_a_dry_run_counts_the_likely_duplicates_and_writes_nothing(
    rows: Path, zhang: Party
) -> None:
    summary = run_import(rows, "--dry-run")

    assert (summary["created"], summary["duplicates"], summary["dry_run"]) == (2, 1, True)
    assert Party.objects.count() == 1
    assert not MatchCandidate.objects.exists()


def test_an_exact_key_still_adds_to_the_customer_without_queueing(
    tmp_path: Path, zhang: Party
) -> None:
    path = tmp_path / "same.csv"
    path.write_text("姓名,手机\n张三,138-0013-8000\n", encoding="utf-8")

    summary = run_import(path)

    assert (summary["created"], summary["updated"], summary["duplicates"]) == (0, 1, 0)
    assert not MatchCandidate.objects.exists()


def test_only_customers_the_importer_may_see_are_compared(rows: Path, make_user: MakeUser) -> None:
    mei = make_user("salesperson", username="mei")
    person("张三", owner=make_user("salesperson"), attributes={"mobile": "13800138000"})

    summary = run_import(rows, "--as", mei.username)

    assert (summary["created"], summary["duplicates"]) == (2, 0)
    assert not MatchCandidate.objects.exists()


def test_a_row_is_compared_with_earlier_batches_but_not_its_own(
    tmp_path: Path, admin_user: User
) -> None:
    path = tmp_path / "twice.csv"
    path.write_text(
        "姓名,手机\n赵六,13600136000\n赵六,13600136001\n赵六,13600136002\n", encoding="utf-8"
    )
    job = engine.ImportJob.objects.create(
        created_by=admin_user,
        path=str(path),
        original_name=path.name,
        digest=engine.file_digest(path),
        size=path.stat().st_size,
    )

    engine.run(job, batch_size=2)

    # batch 1 (lines 2-3) holds two 赵六 that are not compared with each other; batch 2's row
    # is compared with both
    job.refresh_from_db()
    assert (job.created, job.duplicates) == (3, 1)
    third = Party.objects.get(golden__mobile="+8613600136002")
    assert sorted(MatchCandidate.objects.values_list("party_a_id", "party_b_id")) == sorted(
        (other.pk, third.pk) for other in Party.objects.exclude(pk=third.pk)
    )


def test_the_matching_is_called_once_per_batch(
    tmp_path: Path, admin_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = matching.candidates_for_features

    def counted(probes: Any, **options: Any) -> Any:
        calls.append(len(probes))
        return real(probes, **options)

    monkeypatch.setattr(matching, "candidates_for_features", counted)
    path = tmp_path / "five.csv"
    path.write_text(
        "姓名,手机\n" + "".join(f"客户{i},1390013900{i}\n" for i in range(5)), encoding="utf-8"
    )
    job = engine.ImportJob.objects.create(
        created_by=admin_user,
        path=str(path),
        original_name=path.name,
        digest=engine.file_digest(path),
        size=path.stat().st_size,
    )

    engine.run(job, batch_size=2)

    assert calls == [2, 2, 1]


@pytest.mark.parametrize(("block", "queued"), [(1, 1), (2, 2)])
def test_a_name_many_customers_share_is_no_reason_on_its_own_to_compare(
    rows: Path, zhang: Party, admin_user: User, settings: Any, block: int, queued: int
) -> None:
    """Two customers are called 张三: above IMPORT_NAME_BLOCK, the row with the typo'd mobile
    is not compared at import (``huike dedupe`` finds the pair); 王五, whose e-mail a customer
    shares, always is."""
    person("张三", owner=admin_user, attributes={"mobile": "13900139999"})
    wang = person("王五", owner=admin_user, attributes={"email": "ww@example.com"})
    settings.IMPORT_NAME_BLOCK = block

    summary = run_import(rows, "--as", admin_user.username, "--policy", "create")

    assert (summary["created"], summary["duplicates"]) == (2, queued)
    pairs = MatchCandidate.objects.values_list("party_a_id", "party_b_id")
    assert any(wang.pk in pair for pair in pairs)
    assert any(zhang.pk in pair for pair in pairs) == (queued == 2)
