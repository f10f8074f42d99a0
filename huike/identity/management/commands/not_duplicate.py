"""``huike not-duplicate A B``: two customers are different; never propose the pair again."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.identity import services
from huike.identity.management.commands.merge import refusal
from huike.parties.management.commands.party import acting_user, find_party
from huike.parties.models import Party


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Record that two customers are different people or organisations: the pair leaves the "
        "queue and is never proposed again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("a", help=gettext_lazy("a customer (id)"))
        parser.add_argument("b", help=gettext_lazy("the other customer (id)"))
        parser.add_argument("--json", action="store_true", help=gettext_lazy("print JSON"))
        parser.add_argument(
            "--as",
            dest="as_user",
            default="",
            help=gettext_lazy("as this user (default: the first administrator)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["as_user"])
        ids = [find_party(user, options["a"]), find_party(user, options["b"])]
        parties = {p.pk: p for p in Party.objects.filter(pk__in=ids)}
        try:
            candidate = services.mark_not_duplicate(parties[ids[0]], parties[ids[-1]], actor=user)
        except (PermissionDenied, ValidationError) as error:
            raise refusal(error, user) from error
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "id": candidate.pk,
                        "party_a": candidate.party_a_id,
                        "party_b": candidate.party_b_id,
                        "status": candidate.status,
                    }
                )
            )
        else:
            self.stdout.write(
                _(
                    "#{a} and #{b} are different customers: the pair will not be proposed again."
                ).format(a=candidate.party_a_id, b=candidate.party_b_id)
            )
