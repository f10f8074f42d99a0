"""The customer journey through the API: what the web UI does, a script can do the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient
from stdnum.cn import uscc

from huike.accounts.models import User
from huike.parties.models import Party
from huike.parties.tests.test_browser_customer_journey import COMPANY, USCC, USCC_MISTYPED

pytestmark = pytest.mark.django_db

PARTIES = "/api/v1/parties/"


@pytest.fixture
def mei(make_user: Callable[..., User]) -> User:
    return make_user("salesperson", username="mei")


@pytest.fixture
def sales_api(mei: User, token_client: Callable[[User], APIClient]) -> APIClient:
    return token_client(mei)


def _names(response: Any) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["name"] for row in response.json()["results"]}


def test_the_credit_codes_of_the_journey_are_what_they_claim() -> None:
    assert uscc.is_valid(USCC)
    assert not uscc.is_valid(USCC_MISTYPED)


def test_invalid_phone_credit_code_and_dates_are_refused_per_attribute_and_nothing_is_saved(
    sales_api: APIClient,
) -> None:
    company = sales_api.post(
        PARTIES,
        {
            "kind": "organization",
            "name": COMPANY,
            "attributes": {"phone": "0571-88", "uscc": USCC_MISTYPED},
        },
        format="json",
    )
    person = sales_api.post(
        PARTIES,
        {
            "kind": "person",
            "name": "王小明",
            "attributes": {"birth_date": "2023-02-29", "lunar_birthday": "1991-L05-08"},
        },
        format="json",
    )

    assert company.status_code == 400
    errors = company.json()["errors"]["attributes"]
    assert errors["phone"] == ["“0571-88” is not a valid phone number."]
    assert "check character" in errors["uscc"][0]
    assert person.status_code == 400
    errors = person.json()["errors"]["attributes"]
    assert errors["birth_date"] == ["2023-02-29 is not a date that exists."]
    assert errors["lunar_birthday"] == ["Lunar year 1991 has no leap month."]
    assert not Party.objects.exists()


def test_salesperson_records_a_company_and_its_people_links_corrects_and_finds_them(
    mei: User,
    sales_api: APIClient,
    admin_user: User,
    token_client: Callable[[User], APIClient],
) -> None:
    # given a company and two of its people, recorded through the API
    company = sales_api.post(
        PARTIES,
        {
            "kind": "organization",
            "name": COMPANY,
            "attributes": {"phone": "0571-8888 6666", "uscc": USCC},
        },
        format="json",
    )
    assert company.status_code == 201, company.json()
    company_id = company.json()["id"]
    assert company.json()["attributes"] == {
        "name": COMPANY,
        "phone": "+8657188886666",
        "uscc": USCC,
    }
    assert company.json()["owner"] == "mei"
    people = {}
    for name, mobile, email, extra in (
        ("王小明", "138 1234 5678", "wang.xiaoming@yunhui.cn", {"lunar_birthday": "1990-L05-08"}),
        ("李静", "139-8765-4321", "li.jing@yunhui.cn", {}),
    ):
        response = sales_api.post(
            PARTIES,
            {
                "kind": "person",
                "name": name,
                "attributes": {"mobile": mobile, "email": email, **extra},
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        people[name] = response.json()
    xiaoming = people["王小明"]
    assert xiaoming["pinyin"] == "wang xiao ming"
    assert xiaoming["attributes"]["lunar_birthday"] == "1990-L05-08"
    assert xiaoming["attributes"]["mobile"] == "+8613812345678"

    # when both are linked to the company as its staff
    for name, role in (("王小明", "decision_maker"), ("李静", "influencer")):
        link = sales_api.post(
            "/api/v1/relationships/",
            {
                "from_party": people[name]["id"],
                "to_party": company_id,
                "kind": "employment",
                "title": "采购总监" if role == "decision_maker" else "IT 经理",
                "stakeholder_role": role,
            },
            format="json",
        )
        assert link.status_code == 201, link.json()
    staff = sales_api.get("/api/v1/relationships/", {"to_party": company_id})
    assert {row["from_party"] for row in staff.json()["results"]} == {
        people["王小明"]["id"],
        people["李静"]["id"],
    }

    # and an administrator adds a profile field, which the salesperson then fills in
    tea = token_client(admin_user).post(
        "/api/v1/attributes/",
        {
            "code": "favourite_tea",
            "label_zh": "喜欢的茶",
            "label_en": "Favourite tea",
            "section": "personality",
            "data_type": "choice",
            "choices": [
                {"value": "longjing", "zh": "龙井", "en": "Longjing"},
                {"value": "puer", "zh": "普洱", "en": "Pu'er"},
            ],
            "applies_to": "person",
        },
        format="json",
    )
    assert tea.status_code == 201, tea.json()

    # and the mobile number changes (with the version the client read)
    url = "{}{}/".format(PARTIES, xiaoming["id"])
    read = sales_api.get(url)
    changed = sales_api.patch(
        url,
        {"attributes": {"mobile": "137 0000 1111", "favourite_tea": "龙井"}},
        format="json",
        HTTP_IF_MATCH=read["ETag"],
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["attributes"]["mobile"] == "+8613700001111"
    assert changed.json()["attributes"]["favourite_tea"] == "longjing"

    # then the lineage keeps the old number, who collected it, and through which channel
    lineage = sales_api.get(url + "lineage/", {"attribute": "mobile"})
    assert lineage.status_code == 200
    assert [(row["value"], row["source"], row["collector"]) for row in lineage.json()] == [
        ("+8613700001111", "manual", "mei"),
        ("+8613812345678", "manual", "mei"),
    ]
    assert lineage.json()[1]["source_ref"] == "api token:test"

    # and the new number finds him, by its last four digits as by the whole number
    assert _names(sales_api.get(PARTIES, {"q": "1111"})) == {"王小明"}
    assert _names(sales_api.get(PARTIES, {"q": "137-0000-1111"})) == {"王小明"}
    assert _names(sales_api.get(PARTIES, {"q": "5678"})) == set()

    # when the client goes back to the old number, it is golden again and found again
    back = sales_api.patch(url, {"attributes": {"mobile": "13812345678"}}, format="json")
    assert back.status_code == 200, back.json()
    assert back.json()["attributes"]["mobile"] == "+8613812345678"
    assert _names(sales_api.get(PARTIES, {"q": "5678"})) == {"王小明"}
    assert _names(sales_api.get(PARTIES, {"q": "1111"})) == set()
    assert len(sales_api.get(url + "lineage/", {"attribute": "mobile"}).json()) == 3

    # and pinyin initials, full pinyin, the start of a name and the credit code find them
    assert _names(sales_api.get(PARTIES, {"q": "wxm"})) == {"王小明"}
    assert _names(sales_api.get(PARTIES, {"q": "lj"})) == {"李静"}
    assert _names(sales_api.get(PARTIES, {"q": "lijing"})) == {"李静"}
    assert _names(sales_api.get(PARTIES, {"q": "杭州云汇"})) == {COMPANY}
    assert _names(sales_api.get(PARTIES, {"q": USCC.lower()})) == {COMPANY}


def test_a_stale_version_is_refused_and_the_value_is_not_changed(sales_api: APIClient) -> None:
    created = sales_api.post(
        PARTIES,
        {"kind": "person", "name": "王小明", "attributes": {"mobile": "13812345678"}},
        format="json",
    )
    url = "{}{}/".format(PARTIES, created.json()["id"])
    etag = sales_api.get(url)["ETag"]
    sales_api.patch(url, {"attributes": {"email": "w@yunhui.cn"}}, format="json")

    response = sales_api.patch(
        url, {"attributes": {"mobile": "13700001111"}}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 412
    assert sales_api.get(url).json()["attributes"]["mobile"] == "+8613812345678"
