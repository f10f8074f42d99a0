"""Hostile input in every text field: never runs in a browser nor as a spreadsheet formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from huike.accounts.models import User
from huike.parties.models import AttributeDefinition, Party
from huike.parties.tests.factories import person

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'
IMAGE = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example","x")'


def hostile_person(owner: User) -> tuple[Party, list[str]]:
    """A person whose name and every free-text attribute carry a payload."""
    texts = AttributeDefinition.objects.filter(
        is_active=True,
        data_type__in=[AttributeDefinition.DataType.TEXT, AttributeDefinition.DataType.LONG_TEXT],
        validator="",
        applies_to__in=[AttributeDefinition.AppliesTo.BOTH, AttributeDefinition.AppliesTo.PERSON],
    ).exclude(code="name")
    payloads = [SCRIPT, IMAGE, FORMULA]
    values = {d.code: payloads[i % 3] + d.code for i, d in enumerate(texts)}
    party = person(SCRIPT, owner=owner, attributes=values, notes=IMAGE)
    return party, list(values)


def body(response: Any) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8")
    return str(response.content.decode())


def test_payloads_are_escaped_on_every_page(client: Client, admin_user: User) -> None:
    party, codes = hostile_person(admin_user)
    assert len(codes) > 10  # the template has many free-text fields
    client.force_login(admin_user)
    pages = [
        party.get_absolute_url(),
        f"{party.get_absolute_url()}edit/",
        "/customers/",
        "/search/?q=%3Cscript",
        f"/customers/{party.pk}/lineage/{codes[0]}/",
    ]
    for url in pages:
        html = body(client.get(url))
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
    assert "&lt;script&gt;alert" in body(client.get(party.get_absolute_url()))


def test_payloads_never_become_formulas_in_exports(client: Client, admin_user: User) -> None:
    hostile_person(admin_user)
    client.force_login(admin_user)
    text = body(client.get("/customers/?export=csv"))[1:]
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_the_api_returns_payloads_as_inert_json(
    admin_user: User, token_client: Callable[[User], Any]
) -> None:
    party, codes = hostile_person(admin_user)
    response = token_client(admin_user).get(f"/api/v1/parties/{party.pk}/")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["name"] == SCRIPT  # stored as given, returned as data
    assert response.json()["attributes"][codes[0]].endswith(codes[0])
