from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "huike.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        from huike.core.crypto import register_resealer
        from huike.imports import bench  # noqa: F401 (registers the import benchmark)
        from huike.imports.retention import reseal_problems

        register_resealer("imports", reseal_problems)
