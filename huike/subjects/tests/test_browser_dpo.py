"""A data-protection officer fulfils an access request in the browser.

The journey: open the request queue from the menu, record a new request finding the customer by
phone number (the search offers the match to tick), verify the requester's identity, start, make
the export and download the zip, which holds the customer's record and values with sources.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from huike.accounts.models import Role, User
from huike.accounts.tests.test_browser_sign_in import sign_in
from huike.parties.attributes import ensure_default_attributes
from huike.subjects.models import SubjectRequest
from huike.subjects.tests.conftest import SUBJECT_PERMISSIONS, grant
from huike.subjects.tests.helpers import unzip, zhang

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def attribute_template(transactional_db: None) -> None:
    # A transactional test empties every table when it ends: put the profile fields back.
    ensure_default_attributes()


def test_dpo_fulfils_an_access_request(
    page: Page, live_server: object, make_user: Callable[..., User]
) -> None:
    grant("data_protection_officer", *SUBJECT_PERMISSIONS)
    Role.objects.filter(code="data_protection_officer").update(require_two_factor=False)
    make_user("data_protection_officer", username="dpo", display_name="Dora")
    mei = make_user("salesperson", username="mei")
    party = zhang(mei)
    base = str(live_server)
    sign_in(page, base, "dpo")

    # the queue is empty and explains itself
    page.locator("#nav-subject-requests").click()
    expect(page.get_by_role("heading", name="Data-subject requests")).to_be_visible()
    page.locator("#add-request").click()

    # a new access request; the customer is found by phone number and ticked
    expect(page.get_by_role("heading", name="New data-subject request")).to_be_visible()
    page.locator("#id_kind").select_option("access")
    page.get_by_label("Requester's name").fill("张三")
    page.get_by_label("Requester's contact").fill("zs@example.com")
    page.get_by_label("Customer (number, name, phone or e-mail)").fill("138 0013 8000")
    choice = page.get_by_label(re.compile("张三"))
    expect(choice).to_be_checked()
    page.get_by_role("button", name="Record the request").click()

    request = SubjectRequest.objects.get()
    expect(page.locator("#request-status")).to_have_text("Received")
    assert request.party_id == party.pk

    # identity, start, export
    page.get_by_label("Identity checked by").select_option("document")
    page.get_by_label("What was checked").fill("ID card seen at the office, last 4 002X")
    page.locator("#verify").click()
    expect(page.locator("#request-status")).to_have_text("Identity verified")
    page.locator("#start").click()
    expect(page.locator("#request-status")).to_have_text("In progress")
    page.locator("#fulfil-access").click()
    expect(page.locator("#request-status")).to_have_text("Fulfilled")
    expect(page.get_by_text("The export is ready")).to_be_visible()

    with page.expect_download() as download_info:
        page.locator("#download-export").click()
    download = download_info.value
    assert download.suggested_filename == f"subject-request-{request.pk}.zip"
    files = unzip(open(download.path(), "rb").read())
    sections = files["subject.json"]["sections"]
    assert sections["customer"][0]["name"] == "张三"
    assert {row["source"] for row in sections["observations"]} == {"manual"}
