"""Who may reach each sign-in, profile, user, team, role and token page and endpoint (the
permission matrix: see ``huike.core.testing.matrix``)."""

from __future__ import annotations

from typing import Any

import pyotp
from django.utils import timezone

from huike.accounts import two_factor
from huike.accounts.models import ApiToken, Role, Team, User
from huike.accounts.services import issue_token
from huike.accounts.tests.factories import PASSWORD, UserFactory
from huike.core import crypto
from huike.core.testing.matrix import PermissionMatrix, Route

NEW_PASSWORD = "a fresh pass phrase 2024"
TOKEN_NAME = "Matrix probe token"


def target_user(_owner: User) -> User:
    """A colleague to look at, change or delete."""
    return UserFactory.create(
        username="matrix-target", role=Role.objects.get(code="salesperson"), team=None
    )


def own_team(owner: User) -> Team:
    """The caller's team: a manager reaches it, a manager of another team does not."""
    assert owner.team is not None
    return owner.team


def spare_team(_owner: User) -> Team:
    return Team.objects.create(name="Matrix Spare")


def spare_role(_owner: User) -> Role:
    return Role.objects.create(code="matrix-spare", name="Matrix spare", record_scope="own")


def own_token(owner: User) -> ApiToken:
    token, _key = issue_token(owner, actor=owner, name=TOKEN_NAME)
    return token


def with_two_factor(owner: User) -> User:
    """The caller themselves, with two-factor sign-in switched on."""
    owner.totp_secret = crypto.seal(pyotp.random_base32(), two_factor.CONTEXT)
    owner.totp_confirmed_at = timezone.now()
    owner.save(update_fields=["totp_secret", "totp_confirmed_at"])
    return owner


def two_factor_on(user: User) -> bool:
    return two_factor.is_enabled(User.objects.get(pk=user.pk))


def username(user: User) -> str:
    return user.username


def team_name(team: Team) -> str:
    return team.name


def token_name(_token: ApiToken) -> str:
    return TOKEN_NAME


def revoked(token: ApiToken) -> Any:
    return ApiToken.objects.get(pk=token.pk).revoked_at


def display_name(user: User) -> str:
    return User.objects.get(pk=user.pk).display_name


def user_form(user: User | None) -> dict[str, Any]:
    return {
        "username": user.username if user else "matrix-new",
        "display_name": "Matrix Person",
        "email": "matrix@example.com",
        "phone": "",
        "role": Role.objects.get(code="salesperson").pk,
        "team": "",
        "language": "",
        "is_active": "on",
        "password": NEW_PASSWORD,
    }


def team_form(team: Team | None) -> dict[str, Any]:
    return {"name": "Matrix Renamed" if team else "Matrix North", "description": "", "leader": ""}


def role_form(role: Role | None) -> dict[str, Any]:
    return {
        "code": role.code if role else "matrix-new",
        "name": "Matrix renamed" if role else "Matrix new",
        "description": "",
        "record_scope": "own",
        "personal_access": "masked",
        "sensitive_access": "hidden",
    }


ADMIN_USERS = "accounts.change_user"

PUBLIC_ROUTES = [
    # Signing in and recovering a password happen before anyone is signed in.
    Route("accounts:login", public=True),
    Route(
        "accounts:login",
        method="POST",
        public=True,
        data={"username": "nobody-here", "password": "wrong"},
    ),
    Route("accounts:logout", method="POST", public=True, ok=(302,)),
    Route("accounts:password_reset", public=True),
    Route(
        "accounts:password_reset",
        method="POST",
        public=True,
        data={"email": "nobody@example.com"},
        ok=(302,),
    ),
    Route("accounts:password_reset_done", public=True),
    Route(
        "accounts:password_reset_confirm",
        public=True,
        url_kwargs=lambda _obj: {"uidb64": "MQ", "token": "not-a-token"},
    ),
    Route(
        "accounts:password_reset_confirm",
        method="POST",
        public=True,
        url_kwargs=lambda _obj: {"uidb64": "MQ", "token": "not-a-token"},
        data={"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    ),
    Route("accounts:password_reset_complete", public=True),
    # Choosing the interface language works signed out too (the sign-in page offers it).
    Route("accounts:set_language", method="POST", public=True, data={"language": "en"}, ok=(302,)),
    # The code step of signing in: without a right password first, back to the sign-in page.
    Route("accounts:two_factor_verify", public=True, ok=(302,)),
    Route(
        "accounts:two_factor_verify",
        method="POST",
        public=True,
        data={"code": "000000"},
        ok=(302,),
    ),
]

SELF_ROUTES = [
    # A signed-in user's own profile, password and tokens: no permission needed.
    Route("accounts:profile"),
    Route(
        "accounts:profile",
        method="POST",
        data={"display_name": "Renamed", "email": "me@example.com", "phone": "", "language": ""},
        ok=(302,),
    ),
    Route("accounts:password_change"),
    Route(
        "accounts:password_change",
        method="POST",
        data={
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        ok=(302,),
    ),
    # Two-factor sign-in of one's own account.
    Route("accounts:two_factor_setup"),
    Route(
        "accounts:two_factor_setup",
        method="POST",
        data={"code": "not-a-code"},  # never a valid code: the page again, nothing switched on
    ),
    Route(
        "accounts:two_factor_disable",
        kind="action",
        method="POST",
        make_object=with_two_factor,
        url_kwargs=lambda _user: {},
        data={"proof": PASSWORD},
        effect=two_factor_on,
        ok=(302,),
    ),
    Route(
        "accounts:token_create",
        kind="create",
        method="POST",
        model=ApiToken,
        data={"name": "Spreadsheet sync"},
        ok=(302,),
    ),
    Route(
        "accounts:token_revoke",
        kind="action",
        method="POST",
        make_object=own_token,
        scoped=True,  # another user's token is not found
        effect=revoked,
        ok=(302,),
    ),
]

ADMINISTRATION_ROUTES = [
    Route(
        "accounts:user_list",
        kind="list",
        permission="accounts.view_user",
        make_object=target_user,
        marker=username,
    ),
    Route(
        "accounts:user_list",
        kind="export",
        variant="csv",
        query={"export": "csv"},
        permission="accounts.view_user",
        make_object=target_user,
        marker=username,
    ),
    Route("accounts:user_add", kind="create", permission="accounts.add_user"),
    Route(
        "accounts:user_add",
        kind="create",
        method="POST",
        permission="accounts.add_user",
        model=User,
        data=user_form,
        ok=(302,),
    ),
    Route("accounts:user", kind="detail", permission="accounts.view_user", make_object=target_user),
    Route("accounts:user_edit", kind="update", permission=ADMIN_USERS, make_object=target_user),
    Route(
        "accounts:user_edit",
        kind="update",
        method="POST",
        permission=ADMIN_USERS,
        make_object=target_user,
        data=user_form,
        effect=display_name,
        ok=(302,),
    ),
    Route(
        "accounts:user_delete",
        kind="delete",
        permission="accounts.delete_user",
        make_object=target_user,
    ),
    Route(
        "accounts:user_delete",
        kind="delete",
        method="POST",
        permission="accounts.delete_user",
        make_object=target_user,
        ok=(302,),
    ),
    Route(
        "accounts:user_delete",
        kind="delete",
        method="DELETE",
        permission="accounts.delete_user",
        make_object=target_user,
        ok=(405,),  # the page deletes on POST (a form); a DELETE request deletes nothing
    ),
    Route("accounts:territory_options", kind="search", permission=ADMIN_USERS, query={"q": "11"}),
    Route(
        "accounts:team_list",
        kind="list",
        permission="accounts.view_team",
        make_object=own_team,
        scoped=True,
        marker=team_name,
    ),
    Route(
        "accounts:team_list",
        kind="export",
        variant="csv",
        query={"export": "csv"},
        permission="accounts.view_team",
        make_object=own_team,
        scoped=True,
        marker=team_name,
    ),
    Route("accounts:team_add", kind="create", permission="accounts.add_team"),
    Route(
        "accounts:team_add",
        kind="create",
        method="POST",
        permission="accounts.add_team",
        model=Team,
        data=team_form,
        ok=(302,),
    ),
    Route(
        "accounts:team",
        kind="detail",
        permission="accounts.view_team",
        make_object=own_team,
        scoped=True,
    ),
    Route(
        "accounts:team_edit",
        kind="update",
        permission="accounts.change_team",
        make_object=spare_team,
    ),
    Route(
        "accounts:team_edit",
        kind="update",
        method="POST",
        permission="accounts.change_team",
        make_object=spare_team,
        data=team_form,
        ok=(302,),
    ),
    Route(
        "accounts:team_delete",
        kind="delete",
        permission="accounts.delete_team",
        make_object=spare_team,
    ),
    Route(
        "accounts:team_delete",
        kind="delete",
        method="POST",
        permission="accounts.delete_team",
        make_object=spare_team,
        ok=(302,),
    ),
    Route(
        "accounts:team_delete",
        kind="delete",
        method="DELETE",
        permission="accounts.delete_team",
        make_object=spare_team,
        ok=(405,),  # the page deletes on POST (a form); a DELETE request deletes nothing
    ),
    Route(
        "accounts:role_list",
        kind="list",
        permission="accounts.view_role",
        make_object=spare_role,
        marker=lambda role: role.name,
    ),
    Route("accounts:role_add", kind="create", permission="accounts.add_role"),
    Route(
        "accounts:role_add",
        kind="create",
        method="POST",
        permission="accounts.add_role",
        model=Role,
        data=role_form,
        ok=(302,),
    ),
    Route("accounts:role", kind="detail", permission="accounts.view_role", make_object=spare_role),
    Route(
        "accounts:role_edit",
        kind="update",
        permission="accounts.change_role",
        make_object=spare_role,
    ),
    Route(
        "accounts:role_edit",
        kind="update",
        method="POST",
        permission="accounts.change_role",
        make_object=spare_role,
        data=role_form,
        ok=(302,),
    ),
    Route(
        "accounts:role_delete",
        kind="delete",
        permission="accounts.delete_role",
        make_object=spare_role,
    ),
    Route(
        "accounts:role_delete",
        kind="delete",
        method="POST",
        permission="accounts.delete_role",
        make_object=spare_role,
        ok=(302,),
    ),
    Route(
        "accounts:role_delete",
        kind="delete",
        method="DELETE",
        permission="accounts.delete_role",
        make_object=spare_role,
        ok=(405,),  # the page deletes on POST (a form); a DELETE request deletes nothing
    ),
]

API_ROUTES = [
    Route("api:me"),
    Route(
        "api:user-list",
        kind="list",
        permission="accounts.view_user",
        make_object=target_user,
        marker=username,
    ),
    Route(
        "api:user-list",
        kind="create",
        method="POST",
        permission="accounts.add_user",
        model=User,
        data={"username": "matrix-new", "role": "salesperson"},
        ok=(201,),
    ),
    Route(
        "api:user-detail",
        kind="detail",
        permission="accounts.view_user",
        make_object=target_user,
    ),
    Route(
        "api:user-detail",
        kind="update",
        method="PATCH",
        permission=ADMIN_USERS,
        make_object=target_user,
        data={"display_name": "Renamed"},
        effect=display_name,
    ),
    Route(
        "api:team-list",
        kind="list",
        permission="accounts.view_team",
        make_object=own_team,
        scoped=True,
        marker=team_name,
    ),
    Route(
        "api:team-list",
        kind="create",
        method="POST",
        permission="accounts.add_team",
        model=Team,
        data={"name": "Matrix North"},
        ok=(201,),
    ),
    Route(
        "api:team-detail",
        kind="detail",
        permission="accounts.view_team",
        make_object=own_team,
        scoped=True,
    ),
    Route(
        "api:team-detail",
        kind="update",
        method="PATCH",
        permission="accounts.change_team",
        make_object=spare_team,
        data={"description": "Renamed"},
    ),
    Route(
        "api:role-list",
        kind="list",
        permission="accounts.view_role",
        make_object=spare_role,
        marker=lambda role: role.code,
    ),
    Route(
        "api:role-detail", kind="detail", permission="accounts.view_role", make_object=spare_role
    ),
    Route(
        "api:role-detail",
        kind="update",
        method="PATCH",
        permission="accounts.change_role",
        make_object=spare_role,
        data={"description": "Renamed"},
    ),
    Route("api:token-list", kind="list", make_object=own_token, scoped=True, marker=token_name),
    Route(
        "api:token-list",
        kind="create",
        method="POST",
        data={"name": "ERP sync"},
        effect=lambda _obj: ApiToken.objects.filter(name="ERP sync").count(),
        ok=(201,),
    ),
    Route(
        "api:token-detail",
        kind="delete",
        method="DELETE",
        make_object=own_token,
        scoped=True,
        effect=revoked,
        ok=(204,),
    ),
]


class TestAccountsMatrix(PermissionMatrix):
    routes = [*PUBLIC_ROUTES, *SELF_ROUTES, *ADMINISTRATION_ROUTES, *API_ROUTES]
