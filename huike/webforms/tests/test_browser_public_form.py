"""A visitor fills in the public form in Chinese and in English; a colleague then finds the
values on the customer page, each saying which form it came from, who collected it, when and
under which consent."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from huike.accounts.models import User
from huike.accounts.tests.test_browser_sign_in import sign_in
from huike.parties.attributes import ensure_default_attributes
from huike.parties.models import Party
from huike.privacy import services as privacy_services
from huike.privacy.models import ConsentNotice, Purpose
from huike.webforms.models import Submission
from huike.webforms.tests.factories import make_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTICE_ZH = "我同意接收优惠和活动邀请。"
NOTICE_EN = "I agree to receive offers and invitations."


@pytest.fixture(autouse=True)
def reference_data(transactional_db: None, settings: Any) -> None:
    # A transactional test empties the tables: put back the profile fields and a purpose
    # with a notice of our own. A person needs more than the 2 seconds a browser takes to fill the
    # form; the check itself is tested in test_public.py.
    ensure_default_attributes()
    purpose, _created = Purpose.objects.get_or_create(
        code="marketing", defaults={"name_zh": "营销推广", "name_en": "Marketing"}
    )
    privacy_services.save_notice(
        ConsentNotice(purpose=purpose),
        actor=None,
        text_zh=NOTICE_ZH,
        text_en=NOTICE_EN,
        published_at=timezone.now() - datetime.timedelta(days=1),
    )
    settings.WEBFORM_MIN_SECONDS = 0


def fill_and_send(page: Page, url: str, name: str, email: str, notice: str) -> None:
    page.goto(url)
    page.locator("#hk-name").fill(name)
    page.locator("#hk-email").fill(email)
    page.get_by_label(notice).check()
    page.locator("#web-form-send").click()


def test_visitors_send_the_form_in_both_languages_and_staff_see_the_source(
    page: Page, live_server: object, make_user: Callable[..., User]
) -> None:
    base = str(live_server)
    make_form(fields=("name", "email"))
    make_user("administrator", username="boss", language="en")

    # a Chinese visitor
    fill_and_send(page, base + "/f/contact/?lang=zh-hans", "张三", "zhang@example.com", NOTICE_ZH)
    expect(page.locator("#web-form-thanks")).to_have_text("谢谢，我们已收到。")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    # an English visitor, who switches the page's language first
    page.goto(base + "/f/contact/?lang=zh-hans")
    page.locator("#lang-en").click()
    expect(page.get_by_role("heading", name="Contact us")).to_be_visible()
    fill_and_send(page, page.url, "Li Si", "li@example.com", NOTICE_EN)
    expect(page.locator("#web-form-thanks")).to_have_text("Thank you, we got it.")

    first = Submission.objects.get(party__name="张三")
    assert first.consents["marketing"]["text"] == NOTICE_ZH
    assert Submission.objects.get(party__name="Li Si").consents["marketing"]["text"] == NOTICE_EN

    # a colleague opens the customer: the e-mail says where, who, when and under which consent
    zhang = Party.objects.get(name="张三")
    sign_in(page, base, "boss")
    page.goto(base + zhang.get_absolute_url())
    value = page.locator("#value-email")
    expect(value).to_contain_text("zhang@example.com")
    expect(value).to_contain_text(f"contact · submission #{first.pk}")
    expect(value).to_contain_text("Form contact")  # the form collected it
    expect(value).to_contain_text("consent: marketing")
    expect(value).to_contain_text(re.compile(r"\d"))  # the date it was collected
