"""What the data-subject commands share: who acts, and which customer."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

from huike.accounts.models import User
from huike.parties.models import Party


def acting_user(username: str, *permissions: str) -> User:
    """The user named by ``--as``, or the first active administrator, holding ``permissions``."""
    if username:
        user = User.objects.select_related("role").filter(username=username).first()
        if user is None:
            raise CommandError(_("No user named '{name}'.").format(name=username))
        if not user.is_active:
            raise CommandError(_("User '{name}' is disabled.").format(name=username))
    else:
        user = (
            User.objects.select_related("role")
            .filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(role__is_admin=True))
            .order_by("pk")
            .first()
        )
        if user is None:
            raise CommandError(_("There is no active administrator; name a user with --as."))
    missing = [name for name in permissions if not user.has_perm(name)]
    if missing:
        raise CommandError(
            _("User '{name}' lacks the permission {permissions}.").format(
                name=user.username, permissions=", ".join(missing)
            )
        )
    return user


def visible_party(user: User, reference: str) -> Party:
    reference = reference.strip().lstrip("#")
    party = None
    if reference.isascii() and reference.isdigit() and len(reference) <= 18:
        party = Party.objects.visible_to(user).filter(pk=int(reference)).first()
    if party is None:
        raise CommandError(
            _("No customer number {number} that you may see.").format(number=reference)
        )
    return party
