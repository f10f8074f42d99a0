"""A salesperson records a company and its people in the web UI, and finds them again.

The journey a new user takes: add an organisation and two of its people (with a typing mistake
on the way), link them, see a field the administrator just added, correct a mobile number and go
back to the old one from its lineage, then find the person by pinyin initials and by the last
digits of the phone, both from the global search box and from the list's filter.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from huike.accounts.models import User
from huike.accounts.tests.test_browser_sign_in import sign_in
from huike.parties.attributes import ensure_default_attributes
from huike.parties.models import AttributeDefinition, Observation, Party, Relationship

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMPANY = "杭州云汇科技有限公司"
USCC = "91330106MA2H2YUN1N"  # a made-up code with a correct check character
USCC_MISTYPED = "91330106MA2H2YUN1X"  # the same code, last character mistyped
TEA_CHOICES = (
    '[{"value": "longjing", "zh": "龙井", "en": "Longjing"},'
    ' {"value": "puer", "zh": "普洱", "en": "Pu\'er"}]'
)


@pytest.fixture(autouse=True)
def attribute_template(transactional_db: None) -> None:
    # A transactional test empties every table when it ends, and only post_migrate handlers
    # (the roles) come back: put the profile fields of the migration back for this test.
    ensure_default_attributes()


def sign_out(page: Page) -> None:
    page.locator("#user-menu").click()
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def open_customers(page: Page) -> None:
    page.locator("#hk-nav").get_by_role("link", name="Customers").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()


def open_section(page: Page, label: str) -> None:
    """Unfold a "more details" section of the customer form."""
    page.locator("#party-form summary").filter(has_text=re.compile(f"^{label}$")).click()


def add_relationship(page: Page, kind: str, other: str, title: str, role: str) -> None:
    form = page.locator("#relationship-form")
    form.get_by_label("Relationship").select_option(label=kind)
    form.get_by_label("Other customer (number or name)").fill(other)
    form.get_by_label("Title").fill(title)
    form.get_by_label("Stakeholder role").select_option(label=role)
    form.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Relationship added.")).to_be_visible()


def test_salesperson_records_a_company_and_its_people_and_finds_them_again(
    page: Page, live_server: object, make_user: Callable[..., User]
) -> None:
    make_user("salesperson", username="mei", display_name="Mei Lin")
    make_user("administrator", username="root", display_name="Root")
    base = str(live_server)
    sign_in(page, base, "mei")

    # --- The company: a mistyped phone and credit code are refused, nothing is lost -----------
    open_customers(page)
    expect(page.get_by_text("There are no customers yet.")).to_be_visible()
    page.locator("#add-organization").click()
    expect(page.get_by_role("heading", name="New organisation")).to_be_visible()
    page.get_by_role("textbox", name=re.compile(r"^Name")).fill(COMPANY)
    page.get_by_label("Phone", exact=True).fill("0571-88")
    open_section(page, "Identity documents")
    page.get_by_label("Unified social credit code").fill(USCC_MISTYPED)
    page.locator("#save-party").click()

    expect(page.locator("#div_id_attr_phone")).to_contain_text(
        "“0571-88” is not a valid phone number."
    )
    expect(page.locator("#div_id_attr_uscc")).to_contain_text(
        f"The check character of unified social credit code “{USCC_MISTYPED}” is wrong"
    )
    expect(page.get_by_label("Unified social credit code")).to_have_class(re.compile("is-invalid"))
    expect(page.get_by_role("textbox", name=re.compile(r"^Name"))).to_have_value(COMPANY)
    expect(page.get_by_label("Phone", exact=True)).to_have_value("0571-88")
    expect(page.get_by_label("Unified social credit code")).to_have_value(USCC_MISTYPED)
    assert not Party.objects.exists()

    page.get_by_label("Phone", exact=True).fill("0571-8888 6666")
    page.get_by_label("Unified social credit code").fill(USCC)
    page.locator("#save-party").click()
    expect(page.get_by_role("heading", name=COMPANY)).to_be_visible()
    expect(page.locator("#value-uscc")).to_contain_text(USCC)
    expect(page.locator("#value-phone")).to_contain_text("0571 8888 6666")
    company = Party.objects.get(name=COMPANY)
    assert company.kind == Party.Kind.ORGANIZATION
    assert company.owner is not None and company.owner.username == "mei"

    # --- Two of its people; an impossible lunar date is refused with the typed values kept ----
    open_customers(page)
    page.locator("#add-person").click()
    expect(page.get_by_role("heading", name="New person")).to_be_visible()
    page.get_by_role("textbox", name=re.compile(r"^Name")).fill("王小明")
    page.get_by_label("Mobile", exact=True).fill("138 1234 5678")
    page.get_by_label("Email", exact=True).fill("wang.xiaoming@yunhui.cn")
    page.get_by_label("Lunar birthday").fill("1991-L05-08")
    page.locator("#save-party").click()

    expect(page.locator("#div_id_attr_lunar_birthday")).to_contain_text(
        "Lunar year 1991 has no leap month."
    )
    expect(page.get_by_label("Mobile", exact=True)).to_have_value("138 1234 5678")
    expect(page.get_by_label("Email", exact=True)).to_have_value("wang.xiaoming@yunhui.cn")
    assert not Party.objects.filter(kind=Party.Kind.PERSON).exists()

    page.get_by_label("Lunar birthday").fill("1990-L05-08")
    page.locator("#save-party").click()
    expect(page.get_by_role("heading", name="王小明")).to_be_visible()
    expect(page.locator("#party-pinyin")).to_have_text("wang xiao ming")
    expect(page.locator("#value-lunar_birthday")).to_contain_text("Lunar 1990, leap month 5, day 8")
    expect(page.locator("#value-mobile")).to_contain_text("138 1234 5678")
    xiaoming = Party.objects.get(name="王小明")

    # he works at the company: linked from his own page
    add_relationship(page, "Works at", COMPANY, "采购总监", "Decision maker")
    expect(page.locator("#relationships")).to_contain_text(COMPANY)

    open_customers(page)
    page.locator("#add-person").click()
    page.get_by_role("textbox", name=re.compile(r"^Name")).fill("李静")
    page.get_by_label("Mobile", exact=True).fill("139-8765-4321")
    page.get_by_label("Email", exact=True).fill("li.jing@yunhui.cn")
    page.locator("#save-party").click()
    expect(page.get_by_role("heading", name="李静")).to_be_visible()

    # she is linked from the company's page, by name, and still "works at" the company
    page.goto(base + company.get_absolute_url())
    add_relationship(page, "Works at", "李静", "IT 经理", "Influencer")
    relationships = page.locator("#relationships")
    expect(relationships.get_by_role("link", name="王小明")).to_be_visible()
    expect(relationships.get_by_role("link", name="李静")).to_be_visible()
    expect(relationships).to_contain_text("Decision maker")
    expect(relationships).to_contain_text("Influencer")
    assert set(
        Relationship.objects.filter(to_party=company, kind="employment").values_list(
            "from_party__name", flat=True
        )
    ) == {"王小明", "李静"}

    # --- The administrator adds a profile field ------------------------------------------------
    sign_out(page)
    sign_in(page, base, "root")
    page.get_by_role("button", name="Administration").click()
    page.locator(".dropdown-menu").get_by_role("link", name="Profile fields").click()
    page.locator("main").get_by_role("link", name=re.compile(r"\bAdd\b")).click()
    page.get_by_label("Code").fill("favourite_tea")
    page.get_by_label("Chinese label").fill("喜欢的茶")
    page.get_by_label("English label").fill("Favourite tea")
    page.get_by_label("Section").select_option(label="Personality and interests")
    page.get_by_label("Type").select_option(label="Choice")
    page.get_by_label("Choices").fill(TEA_CHOICES)
    page.get_by_label("Applies to").select_option(label="People")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved Favourite tea.")).to_be_visible()
    assert AttributeDefinition.objects.get(code="favourite_tea").data_type == "choice"
    sign_out(page)

    # --- The salesperson sees the new field, and changes the mobile number --------------------
    sign_in(page, base, "mei")
    open_customers(page)
    page.get_by_role("link", name="王小明").click()
    page.locator("#edit-party").click()
    open_section(page, "Personality and interests")
    page.get_by_label("Favourite tea").select_option(label="Longjing")
    page.get_by_label("Mobile", exact=True).fill("137 0000 1111")
    page.locator("#save-party").click()
    expect(page.get_by_text("Saved 王小明.")).to_be_visible()
    expect(page.locator("#value-mobile")).to_contain_text("137 0000 1111")
    expect(page.locator("#value-favourite_tea")).to_contain_text("Longjing")

    # --- Lineage: the old number is still there, with who collected it; it can come back -----
    page.locator("#value-mobile").get_by_role("button", name="Where this value came from").click()
    lineage = page.locator("#lineage-mobile")
    expect(lineage).to_contain_text("Every value of “Mobile”")
    old = lineage.locator("li, tr").filter(has_text="138 1234 5678")
    expect(old).to_contain_text("entered by hand")
    expect(old).to_contain_text("mei")
    expect(lineage.locator("li, tr").filter(has_text="137 0000 1111")).to_contain_text("in use")
    old.get_by_role("button", name="Use this value instead").click()
    expect(page.get_by_text("“Mobile” now uses the value you chose.")).to_be_visible()
    expect(page.locator("#value-mobile")).to_contain_text("138 1234 5678")
    xiaoming.refresh_from_db()
    assert xiaoming.golden["mobile"] == "+8613812345678"
    assert Observation.objects.filter(party=xiaoming, attribute__code="mobile").count() == 3

    # --- Finding him again: the search box (Ctrl+K) and the list's filter ---------------------
    page.wait_for_load_state("load")  # the shortcut is bound by the deferred app bundle
    page.keyboard.press("Control+k")
    expect(page.locator("#global-search")).to_be_focused()
    page.keyboard.type("wxm")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=wxm"))  # the results page, not the one before
    results = page.locator("main")
    expect(results.get_by_role("link", name=re.compile("王小明"))).to_be_visible()
    expect(results.get_by_role("link", name=re.compile("李静"))).to_have_count(0)

    page.wait_for_load_state("load")  # the shortcut is bound by the deferred app bundle
    page.keyboard.press("Control+k")
    expect(page.locator("#global-search")).to_be_focused()
    page.keyboard.type("5678")  # the number he is back to; "1111" is history now
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=5678"))  # wxm's page also lists him: wait
    expect(results.get_by_role("link", name=re.compile("王小明"))).to_be_visible()
    page.goto(base + "/search/?q=1111")
    expect(page.get_by_text("Nothing matches “1111”.")).to_be_visible()

    open_customers(page)
    filters = page.locator("#filter-panel")
    filters.get_by_label("Search").fill("lj")
    filters.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]q=lj\b"))
    table = page.locator("main table")
    expect(table.get_by_role("link", name="李静")).to_be_visible()
    expect(table.get_by_role("link", name="王小明")).to_have_count(0)
    filters.get_by_label("Search").fill("5678")
    filters.get_by_role("button", name="Apply").click()
    expect(table.get_by_role("link", name="王小明")).to_be_visible()
    expect(table.get_by_role("link", name="李静")).to_have_count(0)

    # --- In Chinese, the lunar birthday reads as a Chinese date --------------------------------
    page.locator("#language-select").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.goto(base + xiaoming.get_absolute_url())
    expect(page.locator("#value-lunar_birthday")).to_contain_text("农历1990年闰五月初八")
    expect(page.locator("#value-favourite_tea")).to_contain_text("龙井")
