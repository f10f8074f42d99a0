from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "huike.intake"
    label = "intake"
    verbose_name = _("Intake API")

    def ready(self) -> None:
        from huike.intake import bench  # noqa: F401 (registers the intake benchmark)
