"""``huike unmerge MERGE_ID``: undo a merge."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.identity import services
from huike.identity.filters import merges_visible_to
from huike.identity.management.commands.merge import refusal
from huike.parties.management.commands.party import acting_user


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Undo a merge: the merged customer comes back with its id and everything it brought. "
        "Refused when the merge was undone already, or when the surviving customer was merged "
        "again since (undo that later merge first)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("merge", type=int, help=gettext_lazy("the merge's number"))
        parser.add_argument("--json", action="store_true", help=gettext_lazy("print JSON"))
        parser.add_argument(
            "--as",
            dest="as_user",
            default="",
            help=gettext_lazy("as this user (default: the first administrator)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["as_user"])
        merge = merges_visible_to(user).filter(pk=options["merge"]).first()
        if merge is None:
            raise CommandError(
                _("No merge {number} that {user} may see.").format(
                    number=options["merge"], user=user.username
                )
            )
        try:
            survivor, restored = services.unmerge(merge, actor=user)
        except (PermissionDenied, ValidationError) as error:
            raise refusal(error, user) from error
        if options["json"]:
            self.stdout.write(
                json.dumps({"merge": merge.pk, "survivor": survivor.pk, "restored": restored.pk})
            )
        else:
            self.stdout.write(
                _("Unmerged: #{restored} {name} is a customer of its own again.").format(
                    restored=restored.pk, name=restored.name
                )
            )
