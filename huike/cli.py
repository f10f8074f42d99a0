"""The ``huike`` command: every Django management command, with friendlier names.

``huike seed-demo`` runs the ``seed_demo`` command; ``huike --help`` explains the commands that
scripts and integrations rely on, in Chinese or English (``--lang``, ``HUIKE_LANGUAGE`` or the
locale in ``LC_ALL``/``LANG`` decides).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

HELP_FLAGS = {"-h", "--help"}


def pick_language(argv: list[str]) -> str:
    """The language for messages: ``--lang X`` (removed from argv), then the environment."""
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
            del argv[index : index + 2]
            return _normalise(value)
        if arg.startswith("--lang="):
            del argv[index]
            return _normalise(arg.split("=", 1)[1])
    for name in ("HUIKE_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:  # the first one set decides, as in POSIX: ``LC_ALL=C`` means English
            return _normalise(value)
    return "en"


def _normalise(value: str) -> str:
    return "zh-hans" if value.lower().replace("_", "-").startswith("zh") else "en"


def overview() -> str:
    from django.utils.translation import gettext as _

    lines = [
        _("Huike (汇客) customer information system — command-line interface"),
        "",
        _("Usage: huike COMMAND [OPTIONS]    (huike COMMAND --help for a command's options)"),
        "",
        _("Commands that scripts and integrations can rely on:"),
    ]
    commands = [
        ("seed-demo", _("Create the administrator and load demo data (safe to run again).")),
        (
            "createuser USERNAME --role ROLE [--email E] [--password-stdin]",
            _("Create a user with a role; reads the password from standard input."),
        ),
        (
            "token USERNAME [--name NAME]",
            _("Issue a new API token; prints the key as the last line."),
        ),
        ("party show|find|export", _("Show, find or export customers (huike party --help).")),
        (
            "import FILE [--preset P] [--map COL=ATTR] [--policy P] [--dry-run] [--json]",
            _("Import customers from CSV, Excel or vCard; prints a summary."),
        ),
        (
            "dedupe [--segment QUERY] [--auto-merge] [--json]",
            _("Search for duplicate customers; with --json, one line per pair found."),
        ),
        (
            "duplicates [--status S] [--min-score X] [--json]",
            _("List the duplicate review queue."),
        ),
        (
            "merge SURVIVOR MERGED [--choose CODE=ID] | unmerge MERGE_ID | not-duplicate A B",
            _("Merge two customers, undo a merge, or mark a pair as different."),
        ),
        (
            "backup [--output DIR] [--keys-to FILE] [--json]",
            _("Back up the database and uploaded files (never the key file)."),
        ),
        (
            "restore ARCHIVE [--keys FILE] [--json]",
            _("Restore a backup into a fresh installation, paused until resumed."),
        ),
        ("resume", _("Resume mail and background jobs after a restore.")),
        (
            "rotate-keys [--background] [--json]",
            _("New encryption key for sensitive information; re-seal every value."),
        ),
        (
            "subject-access PARTY_ID [--output FILE]",
            _("Export everything about a person (zip of JSON and CSV)."),
        ),
        (
            "erase PARTY_ID --request N [--yes] [--json]",
            _("Erase a person's personal information under a data-subject request."),
        ),
        ("apply-retention [--dry-run] [--json]", _("Apply the retention rules now.")),
        ("check", _("Check the installation for problems.")),
        ("migrate", _("Create or upgrade the database tables.")),
        ("bench", _("Run the benchmarks; prints one JSON line per measurement.")),
        ("help", _("List every available command.")),
    ]
    for name, text in commands:
        lines.append(f"  {name}\n      {text}")
    lines += [
        "",
        _("Options: --lang zh-hans|en chooses the language of messages."),
        _("Settings come from environment variables; see .env.example."),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv if argv is None else argv)
    language = pick_language(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huike.settings")
    import django
    from django.core.management import execute_from_command_line
    from django.utils import translation

    django.setup()
    translation.activate(language)
    if len(args) < 2 or args[1] in HELP_FLAGS:
        print(overview())
        return 0
    # ``huike seed-demo`` and ``huike help seed-demo`` both mean the ``seed_demo`` command.
    for index in (1, 2) if args[1] == "help" else (1,):
        if index < len(args) and not args[index].startswith("-"):
            args[index] = args[index].replace("-", "_")
    execute_from_command_line(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
