"""The ``huike`` command: an overview in the reader's language, friendlier command names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from huike.accounts.models import User
from huike.cli import main, overview, pick_language

LOCALE_VARIABLES = ("HUIKE_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture(autouse=True)
def restore_language() -> Iterator[None]:
    """``main()`` activates a language for the whole thread; put the suite's one back."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def clean_locale(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# --- pick_language ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh_CN.UTF-8", "zh-hans"),
        ("zh_TW.UTF-8", "zh-hans"),
        ("en_US.UTF-8", "en"),
        ("de_DE.UTF-8", "en"),
        ("C", "en"),
        ("POSIX", "en"),
        ("C.UTF-8", "en"),
    ],
)
def test_pick_language_reads_the_locale_from_lang(
    clean_locale: pytest.MonkeyPatch, lang: str, expected: str
) -> None:
    clean_locale.setenv("LANG", lang)

    assert pick_language(["huike"]) == expected


def test_pick_language_defaults_to_english_without_any_locale(
    clean_locale: pytest.MonkeyPatch,
) -> None:
    assert pick_language(["huike", "check"]) == "en"


def test_huike_language_wins_over_the_system_locale(clean_locale: pytest.MonkeyPatch) -> None:
    clean_locale.setenv("LANG", "en_US.UTF-8")
    clean_locale.setenv("HUIKE_LANGUAGE", "zh-hans")

    assert pick_language(["huike"]) == "zh-hans"


def test_lc_all_wins_over_lang(clean_locale: pytest.MonkeyPatch) -> None:
    clean_locale.setenv("LANG", "en_US.UTF-8")
    clean_locale.setenv("LC_ALL", "zh_CN.UTF-8")

    assert pick_language(["huike"]) == "zh-hans"


def test_lc_all_c_asks_for_english_even_when_lang_is_chinese(
    clean_locale: pytest.MonkeyPatch,
) -> None:
    # Scripts run ``LC_ALL=C huike …`` for predictable output; POSIX says LC_ALL overrides LANG.
    clean_locale.setenv("LANG", "zh_CN.UTF-8")
    clean_locale.setenv("LC_ALL", "C")

    assert pick_language(["huike"]) == "en"


@pytest.mark.parametrize(
    "argv",
    [
        ["huike", "--lang", "zh-hans", "check"],
        ["huike", "--lang=zh_CN", "check"],
        ["huike", "check", "--lang", "zh-Hans"],
    ],
)
def test_the_lang_option_wins_and_removes_itself_from_argv(
    clean_locale: pytest.MonkeyPatch, argv: list[str]
) -> None:
    clean_locale.setenv("LANG", "en_US.UTF-8")

    assert pick_language(argv) == "zh-hans"
    assert argv == ["huike", "check"]


def test_the_lang_option_for_english_overrides_a_chinese_locale(
    clean_locale: pytest.MonkeyPatch,
) -> None:
    clean_locale.setenv("LANG", "zh_CN.UTF-8")
    argv = ["huike", "--lang", "en", "--help"]

    assert pick_language(argv) == "en"
    assert argv == ["huike", "--help"]


# --- main ---------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["huike", "--help"], ["huike", "-h"], ["huike"]])
def test_help_prints_the_overview_of_commands(
    clean_locale: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(argv) == 0

    out = capsys.readouterr().out
    assert "Usage: huike COMMAND [OPTIONS]" in out
    for command in ("seed-demo", "createuser USERNAME", "token USERNAME", "check", "migrate"):
        assert command in out
    assert "--lang zh-hans|en" in out


def test_help_in_chinese_activates_chinese(
    clean_locale: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["huike", "--lang", "zh-hans", "--help"]) == 0

    assert translation.get_language() == "zh-hans"
    out = capsys.readouterr().out
    assert out.strip() == overview().strip()  # the overview in the language now active
    assert "seed-demo" in out


def test_help_for_a_hyphenated_command_shows_that_commands_options(
    clean_locale: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["huike", "help", "seed-demo"]) == 0

    out = capsys.readouterr().out
    assert "--no-demo" in out
    assert "seed_demo" in out


@pytest.mark.django_db(transaction=True)  # a command closes every connection when it ends
def test_hyphenated_command_names_run_the_django_command(
    clean_locale: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings: object,
    tmp_path: Path,
) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]

    assert main(["huike", "seed-demo", "--no-demo"]) == 0

    admin = User.objects.get(username="admin")
    assert admin.is_administrator
    assert "Created the administrator account." in capsys.readouterr().out
    assert (tmp_path / "admin-password").exists()
