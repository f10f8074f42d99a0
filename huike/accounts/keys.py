"""Re-sealing authenticator secrets under the active key after ``huike rotate-keys``."""

from __future__ import annotations

from huike.core import crypto

CONTEXT = "totp"  # as in huike.accounts.two_factor


def reseal_totp_secrets(progress: crypto.Progress | None = None) -> int:
    from huike.accounts.models import User

    active = crypto.ring().active
    users = [
        user
        for user in User.objects.exclude(totp_secret="").only("pk", "totp_secret")
        if crypto.is_sealed(user.totp_secret) and crypto.key_id(user.totp_secret) != active
    ]
    for user in users:
        user.totp_secret = crypto.reseal(user.totp_secret, CONTEXT)
    User.objects.bulk_update(users, ["totp_secret"])
    if progress:
        progress(str(User._meta.verbose_name_plural), len(users), len(users))
    return len(users)
