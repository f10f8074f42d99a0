"""Normalisation, validation and search keys in ``huike.parties.text`` (no database)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import phonenumbers
import pytest
from borax.calendars.lunardate import LCalendars, LunarDate
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from huike.parties import text
from huike.parties.text import LunarDay


def error_code(call: Callable[..., object], *args: object) -> str | None:
    """The ``code`` of the ValidationError ``call(*args)`` raises."""
    with pytest.raises(ValidationError) as caught:
        call(*args)
    return caught.value.code


def error_message(call: Callable[..., object], *args: object) -> str:
    """The (English) message of the ValidationError ``call(*args)`` raises."""
    with pytest.raises(ValidationError) as caught:
        call(*args)
    return caught.value.messages[0]


# --- pinyin_display ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张三", "zhang san"),
        ("李Lily", "li lily"),
        ("", ""),
        ("  ·（）  ", ""),
        ("Lily Wang", "lily wang"),
        ("王 小明", "wang xiao ming"),
        ("华为技术有限公司", "hua wei ji shu you xian gong si"),
        ("重庆银行", "chong qing yin hang"),
        ("3M中国", "3m zhong guo"),
        ("ＡＢＣ公司", "abc gong si"),
        ("吕布", "lü bu"),
    ],
)
def test_pinyin_display_gives_toneless_lowercase_syllables(name: str, expected: str) -> None:
    assert text.pinyin_display(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("单田芳", "shan tian fang"),
        ("曾国藩", "zeng guo fan"),
        ("区伟", "ou wei"),
        ("解缙", "xie jin"),
        ("仇英", "qiu ying"),
        ("朴槿惠", "piao jin hui"),
        ("查良镛", "zha liang yong"),
        ("盖聂", "ge nie"),
        ("尉迟恭", "yu chi gong"),
        ("万俟卨", "mo qi xie"),
        ("翟天临", "zhai tian lin"),
        ("  单田芳", "shan tian fang"),
    ],
)
def test_pinyin_display_reads_a_leading_surname_as_a_surname(name: str, expected: str) -> None:
    assert text.pinyin_display(name) == expected


def test_pinyin_display_keeps_the_word_reading_when_the_surname_character_starts_a_word() -> None:
    # 区域 is a dictionary word (qu yu), so 区 is not the surname Ou here.
    assert text.pinyin_display("区域科技有限公司").startswith("qu yu ")
    assert text.pinyin_display("单位") == "dan wei"


def test_pinyin_display_uses_the_surname_reading_only_at_the_start() -> None:
    assert text.pinyin_display("张单") == "zhang dan"


# --- pinyin_keys ------------------------------------------------------------------------------


def test_pinyin_keys_for_a_name_without_polyphonic_characters() -> None:
    assert text.pinyin_keys("张三") == (["zhangsan"], ["zs"])


def test_pinyin_keys_cover_every_reading_of_a_polyphonic_surname() -> None:
    full, initials = text.pinyin_keys("单田芳")

    assert full[0] == "shantianfang"
    assert {"shantianfang", "dantianfang"} <= set(full)
    assert {"stf", "dtf"} <= set(initials)


@pytest.mark.parametrize(
    ("name", "readings"),
    [("曾志伟", {"zengzhiwei", "cengzhiwei"}), ("区伟", {"ouwei", "quwei"})],
)
def test_pinyin_keys_cover_surname_and_common_readings(name: str, readings: set[str]) -> None:
    full, _initials = text.pinyin_keys(name)
    assert readings <= set(full)


def test_pinyin_keys_for_latin_words() -> None:
    assert text.pinyin_keys("Lily Wang") == (["lilywang"], ["lw"])


def test_pinyin_keys_mix_han_and_latin() -> None:
    assert text.pinyin_keys("李Lily") == (["lilily"], ["ll"])


def test_pinyin_keys_expand_only_the_first_two_characters() -> None:
    # 重 is polyphonic (zhong/chong/tong) but third here: only its display reading is indexed.
    full, initials = text.pinyin_keys("张三重")
    assert len(full) == len(initials) == 1


def test_pinyin_keys_spell_u_umlaut_as_v_and_u() -> None:
    full, initials = text.pinyin_keys("吕布")
    assert full[0] == "lvbu"
    assert "lubu" in full
    assert initials == ["lb"]


def test_pinyin_keys_are_deduplicated_and_limited() -> None:
    full, initials = text.pinyin_keys("那英", limit=3)

    assert len(full) == 3
    assert len(set(full)) == len(full)
    assert initials == ["ny"]
    assert text.pinyin_keys("仇英", limit=1) == (["qiuying"], ["qy"])


def test_pinyin_keys_of_empty_text() -> None:
    assert text.pinyin_keys("") == ([], [])
    assert text.pinyin_keys("（）") == ([], [])


@pytest.mark.parametrize("name", ["张三", "单田芳", "Lily Wang", "华为技术有限公司", "区伟"])
def test_first_pinyin_key_is_the_display_reading(name: str) -> None:
    full, _initials = text.pinyin_keys(name)
    assert full[0] == text.pinyin_display(name).replace(" ", "")


# --- normalise_name / organisation_core_name --------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  ZHANG san ", "zhangsan"),
        ("（北京）华为", "北京华为"),
        ("(北京)华为", "北京华为"),
        ("阿卜杜·热合曼", "阿卜杜热合曼"),
        ("Procter & Gamble", "proctergamble"),
        ("O'Neil-Smith_Co.,Ltd", "oneilsmithcoltd"),
        ("华为，技术。有限、公司", "华为技术有限公司"),
        ("ＡＢＣ　１２３", "abc123"),
        ("", ""),
    ],
)
def test_normalise_name(raw: str, expected: str) -> None:
    assert text.normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("华为技术有限公司", "华为技术"),
        ("Acme Co., Ltd.", "acme"),
        ("Siemens AG", "siemens"),
        ("阿里巴巴集团控股有限公司", "阿里巴巴集团控股"),
        ("中国平安保险（集团）股份有限公司", "中国平安保险"),
        ("美的集团股份有限公司", "美的"),
        ("海尔集团", "海尔"),
        ("北京第一机床厂", "北京第一机床"),
        ("老王烟酒店", "老王烟酒"),
        ("华为技术有限公司北京分公司", "华为技术有限公司北京"),
        ("深圳前海某某投资合伙企业（有限合伙）", "深圳前海某某投资"),
        ("Apple Inc.", "apple"),
        ("Microsoft Corporation", "microsoft"),
        ("Google L.L.C.", "google"),
        ("DBS Bank Pte. Ltd.", "dbsbank"),
        ("Carrefour S.A.", "carrefour"),
        ("Philips N.V.", "philips"),
        ("Equinor ASA", "equinorasa"),
        ("Atlas", "atlas"),
        ("Acme Holdings Company Limited", "acmeholdings"),
    ],
)
def test_organisation_core_name_strips_legal_forms_at_the_end(raw: str, expected: str) -> None:
    assert text.organisation_core_name(raw) == expected


@pytest.mark.parametrize("raw", ["集团", "公司", "厂", "店", "Limited"])
def test_organisation_core_name_never_strips_everything(raw: str) -> None:
    assert text.organisation_core_name(raw) == text.normalise_name(raw)


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("138-0013-8000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("0086 13800138000", "+8613800138000"),
        ("１３８００１３８０００", "+8613800138000"),
        ("＋８６ １３８００１３８０００", "+8613800138000"),
        ("010-6552 9988", "+861065529988"),
        ("(010) 6552-9988", "+861065529988"),
        ("0755-8888 8888", "+8675588888888"),
        ("010-65529988转123", "+861065529988"),
        ("13800138000 分机 8", "+8613800138000"),
        ("+1 (202) 555-0143 ext. 12", "+12025550143"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+852 2123 4567", "+85221234567"),
    ],
)
def test_normalise_phone_gives_e164(raw: str, expected: str) -> None:
    assert text.normalise_phone(raw) == expected


def test_normalise_phone_reads_national_numbers_in_the_default_region() -> None:
    assert text.normalise_phone("020 7946 0958", default_region="GB") == "+442079460958"
    assert text.normalise_phone("020 7946 0958") == "+862079460958"  # Guangzhou


@pytest.mark.parametrize("raw", ["", "12345", "1380013800", "phone me", "+86 999 9999", "95588"])
def test_normalise_phone_rejects_invalid_numbers(raw: str) -> None:
    assert error_code(text.normalise_phone, raw) == "invalid_phone"


def _full_parse(raw: str, region: str) -> str | None:
    """What phonenumbers alone makes of ``raw``: E.164, or None when it is not valid."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=400, deadline=None)
@given(
    prefix=st.integers(1000, 1999),
    rest=st.integers(0, 9_999_999),
    country=st.sampled_from(["", "+86", "86", "+86 ", "86-"]),
    separator=st.sampled_from(["", " ", "-"]),
    region=st.sampled_from(["CN", "US", "GB", "HK"]),
)
def test_chinese_mobiles_read_without_the_full_parse_as_phonenumbers_reads_them(
    prefix: int, rest: int, country: str, separator: str, region: str
) -> None:
    # Plain Chinese mobile numbers skip phonenumbers' full parse: the result must not change.
    digits = f"{prefix}{rest:07d}"
    raw = country + separator.join((digits[:3], digits[3:7], digits[7:]))
    expected = _full_parse(raw, region)
    if expected is None:
        assert error_code(text.normalise_phone, raw, region) == "invalid_phone"
    else:
        assert text.normalise_phone(raw, region) == expected


def test_a_mobile_number_without_country_code_is_read_in_the_default_region() -> None:
    assert text.normalise_phone("13800138000", "CN") == "+8613800138000"
    assert text.normalise_phone("+8613800138000", "US") == "+8613800138000"
    assert error_code(text.normalise_phone, "13800138000", "US") == "invalid_phone"


def test_normalise_phone_names_the_value_in_its_message() -> None:
    assert error_message(text.normalise_phone, " 12345 ") == "“12345” is not a valid phone number."


def test_phone_digits_reversed() -> None:
    assert text.phone_digits_reversed("+8613800138000") == "0008310083168"
    assert text.phone_digits_reversed("") == ""


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("8000", "0008"),
        ("０１２３", "3210"),
        ("138 0013 8000", "00083100831"),
        ("(138)0013-8000", "00083100831"),
        ("800", None),
        ("", None),
        ("zhang", None),
        ("0008", "8000"),
        ("010-6552 9988", "8899255601"),
        ("0086 138 0013 8000", "0008310083168"),
        ("+86 138 0013 8000", "0008310083168"),
    ],
)
def test_phone_query_reversed(query: str, expected: str | None) -> None:
    assert text.phone_query_reversed(query) == expected


@pytest.mark.parametrize(
    ("query", "stored"),
    [
        ("8000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("0086-138-0013-8000", "13800138000"),
        ("010-6552 9988", "010 6552 9988"),
        ("9988", "010 6552 9988"),
        ("+44 20 7946 0958", "+44 20 7946 0958"),
    ],
)
def test_a_phone_query_is_a_prefix_of_the_stored_key(query: str, stored: str) -> None:
    key = text.phone_digits_reversed(text.normalise_phone(stored))
    reversed_query = text.phone_query_reversed(query)

    assert reversed_query is not None
    assert key.startswith(reversed_query)


VALID_NATIONAL_PREFIXES = ["130", "138", "139", "150", "159", "177", "186", "199", "1065", "2150"]


@settings(max_examples=50, deadline=None)
@given(
    prefix=st.sampled_from(VALID_NATIONAL_PREFIXES),
    rest=st.text(alphabet="0123456789", min_size=8, max_size=8),
    k=st.integers(min_value=4, max_value=8),
    separator=st.sampled_from(["", " ", "-"]),
)
def test_last_digits_of_a_number_find_it(prefix: str, rest: str, k: int, separator: str) -> None:
    national = prefix + rest
    number = phonenumbers.parse(national, "CN")
    assume(phonenumbers.is_valid_number(number))
    typed = separator.join([national[:-k], national[-k:]]) if separator else national

    key = text.phone_digits_reversed(text.normalise_phone(typed))
    query = text.phone_query_reversed(national[-k:])

    assert query is not None
    assert key.startswith(query)


# --- e-mail -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Zhang.San@Example.COM ", "zhang.san@example.com"),
        ("ｌｉ＠ｅｘａｍｐｌｅ．ｃｎ", "li@example.cn"),
        ("sales+crm@huike.example.com.cn", "sales+crm@huike.example.com.cn"),
    ],
)
def test_normalise_email(raw: str, expected: str) -> None:
    assert text.normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "zhang", "zhang@", "@example.com", "zhang san@example.com"])
def test_normalise_email_rejects_invalid_addresses(raw: str) -> None:
    assert error_code(text.normalise_email, raw) == "invalid_email"


# --- USCC -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91110000600037341L", "91110000600037341L"),
        ("9111 0000 6000-3734 1l", "91110000600037341L"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),
    ],
)
def test_validate_uscc_accepts_and_compacts(raw: str, expected: str) -> None:
    assert text.validate_uscc(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("91110000600037341", "has 17"),
        ("", "has 0"),
        ("A1110000600037341L", "first 8 characters"),
        ("91110000600037341I", "except I, O, S and V"),
        ("91110000600037341M", "check character"),
    ],
)
def test_validate_uscc_names_the_problem(raw: str, fragment: str) -> None:
    assert error_code(text.validate_uscc, raw) == "invalid_uscc"
    assert fragment in error_message(text.validate_uscc, raw)


# --- resident ID ------------------------------------------------------------------------------

BEIJING_ID = "11010519491231002X"


def resident_id(body: str) -> str:
    """``body`` (17 digits) with its check digit."""
    from stdnum.cn import ric

    return body + ric.calc_check_digit(body + "0")


@pytest.mark.parametrize(
    "raw",
    [
        BEIJING_ID,
        "11010519491231002x",
        "110105 19491231 002X",
        "１１０１０５１９４９１２３１００２Ｘ",
    ],
)
def test_validate_resident_id_accepts_and_compacts(raw: str) -> None:
    assert text.validate_resident_id(raw) == BEIJING_ID


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1101051949123100", "has 16"),
        ("11010519491231002Y", "17 digits followed by a digit or X"),
        (resident_id("11010519491331002"), "birth date 19491331"),
        (resident_id("11010520990101002"), "in the future"),
        ("110105194912310021", "check digit"),
        (resident_id("99999919491231002"), "region code 999999"),
    ],
)
def test_validate_resident_id_names_the_problem(raw: str, fragment: str) -> None:
    assert error_code(text.validate_resident_id, raw) == "invalid_resident_id"
    assert fragment in error_message(text.validate_resident_id, raw)


def test_resident_id_birth_date_and_gender() -> None:
    assert text.resident_id_birth_date(BEIJING_ID) == datetime.date(1949, 12, 31)
    assert text.resident_id_gender(BEIJING_ID) == "female"
    assert text.resident_id_gender("360426199101010071") == "male"


def test_resident_id_helpers_reject_invalid_numbers() -> None:
    assert error_code(text.resident_id_gender, "110105194912310021") == "invalid_resident_id"
    assert error_code(text.resident_id_birth_date, "123") == "invalid_resident_id"


# --- lunar dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "canonical"),
    [
        (LunarDay(1990, 4, 8, False), "1990-04-08"),
        (LunarDay(2020, 4, 8, True), "2020-L04-08"),
        (LunarDay(None, 4, 8, False), "--04-08"),
        (LunarDay(None, 4, 8, True), "--L04-08"),
        (LunarDay(1900, 1, 1, False), "1900-01-01"),
    ],
)
def test_lunar_day_canonical(day: LunarDay, canonical: str) -> None:
    assert day.canonical == canonical


@pytest.mark.parametrize(
    ("day", "zh", "en"),
    [
        (LunarDay(2020, 4, 8, True), "农历2020年闰四月初八", "Lunar 2020, leap month 4, day 8"),
        (LunarDay(1990, 4, 8, False), "农历1990年四月初八", "Lunar 1990, month 4, day 8"),
        (LunarDay(None, 4, 8, False), "农历四月初八", "Lunar month 4, day 8"),
        (LunarDay(None, 4, 8, True), "农历闰四月初八", "Lunar leap month 4, day 8"),
        (LunarDay(None, 1, 15, False), "农历正月十五", "Lunar month 1, day 15"),
        (LunarDay(None, 11, 1, False), "农历冬月初一", "Lunar month 11, day 1"),
        (LunarDay(None, 12, 29, False), "农历腊月廿九", "Lunar month 12, day 29"),
        (LunarDay(None, 12, 30, False), "农历腊月三十", "Lunar month 12, day 30"),
    ],
)
def test_lunar_day_display(day: LunarDay, zh: str, en: str) -> None:
    assert day.display("zh-hans") == zh
    assert day.display("zh") == zh
    assert day.display("en") == en


def test_lunar_day_display_in_traditional_chinese() -> None:
    assert LunarDay(2020, 4, 8, True).display("zh-hant") == "農曆2020年閏四月初八"
    assert LunarDay(None, 12, 8, False).display("zh_TW") == "農曆臘月初八"


def test_lunar_day_to_solar() -> None:
    assert LunarDay(2020, 4, 8, True).to_solar() == datetime.date(2020, 5, 30)
    assert LunarDay(2024, 1, 1, False).to_solar() == datetime.date(2024, 2, 10)


def test_lunar_day_without_year_has_no_solar_date() -> None:
    with pytest.raises(ValueError, match="without a year"):
        LunarDay(None, 1, 1, False).to_solar()


def test_next_solar_occurrence_of_an_ordinary_day() -> None:
    spring_festival = LunarDay(None, 1, 1, False)

    assert spring_festival.next_solar_occurrence(datetime.date(2024, 1, 1)) == datetime.date(
        2024, 2, 10
    )
    assert spring_festival.next_solar_occurrence(datetime.date(2024, 2, 10)) == datetime.date(
        2024, 2, 10
    )
    assert spring_festival.next_solar_occurrence(datetime.date(2024, 2, 11)) == datetime.date(
        2025, 1, 29
    )


def test_next_solar_occurrence_ignores_the_birth_year() -> None:
    birthday = LunarDay(1990, 1, 1, False)
    assert birthday.next_solar_occurrence(datetime.date(2024, 1, 1)) == datetime.date(2024, 2, 10)


def test_next_solar_occurrence_uses_the_leap_month_when_the_year_has_it() -> None:
    born_in_leap_month = LunarDay(None, 4, 8, True)
    # 2020 had a leap fourth month: 闰四月初八 = 2020-05-30 (四月初八 was 2020-04-30).
    assert born_in_leap_month.next_solar_occurrence(datetime.date(2020, 5, 1)) == datetime.date(
        2020, 5, 30
    )


def test_next_solar_occurrence_falls_back_to_the_ordinary_month() -> None:
    born_in_leap_month = LunarDay(None, 4, 8, True)
    # 2024 has no leap fourth month, so the ordinary 四月初八 (2024-05-15) is used.
    expected = LunarDate(2024, 4, 8).to_solar_date()

    assert born_in_leap_month.next_solar_occurrence(datetime.date(2024, 3, 1)) == expected
    assert expected == datetime.date(2024, 5, 15)


def test_next_solar_occurrence_falls_back_to_day_29() -> None:
    # The twelfth month of lunar 2024 has 29 days (除夕 2025-01-28 is 腊月廿九).
    new_years_eve = LunarDay(None, 12, 30, False)
    assert new_years_eve.next_solar_occurrence(datetime.date(2025, 1, 1)) == datetime.date(
        2025, 1, 28
    )
    # The twelfth month of lunar 2023 had 30 days.
    assert new_years_eve.next_solar_occurrence(datetime.date(2024, 1, 1)) == datetime.date(
        2024, 2, 9
    )


@settings(max_examples=50, deadline=None)
@given(
    after=st.dates(min_value=datetime.date(1901, 1, 1), max_value=datetime.date(2099, 1, 1)),
    month=st.integers(min_value=1, max_value=12),
    day=st.integers(min_value=1, max_value=30),
    leap=st.booleans(),
)
def test_next_solar_occurrence_is_within_a_year_and_falls_on_that_lunar_day(
    after: datetime.date, month: int, day: int, leap: bool
) -> None:
    try:
        birthday = LunarDay(None, month, day, leap)
    except ValidationError:
        assume(False)  # a leap month or day that no year 1900–2100 has
        raise
    occurrence = birthday.next_solar_occurrence(after)
    lunar = LunarDate.from_solar(occurrence)

    assert after <= occurrence < after + datetime.timedelta(days=400)
    assert lunar.month == month
    assert lunar.day == min(day, LCalendars.ndays(lunar.year, month, lunar.leap))
    assert lunar.leap == int(leap and LCalendars.leap_month(lunar.year) == month)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1990-04-08", LunarDay(1990, 4, 8, False)),
        ("2020-L04-08", LunarDay(2020, 4, 8, True)),
        ("2020-l04-08", LunarDay(2020, 4, 8, True)),
        ("--04-08", LunarDay(None, 4, 8, False)),
        ("--L04-08", LunarDay(None, 4, 8, True)),
        ("2020-闰04-08", LunarDay(2020, 4, 8, True)),
        ("2020-闰4-8", LunarDay(2020, 4, 8, True)),
        ("1990/4/8", LunarDay(1990, 4, 8, False)),
        ("1990.4.8", LunarDay(1990, 4, 8, False)),
        ("农历2020年闰四月初八", LunarDay(2020, 4, 8, True)),
        ("二〇二〇年闰四月初八", LunarDay(2020, 4, 8, True)),
        ("农历四月初八", LunarDay(None, 4, 8, False)),
        ("四月初八", LunarDay(None, 4, 8, False)),
        ("正月十五", LunarDay(None, 1, 15, False)),
        ("腊月廿三", LunarDay(None, 12, 23, False)),
        ("十二月二十三", LunarDay(None, 12, 23, False)),
        ("冬月初一", LunarDay(None, 11, 1, False)),
        ("八月三十", LunarDay(None, 8, 30, False)),
        ("农历 1990 年 4 月 8 日", LunarDay(1990, 4, 8, False)),
        ("  １９９０－０４－０８ ", LunarDay(1990, 4, 8, False)),
    ],
)
def test_parse_lunar_day_accepts(raw: str, expected: LunarDay) -> None:
    assert text.parse_lunar_day(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1990-L04-08", "Lunar year 1990 has no leap month 4"),
        ("2024-L04-08", "Lunar year 2024 has no leap month."),
        ("1990-01-30", "Month 1 of lunar year 1990 has only 29 days."),
        ("2020-L04-30", "Leap month 4 of lunar year 2020 has only 29 days."),
        ("1899-01-01", "between 1900 and 2100"),
        ("2101-01-01", "between 1900 and 2100"),
        ("1990-13-01", "month must be between 1 and 12"),
        ("1990-00-01", "month must be between 1 and 12"),
        ("1990-01-31", "day must be between 1 and 30"),
        ("--L01-01", "has a leap month 1"),
        ("--L08-30", "Leap month 8 has at most 29 days"),
        ("十三月初一", "is not a lunar date"),
        ("四月初", "is not a lunar date"),
        ("1990-4/8", "is not a lunar date"),
        ("", "is not a lunar date"),
        ("next spring", "is not a lunar date"),
    ],
)
def test_parse_lunar_day_says_which_part_is_wrong(raw: str, fragment: str) -> None:
    assert error_code(text.parse_lunar_day, raw) == "invalid_lunar_date"
    assert fragment in error_message(text.parse_lunar_day, raw)


def test_lunar_day_validates_on_construction() -> None:
    assert error_code(LunarDay, 1990, 4, 8, True) == "invalid_lunar_date"


@st.composite
def lunar_days(draw: st.DrawFn) -> LunarDay:
    """A valid lunar day, with or without a year, drawn from borax's month tables."""
    year = draw(st.integers(min_value=1901, max_value=2099))
    month, length, leap = draw(st.sampled_from(list(LCalendars.iter_year_month(year))))
    day = draw(st.integers(min_value=1, max_value=length))
    keep_year = draw(st.booleans())
    return LunarDay(year if keep_year else None, month, day, bool(leap))


@settings(max_examples=50, deadline=None)
@given(lunar_days())
def test_parse_lunar_day_reads_back_its_canonical_form(day: LunarDay) -> None:
    assert text.parse_lunar_day(day.canonical) == day


@settings(max_examples=50, deadline=None)
@given(lunar_days())
def test_parse_lunar_day_reads_back_its_chinese_display(day: LunarDay) -> None:
    assert text.parse_lunar_day(day.display("zh-hans")) == day


# --- Gregorian dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "1990-05-30",
        "1990/5/30",
        "1990.5.30",
        "1990年5月30日",
        "1990年5月30号",
        "19900530",
        " １９９０－０５－３０ ",
    ],
)
def test_parse_gregorian_date_accepts(raw: str) -> None:
    assert text.parse_gregorian_date(raw) == datetime.date(1990, 5, 30)


def test_parse_gregorian_date_accepts_leap_days() -> None:
    assert text.parse_gregorian_date("2024-02-29") == datetime.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("2023-02-29", "2023-02-29 is not a date that exists."),
        ("1990-13-01", "1990-13-01 is not a date that exists."),
        ("20230229", "2023-02-29 is not a date that exists."),
        ("30/05/1990", "is not a date"),
        ("1990-5/30", "is not a date"),
        ("1990年5月", "is not a date"),
        ("", "is not a date"),
        ("yesterday", "is not a date"),
    ],
)
def test_parse_gregorian_date_rejects(raw: str, fragment: str) -> None:
    assert error_code(text.parse_gregorian_date, raw) == "invalid_date"
    assert fragment in error_message(text.parse_gregorian_date, raw)
