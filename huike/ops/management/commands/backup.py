from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.ops.backup import BackupError, copy_key_file, create_backup


def default_output() -> Path:
    configured = str(settings.BACKUP_DIR)
    return Path(settings.VAR_DIR) / "backups" if configured.lower() == "off" else Path(configured)


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Write one backup archive (database, uploaded files, manifest with checksums). The key "
        "file is never in it: copy it apart with --keys-to. Exit code 0 on success, 1 on error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help=gettext_lazy("folder for the archive (default: BACKUP_DIR, var/backups)"),
        )
        parser.add_argument(
            "--keys-to",
            type=Path,
            metavar="FILE",
            help=gettext_lazy(
                "also copy the key file to FILE (mode 0600); keep it apart from the archives"
            ),
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help=gettext_lazy("the database alias in the settings (default: default)"),
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help=gettext_lazy("print one JSON object (path, size, sha256, counts) on stdout"),
        )

    def progress(self, message: str) -> None:
        self.stderr.write(message, style_func=lambda text: text)

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"] or default_output()
        try:
            # The key file first: a wrong destination fails before minutes of archiving.
            keys_to = None
            if options["keys_to"]:
                keys_to = copy_key_file(options["keys_to"], archive_dir=output)
            result = create_backup(output, using=options["database"], progress=self.progress)
            result.keys_to = keys_to
        except BackupError as error:
            raise CommandError(str(error), returncode=error.exit_code) from error
        self.progress(f"SHA-256: {result.sha256}")
        if result.keys_to:
            self.progress(_("Key file copied to {path}.").format(path=result.keys_to))
        elif result.key_ids:
            self.progress(
                _(
                    "The key file is not in the archive. Keep a copy of {path} apart from the "
                    "backups (huike backup --keys-to FILE): without it, encrypted values cannot "
                    "be restored."
                ).format(path=settings.HUIKE_KEYS_FILE)
            )
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, sort_keys=True))
