from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "huike.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from huike.accounts import roles, search
        from huike.core.search import register_search

        # Permissions exist only after every app migrated, so default roles are filled then.
        post_migrate.connect(roles.ensure_default_roles, dispatch_uid="huike_default_roles")
        register_search(_("Users"), search.search_users)

        from huike.accounts.keys import reseal_totp_secrets
        from huike.core.crypto import register_resealer

        register_resealer("accounts", reseal_totp_secrets)
