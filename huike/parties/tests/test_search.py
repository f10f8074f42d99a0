"""The search box: names, pinyin, initials, phones, e-mails and codes, in what a user may see."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from huike.accounts.models import Team, User
from huike.accounts.tests.factories import TeamFactory
from huike.parties import selectors, services
from huike.parties.models import Party
from huike.parties.selectors import search_condition, search_hits, search_parties
from huike.parties.tests.factories import organisation, person

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


@pytest.fixture
def people(admin_user: User) -> dict[str, Party]:
    return {
        "张三": person(
            "张三", attributes={"mobile": "13800138000", "email": "zhang.san@example.com"}
        ),
        "张三丰": person("张三丰", attributes={"external_id": "ERP-00042"}),
        "李四": person("李四", attributes={"phone": "010-6552 9988"}),
        "单田芳": person("单田芳"),
        "吕布": person("吕布"),
        "Mary O'Brien": person("Mary O'Brien", attributes={"email": "mary@obrien.ie"}),
    }


@pytest.fixture
def companies() -> dict[str, Party]:
    return {
        "华为": organisation("华为技术有限公司", attributes={"uscc": "91110000600037341L"}),
        "华润": organisation("华润万家有限公司"),
        "Acme": organisation("Acme Co., Ltd."),
    }


def names(user: User, query: str) -> set[str]:
    return {party.name for party in search_parties(user, query)}


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("张", {"张三", "张三丰"}),
        ("张三", {"张三", "张三丰"}),
        ("张三丰", {"张三丰"}),
        (" 李四 ", {"李四"}),
        ("王五", set()),
    ],
)
def test_a_chinese_name_is_found_by_its_beginning(
    admin_user: User, people: dict[str, Party], query: str, found: set[str]
) -> None:
    assert names(admin_user, query) == found


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("zhangsan", {"张三", "张三丰"}),
        ("zhang san", {"张三", "张三丰"}),
        ("ZhangSanFeng", {"张三丰"}),
        ("zhangs", {"张三", "张三丰"}),
        ("lisi", {"李四"}),
        ("lvbu", {"吕布"}),
        ("lubu", {"吕布"}),
    ],
)
def test_a_chinese_name_is_found_by_its_full_pinyin(
    admin_user: User, people: dict[str, Party], query: str, found: set[str]
) -> None:
    assert names(admin_user, query) == found


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("zs", {"张三", "张三丰"}),
        ("ZSF", {"张三丰"}),
        ("ls", {"李四"}),
        ("lb", {"吕布"}),
    ],
)
def test_a_chinese_name_is_found_by_its_pinyin_initials(
    admin_user: User, people: dict[str, Party], query: str, found: set[str]
) -> None:
    assert names(admin_user, query) == found


@pytest.mark.parametrize("query", ["stf", "dtf", "shantianfang", "dantianfang", "单田"])
def test_a_polyphonic_surname_is_found_by_each_of_its_readings(
    admin_user: User, people: dict[str, Party], query: str
) -> None:
    assert names(admin_user, query) == {"单田芳"}
    assert people["单田芳"].pinyin == "shan tian fang"  # shown with the surname reading


@pytest.mark.parametrize("query", ["mary", "Mary O'Brien", "maryobrien", "MARY O", "mo"])
def test_a_latin_name_is_found_ignoring_case_spaces_and_apostrophes(
    admin_user: User, people: dict[str, Party], query: str
) -> None:
    assert names(admin_user, query) == {"Mary O'Brien"}


@pytest.mark.parametrize(
    "query",
    ["8000", "38000", "13800138000", "138-0013-8000", "+86 138 0013 8000", "0086 13800138000"],
)
def test_a_mobile_is_found_by_its_last_digits_or_the_whole_number_in_any_format(
    admin_user: User, people: dict[str, Party], query: str
) -> None:
    assert names(admin_user, query) == {"张三"}


@pytest.mark.parametrize("query", ["9988", "010-65529988", "+86 10 6552 9988"])
def test_a_landline_is_found_with_or_without_its_trunk_prefix(
    admin_user: User, people: dict[str, Party], query: str
) -> None:
    assert names(admin_user, query) == {"李四"}


def test_fewer_than_four_digits_do_not_search_phones(
    admin_user: User, people: dict[str, Party]
) -> None:
    assert names(admin_user, "000") == set()
    assert names(admin_user, "7000") == set()  # no phone ends in 7000


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("zhang.san@", {"张三"}),
        ("zhang.san@example.com", {"张三"}),
        ("ZHANG.SAN@EXAMPLE", {"张三"}),
        ("mary@", {"Mary O'Brien"}),
        ("nobody@example.com", set()),
    ],
)
def test_an_email_is_found_by_its_beginning(
    admin_user: User, people: dict[str, Party], query: str, found: set[str]
) -> None:
    assert names(admin_user, query) == found


@pytest.mark.parametrize("query", ["91110000600037341L", "91110000600037341l", "9111000060"])
def test_an_organisation_is_found_by_its_credit_code(
    admin_user: User, companies: dict[str, Party], query: str
) -> None:
    assert names(admin_user, query) == {"华为技术有限公司"}


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("华为", {"华为技术有限公司"}),
        ("华为技术", {"华为技术有限公司"}),
        ("华为技术有限公司", {"华为技术有限公司"}),
        ("华为技术公司", {"华为技术有限公司"}),
        ("华", {"华为技术有限公司", "华润万家有限公司"}),
        ("hw", {"华为技术有限公司"}),
        ("huawei", {"华为技术有限公司"}),
        ("acme", {"Acme Co., Ltd."}),
        ("Acme Limited", {"Acme Co., Ltd."}),
        ("acme co ltd", {"Acme Co., Ltd."}),
    ],
)
def test_a_company_is_found_with_or_without_its_legal_form(
    admin_user: User, companies: dict[str, Party], query: str, found: set[str]
) -> None:
    assert names(admin_user, query) == found


@pytest.mark.parametrize("query", ["ERP-00042", "erp00042", "ERP-000"])
def test_a_party_is_found_by_its_external_id(
    admin_user: User, people: dict[str, Party], query: str
) -> None:
    assert names(admin_user, query) == {"张三丰"}


@pytest.mark.parametrize("query", ["", "   ", "!!!", "-", ".", "' -"])
def test_a_query_without_letters_or_digits_finds_nothing(
    admin_user: User, people: dict[str, Party], query: str
) -> None:
    assert not search_parties(admin_user, query).exists()


def test_search_condition_is_none_for_a_query_without_letters_or_digits() -> None:
    assert search_condition("  ") is None
    assert search_condition("?!") is None
    # Regression: "-" left an empty pinyin prefix, which matched every party.
    assert search_condition("-") is None
    assert search_condition("张") is not None


def test_full_width_input_is_folded_before_searching(
    admin_user: User, people: dict[str, Party]
) -> None:
    assert names(admin_user, "ＺＳ") == {"张三", "张三丰"}
    assert names(admin_user, "１３８００１３８０００") == {"张三"}


# --- Visibility -------------------------------------------------------------------------------


@pytest.fixture
def sales_floor(make_user: MakeUser) -> dict[str, User]:
    east: Team = TeamFactory.create(name="East")
    west: Team = TeamFactory.create(name="West")
    return {
        "mei": make_user("salesperson", username="mei", team=east),
        "lan": make_user("salesperson", username="lan", team=east),
        "wu": make_user("salesperson", username="wu", team=west),
        "manager": make_user("manager", username="boss-east", team=east),
        "admin": make_user("administrator", username="root"),
    }


@pytest.fixture
def owned(sales_floor: dict[str, User]) -> dict[str, Party]:
    return {
        who: person(name, owner=sales_floor[who], team=sales_floor[who].team)
        for who, name in (("mei", "张三"), ("lan", "张三丰"), ("wu", "张三娘"))
    }


def test_a_salesperson_finds_only_her_own_customers(
    sales_floor: dict[str, User], owned: dict[str, Party]
) -> None:
    assert names(sales_floor["mei"], "zs") == {"张三"}
    assert names(sales_floor["lan"], "张三") == {"张三丰"}
    assert names(sales_floor["mei"], "张三丰") == set()


def test_a_manager_finds_her_teams_customers(
    sales_floor: dict[str, User], owned: dict[str, Party]
) -> None:
    assert names(sales_floor["manager"], "zs") == {"张三", "张三丰"}


def test_an_administrator_finds_every_customer(
    sales_floor: dict[str, User], owned: dict[str, Party]
) -> None:
    assert names(sales_floor["admin"], "zs") == {"张三", "张三丰", "张三娘"}


def test_a_disabled_user_finds_nothing(
    sales_floor: dict[str, User], owned: dict[str, Party]
) -> None:
    mei = sales_floor["mei"]
    mei.is_active = False
    mei.save()

    assert names(mei, "zs") == set()


def test_the_search_box_lists_hits_with_contact_details(
    admin_user: User, people: dict[str, Party]
) -> None:
    hits = search_hits(admin_user, "张三")

    assert [hit.title for hit in hits] == ["张三", "张三丰"]
    assert hits[0].url == people["张三"].get_absolute_url()
    assert "138 0013 8000" in hits[0].subtitle
    assert "zhang san" in hits[0].subtitle


# --- Everyday company names -------------------------------------------------------------------


def test_a_company_is_found_by_its_name_without_the_city_in_front(admin_user: User) -> None:
    services.create_party(actor=admin_user, kind="organization", name="杭州云汇科技有限公司")
    services.create_party(
        actor=admin_user, kind="organization", name="浙江省杭州市云汇贸易有限公司"
    )

    found = {p.name for p in selectors.search_parties(admin_user, "云汇")}

    assert found == {"杭州云汇科技有限公司", "浙江省杭州市云汇贸易有限公司"}
    assert {p.name for p in selectors.search_parties(admin_user, "云汇科技")} == {
        "杭州云汇科技有限公司"
    }


def test_a_company_is_found_by_its_short_and_english_names(admin_user: User) -> None:
    services.create_party(
        actor=admin_user,
        kind="organization",
        name="深圳市腾达贸易有限公司",
        attributes={"short_name": "腾达", "english_name": "Tenda Trading Co., Ltd."},
    )

    assert [p.name for p in selectors.search_parties(admin_user, "腾达")] == [
        "深圳市腾达贸易有限公司"
    ]
    assert [p.name for p in selectors.search_parties(admin_user, "tenda")] == [
        "深圳市腾达贸易有限公司"
    ]
    assert [p.name for p in selectors.search_parties(admin_user, "td")] == [
        "深圳市腾达贸易有限公司"
    ]
