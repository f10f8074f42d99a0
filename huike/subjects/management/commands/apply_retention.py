"""``huike apply-retention [--dry-run] [--json]``: run the retention rules now (the worker runs
them every night)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.subjects import retention


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Anonymise or purge the customers each retention rule applies to, and purge expired "
        "access-log rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=gettext_lazy("only count; change nothing")
        )
        parser.add_argument(
            "--json", action="store_true", help=gettext_lazy("print one JSON object per rule")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        results = retention.apply_retention(dry_run=options["dry_run"])
        purged_log = 0 if options["dry_run"] else retention.purge_access_log()
        for result in results:
            if options["json"]:
                self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            else:
                self.stdout.write(
                    _(
                        "{policy}: {matched} matched, {anonymised} anonymised, {purged} purged, "
                        "{held} held"
                    ).format(**result.as_dict())
                )
        if not options["json"]:
            self.stdout.write(_("Access-log rows purged: {count}").format(count=purged_log))
