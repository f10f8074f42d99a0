"""``huike merge SURVIVOR MERGED``: merge two customers, as the review page does."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.identity import services
from huike.identity.models import Merge
from huike.parties.management.commands.party import acting_user, find_party
from huike.parties.models import GoldenValue, Party


def refusal(error: Exception, user: Any) -> CommandError:
    """A service's refusal as the command's error message."""
    if isinstance(error, PermissionDenied):
        return CommandError(_("User '{name}' may not merge customers.").format(name=user.username))
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return CommandError(
                "; ".join(
                    "{}: {}".format(key, " ".join(messages))
                    if key != "__all__"
                    else " ".join(messages)
                    for key, messages in error.message_dict.items()
                )
            )
        return CommandError(" ".join(error.messages))
    return CommandError(str(error))


def merge_summary(merge: Merge) -> dict[str, Any]:
    return {
        "merge": merge.pk,
        "survivor": merge.survivor_id,
        "merged": merge.merged_id,
        "rows": merge.moved_count(),
        "moved": {key: len(ids or []) for key, ids in (merge.moved or {}).items()},
        "choices": merge.choices or {},
    }


def parse_choices(items: list[str], parties: dict[int, Party]) -> dict[str, int]:
    """``CODE=PARTY_ID`` → the choices of ``services.merge``: a field takes the customer's id,
    an attribute the observation behind that customer's current value."""
    choices: dict[str, int] = {}
    for item in items:
        code, equals, reference = item.partition("=")
        code, reference = code.strip(), reference.strip()
        if not equals or not code or not reference.isdigit():
            raise CommandError(
                _("Write each --choose as CODE=CUSTOMER_ID, e.g. email=12 (not '{item}').").format(
                    item=item
                )
            )
        party_id = int(reference)
        if party_id not in parties:
            raise CommandError(
                _("--choose {code}: customer {id} is not one of the two.").format(
                    code=code, id=party_id
                )
            )
        if code in services.PARTY_FIELDS:
            choices[code] = party_id
            continue
        observation = (
            GoldenValue.objects.filter(party_id=party_id, attribute__code=code)
            .values_list("observation_id", flat=True)
            .first()
        )
        if observation is None:
            raise CommandError(
                _("Customer {id} has no value for “{code}”.").format(id=party_id, code=code)
            )
        choices[code] = observation
    return choices


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Merge customer MERGED into customer SURVIVOR: everything of MERGED moves to SURVIVOR "
        "and MERGED is deleted; huike unmerge undoes it. Where both have a value, survivorship "
        "keeps one; --choose CODE=CUSTOMER_ID keeps that customer's value (an attribute code, "
        "or owner, team, stage, nature, region, industry, first_deal_date, notes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("survivor", help=gettext_lazy("the customer that stays (id)"))
        parser.add_argument("merged", help=gettext_lazy("the customer merged into it (id)"))
        parser.add_argument(
            "--choose",
            action="append",
            default=[],
            metavar="CODE=CUSTOMER_ID",
            help=gettext_lazy("keep this customer's value of CODE (repeatable)"),
        )
        parser.add_argument("--json", action="store_true", help=gettext_lazy("print JSON"))
        parser.add_argument(
            "--as",
            dest="as_user",
            default="",
            help=gettext_lazy("as this user (default: the first administrator)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["as_user"])
        survivor_id = find_party(user, options["survivor"])
        merged_id = find_party(user, options["merged"])
        parties = {p.pk: p for p in Party.objects.filter(pk__in=[survivor_id, merged_id])}
        choices = parse_choices(options["choose"], parties)
        try:
            merge = services.merge(
                parties[survivor_id], parties[merged_id], actor=user, choices=choices
            )
        except (PermissionDenied, ValidationError) as error:
            raise refusal(error, user) from error
        if options["json"]:
            self.stdout.write(json.dumps(merge_summary(merge), ensure_ascii=False))
        else:
            self.stdout.write(
                _(
                    "Merged #{merged} {name} into #{survivor}: {rows} records moved. "
                    "Undo with: huike unmerge {merge}"
                ).format(
                    merged=merge.merged_id,
                    name=merge.merged_name,
                    survivor=merge.survivor_id,
                    rows=merge.moved_count(),
                    merge=merge.pk,
                )
            )
