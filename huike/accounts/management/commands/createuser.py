from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.accounts import services
from huike.accounts.models import Role, User
from huike.core.commands import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Create a user with a role. The password comes from standard input with "
        "--password-stdin; without it a terminal prompts and a script creates a user "
        "who cannot sign in until a password is set."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help=gettext_lazy("the new user's sign-in name"))
        parser.add_argument(
            "--role",
            required=True,
            help=gettext_lazy("role code, e.g. salesperson or administrator"),
        )
        parser.add_argument("--email", default="", help=gettext_lazy("e-mail address"))
        parser.add_argument("--name", default="", help=gettext_lazy("display name"))
        parser.add_argument("--team", default="", help=gettext_lazy("team name"))
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help=gettext_lazy("read the password from the first line of standard input"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        role = Role.objects.filter(code=options["role"]).first()
        if role is None:
            codes = ", ".join(Role.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(
                _("Unknown role '{role}'. Known roles: {codes}").format(
                    role=options["role"], codes=codes
                )
            )
        if User.objects.filter(username=username).exists():
            raise CommandError(_("A user named '{name}' already exists.").format(name=username))
        team = None
        if options["team"]:
            from huike.accounts.models import Team

            team = Team.objects.filter(name=options["team"]).first()
            if team is None:
                raise CommandError(_("Unknown team '{team}'.").format(team=options["team"]))
        password = self.read_password(options["password_stdin"])
        try:
            user = services.create_user(
                actor=None,
                username=username,
                password=password,
                role=role,
                email=options["email"],
                display_name=options["name"],
                team=team,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            _("Created user '{name}' with role '{role}'.").format(
                name=user.username, role=role.code
            )
        )
        if not password:
            self.stdout.write(_("No password set: the user cannot sign in until one is set."))

    def read_password(self, from_stdin: bool) -> str | None:
        if from_stdin:
            line = sys.stdin.readline().rstrip("\r\n")
            if not line:
                raise CommandError(_("--password-stdin was given but standard input was empty."))
            return line
        if sys.stdin.isatty():
            first = getpass.getpass(_("Password: "))
            if not first:
                return None
            if getpass.getpass(_("Password (again): ")) != first:
                raise CommandError(_("The passwords do not match."))
            return first
        return None
