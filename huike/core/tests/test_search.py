"""Global search: providers answer for themselves, and never show what a user may not see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from huike.accounts.models import User
from huike.core import search
from huike.core.search import SearchHit, register_search, search_everything


@pytest.fixture
def no_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "_providers", [])


def _hits(count: int) -> Callable[[Any, str], list[SearchHit]]:
    def provider(user: Any, query: str) -> list[SearchHit]:
        return [SearchHit(title=f"{query} {n}", url=f"/x/{n}/") for n in range(count)]

    return provider


@pytest.mark.usefixtures("no_providers")
def test_search_everything_groups_hits_by_provider_and_skips_empty_groups() -> None:
    register_search("Customers", _hits(2))
    register_search("Orders", _hits(0))

    groups = search_everything(None, "wang")

    assert [group.label for group in groups] == ["Customers"]
    assert [hit.title for hit in groups[0].hits] == ["wang 0", "wang 1"]


@pytest.mark.usefixtures("no_providers")
def test_search_everything_caps_each_group() -> None:
    register_search("Customers", _hits(30))

    groups = search_everything(None, "q", limit=10)

    assert len(groups[0].hits) == 10


@pytest.mark.usefixtures("no_providers")
def test_registering_the_same_provider_twice_keeps_one() -> None:
    provider = _hits(1)
    register_search("Customers", provider)
    register_search("Customers", provider)

    assert len(search_everything(None, "q")) == 1


@pytest.mark.django_db
def test_the_search_page_shows_users_to_those_who_may_view_users(
    client: Client, make_user: Callable[..., User]
) -> None:
    make_user("salesperson", username="zhangwei", display_name="张伟")
    client.force_login(make_user("auditor"))

    response = client.get("/search/", {"q": "张伟"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "张伟" in content
    assert [hit.title for group in response.context["groups"] for hit in group.hits] == ["张伟"]


@pytest.mark.django_db
def test_the_search_page_hides_users_from_those_who_may_not_view_users(
    client: Client, make_user: Callable[..., User]
) -> None:
    target = make_user("salesperson", username="zhangwei", display_name="张伟")
    client.force_login(make_user("salesperson", display_name="Li Na"))

    response = client.get("/search/", {"q": "zhangwei"})

    assert response.status_code == 200
    assert response.context["groups"] == []
    assert target.get_absolute_url() not in response.content.decode()


@pytest.mark.django_db
def test_the_search_page_without_a_query_searches_nothing(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)

    response = client.get("/search/", {"q": "   "})

    assert response.status_code == 200
    assert response.context["query"] == ""
    assert response.context["groups"] == []


@pytest.mark.django_db
def test_the_search_page_requires_signing_in(client: Client) -> None:
    response = client.get("/search/", {"q": "boss"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
