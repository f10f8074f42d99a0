"""The change log: snapshots, diffs and the rows services append."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType

from huike.accounts import services
from huike.accounts.models import Team, User
from huike.accounts.tests.factories import TeamFactory
from huike.core.models import ChangeLog
from huike.core.services import diff, record_change, snapshot


@pytest.mark.django_db
def test_snapshot_turns_related_objects_and_datetimes_into_json_safe_values(
    make_user: Callable[..., User],
) -> None:
    leader = make_user("manager", display_name="王经理")
    team = TeamFactory.create(name="华东销售部", leader=leader)

    values = snapshot(team, ["name", "leader", "created_at"])

    assert values["name"] == "华东销售部"
    assert values["leader"] == "王经理"
    assert values["created_at"] == team.created_at.isoformat()


def test_snapshot_turns_decimals_uuids_dates_and_sequences_into_plain_values() -> None:
    class Thing:
        amount = decimal.Decimal("1234.50")
        ref = uuid.UUID("12345678-1234-5678-1234-567812345678")
        day = datetime.date(2026, 1, 2)
        at = datetime.time(9, 30)
        tags = ("a", decimal.Decimal("2"))
        missing = None

    values = snapshot(Thing(), ["amount", "ref", "day", "at", "tags", "missing"])  # type: ignore[arg-type]

    assert values == {
        "amount": "1234.50",
        "ref": "12345678-1234-5678-1234-567812345678",
        "day": "2026-01-02",
        "at": "09:30:00",
        "tags": ["a", "2"],
        "missing": None,
    }


def test_diff_lists_only_changed_fields_as_before_and_after() -> None:
    before = {"name": "A", "description": "same", "leader": None}
    after = {"name": "B", "description": "same", "leader": "王经理"}

    assert diff(before, after) == {"name": ["A", "B"], "leader": [None, "王经理"]}


def test_diff_of_identical_snapshots_is_empty() -> None:
    assert diff({"name": "A"}, {"name": "A"}) == {}


def test_diff_from_nothing_describes_a_creation_and_to_nothing_a_deletion() -> None:
    values = {"name": "A", "description": "East"}

    assert diff({}, values) == {"name": [None, "A"], "description": [None, "East"]}
    assert diff(values, {}) == {"name": ["A", None], "description": ["East", None]}


@pytest.mark.parametrize(
    ("before", "after"), [(None, ""), ("", None), (None, []), ([], {}), ("", "")]
)
def test_diff_treats_changes_between_kinds_of_nothing_as_no_change(
    before: object, after: object
) -> None:
    assert diff({"notes": before}, {"notes": after}) == {}


def test_diff_keeps_fields_present_on_only_one_side() -> None:
    assert diff({"old": 1, "kept": 2}, {"kept": 2, "new": 3}) == {
        "new": [None, 3],
        "old": [1, None],
    }


@pytest.mark.django_db
def test_record_change_stores_who_what_and_the_values_before_and_after(
    admin_user: User,
) -> None:
    team = TeamFactory.create(name="Old name")
    before = snapshot(team, ["name"])
    team.name = "New name"
    team.save()

    entry = record_change(
        team,
        actor=admin_user,
        action=ChangeLog.Action.UPDATE,
        changes=diff(before, snapshot(team, ["name"])),
        message="renamed",
        remote_addr="192.0.2.7",
    )

    entry.refresh_from_db()
    assert entry.actor == admin_user
    assert entry.actor_name == "boss"
    assert entry.action == "update"
    assert entry.content_type == ContentType.objects.get_for_model(Team)
    assert entry.object_id == str(team.pk)
    assert entry.object_repr == "New name"
    assert entry.changes == {"name": ["Old name", "New name"]}
    assert entry.message == "renamed"
    assert entry.remote_addr == "192.0.2.7"
    assert entry.timestamp is not None


@pytest.mark.django_db
@pytest.mark.parametrize("actor", [None, AnonymousUser()], ids=["none", "anonymous"])
def test_record_change_without_a_signed_in_actor_is_attributed_to_the_system(
    actor: object,
) -> None:
    team = TeamFactory.create()

    entry = record_change(team, actor=actor, action=ChangeLog.Action.CREATE)

    assert entry.actor is None
    assert entry.actor_name == "system"
    assert entry.changes == {}


@pytest.mark.django_db
def test_record_change_makes_changed_values_json_safe_and_truncates_long_texts(
    admin_user: User,
) -> None:
    team = TeamFactory.create(name="T" * 100)

    entry = record_change(
        team,
        actor=admin_user,
        action=ChangeLog.Action.ACTION,
        changes={"amount": [None, decimal.Decimal("9.90")], "leader": admin_user},
        message="m" * 500,
    )

    entry.refresh_from_db()
    assert entry.changes == {"amount": [None, "9.90"], "leader": str(admin_user)}
    assert len(entry.message) == 200


@pytest.mark.django_db
def test_services_write_one_change_log_row_per_change(admin_user: User) -> None:
    team = services.save_team(Team(), actor=admin_user, name="Sales")
    services.save_team(team, actor=admin_user, description="East")
    services.delete_team(team, actor=admin_user)

    actions = list(
        ChangeLog.objects.filter(content_type=ContentType.objects.get_for_model(Team))
        .order_by("id")
        .values_list("action", "actor_name", "changes")
    )
    assert actions == [
        ("create", "boss", {"name": [None, "Sales"]}),
        ("update", "boss", {"description": ["", "East"]}),
        ("delete", "boss", {"name": ["Sales", None], "description": ["East", None]}),
    ]
