"""A manager reviews a likely duplicate in the browser, merges it and undoes the merge.

The journey: open Duplicates from the menu, review the pair side by side, keep the first
customer but take the e-mail of the second, merge, read the merged customer (with "merged
from"), unmerge from the merge's page, and find both customers again as they were.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Dialog, Page, expect

from huike.accounts.models import Team, User
from huike.accounts.tests.test_browser_sign_in import sign_in
from huike.identity.models import Merge
from huike.identity.tests.test_views import queued, twins
from huike.parties.attributes import ensure_default_attributes
from huike.parties.models import Party
from huike.parties.tests.factories import observe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data(transactional_db: None) -> None:
    # A transactional test empties every table when it ends: put the profile fields back.
    ensure_default_attributes()


def test_a_manager_merges_a_duplicate_and_unmerges_it(
    page: Page, live_server: object, make_user: Callable[..., User]
) -> None:
    # given two records of one person, the first one's e-mail the most recent
    lin = make_user("manager", username="lin", team=Team.objects.create(name="East"))
    first, second = twins(lin)
    observe(first, {"email": "zhangwei@example.com"})
    pair = queued(first, second)
    base = str(live_server)
    page.on("dialog", lambda dialog: _accept(dialog))  # the "are you sure?" questions
    sign_in(page, base, "lin")

    # the queue lists the pair; she opens it
    page.locator("#nav-duplicates").click()
    expect(page.get_by_role("heading", name="Possible duplicates")).to_be_visible()
    row = page.locator(f'tr[data-candidate="{pair.pk}"]')
    expect(row).to_contain_text("张伟")
    row.locator(".review-link").click()

    # side by side: the first customer's e-mail is kept unless she chooses otherwise
    expect(page.get_by_role("heading", name="Are these the same customer?")).to_be_visible()
    expect(page.locator("#explanation-table")).to_contain_text("Phone: the same")
    keep_first = page.locator("#survivor-a")
    keep_first.check()
    expect(page.get_by_label("zhangwei@example.com")).to_be_checked()
    page.get_by_label("zw@work.example.cn").check()
    page.locator("#merge").click()

    # the merged customer holds the e-mail she chose, and says what was merged into it
    expect(page).to_have_url(f"{base}{first.get_absolute_url()}")
    expect(page.locator("#shown-email")).to_contain_text("zw@work.example.cn")
    merged_from = page.locator("#merged-from")
    expect(merged_from).to_contain_text("张伟")
    assert not Party.objects.filter(pk=second.pk).exists()

    # she undoes the merge from the merge's page
    merged_from.locator(".merge-link").click()
    expect(page.locator("#moved-table")).to_be_visible()
    page.locator("#unmerge").click()
    expect(page.locator("#merge-undone")).to_be_visible()
    assert Merge.objects.get().undone

    # both customers are there again, each with its own e-mail
    page.locator("#restored-link").click()
    expect(page).to_have_url(f"{base}{second.get_absolute_url()}")
    expect(page.locator("#shown-email")).to_contain_text("zw@work.example.cn")
    page.goto(base + first.get_absolute_url())
    expect(page.locator("#shown-email")).to_contain_text("zhangwei@example.com")
    expect(page.locator("#merged-from")).to_have_count(0)


def _accept(dialog: Dialog) -> None:
    dialog.accept()
