"""Base class for Huike's management commands."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class TranslatedCommand(BaseCommand):
    """A command whose ``help`` texts are lazily translated.

    argparse needs real strings; the texts are resolved here, when the parser is built, so
    ``huike COMMAND --help`` speaks the language chosen with ``--lang`` or the locale.
    """

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.help = str(self.help)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for action in parser._actions:
            if action.help is not None:
                action.help = str(action.help)
        return parser
