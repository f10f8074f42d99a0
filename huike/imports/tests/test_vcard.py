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
    "AGENT:",
    "AGENT:BEGIN:VCARD",
    "\ufeffBEGIN:VCARD",
    "TEL;X-CUSTOM(CHARSET=UTF-8,ENCODING=QUOTED-PRINTABLE,=E5=8A=9E):1",
    "TEL;X-CUSTOM(:2",
    "BDAY;X-APPLE-OMIT-YEAR=1604:1604-01-01",
    "TEL;VALUE=uri:tel:+1%;ext=",
    "KIND:group",
    "URL:http\\://x\\",
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


# ---------------------------------------------------------------------------------------------
# Real-world exports (samples rw_*.vcf)
# ---------------------------------------------------------------------------------------------


def test_icloud_export_escapes_labels_omitted_year_and_groups():
    person, company, other = cards("rw_icloud.vcf")  # the contact group is not a contact
    assert person["full_name"] == "Dr. Xiaoming Wang"
    assert (person["family_name"], person["given_name"]) == ("Wang", "Xiaoming")
    assert (person["org"], person["department"]) == ("Foo, Bar & Co.", "Research; Development")
    assert person["emails"] == ["ming@foobar.example", "xm.wang@foobar.example"]
    assert person["phones"] == [
        ("mobile", "(415) 555-0132"),
        ("main", "+1 650 555 0199"),
        ("", "+86 138 0013 8000"),
        ("fax", "+1 650 555 0198"),
    ]
    work, home = person["addresses"]
    assert work["formatted"] == "1 Infinite Loop, Building 3, Cupertino, CA 95014, United States"
    assert (work["type"], home["type"]) == ("work", "home")
    assert home["formatted"] == "广东省深圳市科技园路1号 518057"
    assert person["birthday"] == "--04-15"  # X-APPLE-OMIT-YEAR
    assert person["url"] == "https://foobar.example/~ming"  # Apple's "https\://"
    assert person["note"] == "Met at CES 2024; follow up re: pricing, Q3.\nSecond line"
    assert person["uid"] == "5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE"
    assert (company["full_name"], company["kind"]) == ("Acme, Inc.", "organization")
    assert company["emails"] == ["sales@acme.example"]
    assert other["birthday"] == "1985-04-15"


def test_google_export_labels_escaped_urls_and_cards_without_a_name():
    person, nameless, chinese = cards("rw_google.vcf")
    assert person["full_name"] == "José Martínez"
    assert person["phones"] == [
        ("mobile", "+34 612 34 56 78"),
        ("work", "+34 91 123 45 67"),
        ("", "+86 10 6552 9988"),
    ]
    assert person["emails"] == [
        "jose@example.es",
        "j.martinez@empresa.example",
        "pepe@gmail.example",
    ]
    assert [address["type"] for address in person["addresses"]] == ["home", "other"]
    assert person["addresses"][0]["formatted"] == "Calle Mayor 1, 3º B, Madrid 28013, Spain"
    assert person["url"] == "http://www.empresa.example"
    assert nameless["full_name"] == "" and nameless["emails"] == ["noname@example.com"]
    assert (chinese["full_name"], chinese["birthday"]) == ("刘洋", "--04-15")


def test_android_21_soft_breaks_custom_labels_and_unindented_photo():
    person, number_only, given_only = cards("rw_android21.vcf")
    assert person["full_name"] == "司马相如"
    assert (person["family_name"], person["given_name"]) == ("司马", "相如")
    assert (person["org"], person["title"]) == ("汉朝文学研究所", "研究员")
    # TEL;X-CUSTOM(CHARSET=UTF-8,ENCODING=QUOTED-PRINTABLE,办公) is a work number
    assert person["phones"] == [
        ("mobile", "138 0013 8002"),
        ("home", "+86 10 6552 0000"),
        ("work", "021-5555 1234"),
    ]
    assert (
        person["addresses"][0]["formatted"] == "上海市浦东新区世纪大道100号环球金融中心45楼 200120"
    )
    assert person["note"] == "这是一条很长的备注，用来测试软换行。\n第二行：客户喜欢喝茶。"
    assert person["birthday"] == "1985-04-15"
    assert number_only["phones"] == [("mobile", "10086")]
    assert (given_only["full_name"], given_only["birthday"]) == ("王五", "--04-15")


def test_chinese_phone_in_gb2312_with_quoted_printable():
    first, second = cards("rw_huawei_gb2312.vcf", "gb18030")
    assert first["full_name"] == "诸葛亮"
    assert (first["org"], first["department"], first["title"]) == (
        "蜀汉科技有限公司",
        "研发部",
        "丞相",
    )
    assert first["phones"] == [("mobile", "13800138003"), ("work", "0755-8888 6666 转 801")]
    assert (
        first["addresses"][0]["formatted"]
        == "广东省深圳市南山区科技南十二路2号金蝶软件园A座 518057"
    )
    assert (first["birthday"], first["note"]) == ("1985-04-15", "羽扇纶巾")
    assert (second["family_name"], second["given_name"]) == ("黄", "月英")


def test_nokia_21_with_lf_endings_and_a_base64_photo_ended_by_a_blank_line():
    matti, liisa = cards("rw_nokia21.vcf")
    assert matti["full_name"] == "Matti Virtanen"
    assert matti["phones"][0] == ("mobile", "+358401234567")
    assert matti["addresses"][0]["street"] == "Mannerheimintie 1, C-rappu"
    assert matti["birthday"] == "1970-01-02"
    assert matti["note"] == "Tapaaminen klo 10, huone B;kerros 2"  # read after the photo
    assert liisa["phones"] == [("mobile", "+358 50 765 4321")]


def test_outlook_21_with_pictures_and_a_soft_broken_note():
    (card,) = cards("rw_outlook21.vcf")
    assert card["full_name"] == "Mr. John Q. Smith Jr."
    assert (card["org"], card["department"]) == ("Contoso Ltd.", "Sales")
    assert [kind for kind, _number in card["phones"]] == ["work", "home", "mobile", "fax"]
    assert card["emails"] == ["john.smith@contoso.example"]
    assert card["addresses"][0]["formatted"] == (
        "One Microsoft Way, Redmond, WA 98052, United States of America"
    )
    assert (
        card["note"] == "Discussed the renewal; wants a discount, maybe 10%.\nCall back next week."
    )
    assert card["birthday"] == "1985-04-15"


def test_thunderbird_lower_case_21_and_40_exports():
    old, new = cards("rw_thunderbird.vcf")
    assert (old["full_name"], old["org"], old["department"]) == (
        "Peter Müller",
        "Beispiel GmbH",
        "Einkauf",
    )
    assert old["phones"] == [("work", "+49 30 1234567"), ("mobile", "+49 1512 3456789")]
    assert old["addresses"][0]["formatted"] == "Hauptstraße 5, Berlin 10115, Deutschland"
    assert new["emails"] == ["anna@example.org"]
    assert new["phones"] == [("mobile", "+49 170 1234567"), ("work", "+49 30 7654321")]
    assert (new["birthday"], new["uid"]) == ("1990-02-12", "a1b2c3d4-e5f6-4789-abcd-0123456789ab")


def test_vcard_40_tel_uris_with_extensions_data_uri_photos_and_escapes():
    person, company, other = cards("rw_v4.vcf")
    assert person["phones"] == [("work", "+1-418-555-0142 ext. 102"), ("mobile", "+1-418-555-0177")]
    assert person["addresses"][0]["formatted"] == (
        "1200 rue Saint-Jean, Bureau 310, Québec, QC G1R 1S2, Canada"
    )
    assert person["birthday"] == "--02-03"
    assert (company["kind"], company["full_name"]) == ("organization", "Nord, Sud & Fils")
    assert company["department"] == "Division Est / Ventes; export"
    assert company["phones"] == [("", "+1-555-555-5555")]
    assert other["birthday"] == "1985-04-15"


def test_agent_cards_inside_a_card_are_not_contacts():
    boss, carol = cards("rw_agent.vcf")
    assert boss["full_name"] == "Big Boss"
    assert boss["phones"] == [("work", "+1 212 555 0100")]
    # the lines after the AGENT's card still belong to the card
    assert (boss["emails"], boss["org"]) == (["boss@example.com"], "Big Corp")
    assert (carol["full_name"], carol["emails"]) == ("Carol Chief", ["carol@example.com"])


def test_agent_card_starting_on_the_agent_line():
    data = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Outer\r\nAGENT:BEGIN:VCARD\r\nFN:Inner\r\n"
        "TEL:+1 213 555 0142\r\nEND:VCARD\r\nTEL;CELL:13800138000\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Next\r\nEND:VCARD\r\n"
    )
    outer, after = parsed(data)
    assert (outer["full_name"], outer["phones"]) == ("Outer", [("mobile", "13800138000")])
    assert after["full_name"] == "Next"


def test_agent_cards_do_not_count_in_the_header():
    from huike.imports.vcard import count_properties

    agent = "TEL:1\r\nTEL:2\r\nTEL:3\r\nEMAIL:a@b.example\r\nEMAIL:c@d.example\r\n"
    data = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Boss\r\nTEL:13800138000\r\nAGENT:\r\n"
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Agent\r\n" + agent + "END:VCARD\r\n"
        "TEL:13900139000\r\nEND:VCARD\r\n"
    )
    counts = count_properties(data.encode().splitlines(keepends=True))
    assert (counts.cards, counts.phones, counts.emails) == (1, 2, 1)


def test_odd_file_bom_lower_case_tab_folding_empty_cards_and_trailing_garbage():
    with open_table(SAMPLES / "rw_odd.vcf", name="rw_odd.vcf") as table:
        skipped: list[Skipped] = []
        rows = [row for _line, row in table.rows(on_skip=skipped.append)]
    assert skipped == []  # the empty card is passed over, as a blank row is
    assert [row["Name"] for row in rows] == [
        "Seán O'Brien",
        "Lower Case",
        "Only Org Ltd.",
        "Long Card",
    ]
    assert rows[1]["Note"] == "This note is folded with a tab and continues here."
    assert rows[2]["Kind"] == "organization"
    assert rows[3]["Phone 20"] == "+1 650 555 0119" and "Phone 21" not in rows[3]
    assert rows[3]["Birthday"] == "1985-04-15"


def test_utf16_sample_is_read():
    with open_table(SAMPLES / "rw_utf16.vcf", name="rw_utf16.vcf") as table:
        rows = [row for _line, row in table.rows()]
    assert table.encoding == "utf-16-le"
    assert [(row["Name"], row["Phone 1"]) for row in rows] == [
        ("赵六", "13800138004"),
        ("Émile Zola", "+33 1 23 45 67 89"),
    ]
    assert rows[0]["Organization"] == "示例有限公司"


@pytest.mark.parametrize(
    ("name", "encoding", "count"),
    [
        ("rw_icloud.vcf", "utf-8", 3),
        ("rw_google.vcf", "utf-8", 3),
        ("rw_android21.vcf", "utf-8", 3),
        ("rw_huawei_gb2312.vcf", "gb18030", 2),
        ("rw_nokia21.vcf", "utf-8", 2),
        ("rw_outlook21.vcf", "utf-8", 1),
        ("rw_thunderbird.vcf", "utf-8", 2),
        ("rw_v4.vcf", "utf-8", 3),
        ("rw_agent.vcf", "utf-8", 2),
        ("rw_odd.vcf", "utf-8-sig", 4),
        ("rw_utf16.vcf", "utf-16-le", 2),
    ],
)
def test_real_world_files_open_with_their_encoding_and_no_card_skipped(name, encoding, count):
    seen: list[Skipped] = []
    with open_table(SAMPLES / name, name=name) as table:
        rows = list(table.rows(on_skip=seen.append))
    assert (table.kind, table.encoding, recognise(table.header)) == ("vcard", encoding, VCARD)
    assert seen == []
    assert len(rows) == count
    assert all(set(row) == set(table.header) for _line, row in rows)


def test_real_world_rows_through_the_preset():
    with open_table(SAMPLES / "rw_huawei_gb2312.vcf", name="x.vcf") as table:
        (_line, row), _second = list(table.rows())
        values, problems = map_row(row, VCARD.mapping_for(table.header))
    assert problems == []
    assert values["name"] == "诸葛亮"
    assert values["mobile"] == "+8613800138003"
    assert values["phone"] == "+8675588886666 ext. 801"
    assert values["work_address"] == "广东省深圳市南山区科技南十二路2号金蝶软件园A座 518057"
    assert (values["employer"], values["job_title"]) == ("蜀汉科技有限公司", "丞相")
    assert values["birth_date"] == "1985-04-15"


# ---------------------------------------------------------------------------------------------
# Cases of real files, one by one
# ---------------------------------------------------------------------------------------------


def test_contact_groups_and_empty_cards_are_passed_over():
    data = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Friends\r\nX-ADDRESSBOOKSERVER-KIND:group\r\n"
        "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:1\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:Team\r\nMEMBER:urn:uuid:1\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;;\r\nFN:\r\nPHOTO;ENCODING=b:AAAA\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Real\r\nEND:VCARD\r\n"
    )
    assert [card["full_name"] for card in parsed(data)] == ["Real"]


def test_byte_order_marks_of_joined_files():
    one = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nTEL:13800138000\r\nEND:VCARD\r\n"
    two = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:B\r\nTEL:1\r\nTEL:2\r\nEND:VCARD\r\n"
    data = ("\ufeff" + one + "\ufeff" + two).encode()
    assert [card["full_name"] for card in parsed(data)] == ["A", "B"]
    with open_table(io.BytesIO(data), name="joined.vcf") as table:
        rows = [row for _line, row in table.rows()]
    assert "Phone 2" in table.header
    assert [row["Name"] for row in rows] == ["A", "B"]


def test_21_folding_keeps_the_white_space_30_drops_it():
    data = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:John\r\n Smith\r\nNOTE:one two\r\n\tthree\r\n"
        "END:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:John\r\n  Smith\r\nNOTE:one tw\r\n\to\r\nEND:VCARD\r\n"
    )
    v21, v30 = parsed(data)
    assert (v21["full_name"], v21["note"]) == ("John Smith", "one two three")
    assert (v30["full_name"], v30["note"]) == ("John Smith", "one two")


def test_large_unindented_21_photo_does_not_make_the_card_too_large():
    line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0"
    photo = "\r\n".join([line] * 16_000)  # about 1.2 MB
    data = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Photo\r\nPHOTO;ENCODING=BASE64;TYPE=JPEG:\r\n"
        + photo
        + "\r\n\r\nTEL;CELL:13800138000\r\nEND:VCARD\r\n"
    )
    (card,) = parsed(data)
    assert card["phones"] == [("mobile", "13800138000")]


def test_quoted_printable_soft_breaks_with_trailing_white_space_and_lower_case_hex():
    data = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\n"
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=e5=bc=a0;=e4=b8= \r\n=89;;;\r\n"
        "NOTE;ENCODING=QUOTED-PRINTABLE:a=\t\r\nb\r\nEND:VCARD\r\n"
    )
    (card,) = parsed(data)
    assert (card["full_name"], card["note"]) == ("张三", "ab")


def test_tel_and_mailto_uris():
    data = (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:t\r\n"
        "TEL;VALUE=uri;TYPE=cell:tel:%2B86%20138%200013%208000\r\n"
        "TEL;VALUE=uri:tel:+1-418-555-0142;ext=7;phone-context=example.com\r\n"
        "TEL;VALUE=uri:tel:+1-418-555-0177;isub=1\r\n"
        "EMAIL;VALUE=uri:mailto:someone@example.com\r\nEND:VCARD\r\n"
    )
    (card,) = parsed(data)
    assert card["phones"] == [
        ("mobile", "+86 138 0013 8000"),
        ("", "+1-418-555-0142 ext. 7"),
        ("", "+1-418-555-0177"),
    ]
    assert card["emails"] == ["someone@example.com"]


def test_pref_1_comes_first_not_pref_2():
    data = (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:p\r\nTEL;PREF=2:13900139000\r\n"
        "TEL;PREF=1:13800138000\r\nEND:VCARD\r\n"
    )
    (card,) = parsed(data)
    assert [number for _kind, number in card["phones"]] == ["13800138000", "13900139000"]


@pytest.mark.parametrize(
    ("line", "birthday"),
    [
        ("BDAY:--0415", "--04-15"),
        ("BDAY:--04-15", "--04-15"),
        ("BDAY:19850415", "1985-04-15"),
        ("BDAY:1985-04-15T00:00:00Z", "1985-04-15"),
        ("BDAY:19850415T000000Z", "1985-04-15"),
        ("BDAY;VALUE=date:1604-04-15", "--04-15"),
        ("BDAY;X-APPLE-OMIT-YEAR=1604;VALUE=date:1604-04-15", "--04-15"),
        ("BDAY;X-APPLE-OMIT-YEAR=1900:1900-01-31", "--01-31"),
        ("BDAY;X-APPLE-OMIT-YEAR=1604:1985-04-15", "1985-04-15"),
    ],
)
def test_birthday_forms(line, birthday):
    (card,) = parsed(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:b\r\n{line}\r\nEND:VCARD\r\n")
    assert card["birthday"] == birthday


def test_escaped_colons_and_separators():
    data = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Doe\\, Jr.;John;;;\r\nFN:John Doe\r\n"
        "ORG:A\\;B\\, C;D\r\nADR:;;1 Main St\\; Apt 2\\, rear;Town;;;\r\n"
        "NOTE:path C:\\\\dir\\: x\r\nURL:http\\://example.com\r\nEND:VCARD\r\n"
    )
    (card,) = parsed(data)
    assert card["family_name"] == "Doe, Jr."
    assert (card["org"], card["department"]) == ("A;B, C", "D")
    assert card["addresses"][0]["street"] == "1 Main St; Apt 2, rear"
    assert card["note"] == "path C:\\dir: x"
    assert card["url"] == "http://example.com"


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("工作传真", "fax"),
        ("单位", "work"),
        ("住宅", "home"),
        ("移动电话", "mobile"),
        ("总机", "main"),
        ("_$!<WorkFAX>!$_", "fax"),
        ("微信", ""),
    ],
)
def test_phone_labels(label, kind):
    data = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:l\r\nitem1.TEL:13800138000\r\n"
        f"item1.X-ABLabel:{label}\r\nEND:VCARD\r\n"
    )
    (card,) = parsed(data)
    assert card["phones"] == [(kind, "13800138000")]


def test_android_custom_label_without_quoted_printable():
    data = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:c\r\nTEL;X-CUSTOM(CHARSET=UTF-8,单位):010-65529988\r\n"
        "TEL;X-CUSTOM(Beeper):12345\r\nEND:VCARD\r\n"
    )
    (card,) = parsed(data)
    assert card["phones"] == [("work", "010-65529988"), ("", "12345")]


def test_street_lines_and_extended_address():
    data = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:a\r\n"
        "ADR;TYPE=HOME:;;1600 Example Pkwy\\nMountain View\\, CA 94043\\nUSA;;;;\r\n"
        "ADR;TYPE=WORK:;A座501;科技园路1号;深圳市;广东省;518057;中国\r\nEND:VCARD\r\n"
    )
    (card,) = parsed(data)
    home, work = card["addresses"]
    assert home["formatted"] == "1600 Example Pkwy, Mountain View, CA 94043, USA"
    assert work["formatted"] == "广东省深圳市科技园路1号A座501 518057"


def test_organisation_kind_and_nickname_only_cards():
    data = (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:organization\r\nFN:Org\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nNICKNAME:Mom\r\nTEL:13800138000\r\nEND:VCARD\r\n"
    )
    org, mom = parsed(data)
    assert org["kind"] == "organization"
    assert (mom["full_name"], mom["kind"]) == ("Mom", "person")
