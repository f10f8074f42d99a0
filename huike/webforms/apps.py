from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebformsConfig(AppConfig):
    name = "huike.webforms"
    label = "webforms"
    verbose_name = _("Web forms")

    def ready(self) -> None:
        # What the submissions hold about a person: exported and erased with the customer.
        from huike.webforms import providers

        providers.register()
