from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "huike.identity"
    label = "identity"
    verbose_name = _("Identity resolution")

    def ready(self) -> None:
        # Matching reads which attributes are phones, e-mails, identifiers or addresses once
        # and keeps it for a while; a definition saved in this process is seen at once.
        from huike.identity import features
        from huike.parties.models import AttributeDefinition

        def forget(**_kwargs: object) -> None:
            features.forget_roles()

        post_save.connect(forget, sender=AttributeDefinition, weak=False)
        post_delete.connect(forget, sender=AttributeDefinition, weak=False)
