from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.ops.backup import BackupError
from huike.ops.restore import restore_backup

KEYS_UNREADABLE = 3


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Restore a backup archive into a fresh installation and leave it paused (no e-mail, "
        "jobs or webhooks) until 'huike resume'. Exit code 0: restored; 1: nothing restored; "
        "3: restored, but the key file does not open the encrypted values."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help=gettext_lazy("the .tar.gz archive"))
        parser.add_argument(
            "--keys",
            type=Path,
            metavar="FILE",
            help=gettext_lazy("install this key file (the copy kept apart from the backups)"),
        )
        parser.add_argument(
            "--yes", action="store_true", help=gettext_lazy("do not ask for confirmation")
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=gettext_lazy(
                "replace a database that is in use, and set aside existing uploads and a "
                "different key file"
            ),
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help=gettext_lazy("the database alias in the settings (default: default)"),
        )
        parser.add_argument(
            "--json", action="store_true", help=gettext_lazy("print one JSON object on stdout")
        )

    def progress(self, message: str) -> None:
        self.stderr.write(message, style_func=lambda text: text)

    def confirm(self, archive: Path, using: str) -> bool:
        if not sys.stdin.isatty():
            raise CommandError(_("Add --yes to restore without a question."))
        question = _("Restore {archive} into the database {name}? [y/N] ").format(
            archive=archive, name=connections[using].settings_dict["NAME"]
        )
        self.stderr.write(question, ending="", style_func=lambda text: text)
        return input().strip().lower() in {"y", "yes", "是", "好"}

    def handle(self, *args: Any, **options: Any) -> None:
        archive: Path = options["archive"]
        if not options["yes"] and not self.confirm(archive, options["database"]):
            raise CommandError(_("Nothing restored."))
        try:
            result = restore_backup(
                archive,
                using=options["database"],
                keys=options["keys"],
                force=options["force"],
                progress=self.progress,
            )
        except BackupError as error:
            raise CommandError(str(error), returncode=error.exit_code) from error
        self.progress(_("Restored. Huike is paused: check it, then run 'huike resume'."))
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, sort_keys=True))
        if not result.keys.readable:
            raise CommandError(result.keys.explain(), returncode=KEYS_UNREADABLE)
