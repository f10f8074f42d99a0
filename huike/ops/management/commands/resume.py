from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.ops.restore import check_keys
from huike.ops.services import pause_state, resume

KEYS_UNREADABLE = 3


class Command(TranslatedCommand):
    help = gettext_lazy(
        "End the pause a restored installation starts in: e-mail, background jobs and webhooks "
        "run again. Refuses (exit code 3) while the key file does not open the encrypted values."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help=gettext_lazy("resume even though encrypted values cannot be read"),
        )
        parser.add_argument(
            "--json", action="store_true", help=gettext_lazy("print one JSON object on stdout")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        state = pause_state()
        check = check_keys()
        if state is not None and not check.readable and not options["force"]:
            raise CommandError(
                "{} {}".format(check.explain(), _("Add --force to resume anyway.")),
                returncode=KEYS_UNREADABLE,
            )
        resumed = resume(actor=None)
        message = (
            _("Resumed: e-mail, jobs and webhooks run again.")
            if resumed
            else _("Huike was not paused.")
        )
        self.stderr.write(message, style_func=lambda text: text)
        if options["json"]:
            self.stdout.write(
                json.dumps({"resumed": resumed, "paused": False, "keys": check.as_json()})
            )
