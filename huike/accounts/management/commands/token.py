from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.accounts import services
from huike.accounts.models import User
from huike.core.commands import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Issue a new API token for a user. The key is printed as the last line of output, "
        "so scripts can take it with 'tail -n 1'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help=gettext_lazy("the user the token acts as"))
        parser.add_argument("--name", default="cli", help=gettext_lazy("what the token is for"))

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(_("No user named '{name}'.").format(name=options["username"]))
        if not user.is_active:
            raise CommandError(_("User '{name}' is disabled.").format(name=user.username))
        token, key = services.issue_token(user, actor=None, name=options["name"])
        self.stderr.write(
            _(
                "New API token '{token}' for {user}; send it as 'Authorization: Token <key>'."
            ).format(token=token.name, user=user.username)
        )
        self.stdout.write(key)
