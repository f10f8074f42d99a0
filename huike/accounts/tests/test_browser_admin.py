"""An administrator manages people in the web UI; a user creates a token and calls the API."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from rest_framework.test import APIClient

from huike.accounts.models import User
from huike.accounts.tests.test_browser_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_administrator_adds_a_salesperson_who_can_then_sign_in(
    page: Page, live_server: object, make_user: Callable[..., User]
) -> None:
    make_user("administrator", username="root", display_name="Root")
    base = str(live_server)
    sign_in(page, base, "root")

    # when the administrator opens Users and adds a colleague with a role
    page.get_by_role("button", name="Administration").click()
    page.locator(".dropdown-menu").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    page.get_by_role("link", name="Add user").click()
    page.get_by_label("Username").fill("xiaoming")
    page.get_by_label("Display name").fill("王小明")
    page.get_by_label("Role").select_option(label="Salesperson")
    page.locator("#id_password").fill("Spring-Tea-2026!")
    page.get_by_role("button", name="Save").click()

    # then the new user's page shows the role, and the list finds him by name
    expect(page.get_by_role("heading", name="王小明")).to_be_visible()
    expect(page.get_by_text("Salesperson").first).to_be_visible()
    page.goto(base + "/accounts/users/?q=xiao")
    expect(page.get_by_role("link", name="xiaoming")).to_be_visible()

    # and the new salesperson can sign in, but cannot open the user administration
    page.locator("#user-menu").click()
    page.locator("#logout").click()
    sign_in(page, base, "xiaoming", "Spring-Tea-2026!")
    expect(page.get_by_role("heading", name="Welcome, 王小明")).to_be_visible()
    response = page.goto(base + "/accounts/users/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Access denied")).to_be_visible()


def test_a_user_creates_an_api_token_and_calls_the_api_with_it(
    page: Page, live_server: object, make_user: Callable[..., User]
) -> None:
    make_user("analyst", username="ana")
    base = str(live_server)
    sign_in(page, base, "ana")

    page.locator("#user-menu").click()
    page.locator(".dropdown-menu").get_by_role("link", name="Profile and API tokens").click()
    page.get_by_label("Name", exact=True).fill("reporting script")
    page.locator("#create-token").click()
    key = page.locator("#new-token").inner_text().strip()
    assert re.fullmatch(r"hk_[\w-]{40,}", key)

    # the key works against the API, and is never shown again
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + key)
    me = client.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["username"] == "ana"
    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.get_by_role("cell", name="reporting script")).to_be_visible()


def test_api_docs_render_offline(
    page: Page, live_server: object, make_user: Callable[..., User]
) -> None:
    make_user("analyst", username="dev")
    base = str(live_server)
    sign_in(page, base, "dev")
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(base) and not request.url.startswith("data:")
            else None
        ),
    )
    page.goto(base + "/api/v1/docs/")
    expect(page.get_by_text("Huike API").first).to_be_visible()
    expect(page.locator(".opblock-tag").first).to_be_visible()
    assert outside == []
