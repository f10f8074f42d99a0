"""``createuser`` and ``token``: the commands scripts use to provision people and keys."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from rest_framework.test import APIClient

from huike.accounts.models import ApiToken, Role, User, hash_token
from huike.accounts.tests.factories import TeamFactory
from huike.cli import main
from huike.core.models import ChangeLog

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
PASSWORD_LINE = "pw line with spaces 42"


def run(*args: str, stdin: str = "") -> tuple[str, str]:
    """Run a command with ``stdin`` as standard input; returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    original = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(*args, stdout=out, stderr=err)
    finally:
        sys.stdin = original
    return out.getvalue(), err.getvalue()


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + key)
    return client


# --- createuser -------------------------------------------------------------------------------


def test_createuser_reads_the_password_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD_LINE + "\n"))
    out = io.StringIO()

    call_command(
        "createuser",
        "mei",
        "--role",
        "salesperson",
        "--email",
        "m@x.cn",
        "--password-stdin",
        stdout=out,
    )

    user = User.objects.get(username="mei")
    assert user.check_password(PASSWORD_LINE)  # the newline is not part of the password
    assert user.role == Role.objects.get(code="salesperson")
    assert user.email == "m@x.cn"
    assert not user.is_staff
    assert "Created user 'mei' with role 'salesperson'." in out.getvalue()
    entry = ChangeLog.objects.get(object_id=str(user.pk), action="create")
    assert entry.actor_name == "system"


def test_createuser_accepts_a_windows_line_ending() -> None:
    run(
        "createuser",
        "mei",
        "--role",
        "salesperson",
        "--password-stdin",
        stdin=PASSWORD_LINE + "\r\n",
    )

    assert User.objects.get(username="mei").check_password(PASSWORD_LINE)


def test_createuser_reads_only_the_first_line() -> None:
    run(
        "createuser",
        "mei",
        "--role",
        "salesperson",
        "--password-stdin",
        stdin=PASSWORD_LINE + "\nsecond line\n",
    )

    assert User.objects.get(username="mei").check_password(PASSWORD_LINE)


def test_createuser_sets_name_and_team() -> None:
    team = TeamFactory(name="East")

    run("createuser", "mei", "--role", "manager", "--name", "Mei Lin", "--team", "East")

    user = User.objects.get(username="mei")
    assert user.display_name == "Mei Lin"
    assert user.team == team


def test_createuser_with_the_administrator_role_makes_staff() -> None:
    run("createuser", "root", "--role", "administrator", "--password-stdin", stdin=PASSWORD_LINE)

    user = User.objects.get(username="root")
    assert user.is_staff
    assert user.is_administrator


def test_createuser_with_an_unknown_role_lists_the_known_roles() -> None:
    with pytest.raises(CommandError) as raised:
        run("createuser", "mei", "--role", "emperor")

    message = str(raised.value)
    assert "Unknown role 'emperor'" in message
    for code in ("administrator", "auditor", "manager", "salesperson"):
        assert code in message
    assert not User.objects.filter(username="mei").exists()


def test_createuser_refuses_an_existing_username(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei", email="old@example.com")

    with pytest.raises(CommandError, match=r"A user named 'mei' already exists\."):
        run("createuser", "mei", "--role", "auditor", "--email", "new@example.com")

    user = User.objects.get(username="mei")
    assert user.email == "old@example.com"
    assert user.role == Role.objects.get(code="salesperson")


def test_createuser_refuses_an_unknown_team() -> None:
    with pytest.raises(CommandError, match="Unknown team 'Nowhere'"):
        run("createuser", "mei", "--role", "salesperson", "--team", "Nowhere")

    assert not User.objects.filter(username="mei").exists()


def test_createuser_refuses_a_weak_password() -> None:
    with pytest.raises(CommandError, match="too short"):
        run("createuser", "mei", "--role", "salesperson", "--password-stdin", stdin="123\n")

    assert not User.objects.filter(username="mei").exists()


def test_createuser_refuses_an_empty_password_line() -> None:
    with pytest.raises(CommandError, match="standard input was empty"):
        run("createuser", "mei", "--role", "salesperson", "--password-stdin", stdin="\n")

    assert not User.objects.filter(username="mei").exists()


def test_createuser_from_a_script_without_password_creates_a_user_who_cannot_sign_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given standard input that is not a terminal (a script or a pipe)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    def no_prompt(prompt: str = "") -> str:
        raise AssertionError("createuser prompted for a password without a terminal")

    monkeypatch.setattr("getpass.getpass", no_prompt)
    out = io.StringIO()

    # when createuser runs without --password-stdin
    call_command("createuser", "mei", "--role", "salesperson", stdout=out)

    # then the user exists, cannot sign in, and the output says so
    user = User.objects.get(username="mei")
    assert not user.has_usable_password()
    assert "cannot sign in until one is set" in out.getvalue()


def test_createuser_prompts_twice_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = io.StringIO()
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stdin", terminal)
    answers = iter([PASSWORD_LINE, PASSWORD_LINE])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    call_command("createuser", "mei", "--role", "salesperson", stdout=io.StringIO())

    assert User.objects.get(username="mei").check_password(PASSWORD_LINE)


def test_createuser_on_a_terminal_refuses_passwords_that_differ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = io.StringIO()
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stdin", terminal)
    answers = iter([PASSWORD_LINE, PASSWORD_LINE + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    with pytest.raises(CommandError, match="do not match"):
        call_command("createuser", "mei", "--role", "salesperson", stdout=io.StringIO())

    assert not User.objects.filter(username="mei").exists()


def test_createuser_needs_a_role() -> None:
    with pytest.raises(CommandError, match="--role"):
        run("createuser", "mei")


# --- token ------------------------------------------------------------------------------------


def test_token_prints_the_key_as_the_last_line_and_the_key_works(make_user: MakeUser) -> None:
    user = make_user("salesperson", username="mei")

    out, err = run("token", "mei", "--name", "ERP sync")

    key = out.strip().splitlines()[-1]
    assert key.startswith("hk_")
    token = ApiToken.objects.get(user=user)
    assert token.name == "ERP sync"
    assert token.digest == hash_token(key)
    assert "Authorization: Token <key>" in err
    assert key not in err
    response = with_key(key).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "mei"


def test_token_for_an_unknown_user_is_an_error() -> None:
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        run("token", "ghost")

    assert not ApiToken.objects.exists()


def test_token_for_a_disabled_user_is_an_error(make_user: MakeUser) -> None:
    make_user("salesperson", username="gone", is_active=False)

    with pytest.raises(CommandError, match="disabled"):
        run("token", "gone")

    assert not ApiToken.objects.exists()


def test_each_token_run_issues_a_new_key(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")

    first = run("token", "mei")[0].strip().splitlines()[-1]
    second = run("token", "mei")[0].strip().splitlines()[-1]

    assert first != second
    assert ApiToken.objects.usable().count() == 2


# --- through the ``huike`` entry point -------------------------------------------------------


# Django closes the database connection after each command: real transactions, not a wrapper.
@pytest.mark.django_db(transaction=True)
def test_the_huike_command_creates_a_user_and_issues_a_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUIKE_LANGUAGE", "en")
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD_LINE + "\n"))

    with translation.override("en"):
        assert (
            main(["huike", "createuser", "mei", "--role", "salesperson", "--password-stdin"]) == 0
        )
        capsys.readouterr()
        assert main(["huike", "token", "mei"]) == 0

    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert User.objects.get(username="mei").check_password(PASSWORD_LINE)
    assert with_key(key).get("/api/v1/me/").json()["role"] == "salesperson"


def test_the_huike_command_explains_itself_in_chinese(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with translation.override("en"):
        assert main(["huike", "--lang", "zh-hans", "--help"]) == 0

    out = capsys.readouterr().out
    assert re.search("[\u4e00-\u9fff]", out), out
    assert "Usage:" not in out
    assert "createuser USERNAME --role ROLE" in out
    assert "token USERNAME" in out


@pytest.mark.parametrize("command", ["createuser", "token", "seed-demo", "bench"])
@pytest.mark.parametrize(("language", "expected"), [("en", "usage:"), ("zh-hans", "usage:")])
def test_every_huike_command_explains_itself_in_both_languages(
    command: str, language: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["huike", "--lang", language, command, "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert expected in out
    if language == "zh-hans":
        assert any("\u4e00" <= char <= "\u9fff" for char in out), out
