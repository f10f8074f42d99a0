"""The protection journey in a browser: masked for a salesperson, revealed (with a reason) by a
manager, and the reveal found by the auditor in the access log."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from huike.accounts.models import User
from huike.accounts.tests.factories import TeamFactory
from huike.accounts.tests.test_browser_sign_in import sign_in
from huike.parties.attributes import ensure_default_attributes
from huike.parties.tests.factories import person
from huike.parties.tests.test_browser_customer_journey import sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESIDENT_ID = "11010519491231002X"
MASKED = "1101**********002X"


@pytest.fixture(autouse=True)
def attribute_template(transactional_db: None) -> None:
    ensure_default_attributes()  # a transactional test empties the tables when it ends


def test_masked_revealed_and_audited(
    page: Page, live_server: object, make_user: Callable[..., User]
) -> None:
    base = str(live_server)
    east = TeamFactory.create(name="East")
    mei = make_user("salesperson", username="mei", team=east)
    make_user("manager", username="lead", team=east)
    make_user("auditor", username="audit")
    zhang = person(
        "张三",
        owner=mei,
        team=east,
        attributes={"mobile": "13800138000", "resident_id": RESIDENT_ID},
    )
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))

    sign_in(page, base, "mei")
    page.goto(base + zhang.get_absolute_url())
    identity = page.locator("#shown-resident_id")
    expect(identity).to_contain_text(MASKED)
    expect(identity).to_contain_text("masked")
    expect(page.locator("#shown-mobile")).to_contain_text("138 0013 8000")
    expect(page.get_by_role("button", name=re.compile("Reveal"))).to_have_count(0)
    expect(page.locator("#party-consents").get_by_text("Consents")).to_be_visible()
    assert RESIDENT_ID not in page.content()
    sign_out(page)

    sign_in(page, base, "lead")
    page.goto(base + zhang.get_absolute_url())
    page.get_by_label("Why do you need the value?").fill("contract signing")
    page.get_by_role("button", name=re.compile("Reveal")).click()
    expect(page.locator("#reveal-resident_id")).to_contain_text(RESIDENT_ID)
    expect(page.locator("#reveal-resident_id")).to_contain_text("access log")
    sign_out(page)

    sign_in(page, base, "audit")
    page.locator("#hk-nav").get_by_role("button", name="Administration").or_(
        page.locator("#hk-nav").get_by_role("link", name="Administration")
    ).first.click()
    page.get_by_role("link", name="Access log").click()
    rows = page.locator("table tbody tr")
    expect(rows.first).to_contain_text("lead")
    expect(rows.first).to_contain_text("contract signing")
    expect(rows.first).to_contain_text("resident_id")
    assert not [m for m in messages if "Content Security Policy" in m], messages
