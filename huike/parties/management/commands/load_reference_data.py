from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.parties.models import Industry, Region
from huike.parties.reference import load_reference_data


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Load countries, Chinese regions and industries from the files shipped with Huike: "
        "adds missing codes and updates the names of existing ones. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        regions, industries = load_reference_data(Region, Industry)
        self.stdout.write(
            _(
                "Regions added or updated: {regions}; industries added or updated: {industries}."
            ).format(regions=regions, industries=industries)
        )
