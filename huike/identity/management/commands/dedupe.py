"""``huike dedupe``: search the customers for duplicates now, as the background search does."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.identity import jobs
from huike.identity.models import DedupeJob, MatchCandidate
from huike.parties.management.commands.party import acting_user
from huike.parties.models import GoldenValue

CHUNK = 500
INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C


def external_ids(party_ids: Iterable[int]) -> dict[int, str]:
    """The golden "external_id" of each customer that has one."""
    wanted = sorted(set(party_ids))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), CHUNK):
        found.update(
            GoldenValue.objects.filter(
                party__in=wanted[start : start + CHUNK], attribute__code="external_id"
            ).values_list("party_id", "value_text")
        )
    return found


def statuses(pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The queue status of each pair (``a < b``); a pair gone from the queue was merged (a
    merge takes the pair away with the customer that goes)."""
    found: dict[tuple[int, int], str] = {}
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        condition = Q(pk__in=[])
        for a, b in chunk:
            condition |= Q(party_a_id=a, party_b_id=b)
        found.update(
            ((a, b), status)
            for a, b, status in MatchCandidate.objects.filter(condition).values_list(
                "party_a_id", "party_b_id", "status"
            )
        )
    return {pair: found.get(pair, MatchCandidate.Status.MERGED) for pair in pairs}


def pair_line(
    a: int,
    b: int,
    *,
    score: float,
    decision: str,
    status: str,
    external: dict[int, str],
    **extra: Any,
) -> str:
    """One pair as a line of JSON (the contract of ``huike dedupe --json``)."""
    return json.dumps(
        {
            **extra,
            "party_a": a,
            "party_b": b,
            "external_id_a": external.get(a),
            "external_id_b": external.get(b),
            "score": round(float(score), 3),
            "decision": decision,
            "status": status,
        },
        ensure_ascii=False,
    )


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Search the customers for duplicates now (the same search as on the Duplicates page) and "
        "queue the likely pairs for review. Progress goes to standard error; Ctrl-C stops the "
        "search cleanly. Prints a summary; --json prints one JSON object per pair found."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json",
            action="store_true",
            help=gettext_lazy("print one JSON object per pair found, one per line"),
        )
        parser.add_argument(
            "--segment",
            default="",
            metavar="QUERYSTRING",
            help=gettext_lazy(
                "only the customers the customer list's filters select, e.g. stage=customer"
            ),
        )
        parser.add_argument(
            "--auto-merge",
            action="store_true",
            help=gettext_lazy("merge the pairs at or above IDENTITY_AUTO_MERGE without review"),
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            default="",
            help=gettext_lazy("run as this user (default: the first administrator)"),
        )
        parser.add_argument(
            "--quiet", action="store_true", help=gettext_lazy("no progress on standard error")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["as_user"])
        try:
            job = jobs.create_job(
                actor=user, segment=options["segment"], auto_merge=options["auto_merge"]
            )
        except PermissionDenied as error:
            raise CommandError(
                _("User '{name}' may not search for duplicates or merge customers.").format(
                    name=user.username
                )
            ) from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

        found: list[tuple[int, int, float, str]] = []
        external: dict[int, str] = {}
        wants_json = options["json"]

        def collect(pairs: Sequence[Any]) -> None:
            if wants_json:  # before an automatic merge deletes one of the two
                found.extend((p.a, p.b, p.score.probability, p.score.decision) for p in pairs)
                external.update(external_ids({pk for p in pairs for pk in (p.a, p.b)}))

        show = not options["quiet"] and sys.stderr.isatty()

        def progress(current: DedupeJob) -> None:
            if show:
                sys.stderr.write(
                    "\r"
                    + _("{done} of {total} customers · {found} likely duplicates").format(
                        done=f"{current.done:,}", total=f"{current.total:,}", found=current.found
                    )
                )
                sys.stderr.flush()

        interrupted = {"asked": False}

        def on_interrupt(signum: int, frame: Any) -> None:
            if interrupted["asked"]:  # a second Ctrl-C: stop at once
                raise KeyboardInterrupt
            interrupted["asked"] = True

        try:
            previous = signal.signal(signal.SIGINT, on_interrupt)
        except ValueError:  # not the main thread: Ctrl-C cannot reach this command anyway
            previous = None
        try:
            job = jobs.run_dedupe(
                job.pk,
                echo=progress,
                on_pairs=collect,
                stop=lambda: interrupted["asked"],
                pausable=False,
            )
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
            if show:
                sys.stderr.write("\n")

        if wants_json:
            status = statuses([(a, b) for a, b, _score, _decision in found])
            for a, b, score, decision in found:
                self.stdout.write(
                    pair_line(
                        a,
                        b,
                        score=score,
                        decision=decision,
                        status=status[(a, b)],
                        external=external,
                    )
                )
        else:
            self.stdout.write(
                _(
                    "{status}: {customers} customers compared, {found} likely duplicate pairs "
                    "found, {queued} new or updated in the queue, {merged} merged automatically."
                ).format(
                    status=job.get_status_display(),
                    customers=job.total,
                    found=job.found,
                    queued=(job.stats or {}).get("queued", 0),
                    merged=job.merged,
                )
            )
        if job.status == DedupeJob.Status.FAILED:
            self.stderr.write(job.error)
            raise SystemExit(1)
        if job.status == DedupeJob.Status.CANCELLED:
            self.stderr.write(_("Stopped: the pairs found so far are queued."))
            raise SystemExit(INTERRUPTED)
