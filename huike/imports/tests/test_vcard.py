"""vCard 2.1, 3.0 and 4.0 from Apple, Android and Outlook: card by card, broken cards skipped."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huike.imports.presets import VCARD, map_row, recognise
from huike.imports.reading import ReadError, Skipped, open_table
from huike.imports.vcard import MAX_ITEMS, card_row, parse_vcards, row_header

SAMPLES = Path(__file__).parent / "samples"


def cards(name: str, encoding: str = "utf-8") -> list[Any]:
    return parsed((SAMPLES / name).read_bytes(), encoding)


def parsed(data: bytes | str, encoding: str = "utf-8") -> list[Any]:
    return list(parse_vcards(data, encoding))


def test_android_21_quoted_printable_with_chinese_names():
    first, second, third = cards("android.vcf")
    assert first["full_name"] == "张三"
    assert (first["family_name"], first["given_name"]) == ("张", "三")
    assert first["phones"] == [
        ("mobile", "13800138000"),
        ("home", "010-65529988"),
        ("fax", "010-65529989"),
    ]
    assert first["emails"] == ["zhangsan@example.cn"]
    # the address had a soft line break in the middle of a character's bytes
    assert first["addresses"][0]["formatted"] == "广东省深圳市科技园路1号 518057"
    assert first["addresses"][0]["type"] == "home"
    assert first["note"] == "第一行\n第二行"
    assert first["birthday"] == "1990-05-30"
    # a card without N or FN keeps its number
    assert second["full_name"] == ""
    assert second["phones"] == [("mobile", "13900139000")]
    # preferred numbers first; compound surname from N
    assert third["family_name"] == "欧阳"
    assert third["phones"][0] == ("mobile", "+8613700137000")
    assert third["emails"] == ["ouyang@example.cn", "ouyang.home@example.cn"]


def test_apple_30_labels_photos_and_company_cards():
    person, company = cards("apple.vcf")
    assert person["full_name"] == "San Zhang"
    assert (person["org"], person["department"]) == ("Example Ltd.", "Sales")
    assert person["title"] == "Account Manager"
    assert person["emails"] == ["san.zhang@example.com", "sales@example.com"]
    # item2.TEL has no type of its own but an Apple label "Mobile"
    assert person["phones"] == [
        ("mobile", "+86 138 0013 8000"),
        ("work", "010 6552 9988"),
        ("mobile", "+86 139 0013 9000"),
    ]
    assert person["note"] == "Likes tea, not coffee\nCall after 10"
    assert person["birthday"] == "--05-30"  # Apple's 1604 means "no year"
    assert person["uid"] == "8F5E5C2A-1B2C-4D3E-9F00-ABCDEF123456"
    assert person["kind"] == "person"
    assert company["kind"] == "organization"
    assert company["full_name"] == "Example Trading Ltd."
    assert company["phones"] == [("main", "+86 21 6555 1235")]


def test_outlook_21_in_gbk_with_charset_parameters():
    (card,) = cards("outlook.vcf", "gb18030")
    assert card["full_name"] == "李四"
    assert card["org"] == "示例科技有限公司"
    assert (card["department"], card["title"]) == ("采购部", "采购经理")
    assert card["phones"] == [
        ("work", "(010) 6552 9988"),
        ("mobile", "139 0013 9000"),
        ("fax", "(010) 6552 9989"),
    ]
    assert card["addresses"][0] == {
        "type": "work",
        "street": "示例路8号",
        "city": "北京市",
        "region": "北京",
        "postcode": "100000",
        "country": "中国",
        "formatted": "北京市示例路8号 100000",
    }
    assert card["emails"] == ["lisi@example.cn"]
    assert card["birthday"] == "1991-06-01"


def test_charset_parameter_differs_from_the_file_encoding():
    data = (
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
        b"FN;CHARSET=GBK;ENCODING=QUOTED-PRINTABLE:=D5=C5=C8=FD\r\n"
        b"N;CHARSET=BIG5:\xb3\xaf;\xa4j\xa4\xe5\r\n"
        b"END:VCARD\r\n"
    )
    (card,) = parsed(data, "utf-8")
    assert card["full_name"] == "张三"
    assert (card["family_name"], card["given_name"]) == ("陳", "大文")


def test_vcard_40_uri_phones_and_kind():
    data = (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:org\r\nFN:示例集团\r\n"
        'TEL;VALUE=uri;TYPE="work,voice";PREF=1:tel:+86-10-6552-9988\r\n'
        "EMAIL;TYPE=work:info@example.cn\r\nEND:VCARD\r\n"
    )
    (card,) = parsed(data)
    assert card["kind"] == "organization"
    assert card["phones"] == [("work", "+86-10-6552-9988")]


def test_folded_lines_and_escapes_in_30():
    data = (
        "BEGIN:VCARD\nVERSION:3.0\nFN:Zhang\n San\nNOTE:a\\, b\\; c\\nd\n"
        "ADR;TYPE=WORK:;;1 Main St\\, Unit 2;Springfield;;;\nEND:VCARD\n"
    )
    (card,) = parsed(data)
    assert card["full_name"] == "ZhangSan"  # RFC 6350 unfolding removes the one space
    assert card["note"] == "a, b; c\nd"
    assert card["addresses"][0]["street"] == "1 Main St, Unit 2"


def test_21_commas_and_backslashes_are_literal():
    data = "BEGIN:VCARD\nVERSION:2.1\nFN:Zhang, San\nNOTE:C:\\path, x\nEND:VCARD\n"
    (card,) = parsed(data)
    assert card["full_name"] == "Zhang, San"
    assert card["note"] == "C:\\path, x"


def test_broken_cards_are_skipped_with_their_line_and_the_rest_is_read():
    good_one, not_closed, bad_charset, good_two = cards("broken.vcf")
    assert good_one["full_name"] == "Good One"
    assert isinstance(not_closed, Skipped)
    assert not_closed.line == 6
    assert "END:VCARD" in not_closed.message
    assert "Never Closed" in not_closed.raw
    assert isinstance(bad_charset, Skipped)
    assert bad_charset.line == 10
    assert good_two["phones"] == [("mobile", "+86-137-0013-7000")]


def test_card_without_any_contact_detail_is_skipped():
    (card,) = parsed("BEGIN:VCARD\nVERSION:3.0\nREV:2024\nEND:VCARD\n")
    assert isinstance(card, Skipped)


def test_junk_property_lines_are_ignored():
    data = 'BEGIN:VCARD\nVERSION:3.0\nFN:ok\nN;TYPE="unclosed:Zhang\nna me:x\nEND:VCARD\n'
    (card,) = parsed(data)
    assert card["full_name"] == "ok"


def test_card_the_parser_refuses_is_skipped(monkeypatch):
    import vobject

    def refuse(*args, **kwargs):
        raise vobject.base.ParseError("nope", 3)

    monkeypatch.setattr(vobject, "readOne", refuse)
    (card,) = parsed("BEGIN:VCARD\nVERSION:3.0\nFN:ok\nEND:VCARD\n")
    assert isinstance(card, Skipped)
    assert (card.line, card.message) == (1, "the card cannot be read.")


def test_oversized_values_skip_the_card_not_the_file():
    data = "BEGIN:VCARD\nVERSION:3.0\nFN:x\nNOTE:" + "y" * 10_001 + "\nEND:VCARD\n"
    data += "BEGIN:VCARD\nVERSION:3.0\nFN:Next\nEND:VCARD\n"
    skipped, card = parsed(data)
    assert isinstance(skipped, Skipped)
    assert card["full_name"] == "Next"


def test_many_phones_are_capped():
    tels = "".join(f"TEL:1380013{n:04d}\n" for n in range(30))
    (card,) = parsed("BEGIN:VCARD\nVERSION:3.0\nFN:x\n" + tels + "END:VCARD\n")
    assert len(card["phones"]) == MAX_ITEMS


def test_row_view_columns_are_the_documented_ones():
    (card,) = cards("outlook.vcf", "gb18030")
    row = card_row(card)
    assert row["Name"] == "李四"
    assert row["Phone 2"] == "139 0013 9000"
    assert row["Phone 2 type"] == "mobile"
    assert row["Address 1 type"] == "work"
    assert row["Kind"] == "person"


def test_vcard_file_through_open_table_and_its_preset():
    with open_table(SAMPLES / "android.vcf", name="contacts.vcf") as table:
        rows = list(table.rows())
    assert table.kind == "vcard"
    assert set(table.header) >= {"Phone 3", "Phone 3 type", "E-mail 2", "Address 1"}
    assert recognise(table.header) is VCARD
    assert [line for line, _row in rows] == [1, 18, 22]
    assert all(set(row) >= set(table.header) for _line, row in rows)
    values, problems = map_row(rows[0][1], VCARD.mapping_for(table.header))
    assert problems == []
    assert values == {
        "name": "张三",
        "mobile": "+8613800138000",
        "phone": "+861065529988",
        "fax": "+861065529989",
        "email": "zhangsan@example.cn",
        "home_address": "广东省深圳市科技园路1号 518057",
        "birth_date": "1990-05-30",
        "notes": "第一行\n第二行",
        "kind": "person",
    }


def test_skipped_cards_reach_the_callback_and_the_table():
    seen: list[Skipped] = []
    with open_table(SAMPLES / "broken.vcf", name="broken.vcf") as table:
        rows = list(table.rows(on_skip=seen.append))
        assert [line for line, _row in rows] == [1, 14]
        assert [skipped.line for skipped in seen] == [6, 10]
        list(table.rows())
        assert [skipped.line for skipped in table.skipped] == [6, 10]
        assert table.skipped_count == 4


def test_vcard_rows_resume_after_a_checkpoint():
    with open_table(SAMPLES / "android.vcf", name="contacts.vcf") as table:
        rows = table.rows()
        next(rows)
        checkpoint = table.checkpoint
        assert [line for line, _row in table.rows(resume=checkpoint)] == [18, 22]


def test_utf16_vcard_is_read():
    data = "\ufeffBEGIN:VCARD\r\nVERSION:3.0\r\nFN:张三\r\nTEL:13800138000\r\nEND:VCARD\r\n"
    with open_table(io.BytesIO(data.encode("utf-16-le")), name="x.vcf") as table:
        rows = list(table.rows())
    assert rows[0][1]["Name"] == "张三"


@pytest.mark.parametrize(
    "data", [b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", b"BEGIN:VCARD but then nothing\r\n"]
)
def test_file_without_cards_is_refused(data):
    with pytest.raises(ReadError) as caught:
        open_table(io.BytesIO(data), name="x.vcf")
    assert caught.value.code == "empty"
    assert "BEGIN:VCARD" in caught.value.message


def test_header_counts_follow_the_busiest_card():
    from huike.imports.vcard import Counts

    header = row_header(Counts(cards=2, phones=2, emails=1, addresses=1))
    assert header[:9] == [
        "Name",
        "Family name",
        "Given name",
        "Nickname",
        "Organization",
        "Department",
        "Title",
        "Phone 1",
        "Phone 1 type",
    ]
    assert "Phone 2 type" in header and "Phone 3" not in header


LINES = [
    "BEGIN:VCARD",
    "END:VCARD",
    "VERSION:2.1",
    "VERSION:3.0",
    "FN:张三",
    "N:a;b;c",
    "TEL;CELL:138",
    "EMAIL:x@y",
    "ADR;HOME:;;a;b;c;d;e",
    "NOTE;ENCODING=QUOTED-PRINTABLE:=E5=BC=",
    "=A0",
    " folded",
    "PHOTO;ENCODING=BASE64:AAAA",
    "item1.X-ABLabel:_$!<Mobile>!$_",
    'TEL;TYPE="cell:tel:1',
    "BDAY:--0530",
    ";;;:::",
    "",
]


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(LINES) | st.text(max_size=30), max_size=40))
def test_random_vcard_lines_never_crash(lines):
    for card in parsed("\r\n".join(lines)):
        assert isinstance(card, (dict, Skipped))
