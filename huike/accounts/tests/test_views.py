"""The accounts pages: administration of users, teams and roles, profile, tokens, language,
and password reset, as a person reaches them through the browser."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huike.accounts import services
from huike.accounts.models import ApiToken, Role, Team, User, hash_token
from huike.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from huike.core.models import ChangeLog

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
NEW_PASSWORD = "a fresh pass phrase 2024"


@pytest.fixture
def admin_client(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)
    return client


def make_team(**fields: Any) -> Team:
    return cast(Team, TeamFactory(**fields))


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def user_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "username": "mei",
        "display_name": "Mei Lin",
        "email": "mei@example.com",
        "phone": "",
        "role": Role.objects.get(code="salesperson").pk,
        "team": "",
        "language": "",
        "is_active": "on",
        "password": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def listed_usernames(response: TestResponse) -> list[str]:
    return [row.username for row in response.context["page"].rows]


def next_link(content: str, rel: str = "next") -> str | None:
    match = re.search(r'href="([^"]*)" rel="' + rel + '"', content)
    assert match is not None, f"the list has no rel={rel} link"
    href = html.unescape(match.group(1))
    return None if href == "#" else href


def query_of(link: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(link).query).items()}


# --- Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/users/",
        "/accounts/users/add/",
        "/accounts/teams/",
        "/accounts/roles/",
        "/accounts/profile/",
        "/",
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=" + path


@pytest.mark.parametrize(
    "path",
    ["/accounts/users/", "/accounts/users/add/", "/accounts/teams/", "/accounts/roles/add/"],
)
def test_a_salesperson_is_refused_administration_pages(make_user: MakeUser, path: str) -> None:
    client = signed_in(make_user("salesperson"))

    assert client.get(path).status_code == 403
    assert client.post(path, {}).status_code == 403


def test_a_salesperson_cannot_open_or_delete_another_user(make_user: MakeUser) -> None:
    other = make_user("salesperson")
    client = signed_in(make_user("salesperson"))

    assert client.get(f"/accounts/users/{other.pk}/").status_code == 403
    assert client.post(f"/accounts/users/{other.pk}/delete/").status_code == 403
    assert User.objects.filter(pk=other.pk).exists()


def test_an_auditor_can_list_users_but_not_add_one(make_user: MakeUser) -> None:
    client = signed_in(make_user("auditor"))

    response = client.get("/accounts/users/")

    assert response.status_code == 200
    assert "/accounts/users/add/" not in response.content.decode()
    assert client.get("/accounts/users/add/").status_code == 403
    assert client.post("/accounts/users/add/", user_form()).status_code == 403
    assert not User.objects.filter(username="mei").exists()


def test_a_user_disabled_while_signed_in_is_signed_out_on_the_next_request(
    admin_user: User, make_user: MakeUser
) -> None:
    # given a salesperson who is signed in
    user = make_user("salesperson")
    client = signed_in(user)
    assert client.get("/").status_code == 200

    # when an administrator disables the account
    services.update_user(user, actor=admin_user, is_active=False)

    # then the open session no longer works
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"


def test_a_disabled_user_cannot_sign_in(client: Client, make_user: MakeUser) -> None:
    make_user("salesperson", username="gone", is_active=False)

    assert not client.login(username="gone", password=PASSWORD)
    response = client.post("/accounts/login/", {"username": "gone", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


# --- Users ------------------------------------------------------------------------------------


def test_administrator_lists_users_with_their_roles(
    admin_client: Client, make_user: MakeUser
) -> None:
    make_user("salesperson", username="mei", display_name="Mei Lin")

    response = admin_client.get("/accounts/users/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Mei Lin" in content
    assert "Salesperson" in content
    assert listed_usernames(response) == ["boss", "mei"]


def test_user_list_filters_by_search_role_and_active(
    admin_client: Client, make_user: MakeUser
) -> None:
    make_user("salesperson", username="mei", display_name="Mei Lin")
    make_user("salesperson", username="li", email="li@branch.cn", is_active=False)
    make_user("auditor", username="wang")

    assert listed_usernames(admin_client.get("/accounts/users/?q=mei lin")) == ["mei"]
    assert listed_usernames(admin_client.get("/accounts/users/?q=branch.cn")) == ["li"]
    assert listed_usernames(admin_client.get("/accounts/users/?role=auditor")) == ["wang"]
    assert listed_usernames(admin_client.get("/accounts/users/?is_active=false")) == ["li"]
    assert listed_usernames(admin_client.get("/accounts/users/?is_active=true")) == [
        "boss",
        "mei",
        "wang",
    ]


def test_user_list_costs_the_same_queries_for_few_and_many_users(
    admin_client: Client, make_user: MakeUser
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/accounts/users/").status_code == 200
        return len(captured)

    make_user("salesperson", team=make_team())
    few = queries()
    for role in ("salesperson", "auditor", "manager"):
        for _ in range(8):
            make_user(role, team=make_team())
    many = queries()

    assert many == few


def test_team_list_costs_the_same_queries_for_few_and_many_teams(
    admin_client: Client, make_user: MakeUser
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/accounts/teams/").status_code == 200
        return len(captured)

    make_team(leader=make_user("manager"))
    few = queries()
    for _ in range(10):
        make_team(leader=make_user("manager"))
    many = queries()

    assert many == few


def test_user_list_shows_an_empty_state_when_nothing_matches(admin_client: Client) -> None:
    response = admin_client.get("/accounts/users/?q=nobody-has-this-name")

    assert response.status_code == 200
    assert listed_usernames(response) == []
    assert "Nothing matches these filters." in response.content.decode()


def test_user_list_sorts_by_a_column_and_ignores_unknown_sorts(
    admin_client: Client, make_user: MakeUser
) -> None:
    for name in ("anna", "zoe", "mei"):
        make_user("salesperson", username=name)

    assert listed_usernames(admin_client.get("/accounts/users/?sort=-username")) == [
        "zoe",
        "mei",
        "boss",
        "anna",
    ]
    assert listed_usernames(admin_client.get("/accounts/users/?sort=password")) == [
        "anna",
        "boss",
        "mei",
        "zoe",
    ]


def test_user_list_pages_through_every_user_once_with_cursors(admin_client: Client) -> None:
    # given 60 users besides the administrator, shown 25 per page
    UserFactory.create_batch(60)
    everyone = sorted(User.objects.values_list("username", flat=True))
    assert len(everyone) == 61

    # when we follow the "next" link until there is none
    seen: list[str] = []
    url: str | None = "/accounts/users/?per_page=25"
    pages = 0
    while url is not None:
        response = admin_client.get("/accounts/users/", query_of(url))
        assert response.status_code == 200
        seen += listed_usernames(response)
        url = next_link(response.content.decode())
        pages += 1

    # then each user appeared once, in order, over three pages
    assert pages == 3
    assert seen == everyone


def test_user_list_cursor_pages_keep_the_sort_order(admin_client: Client) -> None:
    UserFactory.create_batch(30)
    everyone = sorted(User.objects.values_list("username", flat=True), reverse=True)

    first = admin_client.get("/accounts/users/", {"sort": "-username", "per_page": "25"})
    link = next_link(first.content.decode())
    assert link is not None
    second = admin_client.get("/accounts/users/", query_of(link))

    assert listed_usernames(first) + listed_usernames(second) == everyone
    assert next_link(second.content.decode()) is None


def test_the_previous_link_walks_back_to_the_same_rows(admin_client: Client) -> None:
    UserFactory.create_batch(55)
    first = admin_client.get("/accounts/users/", {"per_page": "25"})
    second_link = next_link(first.content.decode())
    assert second_link is not None
    second = admin_client.get("/accounts/users/", query_of(second_link))
    third_link = next_link(second.content.decode())
    assert third_link is not None
    third = admin_client.get("/accounts/users/", query_of(third_link))

    back_link = next_link(third.content.decode(), rel="prev")
    assert back_link is not None
    back = admin_client.get("/accounts/users/", query_of(back_link))
    first_link = next_link(back.content.decode(), rel="prev")
    assert first_link is not None
    back_to_first = admin_client.get("/accounts/users/", query_of(first_link))

    assert listed_usernames(back) == listed_usernames(second)
    assert listed_usernames(back_to_first) == listed_usernames(first)
    assert next_link(first.content.decode(), rel="prev") is None


def test_a_tampered_cursor_shows_the_first_page(admin_client: Client, make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")

    response = admin_client.get("/accounts/users/", {"cursor": "not-a-cursor!!"})

    assert response.status_code == 200
    assert listed_usernames(response) == ["boss", "mei"]


def test_administrator_creates_a_user_who_can_then_sign_in(admin_client: Client) -> None:
    team = make_team(name="East")

    response = admin_client.post("/accounts/users/add/", user_form(team=team.pk))

    user = User.objects.get(username="mei")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/users/{user.pk}/"
    assert user.role == Role.objects.get(code="salesperson")
    assert user.team == team
    assert user.is_active
    assert not user.is_staff
    assert ChangeLog.objects.get(object_id=str(user.pk), action="create").actor_name == "boss"
    assert Client().login(username="mei", password=NEW_PASSWORD)


def test_a_user_created_without_password_cannot_sign_in(admin_client: Client) -> None:
    admin_client.post("/accounts/users/add/", user_form(password=""))

    user = User.objects.get(username="mei")
    assert not user.has_usable_password()


def test_user_detail_shows_fields_and_history_but_no_password(admin_client: Client) -> None:
    admin_client.post("/accounts/users/add/", user_form())
    user = User.objects.get(username="mei")

    response = admin_client.get(f"/accounts/users/{user.pk}/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Mei Lin" in content
    assert "History" in content
    assert user.password not in content


def test_a_duplicate_username_is_refused_with_a_form_error(
    admin_client: Client, make_user: MakeUser
) -> None:
    make_user("salesperson", username="mei", display_name="Original")

    response = admin_client.post("/accounts/users/add/", user_form(display_name="Copy"))

    assert response.status_code == 400
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.get(username="mei").display_name == "Original"


def test_a_weak_password_is_refused_and_nothing_is_saved(admin_client: Client) -> None:
    response = admin_client.post("/accounts/users/add/", user_form(password="123"))

    assert response.status_code == 400
    content = response.content.decode()
    assert "This password is too short." in content
    assert not User.objects.filter(username="mei").exists()
    assert not ChangeLog.objects.exists()


def test_administrator_edits_a_user_and_the_change_is_logged(
    admin_client: Client, make_user: MakeUser
) -> None:
    user = make_user("salesperson", username="mei", display_name="Mei", email="mei@example.com")
    auditor = Role.objects.get(code="auditor")

    response = admin_client.post(
        f"/accounts/users/{user.pk}/edit/",
        user_form(display_name="Mei Lin", role=auditor.pk, password=""),
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Mei Lin"
    assert user.role == auditor
    assert user.check_password(PASSWORD)  # an empty password field keeps the password
    entry = ChangeLog.objects.get(object_id=str(user.pk), action="update")
    assert entry.changes == {
        "display_name": ["Mei", "Mei Lin"],
        "role": ["Salesperson", "Auditor"],
    }


def test_administrator_sets_a_new_password_when_editing(
    admin_client: Client, make_user: MakeUser
) -> None:
    user = make_user("salesperson", username="mei")

    admin_client.post(f"/accounts/users/{user.pk}/edit/", user_form(password=NEW_PASSWORD))

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_edit_form_shows_the_current_values(admin_client: Client, make_user: MakeUser) -> None:
    user = make_user("salesperson", username="mei", display_name="Mei Lin")

    response = admin_client.get(f"/accounts/users/{user.pk}/edit/")

    assert response.status_code == 200
    assert 'value="Mei Lin"' in response.content.decode()


def test_an_administrator_cannot_disable_themselves_through_the_form(
    admin_client: Client, admin_user: User
) -> None:
    # Regression: the service's refusal escaped the view as a server error (500).
    response = admin_client.post(
        f"/accounts/users/{admin_user.pk}/edit/",
        user_form(username="boss", role=admin_user.role_id, is_active="", password=""),
    )

    assert response.status_code == 400
    assert "You cannot disable your own account." in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_administrator_deletes_a_user(admin_client: Client, make_user: MakeUser) -> None:
    user = make_user("salesperson", username="mei")

    confirm = admin_client.get(f"/accounts/users/{user.pk}/delete/")
    response = admin_client.post(f"/accounts/users/{user.pk}/delete/")

    assert confirm.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == "/accounts/users/"
    assert not User.objects.filter(username="mei").exists()
    assert ChangeLog.objects.filter(object_id=str(user.pk), action="delete").exists()


def test_an_administrator_cannot_delete_themselves(admin_client: Client, admin_user: User) -> None:
    response = admin_client.post(f"/accounts/users/{admin_user.pk}/delete/", follow=True)

    assert User.objects.filter(pk=admin_user.pk).exists()
    assert "You cannot delete your own account." in response.content.decode()


def test_users_can_be_exported_as_csv(admin_client: Client, make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")

    response = admin_client.get("/accounts/users/", {"export": "csv", "q": "mei"})

    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert b"mei" in body
    assert b"boss" not in body


# --- Teams ------------------------------------------------------------------------------------


def test_administrator_creates_a_team_with_members(
    admin_client: Client, make_user: MakeUser
) -> None:
    leader = make_user("manager", username="lead")
    mei = make_user("salesperson", username="mei")

    response = admin_client.post(
        "/accounts/teams/add/",
        {
            "name": "East",
            "description": "Shanghai",
            "leader": leader.pk,
            "members": [leader.pk, mei.pk],
        },
    )

    team = Team.objects.get(name="East")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/teams/{team.pk}/"
    assert team.leader == leader
    assert set(team.members.all()) == {leader, mei}
    detail = admin_client.get(f"/accounts/teams/{team.pk}/").content.decode()
    assert mei.get_absolute_url() in detail


def test_administrator_changes_team_members(admin_client: Client, make_user: MakeUser) -> None:
    team = make_team(name="East")
    stays = make_user("salesperson", username="stays", team=team)
    leaves = make_user("salesperson", username="leaves", team=team)
    joins = make_user("salesperson", username="joins")

    edit_page = admin_client.get(f"/accounts/teams/{team.pk}/edit/")
    response = admin_client.post(
        f"/accounts/teams/{team.pk}/edit/",
        {"name": "East", "description": "", "leader": "", "members": [stays.pk, joins.pk]},
    )

    assert edit_page.status_code == 200
    assert response.status_code == 302
    assert set(team.members.all()) == {stays, joins}
    leaves.refresh_from_db()
    assert leaves.team is None


def test_team_list_shows_member_counts_and_filters_by_name(
    admin_client: Client, make_user: MakeUser
) -> None:
    east = make_team(name="East")
    make_team(name="West")
    make_user("salesperson", team=east)
    make_user("salesperson", team=east)

    response = admin_client.get("/accounts/teams/", {"q": "eas"})

    rows = response.context["page"].rows
    assert [team.name for team in rows] == ["East"]
    assert rows[0].member_count == 2


def test_a_duplicate_team_name_is_refused(admin_client: Client) -> None:
    make_team(name="East")

    response = admin_client.post("/accounts/teams/add/", {"name": "East"})

    assert response.status_code == 400
    assert Team.objects.filter(name="East").count() == 1


def test_administrator_deletes_a_team_and_members_stay(
    admin_client: Client, make_user: MakeUser
) -> None:
    team = make_team(name="East")
    member = make_user("salesperson", team=team)

    response = admin_client.post(f"/accounts/teams/{team.pk}/delete/")

    assert response.status_code == 302
    assert not Team.objects.filter(name="East").exists()
    member.refresh_from_db()
    assert member.team is None


# --- Roles ------------------------------------------------------------------------------------


def permission_pk(name: str) -> int:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename).pk


def role_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "code": "helpdesk",
        "name": "Helpdesk",
        "description": "Answers the phone",
        "record_scope": "team",
        "permissions": [permission_pk("accounts.view_user"), permission_pk("accounts.view_team")],
    }
    data.update(overrides)
    return data


def test_administrator_creates_a_role_with_permissions(admin_client: Client) -> None:
    response = admin_client.post("/accounts/roles/add/", role_form())

    role = Role.objects.get(code="helpdesk")
    assert response.status_code == 302
    assert role.record_scope == "team"
    assert not role.is_admin
    assert set(role.permissions.values_list("codename", flat=True)) == {"view_user", "view_team"}
    detail = admin_client.get(f"/accounts/roles/{role.pk}/").content.decode()
    assert "Can view user" in detail


def test_holders_of_a_new_role_get_its_permissions(
    admin_client: Client, make_user: MakeUser
) -> None:
    admin_client.post("/accounts/roles/add/", role_form())

    helper = make_user("helpdesk")

    assert signed_in(helper).get("/accounts/users/").status_code == 200


def test_administrator_edits_a_role_and_removes_permissions(admin_client: Client) -> None:
    auditor = Role.objects.get(code="auditor")

    response = admin_client.post(
        f"/accounts/roles/{auditor.pk}/edit/",
        role_form(
            code="auditor", name="Auditor", permissions=[permission_pk("accounts.view_user")]
        ),
    )

    assert response.status_code == 302
    assert list(auditor.permissions.values_list("codename", flat=True)) == ["view_user"]
    entry = ChangeLog.objects.get(object_id=str(auditor.pk), action="update")
    assert entry.changes["permissions"][1] == ["view_user"]


def test_role_list_shows_how_many_users_hold_each_role(
    admin_client: Client, make_user: MakeUser
) -> None:
    make_user("auditor")
    make_user("auditor")

    response = admin_client.get("/accounts/roles/")

    counts = {role.code: role.user_count for role in response.context["page"].rows}
    assert counts["auditor"] == 2
    assert counts["administrator"] == 1


def test_a_role_editor_cannot_grant_a_permission_they_do_not_hold(
    make_user: MakeUser,
) -> None:
    # given a non-administrator who may add roles but cannot delete users
    editor_role = Role.objects.create(code="role-editor", name="Role editor")
    editor_role.permissions.set(
        [permission_pk("accounts.view_role"), permission_pk("accounts.add_role")]
    )
    client = signed_in(make_user("role-editor"))

    # when they try to create a role that may delete users
    response = client.post(
        "/accounts/roles/add/",
        role_form(code="escalated", permissions=[permission_pk("accounts.delete_user")]),
    )

    # then the form is shown again with the reason, and no role exists
    assert response.status_code == 400
    assert "You cannot grant a permission you do not hold" in response.content.decode()
    assert not Role.objects.filter(code="escalated").exists()


def test_a_role_editor_cannot_create_an_administrator_role(make_user: MakeUser) -> None:
    editor_role = Role.objects.create(code="role-editor", name="Role editor")
    editor_role.permissions.set([permission_pk("accounts.add_role")])
    client = signed_in(make_user("role-editor"))

    response = client.post("/accounts/roles/add/", role_form(is_admin="on", permissions=[]))

    assert response.status_code == 400
    assert "Only an administrator can create administrator roles." in response.content.decode()
    assert not Role.objects.filter(code="helpdesk").exists()


def test_a_role_still_held_cannot_be_deleted(admin_client: Client, make_user: MakeUser) -> None:
    make_user("auditor")
    auditor = Role.objects.get(code="auditor")

    response = admin_client.post(f"/accounts/roles/{auditor.pk}/delete/", follow=True)

    assert Role.objects.filter(pk=auditor.pk).exists()
    assert "This role is still held by users" in response.content.decode()


def test_administrator_deletes_an_unused_role(admin_client: Client) -> None:
    analyst = Role.objects.get(code="analyst")

    response = admin_client.post(f"/accounts/roles/{analyst.pk}/delete/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/roles/"
    assert not Role.objects.filter(code="analyst").exists()


# --- Profile and tokens -----------------------------------------------------------------------


def test_a_user_edits_their_own_display_name_and_language(make_user: MakeUser) -> None:
    user = make_user("salesperson", username="mei", display_name="Mei")
    client = signed_in(user)

    response = client.post(
        "/accounts/profile/",
        {"display_name": "Mei Lin", "email": "mei@example.com", "phone": "", "language": "en"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    user.refresh_from_db()
    assert user.display_name == "Mei Lin"
    assert user.language == "en"
    assert ChangeLog.objects.get(object_id=str(user.pk)).actor == user


def test_the_profile_form_cannot_change_role_or_staff(make_user: MakeUser) -> None:
    user = make_user("salesperson", username="mei")
    client = signed_in(user)

    client.post(
        "/accounts/profile/",
        {
            "display_name": "Mei",
            "email": "",
            "phone": "",
            "language": "",
            "role": Role.objects.get(code="administrator").pk,
            "is_staff": "on",
            "is_superuser": "on",
        },
    )

    user.refresh_from_db()
    assert user.role == Role.objects.get(code="salesperson")
    assert not user.is_staff
    assert not user.is_superuser


def test_a_new_token_key_is_shown_once_on_the_profile_page(make_user: MakeUser) -> None:
    client = signed_in(make_user("salesperson"))

    response = client.post("/accounts/profile/tokens/", {"name": "ERP sync"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"

    first = client.get("/accounts/profile/").content.decode()
    match = re.search(r'id="new-token">(hk_[^<]+)<', first)
    assert match is not None
    key = match.group(1)
    token = ApiToken.objects.get(name="ERP sync")
    assert token.digest == hash_token(key)

    again = client.get("/accounts/profile/").content.decode()
    assert key not in again
    assert 'id="new-token"' not in again
    assert "ERP sync" in again  # still listed, by name and prefix only


def test_a_token_without_a_name_is_not_created(make_user: MakeUser) -> None:
    client = signed_in(make_user("salesperson"))

    response = client.post("/accounts/profile/tokens/", {"name": ""}, follow=True)

    assert not ApiToken.objects.exists()
    assert "give it a name" in response.content.decode()


def test_a_user_revokes_their_token(make_user: MakeUser) -> None:
    user = make_user("salesperson")
    token, _key = services.issue_token(user, actor=user, name="old")
    client = signed_in(user)

    response = client.post(f"/accounts/profile/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "old" not in client.get("/accounts/profile/").context["tokens"].values_list(
        "name", flat=True
    )


def test_a_user_cannot_revoke_someone_elses_token(make_user: MakeUser) -> None:
    owner = make_user("salesperson")
    token, _key = services.issue_token(owner, actor=owner, name="theirs")
    client = signed_in(make_user("salesperson"))

    response = client.post(f"/accounts/profile/tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_pages_refuse_get(make_user: MakeUser) -> None:
    client = signed_in(make_user("salesperson"))

    assert client.get("/accounts/profile/tokens/").status_code == 405


# --- Language -------------------------------------------------------------------------------


def test_switching_language_saves_it_on_the_user_and_in_a_cookie(make_user: MakeUser) -> None:
    user = make_user("salesperson", username="mei")
    client = signed_in(user)

    response = client.post("/accounts/language/", {"language": "zh-hans", "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "zh-hans"
    user.refresh_from_db()
    assert user.language == "zh-hans"
    assert '<html lang="zh-hans">' in client.get("/").content.decode()


def test_the_saved_language_follows_the_user_to_a_new_browser(make_user: MakeUser) -> None:
    user = make_user("salesperson", username="mei")
    signed_in(user).post("/accounts/language/", {"language": "zh-hans", "next": "/"})

    fresh_browser = signed_in(User.objects.get(pk=user.pk))

    assert '<html lang="zh-hans">' in fresh_browser.get("/").content.decode()


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/", "//evil.example/", "http://evil.example/path"]
)
def test_switching_language_never_redirects_off_site(make_user: MakeUser, unsafe: str) -> None:
    client = signed_in(make_user("salesperson"))

    response = client.post("/accounts/language/", {"language": "en", "next": unsafe})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_switching_language_returns_to_a_local_page(make_user: MakeUser) -> None:
    client = signed_in(make_user("salesperson"))

    response = client.post("/accounts/language/", {"language": "en", "next": "/accounts/profile/"})

    assert response["Location"] == "/accounts/profile/"


def test_an_unknown_language_changes_nothing(make_user: MakeUser) -> None:
    user = make_user("salesperson", language="en")
    client = signed_in(user)

    response = client.post("/accounts/language/", {"language": "klingon", "next": "/"})

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    user.refresh_from_db()
    assert user.language == "en"


def test_an_anonymous_visitor_can_switch_the_sign_in_page_language(client: Client) -> None:
    client.post("/accounts/language/", {"language": "zh-hans", "next": "/accounts/login/"})

    response = client.get("/accounts/login/")

    assert '<html lang="zh-hans">' in response.content.decode()


def test_switching_language_requires_post(client: Client) -> None:
    assert client.get("/accounts/language/").status_code == 405


# --- Passwords ------------------------------------------------------------------------------


def reset_link(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://testserver(/accounts/password/reset/[^\s]+/)", str(message.body))
    assert match is not None, message.body
    return match.group(1)


def test_password_reset_mails_a_link_that_sets_a_new_password(
    client: Client, make_user: MakeUser
) -> None:
    make_user("salesperson", username="mei", email="mei@example.com")

    # when Mei asks for a reset
    response = client.post("/accounts/password/reset/", {"email": "mei@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["mei@example.com"]

    # and follows the link in the mail to choose a new password
    form_page = client.get(reset_link(mail.outbox[0]), follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    # then the new password works and the old one does not
    assert done.status_code == 302
    assert done["Location"] == "/accounts/password/reset/done/"
    assert Client().login(username="mei", password=NEW_PASSWORD)
    assert not Client().login(username="mei", password=PASSWORD)


def test_a_reset_link_works_only_once(client: Client, make_user: MakeUser) -> None:
    make_user("salesperson", username="mei", email="mei@example.com")
    client.post("/accounts/password/reset/", {"email": "mei@example.com"})
    link = reset_link(mail.outbox[0])
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    reused = Client().get(link, follow=True)

    assert "new_password1" not in reused.content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_looks_the_same(
    client: Client, make_user: MakeUser
) -> None:
    make_user("salesperson", email="mei@example.com")

    known = client.post("/accounts/password/reset/", {"email": "mei@example.com"}, follow=True)
    mail.outbox.clear()
    unknown = client.post("/accounts/password/reset/", {"email": "who@example.com"}, follow=True)

    assert mail.outbox == []
    assert unknown.redirect_chain == known.redirect_chain
    assert unknown.status_code == known.status_code == 200
    assert "Check your e-mail" in unknown.content.decode()


def test_password_change_requires_the_old_password(make_user: MakeUser) -> None:
    client = signed_in(make_user("salesperson", username="mei"))

    page = client.get("/accounts/password/change/")
    wrong = client.post(
        "/accounts/password/change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    right = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert page.status_code == 200
    assert wrong.status_code == 200
    assert right.status_code == 302
    assert right["Location"] == "/accounts/profile/"
    # still signed in after the change, and the new password is the one that works
    assert client.get("/accounts/profile/").status_code == 200
    assert Client().login(username="mei", password=NEW_PASSWORD)


def test_sign_in_and_sign_out(client: Client, make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")

    signed = client.post(
        "/accounts/login/", {"username": "mei", "password": PASSWORD, "next": "/accounts/profile/"}
    )
    assert signed.status_code == 302
    assert signed["Location"] == "/accounts/profile/"

    out = client.post("/accounts/logout/")
    assert out["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_sign_in_never_redirects_off_site(client: Client, make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")

    response = client.post(
        "/accounts/login/",
        {"username": "mei", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
