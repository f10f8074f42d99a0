"""The set-based import path stores what the customer services would store, row for row."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from huike.accounts.models import User
from huike.core import crypto
from huike.core.models import ChangeLog
from huike.imports import engine, pipeline
from huike.imports.models import ImportJob, ImportProblem
from huike.parties import services
from huike.parties.models import GoldenValue, Observation, Party, SearchKey
from huike.privacy.models import ConsentRecord, PartyConsent, Purpose
from huike.subjects.models import SuppressionEntry
from huike.subjects.suppression import digest, normalise

pytestmark = pytest.mark.django_db

RESIDENT_ID = "11010519491231002X"
HEADER = "姓名,手机,邮箱,身份证号,生日,外部编号,备注\n"


def write(tmp_path: Path, body: str, name: str = "客户.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def import_file(path: Path, user: User, **options: Any) -> ImportJob:
    batch_size = options.pop("batch_size", 1000)
    job = ImportJob.objects.create(
        created_by=user,
        path=str(path),
        original_name=path.name,
        digest=engine.file_digest(path),
        **options,
    )
    return engine.run(job, batch_size=batch_size)


def stored(party: Party) -> dict[str, Any]:
    """What a customer's rows say, without ids and times."""
    return {
        "party": (party.kind, party.name, party.pinyin, party.owner_id, party.stage, party.version),
        "golden": {
            code: (crypto.is_sealed(value), services.privacy.plain(code, value))
            for code, value in party.golden.items()
        },
        "observations": sorted(
            (o.attribute.code, o.value_text[:3], o.source, o.collector_name, o.consent)
            for o in Observation.objects.filter(party=party).select_related("attribute")
        ),
        "golden_values": sorted(
            (g.attribute.code, g.value_text[:3], g.observation.attribute_id == g.attribute_id)
            for g in GoldenValue.objects.filter(party=party).select_related(
                "attribute", "observation"
            )
        ),
        "keys": sorted(SearchKey.objects.filter(party=party).values_list("kind", "value")),
        "changes": [
            (c.action, c.actor_name, c.changes)
            for c in ChangeLog.objects.filter(object_id=str(party.pk), action="create")
        ],
    }


def test_a_bulk_created_customer_is_stored_as_create_party_stores_it(
    tmp_path: Path, admin_user: User
) -> None:
    path = write(
        tmp_path, f"王小明,13800138000,XM@Example.com,{RESIDENT_ID},1990-05-01,E-1,老客户\n"
    )
    job = import_file(path, admin_user, consent="service")
    assert (job.status, job.created) == ("done", 1), job.error
    imported = Party.objects.get()
    by_service = services.create_party(
        actor=admin_user,
        kind="person",
        name="王小明",
        attributes={
            "mobile": "13800138000",
            "email": "XM@Example.com",
            "resident_id": RESIDENT_ID,
            "birth_date": "1990-05-01",
            "external_id": "E-1",
            "notes": "老客户",
        },
        provenance=services.Provenance(source="import", consent="service"),
        owner=admin_user,
    )
    assert stored(imported) == stored(by_service)
    # Sensitive values are sealed in every table, as the services seal them.
    resident = Observation.objects.get(party=imported, attribute__code="resident_id")
    assert crypto.is_sealed(resident.value) and RESIDENT_ID not in json.dumps(imported.golden)
    # The values carry the row they came from.
    assert Observation.objects.filter(party=imported, source_ref__startswith="客户.csv#2 (").count()


def test_the_declared_purpose_lands_in_the_consent_ledger_for_every_customer(
    tmp_path: Path, admin_user: User
) -> None:
    existing = services.create_party(
        actor=admin_user, kind="person", name="李四", attributes={"mobile": "13900139000"}
    )
    path = write(tmp_path, "张三,13800138000,,,,,\n李四,13900139000,,,,,\n")
    job = import_file(path, admin_user, consent="marketing: paper forms, box 12")
    assert (job.created, job.updated) == (1, 1), job.error
    marketing = Purpose.objects.get(code="marketing")
    records = ConsentRecord.objects.filter(purpose=marketing)
    assert records.count() == 2
    assert set(records.values_list("channel", "evidence", "collected_by_name")) == {
        ("import", "paper forms, box 12", admin_user.username)
    }
    current = PartyConsent.objects.filter(purpose=marketing, granted=True)
    assert set(current.values_list("party__name", flat=True)) == {"张三", "李四"}
    assert current.get(party=existing).record.party_id == existing.pk
    new = Party.objects.get(name="张三")
    change = ChangeLog.objects.get(object_id=str(new.pk), action="create")
    assert change.changes["consent.marketing"] == [None, "granted"]


def test_an_unknown_purpose_fails_the_job_before_writing(tmp_path: Path, admin_user: User) -> None:
    path = write(tmp_path, "张三,13800138000,,,,,\n")
    job = import_file(path, admin_user, consent="markting: typo")
    assert job.status == "failed" and "markting" in job.error and "marketing" in job.error
    assert not Party.objects.exists()


def test_rows_repeating_a_customer_of_the_same_batch_add_to_it(
    tmp_path: Path, admin_user: User
) -> None:
    path = write(
        tmp_path,
        "张三,13800138000,zs@example.com,,,,\n"
        "张三,,ZS@example.com,,,,第二次\n"
        "张三丰,,,,,E-9,\n"
        "张三丰,13700137000,,,,E-9,\n",
    )
    job = import_file(path, admin_user)
    assert (job.created, job.updated, job.rejected) == (2, 2, 0)
    zhang = Party.objects.get(name="张三")
    assert zhang.golden["notes"] == "第二次" and zhang.golden["mobile"] == "+8613800138000"
    assert Party.objects.get(name="张三丰").golden["mobile"] == "+8613700137000"


def test_suppressed_contacts_and_refused_fields_reject_their_rows_only(
    tmp_path: Path, make_user: Callable[..., User]
) -> None:
    erased = normalise("phone", "13800138000")
    assert erased
    SuppressionEntry.objects.create(kind="phone", digest=digest("phone", erased))
    user = make_user("salesperson")
    role = user.role
    assert role is not None
    role.edit_sensitive = False
    role.save()
    path = write(
        tmp_path,
        "张三,13800138000,,,,,\n李四,13900139000,,,,,\n王五,13700137000,,11010519491231002X,,,\n",
    )
    job = import_file(path, user)
    assert (job.created, job.rejected) == (1, 2)
    problems = {p.line: p.reasons for p in job.problems.all()}
    assert "suppression list" in problems[2]["mobile"][0]
    assert "may not change" in problems[4]["resident_id"][0]
    assert list(Party.objects.values_list("name", flat=True)) == ["李四"]


def test_a_dry_run_counts_like_the_real_run_and_writes_nothing(
    tmp_path: Path, admin_user: User
) -> None:
    services.create_party(
        actor=admin_user, kind="person", name="李四", attributes={"mobile": "13900139000"}
    )
    body = "张三,13800138000,,,,,\n李四,13900139000,,,,,\n张三,13800138000,,,,,\n王五,123,,,,,\n"
    path = write(tmp_path, body)
    dry = import_file(path, admin_user, dry_run=True)
    assert Party.objects.count() == 1 and not ConsentRecord.objects.exists()
    real = import_file(write(tmp_path, body, "again.csv"), admin_user)
    counts = ("created", "updated", "skipped", "rejected", "duplicates")
    dry_counts = [getattr(dry, c) for c in counts]
    assert dry_counts == [getattr(real, c) for c in counts] == [1, 2, 0, 1, 0]


def test_create_policy_ignores_matches_and_a_second_run_skips_every_row(
    tmp_path: Path, admin_user: User
) -> None:
    path = write(tmp_path, "张三,13800138000,,,,,\n张三,13800138000,,,,,\n")
    first = import_file(path, admin_user, policy="create", batch_size=1)
    assert first.created == 2
    again = import_file(path, admin_user, policy="create")
    assert (again.created, again.skipped) == (0, 2)
    assert Party.objects.count() == 2


def test_worker_processes_prepare_batches_with_the_same_outcome(
    tmp_path: Path, admin_user: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = "".join(
        f"客户{n},138{n:08d},c{n}@example.com,,,,{'x' if n % 7 else ''}\n" for n in range(40)
    )
    body += "坏行,12345,,,,,\n客户3,,C3@example.com,,,,again\n"
    inline = import_file(write(tmp_path, body, "inline.csv"), admin_user, batch_size=9)
    expected = {
        name: stored(party)["golden"]
        for name, party in ((p.name, p) for p in Party.objects.order_by("pk"))
    }
    Party.objects.all().delete()
    settings.IMPORT_WORKERS, settings.IMPORT_WORKERS_MIN_BYTES = 1, 0
    started: list[Any] = []
    real_start = pipeline.start

    def start(*args: Any) -> Any:
        started.append(real_start(*args))
        return started[-1]

    monkeypatch.setattr(pipeline, "start", start)
    parallel = import_file(write(tmp_path, body, "parallel.csv"), admin_user, batch_size=9)
    assert isinstance(started[0], pipeline.Workers) and not started[0].broken
    counts = ("created", "updated", "rejected", "checkpoint", "status")
    assert [getattr(parallel, c) for c in counts] == [getattr(inline, c) for c in counts]
    assert (parallel.created, parallel.updated, parallel.rejected) == (40, 1, 1)
    got = {p.name: stored(p)["golden"] for p in Party.objects.order_by("pk")}
    assert got == expected
    # the rejected row is kept as it was in the file (workers do not send rows back)
    problems = [
        [(p.line, p.kind, p.pairs) for p in ImportProblem.objects.filter(job=job)]
        for job in (inline, parallel)
    ]
    assert problems[0] == problems[1]
    assert problems[1][0][2][:2] == [("姓名", "坏行"), ("手机", "12345")]


def test_rows_matching_a_customer_outside_the_importers_scope_create_their_own(
    tmp_path: Path, admin_user: User, make_user: Callable[..., User]
) -> None:
    theirs = services.create_party(
        actor=admin_user,
        kind="person",
        name="张三",
        attributes={"mobile": "13800138000"},
        owner=admin_user,
    )
    salesperson = make_user("salesperson")
    job = import_file(write(tmp_path, "张三,13800138000,,,,,新备注\n"), salesperson)
    assert (job.created, job.updated) == (1, 0)
    theirs.refresh_from_db()
    assert "notes" not in theirs.golden
    assert Party.objects.get(owner=salesperson).golden["notes"] == "新备注"


@pytest.mark.parametrize("name", ["张三", 'Zoë "Z" O\\Brien', "a\u2028b", "  "])
@pytest.mark.parametrize("kind", ["person", "organization"])
def test_the_change_log_text_is_what_json_makes_of_the_changes(
    admin_user: User, kind: str, name: str
) -> None:
    from huike.imports.writer import Writer
    from huike.parties.services import definitions

    writer = Writer(
        actor=admin_user, source="import", consent_text="", consent=None, known=definitions()
    )
    for _twice in range(2):  # made once per kind, then reused
        assert writer._changes_json(kind, name) == json.dumps(writer._changes(kind, name))
