"""A person signs in, switches the language, and the choice is remembered."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from huike.accounts.models import User
from huike.accounts.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.locator("#sign-in").click()


def test_sign_in_switch_language_and_sign_out(
    page: Page, live_server: object, make_user: Callable[..., User]
) -> None:
    user = make_user("salesperson", username="mei", display_name="Mei Lin")
    base = str(live_server)

    sign_in(page, base, "mei")
    expect(page.get_by_role("heading", name="Welcome, Mei Lin")).to_be_visible()

    # when she picks Chinese, the page is in Chinese and stays so on the next page
    page.locator("#language-select").select_option("zh-hans")
    expect(page.get_by_role("heading", name="欢迎，Mei Lin")).to_be_visible()
    page.goto(base + "/accounts/profile/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    user.refresh_from_db()
    assert user.language == "zh-hans"

    page.locator("#user-menu").click()
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_wrong_password_shows_a_clear_error(
    page: Page, live_server: object, make_user: Callable[..., User]
) -> None:
    make_user("salesperson", username="li")
    sign_in(page, str(live_server), "li", "not the password")
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
