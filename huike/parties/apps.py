from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "huike.parties"
    label = "parties"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from huike.core.search import register_search
        from huike.parties import bench, selectors  # noqa: F401 (bench registers benchmarks)

        register_search(_("Customers"), selectors.search_hits)

        from huike.core.crypto import register_resealer
        from huike.parties.keys import reseal_parties

        register_resealer("parties", reseal_parties)
