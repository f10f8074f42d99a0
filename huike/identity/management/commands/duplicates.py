"""``huike duplicates``: the queue of possible duplicates, surest first."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.identity.filters import candidates_visible_to
from huike.identity.management.commands.dedupe import CHUNK, external_ids, pair_line
from huike.identity.models import MatchCandidate
from huike.parties.management.commands.party import acting_user


def score_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise CommandError(_("Give --min-score as a number from 0 to 1, e.g. 0.9."))
    return value


class Command(TranslatedCommand):
    help = gettext_lazy(
        "List the possible duplicates waiting for review (or those merged or marked as not "
        "duplicates), surest first: the pairs whose customers the user may see. --json prints "
        "one JSON object per pair, one per line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help=gettext_lazy("print one JSON object per line")
        )
        parser.add_argument(
            "--status",
            default=MatchCandidate.Status.OPEN.value,
            choices=[choice.value for choice in MatchCandidate.Status],
            help=gettext_lazy("which pairs (default open: waiting for review)"),
        )
        parser.add_argument(
            "--min-score",
            default="",
            metavar="X",
            help=gettext_lazy("only pairs with at least this confidence (0 to 1)"),
        )
        parser.add_argument(
            "--limit", type=int, default=0, help=gettext_lazy("at most this many pairs")
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            default="",
            help=gettext_lazy("as this user (default: the first administrator)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["as_user"])
        if not user.has_perm("identity.view_matchcandidate"):
            raise CommandError(
                _("User '{name}' may not see possible duplicates.").format(name=user.username)
            )
        pairs = (
            candidates_visible_to(user)
            .filter(status=options["status"])
            .select_related("party_a", "party_b")
            .order_by("-score", "pk")
        )
        if options["min_score"]:
            pairs = pairs.filter(score__gte=score_value(options["min_score"]))
        if options["limit"] > 0:
            pairs = pairs[: options["limit"]]
        batch: list[MatchCandidate] = []
        shown = 0
        for candidate in pairs.iterator(chunk_size=CHUNK):
            batch.append(candidate)
            if len(batch) >= CHUNK:
                shown += self.write(batch, as_json=options["json"])
                batch = []
        shown += self.write(batch, as_json=options["json"])
        if not options["json"] and not shown:
            self.stderr.write(_("No pairs."))

    def write(self, batch: list[MatchCandidate], *, as_json: bool) -> int:
        external = external_ids({pk for c in batch for pk in (c.party_a_id, c.party_b_id)})
        for c in batch:
            if as_json:
                self.stdout.write(
                    pair_line(
                        c.party_a_id,
                        c.party_b_id,
                        score=c.score,
                        decision=c.decision,
                        status=c.status,
                        external=external,
                        id=c.pk,
                        name_a=c.party_a.name,
                        name_b=c.party_b.name,
                        found_by=c.found_by,
                    )
                )
            else:
                score = round(c.score * 100)
                self.stdout.write(
                    f"{c.pk:>7}  {score:>4}%  {c.decision:<6}  "
                    f"#{c.party_a_id} {c.party_a.name}  ~  #{c.party_b_id} {c.party_b.name}"
                )
        return len(batch)
