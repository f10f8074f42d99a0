"""``values.coerce``: the one place that turns what a channel sent into a stored value."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import trans_real

from huike.parties.models import AttributeDefinition
from huike.parties.values import coerce, display, is_blank

DataType = AttributeDefinition.DataType
Validator = AttributeDefinition.Validator
TEA = [
    {"value": "green", "zh": "绿茶", "en": "Green tea"},
    {"value": "black", "zh": "红茶", "en": "Black tea"},
    {"value": "oolong", "zh": "乌龙", "en": "Oolong"},
]


def field(data_type: str = DataType.TEXT, **kwargs: Any) -> AttributeDefinition:
    """An unsaved definition: ``coerce`` needs no database."""
    return AttributeDefinition(
        code="x", label_zh="字段", label_en="Field", data_type=data_type, **kwargs
    )


def error_of(attribute: AttributeDefinition, raw: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        coerce(attribute, raw)
    return caught.value


# --- Text and its validators --------------------------------------------------------------


def test_text_is_stripped_and_kept_as_text() -> None:
    assert coerce(field(), "  李雷  ") == ("李雷", "李雷")
    assert coerce(field(), 42) == ("42", "42")


@pytest.mark.parametrize("raw", [["a"], {"a": 1}])
def test_text_refuses_lists_and_objects(raw: Any) -> None:
    error = error_of(field(), raw)

    assert error.code == "invalid_text"
    assert error.messages == ["Send text, not a list or object."]


def test_text_is_limited_to_500_characters_and_long_text_to_10000() -> None:
    assert coerce(field(), "x" * 500)[0] == "x" * 500
    assert error_of(field(), "x" * 501).messages == ["At most 500 characters."]

    value, value_text = coerce(field(DataType.LONG_TEXT), "y" * 10000)
    assert value == "y" * 10000
    assert value_text == "y" * 500  # the comparable text is cut; the value is whole
    assert error_of(field(DataType.LONG_TEXT), "y" * 10001).messages == [
        "At most 10000 characters."
    ]


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "0086 138 0013 8000",
        "(+86) 138.0013.8000",
        "１３８００１３８０００",
    ],
)
def test_a_phone_in_any_common_format_is_stored_as_e164(raw: str) -> None:
    assert coerce(field(validator=Validator.PHONE), raw) == ("+8613800138000", "+8613800138000")


def test_a_landline_keeps_its_area_code_and_drops_an_extension() -> None:
    phone = field(validator=Validator.PHONE)

    assert coerce(phone, "010-6552 9988")[0] == "+861065529988"
    assert coerce(phone, "(021) 6666 7777 转 12")[0] == "+862166667777"


@pytest.mark.parametrize("raw", ["12345", "138001380001234", "phone me"])
def test_an_invalid_phone_is_refused_naming_the_value(raw: str) -> None:
    error = error_of(field(validator=Validator.PHONE), raw)

    assert error.code == "invalid_phone"
    assert error.messages == [f"“{raw}” is not a valid phone number."]


def test_an_email_is_lowercased_and_full_width_at_signs_folded() -> None:
    email = field(validator=Validator.EMAIL)

    assert coerce(email, " Mei.Lin@Example.COM ")[0] == "mei.lin@example.com"
    assert coerce(email, "mei＠example.com")[0] == "mei@example.com"


def test_an_invalid_email_is_refused() -> None:
    error = error_of(field(validator=Validator.EMAIL), "mei at example")

    assert error.code == "invalid_email"
    assert error.messages == ["“mei at example” is not a valid e-mail address."]


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("91110000600037341L", "91110000600037341L"),
        ("9111 0000 6000 3734 1l", "91110000600037341L"),
        ("914403001922038216", "914403001922038216"),
        ("91110108-551385082-Q", "91110108551385082Q"),
    ],
)
def test_a_valid_uscc_is_compacted_and_upper_cased(raw: str, stored: str) -> None:
    assert coerce(field(validator=Validator.USCC), raw) == (stored, stored)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            "91330106MA27XL0E2H",
            "The check character of unified social credit code “91330106MA27XL0E2H” is wrong; "
            "look for a mistyped character.",
        ),
        (
            "9111000060003734",
            "A unified social credit code has 18 characters; “9111000060003734” has 16.",
        ),
    ],
)
def test_an_invalid_uscc_is_refused_saying_what_is_wrong(raw: str, message: str) -> None:
    error = error_of(field(validator=Validator.USCC), raw)

    assert error.code == "invalid_uscc"
    assert error.messages == [message]


def test_a_resident_id_is_upper_cased_and_checked() -> None:
    resident_id = field(validator=Validator.RESIDENT_ID)

    assert coerce(resident_id, "11010519491231002x")[0] == "11010519491231002X"
    wrong = error_of(resident_id, "110105194912310021")
    assert wrong.code == "invalid_resident_id"
    assert "check digit" in wrong.messages[0]
    short = error_of(resident_id, "1101051949123100")
    assert short.messages == ["A resident ID number has 18 characters; “1101051949123100” has 16."]


def test_a_web_address_gets_a_scheme_when_it_has_none() -> None:
    website = field(validator=Validator.URL)

    assert coerce(website, "huike.example.cn")[0] == "http://huike.example.cn"
    assert coerce(website, "https://huike.example.cn/about")[0] == "https://huike.example.cn/about"
    assert error_of(website, "not a web address").messages == ["Enter a valid web address."]


# --- Numbers and money ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("12", "12"),
        (" 42 ", "42"),
        ("1,234.50", "1234.50"),
        ("1，234", "1234"),
        ("1000", "1000"),
        ("1e3", "1000"),
        ("12.000", "12"),
        ("0.5", "0.5"),
        (-7, "-7"),
    ],
)
def test_numbers_are_stored_as_decimal_text_without_exponents(raw: Any, stored: str) -> None:
    # Regression: whole numbers were normalised to "1E+3" for 1000.
    assert coerce(field(DataType.NUMBER), raw) == (stored, stored)


@pytest.mark.parametrize("raw", ["abc", "NaN", "Infinity", True, "1.2.3"])
def test_what_is_not_a_finite_number_is_refused(raw: Any) -> None:
    error = error_of(field(DataType.NUMBER), raw)

    assert error.code == "invalid_number"
    assert error.messages == ["Enter a number."]


@pytest.mark.parametrize(
    ("raw", "amount", "currency"),
    [
        ("¥1,234.5", "1234.50", "CNY"),
        ("￥ 7", "7.00", "CNY"),
        ("1,234", "1234.00", "CNY"),
        (12, "12.00", "CNY"),
        ("USD 10", "10.00", "USD"),
        ("10 eur", "10.00", "EUR"),
        ("$3.456", "3.46", "USD"),
        ("HK$5", "5.00", "HKD"),
        ("€2", "2.00", "EUR"),
        ({"amount": "99.9", "currency": "usd"}, "99.90", "USD"),
        ({"amount": 5}, "5.00", "CNY"),
    ],
)
def test_money_accepts_signs_codes_and_objects(raw: Any, amount: str, currency: str) -> None:
    value, value_text = coerce(field(DataType.MONEY), raw)

    assert value == {"amount": amount, "currency": currency}
    assert value_text == f"{amount} {currency}"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("10 US", "invalid_currency"),
        ({"amount": "1", "currency": "RMB1"}, "invalid_currency"),
        ("ten yuan", "invalid_number"),
        ({"amount": None}, "invalid_number"),
        ("1e40", "invalid_number"),
    ],
)
def test_money_refuses_bad_amounts_and_currencies(raw: Any, code: str) -> None:
    # "1e40" has more digits than a Decimal holds with cents: an error, not a crash.
    error = error_of(field(DataType.MONEY), raw)

    assert error.code == code


# --- Yes / no, choices ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("是", True),
        ("否", False),
        ("true", True),
        ("FALSE", False),
        ("Yes", True),
        ("n", False),
        ("1", True),
        (0, False),
        (True, True),
        ("√", True),
        ("无", False),
    ],
)
def test_yes_and_no_in_chinese_english_and_digits(raw: Any, expected: bool) -> None:
    assert coerce(field(DataType.BOOLEAN), raw) == (expected, "true" if expected else "false")


def test_an_answer_that_is_not_yes_or_no_is_refused() -> None:
    error = error_of(field(DataType.BOOLEAN), "maybe")

    assert error.code == "invalid_boolean"
    assert error.messages == ["Answer yes or no."]


@pytest.mark.parametrize("raw", ["green", "绿茶", "Green tea", "GREEN TEA", " green "])
def test_a_choice_is_found_by_value_or_by_its_chinese_or_english_label(raw: str) -> None:
    assert coerce(field(DataType.CHOICE, choices=TEA), raw) == ("green", "green")


def test_an_unknown_choice_is_refused_listing_the_allowed_values() -> None:
    error = error_of(field(DataType.CHOICE, choices=TEA), "coffee")

    assert error.code == "invalid_choice"
    assert error.messages == ["“coffee” is not one of the choices: green, black, oolong."]


@pytest.mark.parametrize(
    "raw",
    [
        "绿茶，black",
        "black, Green tea",
        ["black", "green", "black"],
        "green,,black,",
    ],
)
def test_multiple_choices_are_sorted_deduplicated_values(raw: Any) -> None:
    assert coerce(field(DataType.MULTI_CHOICE, choices=TEA), raw) == (
        ["black", "green"],
        "black,green",
    )


def test_one_unknown_item_refuses_the_whole_multiple_choice() -> None:
    error = error_of(field(DataType.MULTI_CHOICE, choices=TEA), "green,coffee")

    assert error.code == "invalid_choice"


# --- Dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "1990-05-30",
        "1990/5/30",
        "1990.5.30",
        "1990年5月30日",
        "19900530",
        datetime.date(1990, 5, 30),
    ],
)
def test_gregorian_dates_in_several_formats_are_stored_iso(raw: Any) -> None:
    assert coerce(field(DataType.DATE), raw) == ("1990-05-30", "1990-05-30")


def test_an_impossible_or_unreadable_date_is_refused() -> None:
    impossible = error_of(field(DataType.DATE), "2023-02-29")
    unreadable = error_of(field(DataType.DATE), "30/05/1990")

    assert impossible.code == unreadable.code == "invalid_date"
    assert impossible.messages == ["2023-02-29 is not a date that exists."]
    assert unreadable.messages == ["“30/05/1990” is not a date. Write it like 1990-05-30."]


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("1990-04-08", "1990-04-08"),
        ("农历1990年四月初八", "1990-04-08"),
        ("2020-L04-08", "2020-L04-08"),
        ("2020-闰4-8", "2020-L04-08"),
        ("农历2020年闰四月初八", "2020-L04-08"),
        ("四月初八", "--04-08"),
        ("正月十五", "--01-15"),
        ("--L04-08", "--L04-08"),
    ],
)
def test_lunar_dates_with_and_without_year_and_leap_month(raw: str, stored: str) -> None:
    assert coerce(field(DataType.LUNAR_DATE), raw) == (stored, stored)


def test_a_leap_month_the_year_does_not_have_is_refused() -> None:
    error = error_of(field(DataType.LUNAR_DATE), "1990-L04-08")

    assert error.code == "invalid_lunar_date"
    assert error.messages == ["Lunar year 1990 has no leap month 4; its leap month is 5."]


def test_a_link_to_a_customer_needs_a_number() -> None:
    assert coerce(field(DataType.PARTY), "12") == (12, "12")
    assert error_of(field(DataType.PARTY), "张三").code == "invalid_party"


@pytest.mark.parametrize("raw", [None, "", "   ", []])
def test_blank_values_are_recognised(raw: Any) -> None:
    assert is_blank(raw)


@pytest.mark.parametrize("raw", [0, False, "0", ["a"]])
def test_falsy_values_that_say_something_are_not_blank(raw: Any) -> None:
    assert not is_blank(raw)


# --- Messages in the reader's language -------------------------------------------------------


Translate = Callable[[str, str], None]


@pytest.fixture
def translate_into_chinese() -> Iterator[Translate]:
    """``translate(msgid, text)``: a zh-Hans translation for one test, whatever the catalogue
    holds today, so the test shows the message is translated when the value is checked."""
    # The catalogue looks a message up in several dicts; the first one takes new entries.
    first: dict[str, str] = trans_real.translation("zh-hans")._catalog._catalogs[0]  # type: ignore[attr-defined]
    previous: dict[str, str | None] = {}

    def translate(msgid: str, text: str) -> None:
        previous.setdefault(msgid, first.get(msgid))
        first[msgid] = text

    yield translate
    for msgid, text in previous.items():
        if text is None:
            first.pop(msgid, None)
        else:
            first[msgid] = text


@pytest.mark.parametrize(
    ("attribute", "raw", "msgid", "chinese"),
    [
        (field(DataType.BOOLEAN), "maybe", "Answer yes or no.", "请回答是或否。"),
        (field(DataType.NUMBER), "abc", "Enter a number.", "请输入数字。"),
        (
            field(validator=Validator.PHONE),
            "12345",
            "“{value}” is not a valid phone number.",
            "“{value}”不是有效的电话号码。",
        ),
        (
            field(DataType.CHOICE, choices=TEA),
            "咖啡",
            "“{value}” is not one of the choices: {allowed}.",
            "“{value}”不在可选项中：{allowed}。",
        ),
    ],
)
def test_errors_are_translated_into_the_language_active_when_the_value_is_checked(
    translate_into_chinese: Translate,
    attribute: AttributeDefinition,
    raw: Any,
    msgid: str,
    chinese: str,
) -> None:
    translate_into_chinese(msgid, chinese)

    with translation.override("zh-hans"):
        in_chinese = error_of(attribute, raw).messages
    with translation.override("en"):
        in_english = error_of(attribute, raw).messages

    allowed = "green, black, oolong"
    assert in_chinese == [chinese.format(value=raw, allowed=allowed)]
    assert in_english == [msgid.format(value=raw, allowed=allowed)]


# --- Display --------------------------------------------------------------------------------


def test_choices_display_in_the_readers_language() -> None:
    tea = field(DataType.CHOICE, choices=TEA)
    teas = field(DataType.MULTI_CHOICE, choices=TEA)

    with translation.override("zh-hans"):
        assert display(tea, "green") == "绿茶"
        assert display(teas, ["black", "green"]) == "红茶、绿茶"
    with translation.override("en"):
        assert display(tea, "green") == "Green tea"
        assert display(teas, ["black", "green"]) == "Black tea, Green tea"
        assert display(tea, "retired") == "retired"  # a value no longer offered stays readable


def test_yes_no_lunar_money_and_dates_display_for_people() -> None:
    with translation.override("en"):
        assert display(field(DataType.BOOLEAN), True).casefold() == "yes"
        assert display(field(DataType.BOOLEAN), False).casefold() == "no"
        assert (
            display(field(DataType.LUNAR_DATE), "2020-L04-08") == "Lunar 2020, leap month 4, day 8"
        )
        assert (
            display(field(DataType.MONEY), {"amount": "1234.50", "currency": "USD"}) == "$1,234.50"
        )
        assert display(field(DataType.DATE), "1990-05-30") == "May 30, 1990"
        assert display(field(), "") == ""
    with translation.override("zh-hans"):
        assert display(field(DataType.BOOLEAN), True) == "是"
        assert display(field(DataType.BOOLEAN), False) == "否"
        assert display(field(DataType.LUNAR_DATE), "2020-L04-08") == "农历2020年闰四月初八"
        assert (
            display(field(DataType.MONEY), {"amount": "1234.50", "currency": "CNY"}) == "¥1,234.50"
        )
