"""Every write to users, teams, roles and tokens. Each runs in a transaction and logs itself."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huike.accounts.models import ApiToken, Role, Team, User, hash_token
from huike.core.services import diff, record_change, snapshot

USER_FIELDS = (
    "username",
    "email",
    "display_name",
    "first_name",
    "last_name",
    "phone",
    "role",
    "team",
    "language",
    "is_active",
)
TEAM_FIELDS = ("name", "description", "leader")
ROLE_FIELDS = ("code", "name", "description", "record_scope", "is_admin")


def _apply(obj: Any, values: dict[str, Any], allowed: Iterable[str]) -> dict[str, list[Any]]:
    allowed = tuple(allowed)
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError("unknown fields: {}".format(", ".join(sorted(unknown))))
    before = snapshot(obj, allowed) if obj.pk else {}
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean(exclude=["password"])
    return diff(before, snapshot(obj, allowed))


def _sync_staff(user: User) -> None:
    """Administrators may open Django's admin site; nobody else needs it."""
    user.is_staff = user.is_superuser or bool(user.role and user.role.is_admin)


@transaction.atomic
def create_user(
    *,
    actor: Any,
    username: str,
    password: str | None = None,
    role: Role | None = None,
    **values: Any,
) -> User:
    """Create a user; validates the password against the configured rules when one is given."""
    user = User(username=username, role=role)
    _apply(user, values, USER_FIELDS)
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    _sync_staff(user)
    user.save()
    record_change(user, actor=actor, action="create", changes=diff({}, snapshot(user, USER_FIELDS)))
    return user


@transaction.atomic
def update_user(user: User, *, actor: Any, **values: Any) -> User:
    changes = _apply(user, values, USER_FIELDS)
    if user == actor and "is_active" in changes and not user.is_active:
        raise ValidationError(_("You cannot disable your own account."))
    _sync_staff(user)
    user.save()
    if changes:
        record_change(user, actor=actor, action="update", changes=changes)
    return user


@transaction.atomic
def set_password(user: User, password: str, *, actor: Any) -> User:
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    record_change(user, actor=actor, action="action", message="password changed")
    return user


@transaction.atomic
def set_user_language(user: User, language: str, *, actor: Any) -> User:
    return update_user(user, actor=actor, language=language)


@transaction.atomic
def delete_user(user: User, *, actor: Any) -> None:
    if user == actor:
        raise ValidationError(_("You cannot delete your own account."))
    record_change(user, actor=actor, action="delete", changes=diff(snapshot(user, USER_FIELDS), {}))
    user.delete()


@transaction.atomic
def save_team(team: Team, *, actor: Any, **values: Any) -> Team:
    creating = team.pk is None
    changes = _apply(team, values, TEAM_FIELDS)
    team.save()
    record_change(
        team,
        actor=actor,
        action="create" if creating else "update",
        changes=diff({}, snapshot(team, TEAM_FIELDS)) if creating else changes,
    )
    return team


@transaction.atomic
def set_team_members(team: Team, members: Iterable[User], *, actor: Any) -> None:
    wanted = {user.pk for user in members}
    current = set(team.members.values_list("pk", flat=True))
    User.objects.filter(pk__in=current - wanted).update(team=None)
    User.objects.filter(pk__in=wanted - current).update(team=team)
    if wanted != current:
        record_change(
            team,
            actor=actor,
            action="update",
            changes={"members": [sorted(current), sorted(wanted)]},
        )


@transaction.atomic
def delete_team(team: Team, *, actor: Any) -> None:
    record_change(team, actor=actor, action="delete", changes=diff(snapshot(team, TEAM_FIELDS), {}))
    team.delete()


@transaction.atomic
def save_role(
    role: Role, *, actor: Any, permissions: Iterable[Permission] | None = None, **values: Any
) -> Role:
    """Create or change a role. Nobody can grant a permission they do not hold themselves."""
    creating = role.pk is None
    changes = _apply(role, values, ROLE_FIELDS)
    if role.is_admin and not actor_is_admin(actor):
        raise ValidationError(_("Only an administrator can create administrator roles."))
    role.save()
    if permissions is not None:
        wanted = set(permissions)
        held = actor.get_all_permissions() if actor is not None else set()
        for permission in wanted:
            name = f"{permission.content_type.app_label}.{permission.codename}"
            if not actor_is_admin(actor) and name not in held:
                raise ValidationError(
                    _("You cannot grant a permission you do not hold: {name}").format(name=name)
                )
        before = sorted(role.permissions.values_list("codename", flat=True))
        role.permissions.set(wanted)
        after = sorted(p.codename for p in wanted)
        if before != after:
            changes["permissions"] = [before, after]
    record_change(
        role,
        actor=actor,
        action="create" if creating else "update",
        changes=diff({}, snapshot(role, ROLE_FIELDS)) if creating else changes,
    )
    return role


def actor_is_admin(actor: Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_administrator", False))


@transaction.atomic
def delete_role(role: Role, *, actor: Any) -> None:
    if role.users.exists():
        raise ValidationError(_("This role is still held by users; give them another role first."))
    record_change(role, actor=actor, action="delete", changes=diff(snapshot(role, ROLE_FIELDS), {}))
    role.delete()


@transaction.atomic
def issue_token(
    user: User, *, actor: Any, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new API token for ``user``. Returns the token and its key, which is never stored."""
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100] or "API",
        prefix=key[3:11],
        digest=hash_token(key),
        expires_at=expires_at,
    )
    record_change(user, actor=actor, action="action", message=f"API token issued: {token}")
    return token, key


@transaction.atomic
def revoke_token(token: ApiToken, *, actor: Any) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_change(token.user, actor=actor, action="action", message=f"API token revoked: {token}")
