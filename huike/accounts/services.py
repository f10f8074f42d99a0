"""Every write to users, teams, roles and tokens. Each runs in a transaction and logs itself."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huike.accounts.models import (
    ACCESS_ORDER,
    ApiToken,
    FieldAccess,
    RecordScope,
    Role,
    Team,
    User,
    hash_token,
)
from huike.core.services import diff, record_change, snapshot
from huike.parties.models import Region

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
ROLE_FIELDS = (
    "code",
    "name",
    "description",
    "record_scope",
    "is_admin",
    "personal_access",
    "sensitive_access",
    "edit_personal",
    "edit_sensitive",
    "require_two_factor",
)
# How far a record scope reaches, to compare an editor's scope with the one they give.
# Territory and team are different shapes of the same breadth: neither contains the other.
SCOPE_RANK = {"own": 0, "team": 1, "region": 1, "all": 2}
# (field holding the access level, field holding the edit right, sensitivity class)
FIELD_CLASSES = (
    ("personal_access", "edit_personal", "personal"),
    ("sensitive_access", "edit_sensitive", "sensitive"),
)


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


def actor_is_trusted(actor: Any) -> bool:
    """An administrator, or the system itself (``actor=None``: the CLI, jobs, demo data)."""
    return actor is None or actor_is_admin(actor)


def _guard_administrator(user: User, actor: Any) -> None:
    """Only an administrator may change or remove an administrator's account."""
    if user.pk and user != actor and user.is_administrator and not actor_is_trusted(actor):
        raise ValidationError(
            _("Only an administrator can change the account of an administrator.")
        )


@transaction.atomic
def create_user(
    *,
    actor: Any,
    username: str,
    password: str | None = None,
    role: Role | None = None,
    territories: Iterable[Region] | None = None,
    **values: Any,
) -> User:
    """Create a user; validates the password against the configured rules when one is given.

    A non-administrator can give the new user only a role that holds no more than they do, and
    only territories inside their own.
    """
    user = User(username=username, role=role)
    _apply(user, values, USER_FIELDS)
    if role is not None:
        _check_role_assignment(role, actor)
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    _sync_staff(user)
    user.save()
    changes = diff({}, snapshot(user, USER_FIELDS))
    if territories is not None:
        changes.update(_change_territories(user, territories, actor=actor))
    record_change(user, actor=actor, action="create", changes=changes)
    return user


@transaction.atomic
def update_user(
    user: User, *, actor: Any, territories: Iterable[Region] | None = None, **values: Any
) -> User:
    """Change a user. ``territories=None`` leaves them as they are.

    A non-administrator cannot change an administrator's account, give a role that holds more
    than they do, or assign territories outside their own.
    """
    _guard_administrator(user, actor)
    role_before = user.role_id
    changes = _apply(user, values, USER_FIELDS)
    if user == actor and "is_active" in changes and not user.is_active:
        raise ValidationError(_("You cannot disable your own account."))
    if user.role_id != role_before and user.role is not None:
        _check_role_assignment(user.role, actor)
    _sync_staff(user)
    user.save()
    if territories is not None:
        changes.update(_change_territories(user, territories, actor=actor))
    if changes:
        record_change(user, actor=actor, action="update", changes=changes)
    return user


def _check_role_assignment(role: Role, actor: Any) -> None:
    """Giving someone a role grants what it holds: refused when it holds more than the actor."""
    problems = role_beyond(actor, role)
    if problems:
        raise ValidationError({"role": problems})


def role_beyond(actor: Any, role: Role) -> list[str]:
    """Why ``role`` holds more than ``actor`` (empty when it does not, or for administrators)."""
    if actor_is_trusted(actor):
        return []
    if role.is_admin:
        return [_("Only an administrator can give the administrator role.")]
    problems = [
        message for messages in grant_problems(actor, role).values() for message in messages
    ]
    held = actor.get_all_permissions()
    missing = sorted(
        name
        for name in (
            f"{app_label}.{codename}"
            for app_label, codename in role.permissions.values_list(
                "content_type__app_label", "codename"
            )
        )
        if name not in held
    )
    if missing:
        problems.append(
            _("This role holds permissions you do not hold: {names}").format(
                names=", ".join(missing)
            )
        )
    return problems


def _change_territories(
    user: User, territories: Iterable[Region], *, actor: Any
) -> dict[str, list[list[str]]]:
    """Set ``user``'s territories; returns the change for the log (empty when unchanged).

    Only administrators and holders of ``accounts.change_user`` assign territories, and a
    non-administrator only inside their own territories.
    """
    wanted = {region.pk: region for region in territories}
    current = {region.pk: region for region in user.territories.all()}
    if set(wanted) == set(current):
        return {}
    if not actor_is_trusted(actor):
        if not actor.has_perm("accounts.change_user"):
            raise ValidationError(
                {
                    "territories": [
                        _("You may not assign territories: that needs the right to change users.")
                    ]
                }
            )
        own = list(actor.territories.values_list("path", flat=True))
        outside = [
            region
            for pk, region in wanted.items()
            if pk not in current and not any(region.path.startswith(path) for path in own)
        ]
        if outside:
            raise ValidationError(
                {
                    "territories": [
                        _("You can assign only territories inside your own: {names}").format(
                            names=", ".join(str(region) for region in outside)
                        )
                    ]
                }
            )
    user.territories.set(list(wanted.values()))
    before = sorted(region.code for region in current.values())
    after = sorted(region.code for region in wanted.values())
    return {"territories": [before, after]}


@transaction.atomic
def set_password(user: User, password: str, *, actor: Any) -> User:
    """Set ``user``'s password. Nobody sets the password of someone whose role holds more than
    their own: signing in as them would grant it."""
    _guard_administrator(user, actor)
    if user != actor and user.role is not None and role_beyond(actor, user.role):
        raise ValidationError(
            _("You cannot set the password of someone whose role holds more than yours.")
        )
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
    _guard_administrator(user, actor)
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
    """Create or change a role. Nobody grants what they do not hold themselves.

    A non-administrator cannot make or change administrator roles, add a permission they lack,
    widen the record scope beyond their own, raise field access above their own or give an edit
    right they lack. Values a role already had are not judged: keeping is not granting.
    All refusals are reported together, by field.
    """
    creating = role.pk is None
    changes = _apply(role, values, ROLE_FIELDS)
    problems: dict[str, list[str]] = {}
    if role.is_admin and not actor_is_trusted(actor):
        problems["is_admin"] = [_("Only an administrator can create administrator roles.")]
    problems.update(grant_problems(actor, role, changed=None if creating else set(changes)))
    added: set[Permission] = set()
    if permissions is not None:
        wanted = set(permissions)
        added = wanted if creating else wanted - set(role.permissions.all())
        if not actor_is_trusted(actor):
            held = actor.get_all_permissions()
            refused = sorted(
                name
                for name in (f"{p.content_type.app_label}.{p.codename}" for p in added)
                if name not in held
            )
            if refused:
                problems["permissions"] = [
                    _("You cannot grant a permission you do not hold: {name}").format(name=name)
                    for name in refused
                ]
    if problems:
        raise ValidationError(problems)
    role.save()
    if permissions is not None:
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


def grant_problems(
    actor: Any, role: Role, *, changed: set[str] | None = None
) -> dict[str, list[str]]:
    """What giving ``role`` its record scope and field rights would grant beyond ``actor``'s own.

    ``changed`` limits the judgement to those fields (``None``: all of them, for a new role or
    for assigning the role to someone). Administrators and the system hold everything.
    """
    if actor_is_trusted(actor):
        return {}
    problems: dict[str, list[str]] = {}

    def judged(name: str) -> bool:
        return changed is None or name in changed

    own_scope = actor.record_scope
    if judged("record_scope") and SCOPE_RANK[role.record_scope] > SCOPE_RANK[own_scope]:
        problems["record_scope"] = [
            _("You cannot give a wider record scope than your own ({scope}).").format(
                scope=RecordScope(own_scope).label
            )
        ]
    for access_field, edit_field, sensitivity in FIELD_CLASSES:
        what = class_label(access_field)
        held = actor.field_access(sensitivity)
        given = getattr(role, access_field)
        if judged(access_field) and ACCESS_ORDER.index(given) > ACCESS_ORDER.index(held):
            problems[access_field] = [
                _("You cannot give more access to {what} than your own ({access}).").format(
                    what=what, access=FieldAccess(held).label
                )
            ]
        if (
            judged(edit_field)
            and getattr(role, edit_field)
            and not actor.may_edit_field(sensitivity)
        ):
            problems[edit_field] = [
                _("You cannot let a role edit {what}: you may not edit it yourself.").format(
                    what=what
                )
            ]
    return problems


def class_label(access_field: str) -> str:
    """How a sensitivity class reads ("personal information"), from the role's field."""
    field = Role._meta.get_field(access_field)
    assert isinstance(field, models.Field)
    return str(field.verbose_name)


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
