"""Demo data: an administrator and one user per role, created once, safe to run again."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from huike.accounts.models import Team, User
from huike.core.models import ChangeLog
from huike.ops.demo import DEMO_TEAMS, DEMO_USERS, seed_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def var_dir(settings: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the generated password out of the real var/ folder and out of the environment."""
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    monkeypatch.delenv("HUIKE_ADMIN_PASSWORD", raising=False)
    return tmp_path


def test_seeding_creates_the_administrator_teams_and_one_user_per_demo_role() -> None:
    result = seed_demo()

    assert result.created_admin and result.created_demo
    admin = User.objects.get(username="admin")
    assert admin.is_administrator
    assert admin.is_staff
    assert sorted(Team.objects.values_list("name", flat=True)) == sorted(
        zh for zh, _en in DEMO_TEAMS
    )
    for username, display_name, role_code, team_index in DEMO_USERS:
        user = User.objects.select_related("role", "team").get(username=username)
        assert user.display_name == display_name
        assert user.role is not None and user.role.code == role_code
        expected_team = DEMO_TEAMS[team_index][0] if team_index is not None else None
        assert (user.team.name if user.team else None) == expected_team
    assert Team.objects.get(name=DEMO_TEAMS[0][0]).leader == User.objects.get(username="manager")


def test_seeding_twice_changes_nothing_that_exists() -> None:
    first = seed_demo()
    users = sorted(User.objects.values_list("username", "password"))
    teams = Team.objects.count()
    log_rows = ChangeLog.objects.count()

    second = seed_demo()

    assert not second.created_admin
    assert not second.created_demo
    assert second.password == first.password
    assert sorted(User.objects.values_list("username", "password")) == users
    assert User.objects.filter(username="admin").count() == 1
    assert Team.objects.count() == teams
    assert ChangeLog.objects.count() == log_rows


def test_without_demo_users_only_the_administrator_is_created() -> None:
    result = seed_demo(with_demo_users=False)

    assert result.created_admin and not result.created_demo
    assert list(User.objects.values_list("username", flat=True)) == ["admin"]
    assert not Team.objects.exists()


def test_demo_users_can_be_added_after_an_administrator_only_seed() -> None:
    seed_demo(with_demo_users=False)

    result = seed_demo()

    assert not result.created_admin
    assert result.created_demo
    assert User.objects.filter(username="admin").count() == 1
    assert User.objects.count() == 1 + len(DEMO_USERS)


def test_the_password_from_the_environment_lets_the_administrator_sign_in(
    monkeypatch: pytest.MonkeyPatch, var_dir: Path
) -> None:
    monkeypatch.setenv("HUIKE_ADMIN_PASSWORD", "Rotating-Lantern-58")

    result = seed_demo()

    assert result.password == "Rotating-Lantern-58"
    assert result.password_file is None
    assert not (var_dir / "admin-password").exists()
    admin = authenticate(username="admin", password="Rotating-Lantern-58")
    assert admin is not None and admin.get_username() == "admin"
    assert authenticate(username="sales1", password="Rotating-Lantern-58") is not None
    assert authenticate(username="admin", password="wrong") is None


def test_without_a_given_password_one_is_generated_once_into_a_private_file(
    var_dir: Path,
) -> None:
    first = seed_demo()
    second = seed_demo()

    path = var_dir / "admin-password"
    assert first.password_file == path
    assert path.read_text(encoding="utf-8").strip() == first.password == second.password
    assert len(first.password) >= 12
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert authenticate(username="admin", password=first.password) is not None


def test_demo_writes_are_in_the_change_log_as_done_by_the_administrator() -> None:
    seed_demo()

    admin = User.objects.get(username="admin")
    sales1 = User.objects.get(username="sales1")
    user_log = ChangeLog.objects.filter(content_type=ContentType.objects.get_for_model(User))
    assert user_log.get(object_id=str(sales1.pk), action="create").actor == admin
    assert user_log.get(object_id=str(admin.pk), action="create").actor_name == "system"


def test_the_command_prints_how_to_sign_in(var_dir: Path) -> None:
    out = io.StringIO()

    call_command("seed_demo", "--url", "http://crm.example.com/", stdout=out)

    text = out.getvalue()
    password = (var_dir / "admin-password").read_text(encoding="utf-8").strip()
    assert "Created the administrator account." in text
    assert "Loaded demo teams and users." in text
    assert "http://crm.example.com/" in text
    assert f"Sign in as 'admin' with password '{password}'." in text
    assert str(var_dir / "admin-password") in text


def test_the_command_run_again_only_repeats_the_sign_in_instructions() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    text = out.getvalue()
    assert "Created the administrator account." not in text
    assert "Loaded demo teams and users." not in text
    assert "Sign in as 'admin'" in text
