"""The customer-nature list: shipped entries, edited by administrators, used as a filter."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from huike.accounts.models import User
from huike.core.models import ChangeLog
from huike.parties import services
from huike.parties.models import CustomerNature

pytestmark = pytest.mark.django_db


def test_huike_ships_the_common_customer_natures_in_both_languages() -> None:
    wholesaler = CustomerNature.objects.get(code="wholesaler")
    assert (wholesaler.name_zh, wholesaler.name_en) == ("批发商", "Wholesaler")
    assert (
        CustomerNature.objects.filter(code__in=["retailer", "agent", "chain", "end_user"]).count()
        == 4
    )


def test_an_administrator_adds_a_nature_and_customers_are_filtered_by_it(
    client: Client, admin_user: User
) -> None:
    client.force_login(admin_user)

    response = client.post(
        "/customers/natures/add/",
        {
            "code": "franchisee",
            "name_zh": "加盟商",
            "name_en": "Franchisee",
            "order": 90,
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    franchisee = CustomerNature.objects.get(code="franchisee")
    assert ChangeLog.objects.filter(object_id=str(franchisee.pk), action="create").exists()
    party = services.create_party(
        actor=admin_user, kind="organization", name="甲加盟店", nature=franchisee
    )
    services.create_party(actor=admin_user, kind="organization", name="乙批发行")
    listed = client.get("/customers/", {"nature": "franchisee"})
    assert party.name in listed.content.decode() and "乙批发行" not in listed.content.decode()


def test_a_salesperson_cannot_edit_the_nature_list(
    client: Client, make_user: Callable[..., User]
) -> None:
    client.force_login(make_user("salesperson"))

    assert client.get("/customers/natures/").status_code == 403
    assert client.post("/customers/natures/add/", {"code": "x"}).status_code == 403
