"""The shipped reference data: countries, Chinese regions and GB/T 4754-2017 industries."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from huike.parties.models import Industry, Region
from huike.parties.reference import load_reference_data, region_rows

pytestmark = pytest.mark.django_db


def test_china_is_a_country_with_chinese_and_english_names() -> None:
    china = Region.objects.get(code="CN")

    assert china.level == Region.Level.COUNTRY
    assert china.name_zh == "中国"
    assert china.name_en == "China"
    assert china.parent is None
    assert china.path == "CN"


def test_countries_cover_iso_3166() -> None:
    countries = Region.objects.filter(level=Region.Level.COUNTRY)

    assert 240 <= countries.count() <= 260
    assert countries.get(code="US").name_zh == "美国"
    assert countries.get(code="DE").name_en == "Germany"
    assert not countries.filter(name_zh="").exists()


def test_a_county_has_its_full_path_and_ancestors() -> None:
    xihu = Region.objects.get(code="330106")

    assert xihu.name_zh == "西湖区"
    assert xihu.name_en == "Xihu District"
    assert xihu.level == Region.Level.COUNTY
    assert xihu.path == "CN/330000/330100/330106"
    hangzhou = xihu.parent
    assert hangzhou is not None
    assert (hangzhou.code, hangzhou.name_zh, hangzhou.name_en) == ("330100", "杭州市", "Hangzhou")
    zhejiang = hangzhou.parent
    assert zhejiang is not None
    assert (zhejiang.code, zhejiang.name_en, zhejiang.level) == ("330000", "Zhejiang", "province")
    assert zhejiang.parent is not None and zhejiang.parent.code == "CN"


def test_every_county_belongs_to_a_city_or_a_province() -> None:
    parent_levels = Counter(
        Region.objects.filter(level=Region.Level.COUNTY).values_list("parent__level", flat=True)
    )

    assert set(parent_levels) == {Region.Level.CITY, Region.Level.PROVINCE}
    assert (
        not Region.objects.filter(level=Region.Level.CITY)
        .exclude(parent__level=Region.Level.PROVINCE)
        .exists()
    )
    assert (
        not Region.objects.filter(level=Region.Level.PROVINCE).exclude(parent__code="CN").exists()
    )


def test_placeholder_cities_are_skipped() -> None:
    assert not Region.objects.filter(name_zh__in=["市辖区", "县", "省直辖县级行政区划"]).exists()


def test_municipality_districts_attach_to_the_municipality() -> None:
    dongcheng = Region.objects.get(code="110101")

    assert dongcheng.name_zh == "东城区"
    assert dongcheng.parent is not None and dongcheng.parent.code == "110000"
    assert dongcheng.path == "CN/110000/110101"
    assert Region.objects.get(code="110000").name_en == "Beijing"
    for municipality in ("110000", "120000", "310000", "500000"):
        children = Region.objects.filter(parent__code=municipality)
        assert children.count() >= 10
        assert not children.exclude(level=Region.Level.COUNTY).exists()


def test_directly_administered_counties_attach_to_the_province() -> None:
    # 仙桃市 is administered by Hubei directly, under the placeholder 省直辖县级行政区划.
    xiantao = Region.objects.get(code="429004")

    assert xiantao.parent is not None and xiantao.parent.code == "420000"
    assert xiantao.path == "CN/420000/429004"


def test_region_codes_are_unique_in_the_files() -> None:
    codes = Counter(row.code for row in region_rows())

    assert [code for code, count in codes.items() if count > 1] == []


def test_region_counts_are_sane() -> None:
    provinces = Region.objects.filter(level=Region.Level.PROVINCE)

    assert 32 <= provinces.count() <= 36
    assert set(
        provinces.filter(code__in=["710000", "810000", "820000"]).values_list("name_en", flat=True)
    ) == {
        "Taiwan",
        "Hong Kong Special Administrative Region",
        "Macao Special Administrative Region",
    }
    assert 320 <= Region.objects.filter(level=Region.Level.CITY).count() <= 345
    assert 2800 <= Region.objects.filter(level=Region.Level.COUNTY).count() <= 3100
    assert (
        Region.objects.filter(path__startswith="CN/").count()
        == Region.objects.filter(level__in=["province", "city", "county"]).count()
    )


def test_english_names_follow_the_naming_rules() -> None:
    names = dict(
        Region.objects.filter(
            code__in=["110000", "150000", "150100", "130627", "130128", "152921", "422800"]
        ).values_list("code", "name_en")
    )

    assert names == {
        "110000": "Beijing",
        "150000": "Inner Mongolia Autonomous Region",
        "150100": "Hohhot",
        "130627": "Tang County",
        "130128": "Shenze County",
        "152921": "Alxa Left Banner",
        "422800": "Enshi Tujia and Miao Autonomous Prefecture",
    }


def test_a_path_prefix_selects_one_province_and_everything_inside_it() -> None:
    inside = Region.objects.filter(path__startswith="CN/330000/")

    assert inside.count() > 90
    assert set(inside.values_list("level", flat=True)) == {"city", "county"}
    assert all(code.startswith("33") for code in inside.values_list("code", flat=True))
    assert inside.filter(code="330106").exists()
    assert not inside.filter(code="330000").exists()


def test_industries_have_twenty_sections_and_ninety_seven_divisions() -> None:
    sections = Industry.objects.filter(level=Industry.Level.SECTION)
    divisions = Industry.objects.filter(level=Industry.Level.DIVISION)

    assert list(sections.values_list("code", flat=True)) == list("ABCDEFGHIJKLMNOPQRST")
    assert not sections.filter(parent__isnull=False).exists()
    assert sorted(divisions.values_list("code", flat=True)) == [
        f"{number:02d}" for number in range(1, 98)
    ]
    assert not divisions.exclude(parent__level=Industry.Level.SECTION).exists()


@pytest.mark.parametrize(
    ("code", "section", "name_zh"),
    [
        ("A", "", "农、林、牧、渔业"),
        ("C", "", "制造业"),
        ("13", "C", "农副食品加工业"),
        ("43", "C", "金属制品、机械和设备修理业"),
        ("63", "I", "电信、广播电视和卫星传输服务"),
        ("64", "I", "互联网和相关服务"),
        ("65", "I", "软件和信息技术服务业"),
        ("96", "S", "基层群众自治组织及其他组织"),
        ("97", "T", "国际组织"),
    ],
)
def test_sample_industries_have_their_official_names(code: str, section: str, name_zh: str) -> None:
    industry = Industry.objects.get(code=code)

    assert industry.name_zh == name_zh
    assert industry.name_en
    assert (industry.parent.code if industry.parent else "") == section
    assert industry.path == (section + "/" + code if section else code)


def test_software_is_information_technology_in_english() -> None:
    assert Industry.objects.get(code="I").name_en == (
        "Information Transmission, Software and Information Technology Services"
    )
    assert Industry.objects.get(code="65").name_en == (
        "Software and Information Technology Services"
    )


def test_loading_twice_changes_nothing() -> None:
    before = list(Region.objects.values_list("id", "code", "parent_id", "path", "name_en"))

    assert load_reference_data(Region, Industry) == (0, 0)
    assert list(Region.objects.values_list("id", "code", "parent_id", "path", "name_en")) == before


def test_loading_restores_changed_names_and_missing_rows() -> None:
    # Given a renamed county and a deleted industry division
    Region.objects.filter(code="330106").update(name_zh="旧名", name_en="Old name")
    Industry.objects.filter(code="65").delete()

    # When the reference data is loaded again
    regions, industries = load_reference_data(Region, Industry)

    # Then only those rows changed, and the division is back under its section
    assert (regions, industries) == (1, 1)
    assert Region.objects.get(code="330106").name_zh == "西湖区"
    software = Industry.objects.get(code="65")
    assert software.parent is not None and software.parent.code == "I"
    assert software.path == "I/65"


def test_command_reports_what_it_changed() -> None:
    out = StringIO()

    call_command("load_reference_data", stdout=out)

    assert out.getvalue().strip() == (
        "Regions added or updated: 0; industries added or updated: 0."
    )
