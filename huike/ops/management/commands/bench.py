from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.ops.bench import REGISTRY, scratch_database


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Run the benchmarks in a throw-away database. Prints one JSON line per measurement "
        "(bench, n, value, unit, baseline, ratio) and writes them to var/bench/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "names", nargs="*", help=gettext_lazy("benchmarks to run (default: all)")
        )
        parser.add_argument(
            "--repeat", type=int, default=200, help=gettext_lazy("samples per measurement")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from huike.identity import bench as _identity  # noqa: F401 (registers "identity")

        names = options["names"] or sorted(REGISTRY)
        unknown = [name for name in names if name not in REGISTRY]
        if unknown:
            raise CommandError(
                _("Unknown benchmark: {names}. Known: {known}").format(
                    names=", ".join(unknown), known=", ".join(sorted(REGISTRY))
                )
            )
        out_dir = Path(settings.VAR_DIR) / "bench"
        out_dir.mkdir(parents=True, exist_ok=True)
        out_file = out_dir / "{}.jsonl".format(timezone.now().strftime("%Y%m%dT%H%M%S"))
        with scratch_database(), out_file.open("w", encoding="utf-8") as handle:
            for name in names:
                for measurement in REGISTRY[name](options["repeat"]):
                    line = measurement.as_json()
                    self.stdout.write(line)
                    handle.write(line + "\n")
        self.stderr.write(_("Written to {path}").format(path=out_file))
