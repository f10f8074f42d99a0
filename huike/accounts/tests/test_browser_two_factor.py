"""A person sets up two-factor sign-in with the key shown, signs out, and signs in with a code,
all under the Content-Security-Policy (the browser reports no violation)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pyotp
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from huike.accounts.models import User
from huike.accounts.tests.test_browser_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_set_up_two_factor_and_sign_in_with_a_code(
    page: Page, live_server: object, make_user: Callable[..., User]
) -> None:
    user = make_user("salesperson", username="mei", display_name="Mei Lin")
    base = str(live_server)
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", watch)

    # given Mei is signed in and opens her profile
    sign_in(page, base, "mei")
    expect(page.get_by_role("heading", name="Welcome, Mei Lin")).to_be_visible()
    page.goto(base + "/accounts/profile/")
    page.locator("#setup-two-factor").click()

    # when she adds the key to her app (computed here from the key shown) and confirms
    expect(page.locator("#totp-qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Authentication code").fill(totp.now())
    page.locator("#confirm-two-factor").click()

    # then two-factor sign-in is on
    expect(page.get_by_text("Two-factor sign-in is on.")).to_be_visible()
    user.refresh_from_db()
    assert user.totp_confirmed_at is not None

    # and signing in again asks for a code after the password
    page.locator("#user-menu").click()
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    sign_in(page, base, "mei")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/"))
    # the code of the next period: the current one was used up by the set-up
    page.get_by_label("Authentication code").fill(totp.at(time.time() + 30))
    page.locator("#verify-code").click()

    expect(page.get_by_role("heading", name="Welcome, Mei Lin")).to_be_visible()
    assert violations == []
