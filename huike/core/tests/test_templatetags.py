"""Template helpers: money as each reader expects it, query strings that keep the filters."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from huike.core.templatetags.huike import babel_locale, format_money


def test_money_in_chinese_uses_the_plain_yuan_sign() -> None:
    assert format_money(Decimal("1234.5"), "CNY", "zh-hans") == "¥1,234.50"


def test_money_in_english_marks_the_yuan_as_chinese() -> None:
    assert format_money(Decimal("1234.5"), "CNY", "en") == "CN¥1,234.50"


def test_money_in_other_currencies_and_negative_amounts() -> None:
    assert format_money(Decimal("-1234.5"), "USD", "en") == "-$1,234.50"
    assert format_money(Decimal("1234.5"), "USD", "zh-hans") == "US$1,234.50"


def test_money_without_a_currency_uses_the_default_currency(settings: object) -> None:
    settings.DEFAULT_CURRENCY = "CNY"  # type: ignore[attr-defined]

    assert format_money(Decimal("12"), None, "zh-hans") == "¥12.00"


def test_money_from_a_float_keeps_its_written_digits() -> None:
    # Decimal(0.1) would be 0.1000000000000000055…; going through str keeps "0.10".
    assert format_money(0.1, "CNY", "en") == "CN¥0.10"


@pytest.mark.parametrize("empty", [None, ""])
def test_money_of_nothing_is_an_empty_string(empty: object) -> None:
    assert format_money(empty, "CNY", "en") == ""


def test_money_follows_the_active_language_when_none_is_given() -> None:
    with translation.override("zh-hans"):
        assert format_money(Decimal("5"), "CNY") == "¥5.00"
    with translation.override("en"):
        assert format_money(Decimal("5"), "CNY") == "CN¥5.00"


@pytest.mark.parametrize(
    ("language", "locale"), [("zh-hans", "zh_Hans_CN"), ("zh-HANS", "zh_Hans_CN"), ("en", "en_US")]
)
def test_babel_locale_maps_interface_languages(language: str, locale: str) -> None:
    assert babel_locale(language) == locale


def test_money_filter_formats_in_the_active_language() -> None:
    template = Template('{% load huike %}{{ amount|money:"CNY" }}')

    with translation.override("zh-hans"):
        rendered = template.render(Context({"amount": Decimal("1234.5")}))

    assert rendered == "¥1,234.50"


def _query_with(query: str, tag_arguments: str) -> str:
    request = RequestFactory().get("/accounts/users/?" + query)
    template = Template("{% load huike %}{% query_with " + tag_arguments + " %}")
    return template.render(Context({"request": request}))


def test_query_with_keeps_other_parameters_and_replaces_one() -> None:
    rendered = _query_with("q=wang&sort=-username&cursor=abc", "cursor='xyz'")

    assert rendered == "?q=wang&amp;sort=-username&amp;cursor=xyz"


def test_query_with_removes_parameters_set_to_none_and_adds_new_ones() -> None:
    rendered = _query_with("q=wang&cursor=abc", "export='csv' cursor=None")

    assert rendered == "?q=wang&amp;export=csv"


def test_query_with_keeps_repeated_parameters() -> None:
    assert _query_with("team=1&team=2", "cursor=None") == "?team=1&amp;team=2"


def test_query_with_nothing_left_is_a_bare_question_mark() -> None:
    assert _query_with("cursor=abc", "cursor=None") == "?"


def test_query_with_keeps_values_url_encoded() -> None:
    assert _query_with("q=%E7%8E%8B+%26+%E6%9D%8E", "sort='name'") == (
        "?q=%E7%8E%8B+%26+%E6%9D%8E&amp;sort=name"
    )
