from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.accounts import two_factor
from huike.accounts.models import User
from huike.core.commands import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Switch two-factor sign-in off for a user who lost their phone. They sign in with the "
        "password alone, or set it up again if their role requires it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help=gettext_lazy("the user who lost their authenticator"))

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(_("No user named '{name}'.").format(name=options["username"]))
        if not two_factor.is_enabled(user):
            self.stdout.write(
                _("Two-factor sign-in is not on for {name}.").format(name=user.username)
            )
            return
        two_factor.disable(user, actor=None)
        self.stdout.write(
            _("Two-factor sign-in switched off for {name}.").format(name=user.username)
        )
