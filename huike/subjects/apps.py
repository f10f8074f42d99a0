from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubjectsConfig(AppConfig):
    name = "huike.subjects"
    label = "subjects"
    verbose_name = _("Data-subject requests")

    def ready(self) -> None:
        # The personal-data providers of the apps that exist (customers, the logs, consents
        # when the privacy app is installed) register themselves with the registry.
        from huike.subjects import providers

        providers.register_builtin()
