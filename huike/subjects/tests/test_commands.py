"""``huike subject-access``, ``huike erase`` and ``huike apply-retention``."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from huike.accounts.models import User
from huike.core.models import AccessLog
from huike.parties.models import Party
from huike.parties.tests.factories import person
from huike.subjects import suppression
from huike.subjects.models import RetentionRule
from huike.subjects.tests.helpers import unzip, verified_request, zhang

pytestmark = pytest.mark.django_db


def run(*args: Any, **options: Any) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_subject_access_writes_the_zip(dpo: User, tmp_path: Path) -> None:
    party = zhang(dpo)
    target = tmp_path / "zhang.zip"

    printed = run("subject_access", str(party.pk), "--output", str(target), "--as", "dpo")

    assert printed.strip() == str(target)
    files = unzip(target.read_bytes())
    assert files["subject.json"]["sections"]["customer"][0]["name"] == "张三"
    entry = AccessLog.objects.get(action="subject_access")
    assert entry.channel == "cli" and entry.actor == dpo


def test_subject_access_fulfils_a_request(dpo: User, tmp_path: Path) -> None:
    party = zhang(dpo)
    request = verified_request(party, dpo)
    run(
        "subject_access",
        str(party.pk),
        "-o",
        str(tmp_path / "x.zip"),
        "--request",
        str(request.pk),
        "--as",
        "dpo",
    )
    request.refresh_from_db()
    assert request.status == "fulfilled" and request.result_file


def test_subject_access_needs_the_permission_and_a_visible_customer(
    make_user: Callable[..., User], dpo: User
) -> None:
    party = zhang(dpo)
    make_user("salesperson", username="mei")
    with pytest.raises(CommandError, match="lacks the permission"):
        run("subject_access", str(party.pk), "--as", "mei")
    with pytest.raises(CommandError, match="No customer number 999999"):
        run("subject_access", "999999", "--as", "dpo")


def test_erase_with_yes_and_json(dpo: User) -> None:
    party = zhang(dpo)
    request = verified_request(party, dpo, kind="erasure")

    printed = run(
        "erase", str(party.pk), "--request", str(request.pk), "--yes", "--json", "--as", "dpo"
    )

    result = json.loads(printed)
    assert result["erased"] is True and result["request"] == request.pk
    assert result["summary"]["suppressed"]["phone"] == 1
    party.refresh_from_db()
    assert party.erased_at is not None
    assert suppression.is_suppressed({"mobile": "13800138000"}) == ["mobile"]
    assert AccessLog.objects.get(action="erasure").channel == "cli"


def test_erase_asks_first_and_stops_on_no(dpo: User, monkeypatch: pytest.MonkeyPatch) -> None:
    party = zhang(dpo)
    request = verified_request(party, dpo, kind="erasure")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")

    with pytest.raises(CommandError, match="Nothing was erased"):
        run("erase", str(party.pk), "--request", str(request.pk), "--as", "dpo")

    party.refresh_from_db()
    assert party.erased_at is None


def test_erase_refuses_a_request_about_another_customer(dpo: User) -> None:
    party, other = zhang(dpo), person("李四")
    request = verified_request(party, dpo, kind="erasure")
    with pytest.raises(CommandError, match="is not about customer"):
        run("erase", str(other.pk), "--request", str(request.pk), "--yes", "--as", "dpo")
    other.refresh_from_db()
    assert other.erased_at is None


def test_erase_reports_a_hold(dpo: User, temporary_provider: Callable[..., Any]) -> None:
    party = zhang(dpo)
    request = verified_request(party, dpo, kind="erasure")
    temporary_provider("tickets", hold=lambda p: "open complaint")
    with pytest.raises(CommandError, match="not possible yet: tickets: open complaint"):
        run("erase", str(party.pk), "--request", str(request.pk), "--yes", "--as", "dpo")
    party.refresh_from_db()
    assert party.processing_restricted and party.erased_at is None


def test_apply_retention_dry_run_counts_only(dpo: User) -> None:
    RetentionRule.objects.create(name="Prospects", stages=["prospect"], inactivity_days=365)
    old = person("旧客")
    when = timezone.now() - datetime.timedelta(days=400)
    Party.objects.filter(pk=old.pk).update(created_at=when, updated_at=when)

    printed = run("apply_retention", "--dry-run", "--json")

    assert json.loads(printed.splitlines()[0])["matched"] == 1
    old.refresh_from_db()
    assert old.erased_at is None
    printed = run("apply_retention")
    assert "1 anonymised" in printed
    old.refresh_from_db()
    assert old.erased_at is not None
