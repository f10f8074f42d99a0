from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.parties import population


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Add a deterministic demo population of customers (people with Chinese and Latin "
        "names, organisations) to the database, in bulk, for demos and manual benchmarking."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--count", type=int, required=True, help=gettext_lazy("how many customers to add")
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help=gettext_lazy("the population to draw from; the same seed gives the same data"),
        )
        parser.add_argument(
            "--start",
            type=int,
            default=0,
            help=gettext_lazy(
                "the number of the first customer in the population (to add more later)"
            ),
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=population.BATCH_SIZE,
            help=gettext_lazy("customers written per transaction"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count, start = options["count"], options["start"]
        if count < 1 or start < 0 or options["batch_size"] < 1:
            raise CommandError(_("--count and --batch-size must be positive."))
        verbosity = options["verbosity"]

        def progress(step: population.Progress) -> None:
            if verbosity < 1:
                return
            every = max(count // 20, options["batch_size"])
            if step.done == step.total or step.done % every < options["batch_size"]:
                rate = step.done / step.seconds if step.seconds else 0.0
                self.stderr.write(
                    _(
                        "{done} of {total} customers, {seconds:.0f} s ({rate:.0f} per second)"
                    ).format(done=step.done, total=step.total, seconds=step.seconds, rate=rate)
                )

        result = population.populate(
            count,
            seed=options["seed"],
            start=start,
            batch_size=options["batch_size"],
            progress=progress,
        )
        population.analyze()  # PostgreSQL: statistics for the planner, as autovacuum would
        self.stdout.write(
            _("Added {count} customers (ids {first}–{last}) in {seconds:.0f} s.").format(
                count=result.parties,
                first=result.first_id,
                last=result.last_id,
                seconds=result.seconds,
            )
        )
