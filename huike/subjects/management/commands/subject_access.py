"""``huike subject-access PARTY_ID [--output FILE]``: everything Huike holds about one person,
as the zip a subject-access request gets (``subject.json`` plus one CSV per section)."""

from __future__ import annotations

import sys
from pathlib import Path
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
        "Export everything Huike holds about one customer as a zip (subject.json and one CSV "
        "per section). The export is written to the access log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("party", metavar="PARTY_ID", help=gettext_lazy("the customer's number"))
        parser.add_argument(
            "--output",
            "-o",
            default="",
            metavar="FILE",
            help=gettext_lazy(
                "where to write the zip (default: subject-PARTY_ID.zip; - for stdout)"
            ),
        )
        parser.add_argument(
            "--request",
            type=int,
            default=None,
            metavar="N",
            help=gettext_lazy("fulfil access request N with this export (identity verified first)"),
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            default="",
            metavar="USERNAME",
            help=gettext_lazy("act as this user (default: the first active administrator)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["as_user"], "subjects.export_subject")
        party = visible_party(user, options["party"])
        number = options["request"]
        if number is not None:
            request = SubjectRequest.objects.visible_to(user).filter(pk=number).first()
            if request is None or request.party_id != party.pk:
                raise CommandError(
                    _("Request #{number} is not about customer #{party}.").format(
                        number=number, party=party.pk
                    )
                )
            try:
                data = services.fulfil_access(request, actor=user, channel="cli")
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        else:
            data = services.export_subject(party, actor=user, channel="cli")
        output = options["output"] or f"subject-{party.pk}.zip"
        if output == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        path = Path(output)
        path.write_bytes(data)
        path.chmod(0o600)
        self.stdout.write(str(path))
