from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.ops.demo import seed_demo


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Create the administrator and load demo data on first run; running it again changes "
        "nothing that exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-demo",
            action="store_true",
            help=gettext_lazy("create only the administrator, no demo teams or users"),
        )
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help=gettext_lazy("the address to print in the sign-in instructions"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed_demo(with_demo_users=not options["no_demo"])
        if result.created_admin:
            self.stdout.write(_("Created the administrator account."))
        if result.created_demo:
            self.stdout.write(_("Loaded demo teams and users."))
        self.stdout.write("")
        self.stdout.write(_("Huike is at {url}").format(url=options["url"]))
        self.stdout.write(
            _("Sign in as '{user}' with password '{password}'.").format(
                user=result.admin_username, password=result.password
            )
        )
        if result.password_file is not None:
            self.stdout.write(
                _(
                    "(The password is kept in {path}; demo users such as 'sales1' use it too.)"
                ).format(path=result.password_file)
            )
