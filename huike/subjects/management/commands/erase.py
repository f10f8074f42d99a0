"""``huike erase PARTY_ID --request N [--yes] [--json]``: erase a customer under an erasure
request whose identity check is done, as the DPO's "Erase" button does."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.subjects import services
from huike.subjects.management.commands._common import acting_user, visible_party
from huike.subjects.models import SubjectRequest


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Erase a customer's personal information under an erasure request: contact points go on "
        "the suppression list, records kept by law are de-personalised, the rest is deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("party", metavar="PARTY_ID", help=gettext_lazy("the customer's number"))
        parser.add_argument(
            "--request",
            type=int,
            required=True,
            metavar="N",
            help=gettext_lazy("the erasure request (its identity check must be done)"),
        )
        parser.add_argument(
            "--yes",
            action="store_true",
            help=gettext_lazy("do not ask for confirmation (scripts)"),
        )
        parser.add_argument(
            "--json", action="store_true", help=gettext_lazy("print the result as JSON")
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            default="",
            metavar="USERNAME",
            help=gettext_lazy("act as this user (default: the first active administrator)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(
            options["as_user"], "subjects.erase_party", "subjects.change_subjectrequest"
        )
        party = visible_party(user, options["party"])
        request = SubjectRequest.objects.visible_to(user).filter(pk=options["request"]).first()
        if request is None or request.party_id != party.pk:
            raise CommandError(
                _("Request #{number} is not about customer #{party}.").format(
                    number=options["request"], party=party.pk
                )
            )
        if not options["yes"]:
            self._show_plan(party)
            answer = input(_("Type “yes” to erase customer #{number}: ").format(number=party.pk))
            if answer.strip().lower() not in {"yes", "y", "是"}:
                raise CommandError(_("Nothing was erased."))
        try:
            summary = services.erase_for_request(request, actor=user, channel="cli")
        except services.ErasureBlocked as blocked:
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {"erased": False, "restricted": True, "reasons": blocked.reasons},
                        ensure_ascii=False,
                    )
                )
            raise CommandError(
                _("Erasure is not possible yet: {reasons}. The customer is restricted.").format(
                    reasons="; ".join(blocked.reasons)
                )
            ) from blocked
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"erased": True, "party": party.pk, "request": request.pk, "summary": summary},
                    ensure_ascii=False,
                    default=str,
                )
            )
        else:
            self.stdout.write(
                _("Customer #{number} was erased under request #{request}.").format(
                    number=party.pk, request=request.pk
                )
            )

    def _show_plan(self, party: Any) -> None:
        plan = services.erasure_plan(party)
        for section in plan.sections:
            outcome = _("kept, de-personalised") if section.kept else _("deleted")
            self.stdout.write(f"  {section.label}: {section.count} · {outcome}")
        for kind, count in plan.contacts.items():
            self.stdout.write(
                "  " + _("suppressed ({kind}): {count}").format(kind=kind, count=count)
            )
        for reason in plan.holds:
            self.stdout.write("  " + _("not yet possible: {reason}").format(reason=reason))
