"""Explicit shares: who may share a customer, the panel on the customer page, the API, and that
a shared customer is then reached everywhere (list, search, 360° page, API) until withdrawn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.models import AnonymousUser, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from huike.accounts.models import Role, Team, User
from huike.accounts.tests.factories import TeamFactory
from huike.core.models import ChangeLog
from huike.parties import sharing
from huike.parties.models import Party, PartyShare
from huike.parties.tests.factories import person

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
TokenClient = Callable[[User], APIClient]
SHARES = "/api/v1/shares/"
HTMX = {"HX-Request": "true"}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def panel_url(party: Party) -> str:
    return f"/customers/{party.pk}/shares/"


def delete_url(share: PartyShare) -> str:
    return f"/customers/{share.party_id}/shares/{share.pk}/delete/"


def log_messages(party: Party) -> list[str]:
    return list(
        ChangeLog.objects.filter(object_id=str(party.pk), action="action")
        .order_by("id")
        .values_list("message", flat=True)
    )


@pytest.fixture
def east() -> Team:
    return TeamFactory.create(name="East")


@pytest.fixture
def west() -> Team:
    return TeamFactory.create(name="West")


@pytest.fixture
def mei(make_user: MakeUser, east: Team) -> User:
    """A salesperson in the East team: owns the customer."""
    return make_user("salesperson", username="mei", team=east)


@pytest.fixture
def lei(make_user: MakeUser, east: Team) -> User:
    """The East team's manager."""
    return make_user("manager", username="lei", team=east)


@pytest.fixture
def bo(make_user: MakeUser, west: Team) -> User:
    """A salesperson in the West team, who does not see the customer by scope."""
    return make_user("salesperson", username="bo", team=west)


@pytest.fixture
def customer(mei: User, east: Team) -> Party:
    return person("张三", actor=mei, owner=mei, team=east)


# --- Who may share ----------------------------------------------------------------------------


def test_shipped_roles_hold_the_share_permissions(make_user: MakeUser) -> None:
    manager, salesperson = make_user("manager"), make_user("salesperson")

    assert manager.has_perms(
        ["parties.view_partyshare", "parties.add_partyshare", "parties.delete_partyshare"]
    )
    assert salesperson.has_perm("parties.view_partyshare")
    assert not salesperson.has_perm("parties.add_partyshare")
    assert not salesperson.has_perm("parties.delete_partyshare")


def test_the_owner_shares_a_customer_and_the_change_log_says_so(
    customer: Party, mei: User, bo: User
) -> None:
    share = sharing.share_party(customer, actor=mei, user=bo, note="covers Shanghai in May")

    assert (share.user, share.team, share.granted_by) == (bo, None, mei)
    assert log_messages(customer) == ["shared with user bo: covers Shanghai in May"]


def test_a_manager_of_the_owners_team_may_share_and_withdraw(
    customer: Party, lei: User, west: Team
) -> None:
    share = sharing.share_party(customer, actor=lei, team=west)
    sharing.withdraw_share(share, actor=lei)

    assert not PartyShare.objects.exists()
    assert log_messages(customer) == ["shared with team West", "share withdrawn: team West"]


def test_the_leader_of_the_owners_team_may_share_whatever_their_role(
    customer: Party, east: Team, make_user: MakeUser, bo: User
) -> None:
    leader = make_user("salesperson", username="chief")
    east.leader = leader
    east.save()

    assert sharing.may_manage_shares(leader, customer)
    sharing.share_party(customer, actor=leader, user=bo)


def test_an_administrator_may_share_any_customer(
    customer: Party, admin_user: User, bo: User
) -> None:
    sharing.share_party(customer, actor=admin_user, user=bo)

    assert PartyShare.objects.filter(party=customer, user=bo).exists()


def test_a_colleague_of_the_owner_with_only_their_own_scope_may_not_share(
    customer: Party, make_user: MakeUser, east: Team, bo: User
) -> None:
    colleague = make_user("salesperson", team=east)

    with pytest.raises(PermissionDenied):
        sharing.share_party(customer, actor=colleague, user=bo)
    assert not PartyShare.objects.exists()


def test_a_manager_of_another_team_may_not_share(
    customer: Party, make_user: MakeUser, west: Team, bo: User
) -> None:
    other_manager = make_user("manager", team=west)

    with pytest.raises(PermissionDenied):
        sharing.share_party(customer, actor=other_manager, user=bo)


@pytest.mark.parametrize("target", ["both", "neither"])
def test_a_share_names_exactly_one_user_or_team(
    customer: Party, mei: User, bo: User, west: Team, target: str
) -> None:
    kwargs: dict[str, Any] = {"user": bo, "team": west} if target == "both" else {}

    with pytest.raises(ValidationError, match="either a user or a team"):
        sharing.share_party(customer, actor=mei, **kwargs)


def test_the_same_share_twice_is_refused(customer: Party, mei: User, bo: User) -> None:
    sharing.share_party(customer, actor=mei, user=bo)

    with pytest.raises(ValidationError, match="already shared"):
        sharing.share_party(customer, actor=mei, user=bo)
    assert PartyShare.objects.count() == 1


def test_sharing_with_the_owner_or_a_disabled_user_is_refused(
    customer: Party, lei: User, mei: User, make_user: MakeUser
) -> None:
    with pytest.raises(ValidationError, match="owner already sees"):
        sharing.share_party(customer, actor=lei, user=mei)
    with pytest.raises(ValidationError, match="disabled"):
        sharing.share_party(customer, actor=lei, user=make_user("salesperson", is_active=False))


# --- A shared customer is reached everywhere --------------------------------------------------


def test_a_shared_customer_reaches_the_user_in_list_search_360_and_api(
    customer: Party, mei: User, bo: User, token_client: TokenClient
) -> None:
    client, api = signed_in(bo), token_client(bo)
    # given bo does not reach mei's customer by scope
    assert client.get(f"/customers/{customer.pk}/").status_code == 404
    assert api.get(f"/api/v1/parties/{customer.pk}/").status_code == 404

    # when mei shares it with bo
    share = sharing.share_party(customer, actor=mei, user=bo)

    # then bo reaches it on every path
    assert customer in client.get("/customers/").context["page"].rows
    assert f"/customers/{customer.pk}/" in client.get("/search/", {"q": "张三"}).content.decode()
    assert client.get(f"/customers/{customer.pk}/").status_code == 200
    listed = [row["id"] for row in api.get("/api/v1/parties/").json()["results"]]
    assert listed == [customer.pk]
    assert api.get(f"/api/v1/parties/{customer.pk}/").status_code == 200

    # and no longer once the share is withdrawn
    sharing.withdraw_share(share, actor=mei)
    assert client.get(f"/customers/{customer.pk}/").status_code == 404
    assert api.get("/api/v1/parties/").json()["results"] == []


def test_a_customer_shared_with_a_team_reaches_each_member(
    customer: Party, mei: User, bo: User, west: Team, make_user: MakeUser
) -> None:
    sharing.share_party(customer, actor=mei, team=west)
    other_team = make_user("salesperson", team=TeamFactory.create())

    assert Party.objects.visible_to(bo).filter(pk=customer.pk).exists()
    assert not Party.objects.visible_to(other_team).filter(pk=customer.pk).exists()


# --- The panel on the customer page -----------------------------------------------------------


def test_the_loader_fetches_the_panel_when_the_page_loads(customer: Party, mei: User) -> None:
    html = render_to_string(
        "parties/_shares_loader.html", {"object": customer, "perms": PermWrapper(mei)}
    )

    assert f'hx-get="{panel_url(customer)}"' in html
    assert 'hx-trigger="load"' in html


def test_the_loader_is_empty_for_those_who_may_not_see_shares(customer: Party) -> None:
    html = render_to_string(
        "parties/_shares_loader.html",
        {"object": customer, "perms": PermWrapper(AnonymousUser())},
    )

    assert "hx-get" not in html


def test_the_panel_lists_who_the_customer_is_shared_with(
    customer: Party, mei: User, bo: User, west: Team
) -> None:
    sharing.share_party(customer, actor=mei, user=bo, note="trade fair")
    sharing.share_party(customer, actor=mei, team=west)

    response = signed_in(mei).get(panel_url(customer), headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert str(bo) in content
    assert "trade fair" in content
    assert "Team West" in content
    # the owner, a salesperson, may see shares but not change them
    assert 'id="party-share-form"' not in content
    assert "/delete/" not in content


def test_a_manager_gets_the_form_and_the_withdraw_buttons(
    customer: Party, mei: User, lei: User, bo: User
) -> None:
    sharing.share_party(customer, actor=mei, user=bo)

    content = signed_in(lei).get(panel_url(customer), headers=HTMX).content.decode()

    assert 'id="party-share-form"' in content
    assert 'hx-confirm="' in content
    assert "/delete/" in content


def test_a_manager_shares_from_the_panel(customer: Party, lei: User, bo: User) -> None:
    response = signed_in(lei).post(
        panel_url(customer), {"user": bo.pk, "team": "", "note": "holiday cover"}, headers=HTMX
    )

    assert response.status_code == 200
    assert "holiday cover" in response.content.decode()
    share = PartyShare.objects.get()
    assert (share.user, share.granted_by, share.note) == (bo, lei, "holiday cover")
    assert log_messages(customer) == ["shared with user bo: holiday cover"]


def test_without_htmx_sharing_returns_to_the_customer_page(
    customer: Party, lei: User, west: Team
) -> None:
    response = signed_in(lei).post(panel_url(customer), {"team": west.pk})

    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert PartyShare.objects.filter(team=west).exists()


def test_a_share_without_user_or_team_comes_back_with_the_reason(
    customer: Party, lei: User
) -> None:
    response = signed_in(lei).post(panel_url(customer), {"note": "nobody"}, headers=HTMX)

    assert response.status_code == 200  # htmx swaps only successful answers
    assert "Choose either a user or a team." in response.content.decode()
    assert not PartyShare.objects.exists()


def test_a_manager_withdraws_a_share_from_the_panel(customer: Party, lei: User, bo: User) -> None:
    share = sharing.share_party(customer, actor=lei, user=bo)

    response = signed_in(lei).post(delete_url(share), headers=HTMX)

    assert response.status_code == 200
    assert not PartyShare.objects.exists()
    assert log_messages(customer)[-1] == "share withdrawn: user bo"


def test_a_salesperson_owner_may_not_share_without_the_permission(
    customer: Party, mei: User, bo: User
) -> None:
    response = signed_in(mei).post(panel_url(customer), {"user": bo.pk}, headers=HTMX)

    assert response.status_code == 403
    assert not PartyShare.objects.exists()


def test_a_salesperson_owner_granted_the_permission_may_share(
    customer: Party, mei: User, bo: User
) -> None:
    Role.objects.get(code="salesperson").permissions.add(
        Permission.objects.get(codename="add_partyshare")
    )

    response = signed_in(mei).post(panel_url(customer), {"user": bo.pk}, headers=HTMX)

    assert response.status_code == 200
    assert PartyShare.objects.filter(user=bo).exists()


def test_a_manager_of_another_team_is_refused_even_with_the_permission(
    customer: Party, make_user: MakeUser, west: Team, mei: User, bo: User
) -> None:
    # given a manager who reaches the customer only because it is shared with their team
    other_manager = make_user("manager", team=west)
    share = sharing.share_party(customer, actor=mei, team=west)
    client = signed_in(other_manager)
    assert client.get(panel_url(customer), headers=HTMX).status_code == 200

    # then they may neither share it further nor withdraw the share
    assert client.post(panel_url(customer), {"user": bo.pk}, headers=HTMX).status_code == 403
    assert client.post(delete_url(share), headers=HTMX).status_code == 403
    assert PartyShare.objects.count() == 1


def test_a_customer_out_of_scope_answers_404(customer: Party, make_user: MakeUser) -> None:
    stranger = make_user("manager", team=TeamFactory.create())
    client = signed_in(stranger)

    assert client.get(panel_url(customer), headers=HTMX).status_code == 404
    assert client.post(panel_url(customer), {"note": "x"}, headers=HTMX).status_code == 404


def test_seeing_shares_needs_the_view_permission(customer: Party, make_user: MakeUser) -> None:
    auditor = make_user("auditor")  # reaches all customers, but not their shares

    assert signed_in(auditor).get(panel_url(customer), headers=HTMX).status_code == 403


def test_withdrawing_needs_the_delete_permission(
    customer: Party, lei: User, mei: User, bo: User
) -> None:
    share = sharing.share_party(customer, actor=lei, user=bo)

    assert signed_in(mei).post(delete_url(share), headers=HTMX).status_code == 403
    assert PartyShare.objects.exists()


def test_a_share_of_another_customer_is_not_found_through_this_one(
    customer: Party, lei: User, mei: User, bo: User, east: Team
) -> None:
    other = person("李四", actor=mei, owner=mei, team=east)
    share = sharing.share_party(other, actor=lei, user=bo)

    response = signed_in(lei).post(
        f"/customers/{customer.pk}/shares/{share.pk}/delete/", headers=HTMX
    )

    assert response.status_code == 404
    assert PartyShare.objects.exists()


def test_the_panel_costs_the_same_queries_for_few_and_many_shares(
    customer: Party, lei: User, make_user: MakeUser
) -> None:
    client = signed_in(lei)
    sharing.share_party(customer, actor=lei, user=make_user("salesperson"))
    client.get(panel_url(customer), headers=HTMX)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as few:
        client.get(panel_url(customer), headers=HTMX)
    for _ in range(5):
        sharing.share_party(customer, actor=lei, team=TeamFactory.create())
        sharing.share_party(customer, actor=lei, user=make_user("salesperson"))
    with CaptureQueriesContext(connection) as many:
        client.get(panel_url(customer), headers=HTMX)

    assert len(many) == len(few)


# --- The API ----------------------------------------------------------------------------------


def test_the_api_lists_only_shares_of_customers_the_caller_sees(
    customer: Party, mei: User, bo: User, lei: User, token_client: TokenClient, make_user: MakeUser
) -> None:
    share = sharing.share_party(customer, actor=lei, user=bo, note="fair")
    hidden = person("王五", actor=bo, owner=bo)
    hidden_share = sharing.share_party(hidden, actor=bo, user=make_user("salesperson"))

    rows = token_client(mei).get(SHARES).json()["results"]

    assert [row["id"] for row in rows] == [share.pk]
    assert rows[0] == {
        "id": share.pk,
        "party": customer.pk,
        "user": "bo",
        "team": None,
        "note": "fair",
        "granted_by": "lei",
        "created_at": rows[0]["created_at"],
    }
    assert hidden_share.pk not in [
        row["id"] for row in token_client(lei).get(SHARES).json()["results"]
    ]


def test_the_api_filters_shares_by_customer(
    customer: Party, mei: User, lei: User, bo: User, east: Team, token_client: TokenClient
) -> None:
    other = person("李四", actor=mei, owner=mei, team=east)
    sharing.share_party(customer, actor=lei, user=bo)
    wanted = sharing.share_party(other, actor=lei, user=bo)

    rows = token_client(lei).get(SHARES, {"party": other.pk}).json()["results"]

    assert [row["id"] for row in rows] == [wanted.pk]


def test_a_manager_shares_through_the_api(
    customer: Party, lei: User, west: Team, token_client: TokenClient
) -> None:
    response = token_client(lei).post(
        SHARES, {"party": customer.pk, "team": west.pk, "note": "joint bid"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["granted_by"] == "lei"
    assert PartyShare.objects.get().team == west
    assert log_messages(customer) == ["shared with team West: joint bid"]


def test_the_api_cannot_share_a_customer_the_caller_does_not_see(
    customer: Party, make_user: MakeUser, bo: User, token_client: TokenClient
) -> None:
    stranger = make_user("manager", team=TeamFactory.create())

    response = token_client(stranger).post(
        SHARES, {"party": customer.pk, "user": "bo"}, format="json"
    )

    assert response.status_code == 400
    assert "party" in response.json()["errors"]
    assert not PartyShare.objects.exists()


def test_the_api_refuses_sharing_without_the_permission_or_the_right(
    customer: Party, mei: User, bo: User, make_user: MakeUser, west: Team, token_client: TokenClient
) -> None:
    # the owner, a salesperson, lacks the permission: 403
    response = token_client(mei).post(SHARES, {"party": customer.pk, "user": "bo"}, format="json")
    assert response.status_code == 403
    # a manager who sees the customer through a share holds the permission but not the right
    sharing.share_party(customer, actor=mei, team=west)
    other_manager = make_user("manager", team=west)
    response = token_client(other_manager).post(
        SHARES, {"party": customer.pk, "user": "bo"}, format="json"
    )
    assert response.status_code == 403
    assert not PartyShare.objects.filter(user=bo).exists()


def test_the_api_refuses_a_share_naming_both_a_user_and_a_team(
    customer: Party, lei: User, west: Team, token_client: TokenClient
) -> None:
    response = token_client(lei).post(
        SHARES, {"party": customer.pk, "user": "lei", "team": west.pk}, format="json"
    )

    assert response.status_code == 400
    assert not PartyShare.objects.exists()


def test_a_manager_withdraws_a_share_through_the_api(
    customer: Party, lei: User, bo: User, token_client: TokenClient
) -> None:
    share = sharing.share_party(customer, actor=lei, user=bo)

    response = token_client(lei).delete(f"{SHARES}{share.pk}/")

    assert response.status_code == 204
    assert not PartyShare.objects.exists()
    assert log_messages(customer)[-1] == "share withdrawn: user bo"


def test_a_share_of_an_unseen_customer_answers_404_through_the_api(
    customer: Party, lei: User, bo: User, make_user: MakeUser, token_client: TokenClient
) -> None:
    share = sharing.share_party(customer, actor=lei, user=bo)
    stranger = make_user("manager", team=TeamFactory.create())

    assert token_client(stranger).delete(f"{SHARES}{share.pk}/").status_code == 404
    assert PartyShare.objects.exists()


def test_shares_cannot_be_changed_in_place_through_the_api(
    customer: Party, admin_user: User, bo: User, token_client: TokenClient
) -> None:
    share = sharing.share_party(customer, actor=admin_user, user=bo)

    response = token_client(admin_user).patch(f"{SHARES}{share.pk}/", {"note": "x"}, format="json")

    assert response.status_code == 405


def test_the_share_list_costs_the_same_queries_for_few_and_many_shares(
    customer: Party, lei: User, make_user: MakeUser, token_client: TokenClient
) -> None:
    api = token_client(lei)
    sharing.share_party(customer, actor=lei, user=make_user("salesperson"))
    api.get(SHARES)
    with CaptureQueriesContext(connection) as few:
        api.get(SHARES)
    for _ in range(5):
        sharing.share_party(customer, actor=lei, team=TeamFactory.create())
        sharing.share_party(customer, actor=lei, user=make_user("salesperson"))
    with CaptureQueriesContext(connection) as many:
        api.get(SHARES)

    assert len(many) == len(few)
