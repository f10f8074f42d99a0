"""A salesperson imports a GBK-encoded CSV with Chinese headers in the browser.

The journey: open Imports from the menu, upload the file with its source and purpose, check the
suggested columns and the preview, change one column and see the preview follow, import, and
read the finished job with its counts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from huike.accounts.models import User
from huike.accounts.tests.test_browser_sign_in import sign_in
from huike.imports.models import ImportJob
from huike.parties.attributes import ensure_default_attributes
from huike.parties.models import Party
from huike.privacy.models import LegalBasis, Purpose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).parent / "samples" / "customers_gbk.csv"


@pytest.fixture(autouse=True)
def reference_data(transactional_db: None, settings: Any, tmp_path: Path) -> None:
    # A transactional test empties every table when it ends: put the profile fields and a
    # purpose back; uploads go to a folder of the test's own.
    ensure_default_attributes()
    Purpose.objects.get_or_create(
        code="service",
        defaults={
            "name_zh": "提供服务与履行合同",
            "name_en": "Service and contract",
            "legal_basis": LegalBasis.CONTRACT,
        },
    )
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_gbk_csv_is_uploaded_mapped_and_imported_in_the_browser(
    page: Page, live_server: object, make_user: Callable[..., User]
) -> None:
    make_user("salesperson", username="mei")
    base = str(live_server)
    sign_in(page, base, "mei")

    # the list is empty and offers the first import
    page.locator("#nav-imports").click()
    expect(page.get_by_role("heading", name="Imports")).to_be_visible()
    page.locator("#new-import").click()

    # step 1: the file, where it comes from and on what basis
    expect(page.get_by_role("heading", name="Import customers from a file")).to_be_visible()
    page.get_by_label("Source").fill("2026 trade show")
    page.get_by_label("Purpose of processing").select_option(label="Service and contract")
    page.get_by_label("File").set_input_files(str(SAMPLE))
    page.locator("#upload").click()

    # step 2: the Chinese headers are mapped, the preview shows the rows as stored
    expect(page.get_by_role("heading", name="Map the columns")).to_be_visible()
    expect(page.locator("#file-facts")).to_contain_text("gb18030")
    name_column = page.get_by_label("客户名称", exact=True)
    expect(name_column).to_have_value("name")
    preview = page.locator("#preview-table")
    expect(preview).to_contain_text("张三")
    expect(preview.locator('th[data-code="wechat"]')).to_have_count(1)

    # ignoring a column updates the preview (htmx), without leaving the page
    page.get_by_label("微信", exact=True).select_option("")
    expect(page.locator('#preview-table th[data-code="wechat"]')).to_have_count(0)

    # import: the job page shows it done, with its counts
    page.locator("#start-import").click()
    expect(page.locator("#job-status")).to_have_attribute("data-status", "done")
    job = ImportJob.objects.get()
    expect(page.locator('[data-count="created"]')).to_have_text(str(job.created))
    assert job.created == Party.objects.count() >= 2
    assert job.source == "import:2026 trade show"
    expect(page.locator("#job-progress")).to_have_attribute("value", "100")
    zhang = Party.objects.get(name="张三")
    assert "wechat" not in zhang.golden
