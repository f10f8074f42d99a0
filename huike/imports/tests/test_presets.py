"""Presets recognised from real header layouts, suggestions in Chinese and English, transforms."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huike.imports import presets
from huike.imports.presets import (
    PRESETS,
    TRANSFORMS,
    check_mapping,
    format_address,
    gender,
    join_name,
    map_row,
    parse_date,
    party_kind,
    phone,
    recognise,
    split_full_name,
    suggest,
)
from huike.imports.reading import open_table
from huike.imports.transforms import html_text
from huike.imports.vcard import Counts, row_header
from huike.parties.attributes import DEFAULT_ATTRIBUTES

SAMPLES = Path(__file__).parent / "samples"
KNOWN = [entry["code"] for entry in DEFAULT_ATTRIBUTES]
SAMPLE_OF = {
    "outlook": "outlook.csv",
    "outlook_zh": "outlook_zh.csv",
    "outlook_de": "rp_outlook_de.csv",
    "outlook_fr": "rp_outlook_fr.csv",
    "google": "google.csv",
    "google_legacy": "google_legacy.csv",
    "vcard": "apple.vcf",
    "salesforce_contacts": "salesforce_contacts.csv",
    "salesforce_accounts": "salesforce_accounts.csv",
    "hubspot_contacts": "hubspot_contacts.csv",
    "hubspot_companies": "hubspot_companies.csv",
    "odoo": "odoo.csv",
    "odoo_labels": "odoo_labels.csv",
    "zoho_contacts": "zoho_contacts.csv",
    "zoho_accounts": "zoho_accounts.csv",
    "espocrm_contacts": "espocrm_contacts.csv",
    "espocrm_accounts": "espocrm_accounts.csv",
}


def sample(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with open_table(SAMPLES / name, name=name) as table:
        return table.header, [row for _line, row in table.rows()]


def mapped(name: str, known: list[str] | None = None) -> list[tuple[dict[str, str], list[str]]]:
    header, rows = sample(name)
    preset = recognise(header)
    assert preset is not None
    mapping = preset.mapping_for(header, known if known is not None else [*KNOWN, "notes"])
    return [map_row(row, mapping, kind=preset.kind) for row in rows]


# ---------------------------------------------------------------------------------------------
# Recognition
# ---------------------------------------------------------------------------------------------


def test_every_preset_has_a_sample():
    assert set(SAMPLE_OF) == set(PRESETS)


@pytest.mark.parametrize(("code", "file_name"), sorted(SAMPLE_OF.items()))
def test_each_preset_is_recognised_from_its_own_sample_only(code, file_name):
    header, _rows = sample(file_name)
    assert recognise(header) is PRESETS[code]
    # and its signature does not pass the threshold on any other preset's sample
    for other_code, other_file in SAMPLE_OF.items():
        if other_file != file_name:
            other_header, _ = sample(other_file)
            assert recognise(other_header) is not PRESETS[code], other_code


def test_recognition_ignores_case_and_spacing_and_needs_the_threshold():
    header = [name.upper() + "  " for name in presets.OUTLOOK.signature]
    assert recognise(header) is presets.OUTLOOK
    some = sorted(presets.OUTLOOK.signature)[: int(len(presets.OUTLOOK.signature) * 0.5)]
    assert recognise(some) is None
    assert recognise(["姓名", "手机", "邮箱"]) is None


def columns_of(signature: frozenset[str]) -> list[str]:
    """One column name for each signature entry (its first alternative)."""
    return [names.split("|")[0] for names in sorted(signature)]


def test_ties_go_to_the_more_specific_preset():
    # Given a header holding every signature column of two presets of different sizes
    small, large = presets.HUBSPOT_COMPANIES, presets.SALESFORCE_ACCOUNTS
    assert len(small.signature) < len(large.signature)
    # Then the one with more matching headers wins, whatever the order
    assert recognise([*columns_of(small.signature), *columns_of(large.signature)]) is large
    assert recognise([*columns_of(large.signature), *columns_of(small.signature)]) is large


def test_preset_specs_name_known_attributes_and_transforms():
    for preset in PRESETS.values():
        problems = check_mapping(dict(preset.columns), [*KNOWN, "notes"])
        assert problems == [], preset.code


def test_vcard_preset_columns_exist_in_the_vcard_row_header():
    header = row_header(Counts(cards=1, phones=3, emails=2, addresses=2))
    mapping = presets.VCARD.mapping_for(header)
    for key in presets.VCARD.columns:
        assert key.replace("{n}", "1") in header
    assert mapping["Phone 3"] == "phones"
    assert mapping["Phone 3 type"] is None


def test_mapping_for_drops_attributes_this_installation_does_not_have():
    header, _rows = sample("outlook.csv")
    without_notes = [code for code in KNOWN if code != "notes"]  # an administrator retired it
    mapping = presets.OUTLOOK.mapping_for(header, without_notes)
    assert mapping["Notes"] is None
    assert mapping["Mobile Phone"] == "mobile:phone"
    assert mapping["Priority"] is None
    assert set(mapping) == set(header)


def test_get_preset():
    assert presets.get_preset("google") is presets.GOOGLE
    assert presets.get("nope") is None


# ---------------------------------------------------------------------------------------------
# Presets applied to their samples
# ---------------------------------------------------------------------------------------------


def test_outlook_sample():
    (first, problems), (second, second_problems) = mapped("outlook.csv")
    assert problems == second_problems == []
    assert first == {
        "name": "San Zhang",
        "employer": "Example Trading Co., Ltd.",
        "job_title": "Sales Manager",
        "work_address": "1 Example Road, Shanghai 200000, China",
        "mobile": "+8613800138000",
        "phone": "+862165551235",
        "fax": "+862165551234",
        "email": "san.zhang@example.com",
        "birth_date": "1990-05-30",
        "gender": "male",
        "notes": "Met at the trade fair",
    }
    assert second == {
        "name": "Mei Li",
        "phone": "+12015550123",
        "email": "mei.li@example.org",
        "notes": "Line one\nLine two",
    }


def test_chinese_outlook_sample_in_gbk():
    (first, _), (second, _) = mapped("outlook_zh.csv")
    assert first["name"] == "张三"
    assert first["work_address"] == "广东省深圳市科技园路1号 518057"
    assert (first["mobile"], first["gender"], first["notes"]) == (
        "+8613800138000",
        "male",
        "展会认识",
    )
    assert second["name"] == "欧阳芳"


def test_google_sample_routes_phones_and_addresses_by_their_labels():
    (first, problems), (second, second_problems) = mapped("google.csv")
    assert problems == []
    assert first["mobile"] == "+8613800138000"
    assert first["phone"] == "+861065529988"
    assert first["home_address"] == "1 Example Road, Beijing 100000, China"
    assert first["name"] == "San Zhang"
    # an unlabelled Chinese mobile number is a mobile; the first of ":::" values is taken
    assert second["mobile"] == "+8613900139000"
    assert second["fax"] == "+861065529989"
    assert second["name"] == "王三"
    assert second_problems == ["Birthday: “--05-30” has no year."]


def test_legacy_google_full_name_wins_over_its_parts():
    ((values, problems),) = mapped("google_legacy.csv")
    assert problems == []
    assert values["name"] == "Zhang San"
    assert values["work_address"] == "北京市朝阳区示例路2号"
    assert values["fax"] == "+861065529989"


def test_organisation_presets_map_to_organisation_attributes():
    ((salesforce, problems),) = mapped("salesforce_accounts.csv")
    assert problems == []
    assert salesforce["name"] == "Example Foods Ltd."
    assert salesforce["postal_address"] == "8 Sample Street, Hangzhou, Zhejiang 310000, China"
    assert salesforce["external_id"] == "0015g00000XyZaB"
    ((hubspot, _),) = mapped("hubspot_companies.csv")
    assert hubspot["office_address"].startswith("9 Demo Avenue")
    assert hubspot["employees"] == "35"


def test_odoo_rows_say_whether_they_are_companies():
    (company, _), (person, _) = mapped("odoo.csv")
    assert company["kind"] == "organization"
    assert company["postal_address"] == "北京市示例路8号 100000"
    assert person["kind"] == "person"
    assert person["employer"] == "示例科技有限公司"
    assert person["mobile"] == "+8613600136000"  # "phone" holding a mobile number


def test_vcard_company_card_does_not_report_its_org_as_an_employer():
    (_person, _), (company, problems) = mapped("apple.vcf")
    assert company == {
        "name": "Example Trading Ltd.",
        "phone": "+862165551235",
        "kind": "organization",
    }
    assert problems == []


# ---------------------------------------------------------------------------------------------
# Real export layouts (the rp_ samples: header rows as the systems write them today)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "code"),
    [
        ("rp_outlook_com.csv", "outlook"),  # Outlook.com and the new Outlook: "Export contacts"
        ("rp_google_outlook_csv.csv", "outlook"),  # Google Contacts' "Outlook CSV"
        ("rp_outlook_zh_2007.csv", "outlook_zh"),  # 英文称谓, 名, 中间名, 姓, 中文称谓, 单位…
        ("rp_outlook_de.csv", "outlook_de"),
        ("rp_outlook_fr.csv", "outlook_fr"),
        ("rp_google.csv", "google"),
        ("rp_salesforce_report_contacts.csv", "salesforce_contacts"),
        ("rp_salesforce_dataloader_contacts.csv", "salesforce_contacts"),
        ("rp_salesforce_dataloader_accounts.csv", "salesforce_accounts"),
        ("rp_hubspot_contacts_view.csv", "hubspot_contacts"),
        ("rp_odoo_compat.csv", "odoo"),
        ("rp_odoo_labels_zh.csv", "odoo_labels"),
        ("rp_zoho_contacts.csv", "zoho_contacts"),
    ],
)
def test_real_export_layouts_are_recognised(file_name, code):
    header, _rows = sample(file_name)
    preset = recognise(header)
    assert preset is not None and preset.code == code


def test_a_spreadsheet_of_ones_own_is_not_taken_for_an_odoo_export():
    # Name, Street, Street2, Zip, State, Country are Odoo's labels too; its Company is the
    # employer here, where Odoo's would be the company that owns the record.
    header, (row,) = sample("rp_generic_addresses.csv")
    assert recognise(header) is None
    values, problems = map_row(row, suggest(header, KNOWN))
    assert problems == []
    assert values["employer"] == "Example Shipping"
    assert values["postal_address"] == "9 Harbour Road, Ningbo, Zhejiang 315000, China"


def test_outlook_com_export():
    ((values, problems),) = mapped("rp_outlook_com.csv")
    assert problems == []
    assert values == {
        "name": "Wei Huang",
        "email": "wei.huang@example.net",  # the first e-mail is empty: the second one
        "mobile": "+8613900139001",
        "phone": "+862165550101",
        "fax": "+862165550102",
        "employer": "Example Foods",
        "job_title": "Buyer",
        "home_address": "2 Sample Lane, Suzhou, Jiangsu 215000, China",  # Home Country/Region
        "spouse_name": "Lin Huang",
        "hobbies": "Go",
        "birth_date": "1985-11-02",
        "notes": "Prefers WeChat\nCall after 10",
    }


def test_googles_outlook_csv_with_whole_addresses_and_countries_without_region():
    ((values, problems),) = mapped("rp_google_outlook_csv.csv")
    assert problems == []
    # "Business Address" (the whole address) wins over its parts and is kept on one line
    assert values["work_address"] == "5 Demo Road, Beijing 100001, China"
    assert (values["name"], values["employer"], values["job_title"]) == (
        "Jun Zhao",
        "Example Media",
        "Editor",
    )
    assert (values["mobile"], values["phone"]) == ("+8613700137001", "+861065520001")


def test_older_chinese_outlook_in_gbk():
    ((values, problems),) = mapped("rp_outlook_zh_2007.csv")
    assert problems == []  # 性别 “未指定” is Outlook's unspecified, not a bad value
    assert values == {
        "name": "刘晓明",
        "employer": "示例贸易有限公司",  # 单位
        "job_title": "采购经理",
        "work_address": "广东省广州市天河路88号 510000",
        "phone": "+862088880002",  # 住宅电话2, written without a space
        "mobile": "+8613500135001",
        "email": "liuxm@example.cn",  # 电子邮件 2 地址
        "birth_date": "1988-08-08",
        "hobbies": "羽毛球",  # 业余爱好
        "notes": "老客户",
    }


def test_german_and_french_outlook():
    ((german, problems),) = mapped("rp_outlook_de.csv")
    assert problems == []
    assert german == {
        "name": "Jürgen Müller",
        "employer": "Beispiel GmbH",
        "job_title": "Einkäufer",
        "work_address": "Hauptstraße 5, München 80331, Deutschland",
        "phone": "+49891234567",
        "mobile": "+4915123456789",
        "email": "j.mueller@example.de",
        "gender": "male",
        "notes": "Messe 2024",
    }
    ((french, problems),) = mapped("rp_outlook_fr.csv")
    assert problems == []
    assert french["name"] == "Pierre Dupont"
    assert french["job_title"] == "Directeur commercial"  # the second "Titre", not "M."
    assert french["birth_date"] == "1975-05-30"  # "Anniversaire" is a birthday in French
    assert (french["mobile"], french["phone"]) == ("+33612345678", "+33142000000")
    assert french["email"] == "pierre.dupont@example.fr"
    assert french["work_address"] == "12 rue de la Paix, Paris 75002, France"
    assert french["gender"] == "male"


def test_google_cells_with_several_values_and_labels():
    (first, problems), (second, second_problems) = mapped("rp_google.csv")
    assert problems == second_problems == []
    assert first == {
        "name": "Fang Sun",
        "employer": "Example Travel",
        "job_title": "CEO",
        "birth_date": "1980-02-29",
        "notes": "VIP",
        "email": "fang.sun@example.com",  # the first of "a ::: b"
        "fax": "+862888880001",  # Work Fax
        "mobile": "+8613500135002",
        "phone": "+862888880000",
        "work_address": "3 Demo Lane, Chengdu, Sichuan 610000, China",
    }
    assert second == {"name": "吴", "email": "only.second@example.org", "mobile": "+8613900139002"}


def test_salesforce_data_loader_exports_use_api_names():
    ((contact, problems),) = mapped("rp_salesforce_dataloader_contacts.csv")
    assert problems == []
    assert contact == {
        "external_id": "0035g00000QrStU",
        "name": "Mei Li",
        "job_title": "Buyer",  # TITLE is the job title; SALUTATION is Ms.
        "postal_address": "8 Sample Street Building 2, Hangzhou, Zhejiang 310000, China",
        "phone": "+8657188886666",
        "mobile": "+8613900139000",
        "email": "mei.li@example.com",
        "birth_date": "1991-05-30",
        "notes": "Met at the fair",
    }
    ((account, problems),) = mapped("rp_salesforce_dataloader_accounts.csv")
    assert problems == []
    assert account == {
        "external_id": "0015g00000XyZaB",
        "name": "Example Foods Ltd.",
        "postal_address": "8 Sample Street, Hangzhou, Zhejiang 310000, China",
        "phone": "+8657188886666",
        "fax": "+8657188886667",
        "website": "www.example.com",
        "employees": "120",
        "notes": "Key account",
    }


def test_salesforce_report_with_address_lines_and_text_only_state():
    ((values, problems),) = mapped("rp_salesforce_report_contacts.csv")
    assert problems == []
    assert values["postal_address"] == "5 Sample Road Unit 3, Wuhan, Hubei 430000, China"
    assert values["employer"] == "Example Parts"
    assert values["external_id"] == "0035g00000ZzYyX"


def test_hubspot_default_view_export():
    ((values, problems),) = mapped("rp_hubspot_contacts_view.csv")
    assert problems == []
    assert values == {
        "external_id": "1001",
        "name": "Lei Chen",
        "email": "lei.chen@example.com",
        "phone": "+862088881234",
        "employer": "Example Media",  # Associated Company
    }


def test_odoo_chinese_labels_and_the_owning_company_is_no_employer():
    (company, problems), (person, person_problems) = mapped("rp_odoo_labels_zh.csv")
    assert person_problems == []
    assert company["kind"] == "organization"
    assert company["name"] == "示例科技有限公司"
    assert company["postal_address"] == "北京市示例路8号 100000"  # 北京 (CN): no country code
    assert (company["website"], company["tax_id"]) == ("https://example.cn", "91110000000000000X")
    assert problems == []
    assert person == {
        "kind": "person",
        "name": "赵六",
        "employer": "示例科技有限公司",  # 关联公司, not 公司 (the Odoo company: 我的公司)
        "job_title": "采购经理",
        "email": "zhaoliu@example.cn",
        "mobile": "+8613600136000",
    }
    header, _rows = sample("rp_odoo_labels_zh.csv")
    assert presets.ODOO_LABELS.mapping_for(header)["公司"] is None
    assert presets.ODOO_LABELS.spec_for("Company") is None


def test_odoo_import_compatible_export_with_external_ids():
    ((values, problems),) = mapped("rp_odoo_compat.csv")
    assert problems == []
    assert values == {
        "external_id": "__export__.res_partner_9",
        "name": "Hua Zhou",
        "kind": "person",
        "employer": "Example Tech Ltd.",  # not parent_id/id, an external ID
        "job_title": "CTO",
        "email": "hua.zhou@example.com",
        "phone": "+8657188881111",
        "postal_address": "1 West Lake Road, Hangzhou, Zhejiang 310000, China",
        "notes": "Met at the Hangzhou expo & fair\nCall in May",  # Odoo's HTML, as text
    }


def test_zoho_export_with_lookup_ids_and_contact_name():
    ((values, problems),) = mapped("rp_zoho_contacts.csv")
    assert problems == []
    assert values == {
        "external_id": "zcrm_4876000000123009",
        "name": "Qing He",
        "employer": "Example Travel",  # Account Name, not Account Name.id
        "job_title": "Manager",
        "email": "qing.he@example.com",
        "phone": "+862888880000",
        "mobile": "+8613500135009",
        "birth_date": "1993-09-09",
        "postal_address": "3 Demo Lane, Chengdu, Sichuan 610000, China",
        "notes": "Prefers phone",
    }


def test_zoho_is_not_taken_for_salesforce_when_optional_columns_are_missing():
    # Zoho and Salesforce share First Name, Last Name, Account Name, Mailing Street…
    header, _rows = sample("rp_zoho_contacts.csv")
    assert recognise(header) is presets.ZOHO_CONTACTS
    sparse = [column for column in header if column not in {"Record Id", "Date of Birth"}]
    assert recognise(sparse) is presets.ZOHO_CONTACTS


# ---------------------------------------------------------------------------------------------
# Suggestions
# ---------------------------------------------------------------------------------------------


def test_suggestions_in_chinese():
    header = ["客户名称", "手机号码", "座机", "电子邮箱", "单位", "职务", "出生日期", "性别"]
    header += ["联系地址", "微信号", "备注", "身份证号", "客户编号", "不认识的列"]
    assert suggest(header, [*KNOWN, "notes"]) == {
        "客户名称": "name",
        "手机号码": "mobile:phone",
        "座机": "phone:phone",
        "电子邮箱": "email",
        "单位": "employer",
        "职务": "job_title",
        "出生日期": "birth_date:date",
        "性别": "gender:gender",
        "联系地址": "postal_address",
        "微信号": "wechat",
        "备注": "notes",
        "身份证号": "resident_id",
        "客户编号": "external_id",
        "不认识的列": None,
    }


def test_suggestions_in_english():
    header = ["Full name", "Cell", "Tel", "E-mail", "Company", "Job title", "Birthday", "Gender"]
    header += ["Address", "WeChat", "Notes", "External ID", "First Name", "Last Name"]
    assert suggest(header, [*KNOWN, "notes"]) == {
        "Full name": "name",
        "Cell": "mobile:phone",
        "Tel": "phones",
        "E-mail": "email",
        "Company": "employer",
        "Job title": "job_title",
        "Birthday": "birth_date:date",
        "Gender": "gender:gender",
        "Address": "postal_address",
        "WeChat": "wechat",
        "Notes": "notes",
        "External ID": "external_id",
        "First Name": "name:given_name",
        "Last Name": "name:family_name",
    }


def test_suggestions_for_a_few_columns_of_a_german_or_french_outlook_export():
    # Too few columns to recognise the export; the names are still understood.
    header = ["Vorname", "Nachname", "E-Mail-Adresse", "Mobiltelefon", "Firma", "Notizen"]
    header += ["Prénom", "Société", "Tél. mobile", "Adresse de messagerie", "Geburtstag"]
    assert suggest(header, [*KNOWN, "notes"]) == {
        "Vorname": "name:given_name",
        "Nachname": "name:family_name",
        "E-Mail-Adresse": "email",
        "Mobiltelefon": "mobile:phone",
        "Firma": "employer",
        "Notizen": "notes",
        "Prénom": "name:given_name",
        "Société": "employer",
        "Tél. mobile": "mobile:phone",
        "Adresse de messagerie": "email",
        "Geburtstag": "birth_date:date",
    }


def test_suggestions_for_a_research_export_with_address_lines_and_other_ids():
    # FEBRL's columns: numbered address lines are street parts, not two whole addresses.
    header = ["rec_id", "given_name", "surname", "street_number", "address_1", "address_2"]
    header += ["suburb", "postcode", "state", "date_of_birth", "soc_sec_id"]
    assert suggest(header, [*KNOWN, "other_id_number"]) == {
        "rec_id": "external_id",
        "given_name": "name:given_name",
        "surname": "name:family_name",
        "street_number": "postal_address:street",
        "address_1": "postal_address:street",
        "address_2": "postal_address:street",
        "suburb": "postal_address:city",
        "postcode": "postal_address:postcode",
        "state": "postal_address:region",
        "date_of_birth": "birth_date:date",
        "soc_sec_id": "other_id_number",
    }


def test_suggestions_ignore_case_spacing_punctuation_full_width_and_marks():
    header = [
        "*姓名",
        "手机号码（必填）",
        "ＥＭＡＩＬ",
        "E_Mail Address",
        "电话2",
        " job-title ",
        "邮箱[选填]",
    ]
    assert suggest(header, KNOWN) == {
        "*姓名": "name",
        "手机号码（必填）": "mobile:phone",
        "ＥＭＡＩＬ": "email",
        "E_Mail Address": "email",
        "电话2": "phones",
        " job-title ": "job_title",
        "邮箱[选填]": "email",
    }


def test_suggestions_only_use_known_attributes_that_apply_to_the_kind():
    header = ["姓名", "备注", "网址", "公司名称", "统一社会信用代码", "手机"]
    assert suggest(header, KNOWN) == {
        "姓名": "name",
        "备注": "notes",
        "网址": None,  # a website is recorded for organisations
        "公司名称": "employer",
        "统一社会信用代码": None,
        "手机": "mobile:phone",
    }
    assert suggest(header, KNOWN, kind="organization") == {
        "姓名": "name",
        "备注": "notes",
        "网址": "website",
        "公司名称": "name",
        "统一社会信用代码": "uscc",
        "手机": "phone:phone",
    }


# ---------------------------------------------------------------------------------------------
# Transforms
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("张三", ("张", "三")),
        ("张三丰", ("张", "三丰")),
        ("欧阳修", ("欧阳", "修")),
        ("司馬懿", ("司馬", "懿")),
        ("诸葛亮", ("诸葛", "亮")),
        ("爱新觉罗溥仪", ("爱新觉罗", "溥仪")),
        ("阿沛·阿旺晋美", ("", "阿沛·阿旺晋美")),
        ("王", ("", "王")),
        ("San Zhang", ("Zhang", "San")),
        ("Zhang, San", ("Zhang", "San")),
        ("ZHANG San", ("ZHANG", "San")),
        ("Mary Ann Smith", ("Smith", "Mary Ann")),
        ("Madonna", ("", "Madonna")),
        ("  ", ("", "")),
    ],
)
def test_split_full_name(text, expected):
    assert split_full_name(text) == expected


@pytest.mark.parametrize(
    ("given", "family", "middle", "expected"),
    [
        ("三", "张", "", "张三"),
        ("修", "欧阳", "", "欧阳修"),
        ("San", "Zhang", "", "San Zhang"),
        ("John", "Smith", "Q", "John Q Smith"),
        ("", "Zhang", "", "Zhang"),
    ],
)
def test_join_name(given, family, middle, expected):
    assert join_name(given=given, family=family, middle=middle) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Zhang, San", "San Zhang"), ("张 三", "张三"), ("San  Zhang", "San Zhang"), ("王", "王")],
)
def test_split_full_name_transform_writes_the_name_in_display_order(text, expected):
    function = TRANSFORMS["split_full_name"].function
    assert function is not None
    assert function(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("8613800138000", "+8613800138000"),
        ("０１０－６５５２　９９８８", "+861065529988"),
        ("010-6552 9988 转 123", "+861065529988 ext. 123"),
        ("+1 201 555 0123 ext. 7", "+12015550123 ext. 7"),
        ("13800138000 / 13900139000", "+8613800138000"),
        ("+86 138 0013 8000 ::: +86 139 0013 9000", "+8613800138000"),
        ("", ""),
    ],
)
def test_phone_transform(text, expected):
    assert phone(text) == expected


def test_phone_transform_output_is_accepted_by_the_attribute_normaliser():
    from huike.parties.text import normalise_phone

    assert normalise_phone(phone("010-6552 9988 分机 12")) == "+861065529988"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.38001E+10", "Excel shortened this number"),
        ("12345", "is not a valid phone number"),
        ("call me", "is not a valid phone number"),
    ],
)
def test_phone_transform_refuses_bad_numbers(text, message):
    with pytest.raises(ValueError, match=message):
        phone(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<p>老客户</p><p>VIP&amp;大单</p>", "老客户\nVIP&大单"),
        ("<script>alert(1)</script><b>kept</b>", "kept"),
        ("<p>one<br>two</p>", "one\ntwo"),
        ("a < b and c > d", "a < b and c > d"),
        ("  plain text  ", "plain text"),
    ],
)
def test_html_text_transform(text, expected):
    assert html_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("男", "male"),
        ("女", "female"),
        ("M", "male"),
        ("f", "female"),
        ("Male", "male"),
        ("FEMALE", "female"),
        ("1", "male"),
        ("2", "female"),
        ("女士", "female"),
        ("先生", "male"),
        ("未知", ""),
        ("Unspecified", ""),
        ("0", ""),
        ("未指定", ""),
        ("Keine Angabe", ""),
        ("Männlich", "male"),
        ("weiblich", "female"),
        ("Masculin", "male"),
        ("féminin", "female"),
        ("Non spécifié", ""),
    ],
)
def test_gender_transform(text, expected):
    assert gender(text) == expected


def test_gender_transform_gives_the_attribute_choice_values():
    choices = next(e["choices"] for e in DEFAULT_ATTRIBUTES if e["code"] == "gender")
    values = {choice["value"] for choice in choices}
    assert {gender(text) for text in ("男", "女")} == values


def test_gender_transform_refuses_other_words():
    with pytest.raises(ValueError, match="is not a gender"):
        gender("banana")


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("1990-05-30", "auto", "1990-05-30"),
        ("1990/5/30", "auto", "1990-05-30"),
        ("1990.5.30", "auto", "1990-05-30"),
        ("19900530", "auto", "1990-05-30"),
        ("1990年5月30日", "auto", "1990-05-30"),
        ("１９９０年５月３０日", "auto", "1990-05-30"),
        ("1990-05-30T08:00:00Z", "auto", "1990-05-30"),
        ("1990-05-30 00:00:00", "auto", "1990-05-30"),
        ("30/05/1990", "auto", "1990-05-30"),
        ("5/30/1990", "auto", "1990-05-30"),
        ("05/06/1990", "dmy", "1990-06-05"),
        ("05/06/1990", "mdy", "1990-05-06"),
        ("6/6/1990", "auto", "1990-06-06"),
        ("30-May-1990", "auto", "1990-05-30"),
        ("30 May 90", "auto", "1990-05-30"),
        ("May 30, 1990", "auto", "1990-05-30"),
        ("Wednesday, May 30, 1990", "auto", "1990-05-30"),
        ("33023", "auto", "1990-05-30"),
        ("999", "auto", None),
        ("33023.0", "auto", "1990-05-30"),
        ("0/0/00", "auto", ""),
        ("0000-00-00", "auto", ""),
        ("", "auto", ""),
    ],
)
def test_date_transform(text, order, expected):
    if expected is None:
        with pytest.raises(ValueError):
            parse_date(text, order)
    else:
        assert parse_date(text, order) == expected


def test_two_digit_years_are_in_the_past_century_when_still_ahead():
    next_year = (datetime.date.today().year + 1) % 100
    assert parse_date(f"30/05/{next_year:02d}").startswith("19")
    assert parse_date("30/05/05") == "2005-05-30"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("05/06/1990", "could be day/month or month/day"),
        ("2023-02-29", "is not a date that exists"),
        ("--05-30", "has no year"),
        ("05-30", "has no year"),
        ("next Tuesday", "is not a date"),
    ],
)
def test_date_transform_refuses_bad_dates(text, message):
    with pytest.raises(ValueError, match=message):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("True", "organization"), ("False", "person"), ("公司", "organization"), ("个人", "person")],
)
def test_kind_transform(text, expected):
    assert party_kind(text) == expected


def test_kind_transform_refuses_other_words():
    with pytest.raises(ValueError, match="neither a person nor an organisation"):
        party_kind("maybe")


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (
            {"street": "科技园路1号", "city": "深圳市", "region": "广东省", "country": "中国"},
            "广东省深圳市科技园路1号",
        ),
        (
            {"street": "示例路8号", "city": "北京市", "region": "北京", "postcode": "100000"},
            "北京市示例路8号 100000",
        ),
        (
            {"street": "1 Main St", "city": "Springfield", "region": "IL", "postcode": "62701"},
            "1 Main St, Springfield, IL 62701",
        ),
        (
            {"street": "1 Example Road", "city": "Shanghai", "region": "Shanghai"},
            "1 Example Road, Shanghai",
        ),
        ({}, ""),
    ],
)
def test_format_address(parts, expected):
    assert format_address(**parts) == expected


# ---------------------------------------------------------------------------------------------
# map_row
# ---------------------------------------------------------------------------------------------


def test_map_row_takes_the_first_non_empty_of_several_columns():
    row = {"Work": "", "Home": "021 6555 0000", "Other": "010 6552 9988"}
    mapping = {"Work": "phone:phone", "Home": "phone:phone", "Other": "phone:phone"}
    assert map_row(row, mapping) == ({"phone": "+862165550000"}, [])


def test_map_row_reports_refused_values_and_keeps_the_rest():
    row = {"Name": "张三", "Mobile": "12345", "Phone": "010 6552 9988", "Born": "soon"}
    mapping = {
        "Name": "name",
        "Mobile": "mobile:phone",
        "Phone": "phone:phone",
        "Born": "birth_date:date",
    }
    values, problems = map_row(row, mapping)
    assert values == {"name": "张三", "phone": "+861065529988"}
    assert problems == [
        "Mobile: “12345” is not a valid phone number.",
        "Born: “soon” is not a date. Write it like 1990-05-30.",
    ]


def test_map_row_a_bad_value_does_not_hide_a_good_one_in_the_same_group():
    row = {"A": "nonsense", "B": "13800138000"}
    values, problems = map_row(row, {"A": "mobile:phone", "B": "mobile:phone"})
    assert values == {"mobile": "+8613800138000"}
    assert len(problems) == 1


def test_map_row_keeps_cells_as_they_are_without_a_transform():
    row = {"Notes": "  <b>hi</b> =1+1 "}
    assert map_row(row, {"Notes": "notes"}) == ({"notes": "  <b>hi</b> =1+1 "}, [])


def test_map_row_ignores_unmapped_and_blank_columns():
    assert map_row({"a": "x", "b": " "}, {"a": None, "b": "name"}) == ({}, [])


def test_map_row_reports_values_that_do_not_apply_to_the_kind():
    row = {"Name": "Example Ltd.", "Mobile": "13800138000", "Web": "example.com"}
    mapping = {"Name": "name", "Mobile": "mobile:phone", "Web": "website"}
    values, problems = map_row(row, mapping, kind="organization")
    assert values == {"name": "Example Ltd.", "website": "example.com"}
    assert problems == ["“mobile” is recorded for people only; this row is an organisation."]


def test_map_row_phones_without_a_type_follow_their_shape():
    mapping = {"电话": "phones"}
    assert map_row({"电话": "138 0013 8000"}, mapping)[0] == {"mobile": "+8613800138000"}
    assert map_row({"电话": "010 6552 9988"}, mapping)[0] == {"phone": "+861065529988"}
    organisation = map_row({"电话": "138 0013 8000"}, mapping, kind="organization")[0]
    assert organisation == {"phone": "+8613800138000"}


def test_map_row_bad_kind_is_a_problem_and_the_default_kind_stays():
    values, problems = map_row(
        {"Type": "robot", "Name": "x"}, {"Type": "kind:kind", "Name": "name"}
    )
    assert values == {"name": "x"}
    assert problems == ["Type: “robot” is neither a person nor an organisation."]


def test_unknown_transforms_are_refused():
    with pytest.raises(ValueError, match="Unknown transform"):
        map_row({"a": "1"}, {"a": "name:shout"})
    assert check_mapping({"a": "name:shout", "b": "nonsense", "c": None}, KNOWN) == [
        "a: Unknown transform “shout”.",
        "b: unknown attribute “nonsense”.",
    ]


def test_every_transform_has_a_label_and_function_or_part():
    for code, transform in TRANSFORMS.items():
        assert transform.code == code
        assert str(transform.label)
        assert (transform.function is None) == bool(transform.part)


PHONE_STYLES = {
    "plain": lambda n: n,
    "plus86": lambda n: "+86 " + n,
    "dashes": lambda n: f"{n[:3]}-{n[3:7]}-{n[7:]}",
    "spaces": lambda n: f"+86 {n[:3]} {n[3:7]} {n[7:]}",
}


@settings(max_examples=300, deadline=None, database=None)
@given(
    number=st.from_regex(r"1[0-9]{10}", fullmatch=True), style=st.sampled_from(sorted(PHONE_STYLES))
)
def test_phone_fast_path_agrees_with_the_attribute_normaliser(number, style):
    from django.core.exceptions import ValidationError

    from huike.parties.text import normalise_phone

    text = PHONE_STYLES[style](number)
    try:
        expected: str | None = normalise_phone(text)
    except ValidationError:
        expected = None
    try:
        got: str | None = phone(text)
    except ValueError:
        got = None
    assert got == expected


def test_compiled_mapping_gives_the_same_result():
    mapping = {"Name": "name", "Tel": "phones", "Kind": "kind:kind", "X": None}
    row = {"Name": "张三", "Tel": "13800138000", "Kind": "个人", "X": "y"}
    compiled = presets.compile_mapping(mapping)
    assert map_row(row, compiled) == map_row(row, mapping)
    assert presets.compile_mapping(compiled) is compiled
