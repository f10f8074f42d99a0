"""Record scopes: territory ("region") scope through the real customer pages and API, how
territories are assigned to users, and that nobody grants a scope or a role beyond their own."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from huike.accounts import services
from huike.accounts.models import Role, User
from huike.accounts.roles import READ_CUSTOMERS
from huike.accounts.tests.factories import TeamFactory
from huike.core.models import ChangeLog
from huike.parties.models import Party, PartyShare, Region
from huike.parties.tests.factories import person

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
TokenClient = Callable[[User], APIClient]
ZHEJIANG, HANGZHOU, XIHU, NINGBO, BEIJING = "330000", "330100", "330106", "330200", "110000"


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def regional_role() -> Role:
    """Reads customers in the holder's territories."""
    role = Role.objects.create(code="regional", name="Regional reader", record_scope="region")
    role.permissions.set([permission(name) for name in READ_CUSTOMERS])
    return role


@pytest.fixture
def zhejiang_reader(make_user: MakeUser, regional_role: Role) -> User:
    user = make_user("regional", username="zhe")
    user.territories.set([region(ZHEJIANG)])
    return user


@pytest.fixture
def customers(admin_user: User) -> dict[str, Party]:
    """One customer in Hangzhou (West Lake district), one in Ningbo, one in Beijing, one
    without a region."""
    return {
        "hangzhou": person("杭州客户", actor=admin_user, region=region(XIHU)),
        "ningbo": person("宁波客户", actor=admin_user, region=region(NINGBO)),
        "beijing": person("北京客户", actor=admin_user, region=region("110101")),
        "nowhere": person("无地区客户", actor=admin_user),
    }


def listed(client: Client) -> set[str]:
    response = client.get("/customers/")
    assert response.status_code == 200
    return {party.name for party in response.context["page"].rows}


def api_listed(client: APIClient) -> set[str]:
    response = client.get("/api/v1/parties/")
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


# --- Territory scope --------------------------------------------------------------------------


def test_territory_scope_lists_customers_inside_the_territory_and_not_beyond(
    zhejiang_reader: User, customers: dict[str, Party]
) -> None:
    assert listed(signed_in(zhejiang_reader)) == {"杭州客户", "宁波客户"}


def test_territory_scope_answers_the_same_through_the_api(
    zhejiang_reader: User, customers: dict[str, Party], token_client: TokenClient
) -> None:
    assert api_listed(token_client(zhejiang_reader)) == {"杭州客户", "宁波客户"}


def test_a_customer_outside_the_territory_is_not_found_on_the_page_or_the_api(
    zhejiang_reader: User, customers: dict[str, Party], token_client: TokenClient
) -> None:
    hangzhou, beijing = customers["hangzhou"], customers["beijing"]
    client, api = signed_in(zhejiang_reader), token_client(zhejiang_reader)

    assert client.get(f"/customers/{hangzhou.pk}/").status_code == 200
    assert client.get(f"/customers/{beijing.pk}/").status_code == 404
    assert api.get(f"/api/v1/parties/{hangzhou.pk}/").status_code == 200
    assert api.get(f"/api/v1/parties/{beijing.pk}/").status_code == 404


def test_a_city_territory_reaches_its_districts_but_not_the_rest_of_the_province(
    zhejiang_reader: User, customers: dict[str, Party]
) -> None:
    zhejiang_reader.territories.set([region(HANGZHOU)])

    assert listed(signed_in(zhejiang_reader)) == {"杭州客户"}


def test_several_territories_add_up(zhejiang_reader: User, customers: dict[str, Party]) -> None:
    zhejiang_reader.territories.set([region(HANGZHOU), region(BEIJING)])

    assert listed(signed_in(zhejiang_reader)) == {"杭州客户", "北京客户"}


def test_territory_scope_also_reaches_own_customers_outside_the_territory(
    zhejiang_reader: User, customers: dict[str, Party], admin_user: User
) -> None:
    person("自己的北京客户", actor=admin_user, owner=zhejiang_reader, region=region("110105"))

    assert "自己的北京客户" in listed(signed_in(zhejiang_reader))


def test_territory_scope_without_territories_sees_only_own_and_shared_customers(
    make_user: MakeUser,
    regional_role: Role,
    customers: dict[str, Party],
    admin_user: User,
    token_client: TokenClient,
) -> None:
    # given a territory-scoped user who was given no territory
    user = make_user("regional")
    person("自己的客户", actor=admin_user, owner=user, region=region(XIHU))
    PartyShare.objects.create(party=customers["beijing"], user=user, granted_by=admin_user)

    # then only their own customer and the one shared with them are reached
    assert listed(signed_in(user)) == {"自己的客户", "北京客户"}
    assert api_listed(token_client(user)) == {"自己的客户", "北京客户"}


def test_a_disabled_user_with_territories_sees_nothing(
    zhejiang_reader: User, customers: dict[str, Party]
) -> None:
    zhejiang_reader.is_active = False
    zhejiang_reader.save()

    assert not Party.objects.visible_to(zhejiang_reader).exists()


# --- Assigning territories --------------------------------------------------------------------


@pytest.fixture
def zhejiang_manager(make_user: MakeUser) -> User:
    """A non-administrator who may add and change users, with the Zhejiang territory."""
    role = Role.objects.create(code="people-lead", name="People lead", record_scope="region")
    role.permissions.set(
        [
            permission("accounts.view_user"),
            permission("accounts.add_user"),
            permission("accounts.change_user"),
        ]
    )
    user = make_user("people-lead", username="lead")
    user.territories.set([region(ZHEJIANG)])
    return user


def test_an_administrator_assigns_territories_and_the_change_is_logged(
    admin_user: User, make_user: MakeUser
) -> None:
    mei = make_user("salesperson")

    services.update_user(mei, actor=admin_user, territories=[region(BEIJING), region(XIHU)])

    assert set(mei.territories.values_list("code", flat=True)) == {BEIJING, XIHU}
    entry = ChangeLog.objects.get(object_id=str(mei.pk), action="update")
    assert entry.changes == {"territories": [[], [BEIJING, XIHU]]}


def test_a_non_administrator_assigns_territories_inside_their_own(
    zhejiang_manager: User, make_user: MakeUser
) -> None:
    mei = make_user("salesperson")

    services.update_user(mei, actor=zhejiang_manager, territories=[region(HANGZHOU)])

    assert list(mei.territories.values_list("code", flat=True)) == [HANGZHOU]


def test_a_non_administrator_cannot_assign_territories_outside_their_own(
    zhejiang_manager: User, make_user: MakeUser
) -> None:
    mei = make_user("salesperson")

    with pytest.raises(ValidationError) as error:
        services.update_user(
            mei, actor=zhejiang_manager, territories=[region(HANGZHOU), region(BEIJING)]
        )

    assert list(error.value.message_dict) == ["territories"]
    assert "inside your own" in error.value.message_dict["territories"][0]
    assert not mei.territories.exists()


def test_territories_outside_the_editors_own_that_a_user_already_has_may_stay(
    zhejiang_manager: User, make_user: MakeUser
) -> None:
    mei = make_user("salesperson")
    mei.territories.set([region(BEIJING)])

    services.update_user(mei, actor=zhejiang_manager, territories=[region(BEIJING), region(NINGBO)])

    assert set(mei.territories.values_list("code", flat=True)) == {BEIJING, NINGBO}


def test_without_the_right_to_change_users_nobody_assigns_territories(
    zhejiang_manager: User, make_user: MakeUser
) -> None:
    Role.objects.get(code="people-lead").permissions.remove(permission("accounts.change_user"))
    lead = User.objects.get(pk=zhejiang_manager.pk)

    with pytest.raises(ValidationError, match="right to change users"):
        services.create_user(actor=lead, username="newbie", territories=[region(HANGZHOU)])

    assert not User.objects.filter(username="newbie").exists()


def test_the_user_form_saves_territories_picked_by_code(admin_user: User) -> None:
    client = signed_in(admin_user)

    response = client.post(
        "/accounts/users/add/",
        {
            "username": "mei",
            "role": Role.objects.get(code="salesperson").pk,
            "is_active": "on",
            "territories": [ZHEJIANG, BEIJING],
        },
    )

    assert response.status_code == 302, response.content.decode()
    mei = User.objects.get(username="mei")
    assert set(mei.territories.values_list("code", flat=True)) == {ZHEJIANG, BEIJING}
    # the edit form shows them ticked, with a search box for more
    page = client.get(f"/accounts/users/{mei.pk}/edit/").content.decode()
    assert f'name="territories" value="{ZHEJIANG}"' in page
    assert "/accounts/users/territories/" in page
    # and the user's page lists them
    detail = client.get(f"/accounts/users/{mei.pk}/").content.decode()
    assert "Zhejiang" in detail or "浙江省" in detail


def test_the_user_form_refuses_a_territory_outside_the_editors_own(
    zhejiang_manager: User, make_user: MakeUser
) -> None:
    mei = make_user("salesperson", username="mei")

    response = signed_in(zhejiang_manager).post(
        f"/accounts/users/{mei.pk}/edit/",
        {
            "username": "mei",
            "email": mei.email,
            "role": mei.role_id,
            "is_active": "on",
            "territories": [BEIJING],
        },
    )

    assert response.status_code == 400
    assert "You can assign only territories inside your own" in response.content.decode()
    assert not mei.territories.exists()


def test_the_territory_search_offers_matching_regions(admin_user: User) -> None:
    response = signed_in(admin_user).get("/accounts/users/territories/", {"q": "杭州"})

    assert response.status_code == 200
    assert f'value="{HANGZHOU}"' in response.content.decode()


def test_the_territory_search_offers_a_non_administrator_only_their_own_territories(
    zhejiang_manager: User,
) -> None:
    client = signed_in(zhejiang_manager)

    inside = client.get("/accounts/users/territories/", {"q": HANGZHOU}).content.decode()
    outside = client.get("/accounts/users/territories/", {"q": BEIJING}).content.decode()

    assert f'value="{HANGZHOU}"' in inside
    assert f'value="{BEIJING}"' not in outside


def test_the_territory_search_is_refused_to_those_who_cannot_change_users(
    make_user: MakeUser,
) -> None:
    response = signed_in(make_user("auditor")).get("/accounts/users/territories/", {"q": "杭州"})

    assert response.status_code == 403


def test_territories_are_read_and_written_by_code_through_the_api(
    token_client: TokenClient, admin_user: User, make_user: MakeUser
) -> None:
    mei = make_user("salesperson")
    api = token_client(admin_user)

    response = api.patch(
        f"/api/v1/users/{mei.pk}/", {"territories": [ZHEJIANG, BEIJING]}, format="json"
    )

    assert response.status_code == 200, response.content
    assert sorted(response.json()["territories"]) == [BEIJING, ZHEJIANG]
    assert set(mei.territories.values_list("code", flat=True)) == {ZHEJIANG, BEIJING}


def test_the_api_refuses_a_territory_outside_the_editors_own(
    token_client: TokenClient, zhejiang_manager: User, make_user: MakeUser
) -> None:
    mei = make_user("salesperson")

    response = token_client(zhejiang_manager).patch(
        f"/api/v1/users/{mei.pk}/", {"territories": [BEIJING]}, format="json"
    )

    assert response.status_code == 400
    assert "territories" in response.json()["errors"]
    assert not mei.territories.exists()


# --- Record scope and roles: grant only what you hold ----------------------------------------


@pytest.fixture
def team_editor(make_user: MakeUser) -> User:
    """A non-administrator with team scope who may change roles and users."""
    role = Role.objects.create(code="team-editor", name="Team editor", record_scope="team")
    role.permissions.set(
        [
            permission("accounts.view_role"),
            permission("accounts.add_role"),
            permission("accounts.change_role"),
            permission("accounts.view_user"),
            permission("accounts.change_user"),
            *[permission(name) for name in READ_CUSTOMERS],
        ]
    )
    return make_user("team-editor", team=TeamFactory.create())


@pytest.mark.parametrize("scope", ["own", "team", "region"])
def test_a_team_scoped_editor_may_give_scopes_as_broad_as_a_team(
    team_editor: User, scope: str
) -> None:
    role = services.save_role(
        Role(), actor=team_editor, code="r-" + scope, name=scope, record_scope=scope
    )

    assert role.record_scope == scope


def test_a_team_scoped_editor_cannot_give_all_records(team_editor: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.save_role(Role(), actor=team_editor, code="wide", name="Wide", record_scope="all")

    assert error.value.message_dict == {
        "record_scope": ["You cannot give a wider record scope than your own (Team's records)."]
    }


def test_an_own_scoped_editor_cannot_widen_an_existing_role(make_user: MakeUser) -> None:
    role = Role.objects.create(code="own-editor", name="Own editor", record_scope="own")
    role.permissions.set([permission("accounts.change_role")])
    editor = make_user("own-editor")
    salesperson = Role.objects.get(code="salesperson")

    with pytest.raises(ValidationError, match="wider record scope"):
        services.save_role(salesperson, actor=editor, record_scope="team")

    salesperson.refresh_from_db()
    assert salesperson.record_scope == "own"


def test_a_non_administrator_cannot_give_someone_the_administrator_role(
    team_editor: User, make_user: MakeUser
) -> None:
    mei = make_user("salesperson")

    with pytest.raises(ValidationError, match="administrator role"):
        services.update_user(mei, actor=team_editor, role=Role.objects.get(code="administrator"))

    mei.refresh_from_db()
    assert mei.role == Role.objects.get(code="salesperson")


def test_a_non_administrator_cannot_give_a_role_that_holds_more_than_they_do(
    team_editor: User, make_user: MakeUser
) -> None:
    mei = make_user("analyst")

    # the manager role holds permissions (adding customers…) and a field access the editor lacks
    with pytest.raises(ValidationError) as error:
        services.update_user(mei, actor=team_editor, role=Role.objects.get(code="manager"))

    problems = error.value.message_dict["role"]
    assert any("parties.add_party" in problem for problem in problems)
    mei.refresh_from_db()
    assert mei.role == Role.objects.get(code="analyst")


def test_a_non_administrator_may_give_a_role_within_their_own(
    team_editor: User, make_user: MakeUser
) -> None:
    reader = Role.objects.create(
        code="reader",
        name="Reader",
        record_scope="team",
        personal_access="full",
        sensitive_access="masked",
        edit_personal=False,
    )
    reader.permissions.set([permission("parties.view_party")])
    mei = make_user("analyst")

    services.update_user(mei, actor=team_editor, role=reader)

    mei.refresh_from_db()
    assert mei.role == reader


def test_a_non_administrator_cannot_change_an_administrators_account(
    team_editor: User, admin_user: User
) -> None:
    with pytest.raises(ValidationError, match="account of an administrator"):
        services.update_user(admin_user, actor=team_editor, email="evil@example.com")
    with pytest.raises(ValidationError, match="account of an administrator"):
        services.set_password(admin_user, "a new pass phrase 2024", actor=team_editor)

    admin_user.refresh_from_db()
    assert admin_user.email != "evil@example.com"


def test_a_non_administrator_cannot_set_the_password_of_someone_who_holds_more(
    team_editor: User, make_user: MakeUser
) -> None:
    manager = make_user("manager")  # may add customers, which the editor may not

    with pytest.raises(ValidationError, match="role holds more than yours"):
        services.set_password(manager, "a new pass phrase 2024", actor=team_editor)


def test_a_non_administrator_sets_the_password_of_someone_who_holds_no_more(
    team_editor: User, make_user: MakeUser
) -> None:
    reader = Role.objects.create(code="reader", name="Reader", record_scope="own")
    reader.permissions.set([permission("parties.view_party")])
    colleague = make_user("reader")

    services.set_password(colleague, "a new pass phrase 2024", actor=team_editor)

    colleague.refresh_from_db()
    assert colleague.check_password("a new pass phrase 2024")
