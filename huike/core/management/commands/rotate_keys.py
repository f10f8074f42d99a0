"""``huike rotate-keys``: a new encryption key for sensitive values, then re-seal them all."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core import crypto
from huike.core.commands import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Add a new encryption key for sensitive personal information and re-seal every stored "
        "value with it. Old keys stay in the key file so that nothing becomes unreadable; back "
        "up the key file again afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--background",
            action="store_true",
            help=gettext_lazy("Re-seal in the background worker instead of waiting."),
        )
        parser.add_argument(
            "--reseal-only",
            action="store_true",
            help=gettext_lazy("Do not add a key; re-seal values still under older keys."),
        )
        parser.add_argument(
            "--json", action="store_true", help=gettext_lazy("Print one JSON object.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            new = crypto.ring().active if options["reseal_only"] else crypto.rotate()
        except (crypto.KeyFileError, OSError) as error:
            raise CommandError(
                _("Cannot change the key file: {error}").format(error=error)
            ) from error
        result: dict[str, Any] = {"active_key": new}
        if options["background"]:
            from huike.core.tasks import reseal_all_values

            reseal_all_values()
            result["resealed"] = None
            message = _("New active key {key}; the worker re-seals the values.").format(key=new)
        else:

            def progress(name: str, done: int, total: int) -> None:
                if not options["json"]:
                    sys.stderr.write(f"\r{name}: {done}/{total}")
                    sys.stderr.flush()

            result["resealed"] = crypto.reseal_everything(progress)
            if not options["json"]:
                sys.stderr.write("\n")
            message = _("Active key {key}; re-sealed {count} values.").format(
                key=new, count=sum(result["resealed"].values())
            )
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(message)
