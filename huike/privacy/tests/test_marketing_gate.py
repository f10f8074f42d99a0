"""Done when: marketing cannot select a customer who withdrew consent.

The customer list and ``/api/v1/parties/`` narrow to consenting customers with ``?consent=``,
through ``selectors.consenting()``; a withdrawal takes effect in both at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from huike.accounts.models import User
from huike.parties.models import Party
from huike.parties.tests.factories import person
from huike.privacy.tests.factories import allow, grant, withdraw

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


@pytest.fixture
def marketer(make_user: MakeUser) -> User:
    return allow(make_user("marketer"), "privacy.view_consentrecord", "privacy.view_purpose")


@pytest.fixture
def audience() -> dict[str, Party]:
    zhang, li, wang, zhao = person("张三"), person("李四"), person("王五"), person("赵六")
    grant(zhang, "marketing", days_ago=30)
    grant(li, "marketing", days_ago=30)
    grant(wang, "profiling", days_ago=30)  # consents to something else only
    grant(zhao, "marketing", days_ago=30)
    Party.objects.filter(pk=zhao.pk).update(processing_restricted=True)
    return {"zhang": zhang, "li": li, "wang": wang, "zhao": zhao}


def listed(client: Client, **query: str) -> set[str]:
    response = client.get("/customers/", query)
    assert response.status_code == 200
    return {party.name for party in response.context["page"].rows}


def api_listed(client: APIClient, **query: str) -> set[str]:
    response = client.get("/api/v1/parties/", query)
    assert response.status_code == 200, response.json()
    return {row["name"] for row in response.json()["results"]}


def test_the_customer_list_selects_only_consenting_customers(
    client: Client, marketer: User, audience: dict[str, Party]
) -> None:
    client.force_login(marketer)

    assert listed(client, consent="marketing") == {"张三", "李四"}

    # When 李四 withdraws
    withdraw(audience["li"], "marketing")

    # Then marketing can no longer select them
    assert listed(client, consent="marketing") == {"张三"}
    assert listed(client) == {"张三", "李四", "王五", "赵六"}


def test_the_customer_export_follows_the_consent_filter(
    client: Client, marketer: User, audience: dict[str, Party]
) -> None:
    client.force_login(marketer)
    withdraw(audience["li"], "marketing")

    response: Any = client.get("/customers/", {"consent": "marketing", "export": "csv"})

    text = b"".join(response.streaming_content).decode("utf-8")
    assert "张三" in text
    assert "李四" not in text and "赵六" not in text


def test_the_api_list_selects_only_consenting_customers(
    token_client: Callable[[User], APIClient], marketer: User, audience: dict[str, Party]
) -> None:
    api = token_client(marketer)
    assert api_listed(api, consent="marketing") == {"张三", "李四"}

    withdraw(audience["li"], "marketing")
    Party.objects.filter(pk=audience["zhang"].pk).update(erased_at=timezone.now())

    assert api_listed(api, consent="marketing") == set()
    assert api_listed(api, consent="profiling") == {"王五"}


def test_an_unknown_purpose_is_a_validation_error(
    token_client: Callable[[User], APIClient], marketer: User
) -> None:
    response = token_client(marketer).get("/api/v1/parties/", {"consent": "spam"})

    assert response.status_code == 400
    assert "consent" in response.json()["errors"]


def test_the_consent_filter_offers_the_purposes_taking_consent(
    client: Client, marketer: User
) -> None:
    client.force_login(marketer)

    field = client.get("/customers/").context["filter"].form.fields["consent"]

    assert [code for code, _label in field.choices if code] == [
        "marketing",
        "profiling",
        "sharing",
        "sensitive_data",
    ]
