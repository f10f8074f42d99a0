"""Deterministic demo populations of parties, written in bulk the way the services write them.

``generate(seed, index, references)`` describes party number ``index`` of population ``seed``:
a pure function of its arguments (its own seeded ``random.Random``), so a population of 10,000
is the first 10,000 parties of the population of 1,000,000, and any slice can be generated
alone. The mix: about 70 % people with Chinese names (common surnames by frequency, polyphonic
ones such as 单 shan, 曾 zeng, 区 ou and compound ones such as 欧阳, 尉迟), 10 % people with Latin
names and 20 % organisations (four in five with Chinese names and legal suffixes such as
有限公司, the rest Latin names such as "Atlas Trading GmbH"), each with about ten attributes:
phones, e-mail, gender, birth date, lunar birthday, employer and title, a valid unified social
credit code, website, addresses built from the party's county… Owners (a few salespeople in a
few teams), counties, industries, stages and tags are spread with skewed weights.

``populate()`` writes the SAME rows ``services.create_party`` would write for those values —
``Party`` (name, pinyin, ``golden``), one ``Observation`` per value, one ``GoldenValue`` per
attribute, the ``SearchKey`` rows, the tags and the "create" change-log entry — but set-based:
batches of a few thousand parties, each one transaction of multi-row inserts (``executemany``
on SQLite, ``COPY`` on PostgreSQL), streaming, so memory stays flat at any size. Values are
generated in their canonical form (what ``values.coerce`` returns for them), so no per-value
validation is needed; the tests check that they are, and that a party written here is
indistinguishable from one created through the service. Each batch also checks its first
party's search keys against ``services.search_keys_for``.

Primary keys of parties and observations are reserved per batch (on SQLite inside the batch's
write transaction, on PostgreSQL from the sequences), so populating alongside other writers is
safe, if pointless.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime
import functools
import json
import random
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model
from stdnum.cn import uscc as stdnum_uscc

from huike.core.models import ChangeLog
from huike.core.services import diff
from huike.core.sqlite_wal import background_checkpoints
from huike.parties import services, text
from huike.parties.models import (
    AttributeDefinition,
    CustomerNature,
    GoldenValue,
    Industry,
    Observation,
    Party,
    Region,
    SearchKey,
    Tag,
)
from huike.parties.values import coerce

Validator = AttributeDefinition.Validator
SOURCE = "import"
BATCH_SIZE = 2000
BULK_CACHE_KIB = -1024 * 1024  # negative: KiB, as PRAGMA cache_size takes it
# Party number ``index`` was created ``index`` × STEP after EPOCH: 1M parties span ~3.8 years.
EPOCH = datetime.datetime(2022, 1, 1, 8, 0, tzinfo=datetime.UTC)
STEP = datetime.timedelta(minutes=2)

# --- vocabulary ----------------------------------------------------------------------------

# Surname: weight (‰, roughly the national frequency). Polyphonic and compound surnames are
# over-represented so that a demo shows their readings (单 shan, 曾 zeng, 区 ou, 欧阳 ou yang…).
SURNAMES: dict[str, float] = {
    "王": 71, "李": 70, "张": 68, "刘": 54, "陈": 45, "杨": 31, "黄": 22, "赵": 22, "吴": 20,
    "周": 19, "徐": 16, "孙": 15, "马": 14, "朱": 13, "胡": 13, "郭": 12, "何": 12, "高": 11,
    "林": 11, "罗": 9, "郑": 9, "梁": 9, "谢": 8, "宋": 7, "唐": 7, "许": 7, "韩": 6, "冯": 6,
    "邓": 6, "曹": 6, "彭": 5, "曾": 5, "肖": 5, "田": 5, "董": 5, "袁": 4, "潘": 4, "于": 4,
    "蒋": 4, "蔡": 4, "余": 4, "杜": 4, "叶": 4, "程": 4, "苏": 3, "魏": 3, "吕": 3, "丁": 3,
    "任": 3, "沈": 3, "姚": 3, "卢": 3, "姜": 3, "崔": 3, "钟": 3, "谭": 3, "陆": 3, "汪": 3,
    "范": 3, "金": 3, "石": 3, "廖": 3, "贾": 2, "夏": 2, "韦": 2, "付": 2, "方": 2, "白": 2,
    "邹": 2, "孟": 2, "熊": 2, "秦": 2, "邱": 2, "江": 2, "尹": 2, "薛": 2, "闫": 2, "段": 2,
    "雷": 2, "侯": 2, "龙": 2, "史": 2, "陶": 1, "黎": 1, "贺": 1, "顾": 1, "毛": 1, "郝": 1,
    "龚": 1, "邵": 1, "万": 1, "钱": 1, "严": 1, "覃": 1, "武": 1, "戴": 1, "莫": 1, "孔": 1,
    "单": 1, "区": 0.5, "解": 0.5, "仇": 0.5, "朴": 0.5, "查": 0.5, "盖": 0.3, "缪": 0.5,
    "翟": 0.8, "乐": 0.5, "种": 0.1, "欧阳": 1, "诸葛": 0.2, "司马": 0.2, "上官": 0.2,
    "尉迟": 0.1, "长孙": 0.1, "令狐": 0.1, "皇甫": 0.2, "夏侯": 0.1, "单于": 0.05,
}  # fmt: skip
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鑫鹏宇浩凯健俊帆帅旭宁龙林欣佳"
    "雪婷颖琳晶倩莉慧燕丹蕾薇梅莹玲雯博志诚思雨晨阳子轩梓涵一诺欢乐天宏海波峰斌成东亮飞云国民春"
    "晓荣福德新中长金兰凤清瑞嘉和安泽睿铭晗悦怡彤璐朝行重"
)
LATIN_FIRST = (
    "James John Robert Michael William David Richard Joseph Thomas Daniel Matthew Anthony Mark "
    "Paul Steven Andrew Kevin Brian George Peter Lukas Felix Jonas Pierre Louis Hugo Marco Luca "
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Emily Emma Olivia "
    "Sophia Anna Laura Julia Claire Chloe Lea Giulia Sofia Hannah Grace Amelia Lily Mia Ella"
).split()
LATIN_LAST = (
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin "
    "Jackson White Harris Clark Lewis Walker Young Allen King Wright Scott Green Baker Adams "
    "Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Parker Collins Edwards "
    "Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey Bell Müller Schmidt "
    "Schneider Fischer Weber Meyer Wagner Becker Dubois Laurent Bernard Rossi Russo Ferrari "
    "O'Brien O'Connor García Martínez López Chen Wong Lee Tan Lim"
).split()
# Two of these make a company's trade name (字号): 华为, 腾达, 鑫源…
BRAND = (
    "华为腾达鑫源恒通盛泰宏远信诚嘉和兴隆海天金银丰安康永正新联创"
    "佳伟明中瑞昌德东方凯博卓越星辰万家百合力美汇"
)
TRADES: tuple[tuple[str, str], ...] = (
    ("科技", "Technology"),
    ("贸易", "Trading"),
    ("电子", "Electronics"),
    ("机械", "Machinery"),
    ("食品", "Foods"),
    ("建材", "Building Materials"),
    ("物流", "Logistics"),
    ("医药", "Pharmaceutical"),
    ("纺织", "Textile"),
    ("化工", "Chemical"),
    ("家具", "Furniture"),
    ("电器", "Electric Appliance"),
    ("服饰", "Apparel"),
    ("汽车配件", "Auto Parts"),
    ("软件", "Software"),
    ("网络科技", "Network Technology"),
    ("文化传媒", "Media"),
    ("餐饮管理", "Catering Management"),
    ("农业", "Agriculture"),
    ("环保", "Environmental"),
    ("新能源", "New Energy"),
    ("实业", "Industrial"),
    ("工程", "Engineering"),
    ("装饰", "Decoration"),
    ("五金", "Hardware"),
    ("塑胶", "Plastics"),
)
# (suffix, weight, company_type choice)
CHINESE_FORMS: tuple[tuple[str, float, str], ...] = (
    ("有限公司", 55, "limited"),
    ("股份有限公司", 10, "joint_stock"),
    ("有限责任公司", 10, "limited"),
    ("集团有限公司", 5, "limited"),
    ("厂", 5, "collective"),
    ("商行", 5, "individual_business"),
    ("店", 3, "individual_business"),
    ("工作室", 2, "sole_proprietorship"),
    ("合伙企业（有限合伙）", 2, "partnership"),
)
LATIN_WORDS = (
    "Atlas Pacific Nordic Summit Evergreen Silverline Bluewater Harbor Zenith Apex Orion Vertex "
    "Meridian Northstar Redwood Sterling Crescent Horizon Keystone Lakeside Oakridge Pinnacle "
    "Riverside Sapphire Solaris Titan Unity Vanguard Westbrook Alpine Baltic Cobalt Delta Falcon"
).split()
LATIN_TRADES = (
    "Trading Technologies Industries Logistics Foods Electronics Materials Partners Systems "
    "Components Solutions Imports Textiles Machinery Chemicals"
).split()
LATIN_FORMS = (
    "Co., Ltd.",
    "Ltd.",
    "Inc.",
    "GmbH",
    "AG",
    "S.A.",
    "LLC",
    "Pte. Ltd.",
    "B.V.",
    "S.r.l.",
    "Corporation",
)
# Country code, nationality (as people write it in the profile).
COUNTRIES: dict[str, str] = {
    "AU": "澳大利亚", "DE": "德国", "ES": "西班牙", "FR": "法国", "GB": "英国", "IT": "意大利",
    "JP": "日本", "NL": "荷兰", "SG": "新加坡", "US": "美国",
}  # fmt: skip
HOBBIES = ("高尔夫", "钓鱼", "茶道", "书法", "摄影", "跑步", "登山", "围棋", "红酒", "旅游")
STREETS = (
    "人民路 解放路 中山路 建设路 文化路 和平路 长江路 黄河路 新华路 朝阳路 胜利路 青年路 东风路 "
    "江南大道 科技园路 学院路 花园路 滨江路 工业大道 迎宾路 南京路 北京路 幸福路 光明路 团结路"
).split()
TITLES_ZH = (
    "总经理 副总经理 销售经理 采购经理 财务总监 技术总监 董事长 总监 主管 工程师 采购专员 "
    "行政主管 市场经理 项目经理 店长 老板 会计 人事经理 总裁 部门经理"
).split()
TITLES_EN = (
    "CEO",
    "Purchasing Manager",
    "Sales Director",
    "Engineer",
    "Buyer",
    "Operations Manager",
    "CFO",
    "Managing Director",
    "Procurement Lead",
    "Country Manager",
)
PERSON_MAIL = ("163.com", "126.com", "sina.com", "gmail.com", "outlook.com", "foxmail.com")
MOBILE_PREFIXES = tuple(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 177 "
    "180 181 182 183 184 185 186 187 188 189 191 198 199".split()
)
AREA_CODES = ("10", "20", "21", "22", "23", "24", "25", "27", "28", "29", "571", "755", "512")
# Province code: weight (more customers where more businesses are).
PROVINCE_WEIGHTS: dict[str, float] = {
    "440000": 12, "330000": 9, "320000": 9, "370000": 7, "110000": 6, "310000": 6,
    "510000": 5, "410000": 5, "350000": 5, "420000": 4, "430000": 4, "130000": 3,
    "340000": 3, "500000": 3, "120000": 2, "210000": 2, "610000": 2, "360000": 2,
    "450000": 2, "530000": 1.5, "140000": 1.5, "220000": 1, "230000": 1, "150000": 1,
    "520000": 1, "620000": 0.8, "460000": 0.8, "650000": 0.8, "640000": 0.4, "630000": 0.3,
    "540000": 0.2,
}  # fmt: skip
STAGES: tuple[tuple[str, float], ...] = (
    ("prospect", 40),
    ("customer", 35),
    ("vip", 5),
    ("dormant", 12),
    ("lost", 8),
)
# Demo owners: 20 salespeople in 4 teams, some with far more customers than others.
TEAMS = (
    ("华东销售部", "East China sales"),
    ("华南销售部", "South China sales"),
    ("华北销售部", "North China sales"),
    ("大客户部", "Key accounts"),
)
OWNER_NAMES = (
    "张伟 王芳 李娜 刘洋 陈静 杨磊 赵敏 黄勇 周杰 吴倩 徐鹏 孙丽 马超 朱琳 胡军 郭燕 何涛 "
    "高翔 林欣 罗斌"
).split()
NATURES = (
    ("wholesaler", "批发商", "Wholesaler"),
    ("retailer", "零售商", "Retailer"),
    ("agent", "代理商", "Agent"),
    ("end_user", "终端客户", "End user"),
)
TAGS = ("重点客户", "展会2025", "老客户介绍", "VIP维护", "待回访", "trade fair 2026", "海外")


def owner_username(number: int) -> str:
    return f"pop-sales-{number:02d}"


# --- references: the rows a population points at -------------------------------------------


@dataclass(frozen=True)
class Owner:
    user_id: int
    team_id: int | None
    username: str
    label: str  # str(user), for the change log
    team_label: str | None


@dataclass(frozen=True)
class County:
    region_id: int
    code: str
    label: str  # str(region) in the active language, for the change log
    address: str  # "浙江省杭州市西湖区"


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    city_names: tuple[str, ...]
    counties: tuple[County, ...]


@dataclass
class References:
    """Everything a population points at, loaded (and created when missing) once."""

    definitions: dict[str, AttributeDefinition]
    owners: list[Owner]
    owner_weights: list[float]
    provinces: list[Province]
    province_weights: list[float]
    countries: list[tuple[int, str, str]]
    industries: list[tuple[int, str]]
    natures: list[tuple[int, str]]
    tags: list[int]
    party_type_id: int
    validators: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> References:
        """Load the reference rows, creating the demo owners, teams, natures and tags if
        missing (idempotent). Needs the reference data and the default attributes (migrations).
        """
        definitions = {d.code: d for d in AttributeDefinition.objects.all()}
        owners = _ensure_owners()
        provinces = _provinces()
        if not provinces:
            raise RuntimeError("No Chinese regions: run the migrations (reference data) first.")
        countries = [
            (region.pk, str(region), COUNTRIES[region.code])
            for region in Region.objects.filter(code__in=list(COUNTRIES)).order_by("code")
        ]
        industries = [
            (industry.pk, str(industry))
            for industry in Industry.objects.filter(level=Industry.Level.DIVISION).order_by("code")
        ]
        natures = []
        for code, zh, en in NATURES:
            nature, _created = CustomerNature.objects.get_or_create(
                code=code, defaults={"name_zh": zh, "name_en": en}
            )
            natures.append((nature.pk, str(nature)))
        tags = [Tag.objects.get_or_create(name=name)[0].pk for name in TAGS]
        return cls(
            definitions=definitions,
            owners=owners,
            owner_weights=_cumulative([1 / (rank + 1) ** 0.6 for rank in range(len(owners))]),
            provinces=provinces,
            province_weights=_cumulative([PROVINCE_WEIGHTS[p.code] for p in provinces]),
            countries=countries,
            industries=industries,
            natures=natures,
            tags=tags,
            party_type_id=ContentType.objects.get_for_model(Party, for_concrete_model=False).pk,
            validators={code: d.validator for code, d in definitions.items()},
        )

    def province(self, code: str) -> Province:
        return next(p for p in self.provinces if p.code == code)


def _ensure_owners() -> list[Owner]:
    from huike.accounts import services as accounts
    from huike.accounts.models import Role, Team, User

    teams = []
    for name, description in TEAMS:
        team = Team.objects.filter(name=name).first()
        if team is None:
            team = accounts.save_team(Team(), actor=None, name=name, description=description)
        teams.append(team)
    role = Role.objects.filter(code="salesperson").first()
    owners = []
    for number, display_name in enumerate(OWNER_NAMES, start=1):
        username = owner_username(number)
        user = User.objects.select_related("team").filter(username=username).first()
        if user is None:
            user = accounts.create_user(
                actor=None,
                username=username,
                role=role,
                display_name=display_name,
                email=f"{username}@example.com",
                team=teams[(number - 1) % len(teams)],
            )
        owners.append(
            Owner(
                user_id=user.pk,
                team_id=user.team_id,
                username=username,
                label=str(user),
                team_label=str(user.team) if user.team else None,
            )
        )
    return owners


def _provinces() -> list[Province]:
    rows = list(
        Region.objects.filter(path__startswith="CN/").values_list("pk", "code", "level", "path")
    )
    names = {
        code: name
        for code, name in Region.objects.filter(path__startswith="CN/").values_list(
            "code", "name_zh"
        )
    }
    labels = {region.pk: str(region) for region in Region.objects.filter(level="county")}
    counties: dict[str, list[County]] = {}
    cities: dict[str, list[str]] = {}
    for pk, code, level, path in sorted(rows, key=lambda row: row[1]):
        parts = path.split("/")
        if len(parts) < 2 or parts[1] not in PROVINCE_WEIGHTS:
            continue
        if level == Region.Level.CITY:
            cities.setdefault(parts[1], []).append(names[code])
        if level == Region.Level.COUNTY:
            address = "".join(names[part] for part in parts[1:])
            counties.setdefault(parts[1], []).append(County(pk, code, labels[pk], address))
    return [
        Province(
            code=code,
            name=names[code],
            city_names=tuple(cities.get(code) or [names[code]]),
            counties=tuple(counties[code]),
        )
        for code in sorted(PROVINCE_WEIGHTS)
        if counties.get(code)
    ]


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, running = sum(weights), 0.0
    result = []
    for weight in weights:
        running += weight
        result.append(running / total)
    return result


def _pick(rng: random.Random, items: Sequence[Any], cumulative: Sequence[float]) -> Any:
    return items[min(bisect.bisect_right(cumulative, rng.random()), len(items) - 1)]


_SURNAMES = tuple(SURNAMES)
_SURNAME_WEIGHTS = _cumulative(list(SURNAMES.values()))
_STAGES = tuple(stage for stage, _weight in STAGES)
_STAGE_WEIGHTS = _cumulative([weight for _stage, weight in STAGES])
_FORMS = tuple(CHINESE_FORMS)
_FORM_WEIGHTS = _cumulative([weight for _form, weight, _type in CHINESE_FORMS])


# --- generation: one party from (seed, index) -------------------------------------------------


@dataclass(frozen=True)
class PartySpec:
    """Everything about one generated party; values are canonical ``(code, value, text)``."""

    index: int
    kind: str
    name: str
    values: tuple[tuple[str, Any, str], ...]
    owner: Owner | None
    stage: str
    nature: tuple[int, str] | None
    region: tuple[int, str] | None
    industry: tuple[int, str] | None
    first_deal_date: datetime.date | None
    notes: str
    tag_ids: tuple[int, ...]
    created_at: datetime.datetime

    @property
    def attributes(self) -> dict[str, Any]:
        """The values as ``create_party(attributes=…)`` takes them (the name apart)."""
        return {code: value for code, value, _text in self.values if code != "name"}

    @property
    def golden(self) -> dict[str, Any]:
        return {code: value for code, value, _text in self.values}

    def party_fields(self) -> dict[str, Any]:
        """The party's own fields as ``create_party(**fields)`` takes them (as ids)."""
        return {
            "owner_id": self.owner.user_id if self.owner else None,
            "team_id": self.owner.team_id if self.owner else None,
            "stage": self.stage,
            "nature_id": self.nature[0] if self.nature else None,
            "region_id": self.region[0] if self.region else None,
            "industry_id": self.industry[0] if self.industry else None,
            "first_deal_date": self.first_deal_date,
            "notes": self.notes,
        }


def _digits(rng: random.Random, count: int) -> str:
    return str(rng.randrange(10**count)).zfill(count)


def _mobile(rng: random.Random) -> str:
    return "+86" + rng.choice(MOBILE_PREFIXES) + _digits(rng, 8)


@functools.lru_cache(maxsize=4096)
def _valid_phone(e164: str) -> bool:
    import phonenumbers

    return phonenumbers.is_valid_number(phonenumbers.parse(e164))


def _landline(rng: random.Random) -> str:
    # Subscriber numbers starting 2–7 are valid in every area code listed (some 8… are not).
    return "+86" + rng.choice(AREA_CODES) + str(rng.randint(2, 7)) + _digits(rng, 7)


def _foreign_mobile(rng: random.Random) -> str:
    while True:
        number = rng.choice(("+49151", "+447", "+614", "+336")) + _digits(rng, 8)
        if _valid_phone(number):
            return number


def _uscc(rng: random.Random, county_code: str) -> str:
    """A valid unified social credit code: department, type, county, organisation code (with
    its GB 11714 check character) and the GB 32100 check character (stdnum's algorithm)."""
    body = _digits(rng, 8)
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    organisation = body + {10: "X", 11: "0"}.get(check, str(check))
    first17 = rng.choice("99991") + rng.choice("1112") + county_code + organisation
    return first17 + stdnum_uscc.calc_check_digit(first17)


@functools.lru_cache(maxsize=4096)
def _brand_pinyin(brand: str) -> str:
    return text.pinyin_keys(brand)[0][0]


def _ascii(name: str) -> str:
    """Lowercase ASCII letters of ``name`` ("García" → "garcia"), for e-mail addresses."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if char.isascii() and char.isalpha())


def _person_email(rng: random.Random, local: str) -> str:
    if rng.random() < 0.35:
        return f"{rng.randint(10000, 3999999999)}@qq.com"
    return f"{local}{rng.randint(1, 999)}@{rng.choice(PERSON_MAIL)}"


def _birth_date(rng: random.Random) -> datetime.date:
    return datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(55 * 365))


def _lunar(day: datetime.date) -> str:
    from borax.calendars.lunardate import LunarDate

    lunar = LunarDate.from_solar(day)
    return text.LunarDay(lunar.year, lunar.month, lunar.day, bool(lunar.leap)).canonical


def _chinese_company(rng: random.Random, province: Province) -> tuple[str, str, str, str]:
    """(name, brand, English name, company type)."""
    brand = rng.choice(BRAND) + rng.choice(BRAND)
    trade, trade_en = rng.choice(TRADES)
    form, _weight, company_type = _pick(rng, _FORMS, _FORM_WEIGHTS)
    prefix = rng.choice(province.city_names) if rng.random() < 0.4 else ""
    name = prefix + brand + trade + form
    english = f"{_brand_pinyin(brand).capitalize()} {trade_en} Co., Ltd."
    return name, brand, english, company_type


def _latin_company(rng: random.Random) -> tuple[str, str]:
    word = rng.choice(LATIN_WORDS)
    return f"{word} {rng.choice(LATIN_TRADES)} {rng.choice(LATIN_FORMS)}", word


def _address(rng: random.Random, county: County) -> str:
    return f"{county.address}{rng.choice(STREETS)}{rng.randint(1, 999)}号"


def generate(seed: int, index: int, refs: References) -> PartySpec:
    """Party number ``index`` of population ``seed``: the same arguments, the same party."""
    rng = random.Random(seed * 1_000_000_007 + index)
    roll = rng.random()
    province = _pick(rng, refs.provinces, refs.province_weights)
    county: County = rng.choice(province.counties)
    values: list[tuple[str, Any]] = []
    industry: tuple[int, str] | None = rng.choice(refs.industries)
    region: tuple[int, str] | None = (county.region_id, county.label)

    def add(code: str, value: Any, chance: float = 1.0) -> None:
        if chance >= 1.0 or rng.random() < chance:
            values.append((code, value))

    if roll < 0.80:
        kind = Party.Kind.PERSON
        if roll < 0.70:
            surname = _pick(rng, _SURNAMES, _SURNAME_WEIGHTS)
            given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
            name = surname + given
            local = text.pinyin_keys(name)[0][0] if rng.random() < 0.5 else "user"
            add("gender", rng.choice(("male", "female")))
            birth = _birth_date(rng)
            add("birth_date", birth.isoformat(), 0.85)
            if rng.random() < 0.2:
                values.append(("lunar_birthday", _lunar(birth)))
            add("mobile", _mobile(rng), 0.93)
            add("phone", _landline(rng), 0.1)
            add("email", _person_email(rng, local), 0.6)
            add("wechat", f"wxid_{rng.randrange(36**10):x}", 0.5)
            if rng.random() < 0.6:
                values.append(("employer", _chinese_company(rng, province)[0]))
                add("job_title", rng.choice(TITLES_ZH), 0.9)
            add("home_address", _address(rng, county), 0.6)
            add("native_place", rng.choice(province.city_names), 0.3)
            add("qq", str(rng.randint(10000, 3999999999)), 0.15)
            add("preferred_contact", rng.choice(("mobile", "wechat", "phone", "visit")), 0.3)
            add("hobbies", "、".join(sorted(set(rng.sample(HOBBIES, 2)))), 0.3)
        else:
            first, last = rng.choice(LATIN_FIRST), rng.choice(LATIN_LAST)
            name = f"{first} {last}"
            local = _ascii(first + last) if rng.random() < 0.5 else "mail"
            add("gender", rng.choice(("male", "female")))
            add("birth_date", _birth_date(rng).isoformat(), 0.6)
            add("mobile", _mobile(rng) if rng.random() < 0.7 else _foreign_mobile(rng), 0.8)
            add("email", f"{local}{rng.randint(1, 99)}@{rng.choice(PERSON_MAIL)}", 0.8)
            country = rng.choice(refs.countries)
            add("nationality", country[2], 0.7)
            if rng.random() < 0.6:
                values.append(("employer", _latin_company(rng)[0]))
                add("job_title", rng.choice(TITLES_EN), 0.9)
            add("wechat", f"{local}_{rng.randint(1, 9999)}", 0.3)
            add("home_address", _address(rng, county), 0.3)
            add("hobbies", rng.choice(("golf", "sailing", "tennis", "wine", "hiking")), 0.3)
            if rng.random() < 0.6:
                region = country[:2]
        industry = industry if rng.random() < 0.2 else None
    else:
        kind = Party.Kind.ORGANIZATION
        if roll < 0.96:
            name, brand, english, company_type = _chinese_company(rng, province)
            add("short_name", brand, 0.7)
            add("english_name", english, 0.2)
            add("uscc", _uscc(rng, county.code), 0.9)
            top_level = rng.choice(("com", "cn", "com.cn"))
            domain = f"{_brand_pinyin(brand)}{rng.randint(1, 9999)}.{top_level}"
            add(
                "legal_representative",
                _pick(rng, _SURNAMES, _SURNAME_WEIGHTS) + rng.choice(GIVEN) + rng.choice(GIVEN),
                0.6,
            )
        else:
            name, word = _latin_company(rng)
            company_type = "foreign"
            add("short_name", word, 0.5)
            add("tax_id", f"DE{_digits(rng, 9)}", 0.6)
            domain = f"{word.lower()}{rng.randint(1, 9999)}.com"
            if rng.random() < 0.6:
                region = rng.choice(refs.countries)[:2]
        add("phone", _landline(rng), 0.9)
        add("fax", _landline(rng), 0.15)
        add("email", f"{rng.choice(('info', 'sales', 'service', 'hr'))}@{domain}", 0.5)
        add("website", f"https://www.{domain}", 0.6)
        add("registered_address", _address(rng, county), 0.8)
        add("office_address", _address(rng, county), 0.3)
        add("company_type", company_type, 0.7)
        add(
            "founding_date",
            (
                datetime.date(1985, 1, 1) + datetime.timedelta(days=rng.randrange(38 * 365))
            ).isoformat(),
            0.7,
        )
        add("registered_capital", f"{rng.choice((10, 50, 100, 200, 500, 1000, 5000))}0000 CNY", 0.6)
        add("employees", str(rng.choice((5, 12, 30, 58, 120, 350, 800, 2400))), 0.4)
        add("scale", rng.choice(("micro", "small", "medium", "large")), 0.5)

    owner = _pick(rng, refs.owners, refs.owner_weights) if rng.random() < 0.95 else None
    stage = _pick(rng, _STAGES, _STAGE_WEIGHTS)
    created_at = EPOCH + index * STEP + datetime.timedelta(seconds=rng.randrange(120))
    first_deal = (
        created_at.date() + datetime.timedelta(days=rng.randrange(400))
        if stage in ("customer", "vip", "dormant")
        else None
    )
    canonical = [("name", name, name)]
    for code, raw in values:
        definition = refs.definitions[code]
        if definition.data_type in ("money", "number"):
            value, value_text = coerce(definition, raw)
        else:  # generated in canonical form already (the tests check it)
            value, value_text = raw, str(raw)[:500]
        canonical.append((code, value, value_text))
    tag_ids: tuple[int, ...] = ()
    if rng.random() < 0.08:
        tag_ids = tuple(sorted(set(rng.sample(refs.tags, rng.choice((1, 1, 2))))))
    return PartySpec(
        index=index,
        kind=kind,
        name=name,
        values=tuple(canonical),
        owner=owner,
        stage=stage,
        nature=rng.choice(refs.natures)
        if kind == Party.Kind.ORGANIZATION and rng.random() < 0.7
        else None,
        region=region,
        industry=industry,
        first_deal_date=first_deal,
        notes="展会上认识，需跟进。" if rng.random() < 0.05 else "",
        tag_ids=tag_ids,
        created_at=created_at,
    )


# --- search keys and pinyin --------------------------------------------------------------


@functools.lru_cache(maxsize=300_000)
def pinyin_of(name: str) -> str:
    return text.pinyin_display(name)[:400]


def search_keys(
    kind: str, name: str, golden: dict[str, Any], validators: dict[str, str]
) -> set[tuple[str, str]]:
    """The party's search keys: ``services.search_keys_from``, the function
    ``services.search_keys_for`` uses, given every attribute's validator (so no query)."""
    return services.search_keys_from(kind, name, golden, validators)


# --- writing ------------------------------------------------------------------------------


class Table:
    """Multi-row inserts into one model's table: ``executemany`` or PostgreSQL ``COPY``."""

    def __init__(self, model: type[Model], fields: Sequence[str]) -> None:
        meta = model._meta
        self.table = meta.db_table
        self.columns = [meta.get_field(name).column for name in fields]  # type: ignore[union-attr]

    def insert(self, cursor: Any, vendor: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        columns = ", ".join(f'"{column}"' for column in self.columns)
        if vendor == "postgresql":
            with cursor.copy(f'COPY "{self.table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(self.columns))
        # Table and column names come from the models; every value is a parameter.
        sql = f'INSERT INTO "{self.table}" ({columns}) VALUES ({marks})'  # noqa: S608
        cursor.executemany(sql, rows)


def reserve_ids(cursor: Any, vendor: str, model: type[Model], count: int) -> list[int]:
    """``count`` fresh primary keys of ``model``'s table (call inside the write transaction)."""
    table = model._meta.db_table
    if vendor == "postgresql":
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [f'"{table}"', count],
        )
        return [row[0] for row in cursor.fetchall()]
    if vendor != "sqlite":
        raise NotImplementedError(f"populations are written on SQLite and PostgreSQL: {vendor}")
    cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')  # noqa: S608
    highest = cursor.fetchone()[0]
    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
    row = cursor.fetchone()
    start = max(highest, row[0] if row else 0) + 1
    return list(range(start, start + count))


PARTY = Table(
    Party,
    "id kind name pinyin owner team stage nature region industry first_deal_date notes golden "
    "version processing_restricted created_at updated_at".split(),
)
OBSERVATION = Table(
    Observation,
    "id party attribute value value_text source source_ref collector collector_name "
    "collected_at recorded_at consent confidence note".split(),
)
GOLDEN = Table(
    GoldenValue,
    "party attribute value value_text observation confirmed_at stale_at".split(),
)
SEARCH_KEY = Table(SearchKey, ["party", "kind", "value"])
PARTY_TAG = Table(Party.tags.through, ["party", "tag"])
CHANGE = Table(
    ChangeLog,
    "timestamp actor actor_name action content_type object_id object_repr message changes "
    "remote_addr".split(),
)


@dataclass
class Progress:
    done: int
    total: int
    seconds: float


@dataclass
class Result:
    parties: int = 0
    observations: int = 0
    search_keys: int = 0
    seconds: float = 0.0
    first_id: int | None = None
    last_id: int | None = None


def write(
    specs: Sequence[PartySpec],
    refs: References,
    *,
    source: str = SOURCE,
    source_ref: str = "",
    using: str = DEFAULT_DB_ALIAS,
    check: bool = True,
) -> list[int]:
    """Write ``specs`` in one transaction; returns the new parties' primary keys in order.

    With ``check``, the first party's search keys are compared with
    ``services.search_keys_for`` (one query) and a difference raises ``AssertionError``.
    """
    connection = connections[using]
    vendor = connection.vendor
    adapt = connection.ops.adapt_datetimefield_value if vendor == "sqlite" else _same
    adapt_date = connection.ops.adapt_datefield_value if vendor == "sqlite" else _same
    validators = refs.validators
    definitions = refs.definitions
    Row = tuple[Any, ...]
    party_rows: list[Row] = []
    observation_rows: list[Row] = []
    golden_rows: list[Row] = []
    key_rows: list[Row] = []
    tag_rows: list[Row] = []
    change_rows: list[Row] = []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        party_ids = reserve_ids(cursor, vendor, Party, len(specs))
        observation_ids = iter(
            reserve_ids(cursor, vendor, Observation, sum(len(s.values) for s in specs))
        )
        for spec, party_id in zip(specs, party_ids, strict=True):
            golden = spec.golden
            pinyin = pinyin_of(spec.name)
            when = adapt(spec.created_at)
            fields = spec.party_fields()
            party_rows.append(
                (
                    party_id,
                    spec.kind,
                    spec.name,
                    pinyin,
                    fields["owner_id"],
                    fields["team_id"],
                    spec.stage,
                    fields["nature_id"],
                    fields["region_id"],
                    fields["industry_id"],
                    adapt_date(spec.first_deal_date),
                    spec.notes,
                    json.dumps(golden),
                    1,
                    False,
                    when,
                    when,
                )
            )
            for code, value, value_text in spec.values:
                definition = definitions[code]
                observation_id = next(observation_ids)
                encoded = json.dumps(value)
                observation_rows.append(
                    (
                        observation_id,
                        party_id,
                        definition.pk,
                        encoded,
                        value_text,
                        source,
                        source_ref,
                        None,
                        "system",
                        when,
                        when,
                        "",
                        1.0,
                        "",
                    )
                )
                stale = (
                    adapt(spec.created_at + datetime.timedelta(days=definition.reevaluate_days))
                    if definition.reevaluate_days
                    else None
                )
                golden_rows.append(
                    (party_id, definition.pk, encoded, value_text, observation_id, when, stale)
                )
            key_rows.extend(
                (party_id, kind, value)
                for kind, value in sorted(search_keys(spec.kind, spec.name, golden, validators))
            )
            tag_rows.extend((party_id, tag_id) for tag_id in spec.tag_ids)
            change_rows.append(
                (
                    when,
                    None,
                    "system",
                    ChangeLog.Action.CREATE.value,
                    refs.party_type_id,
                    str(party_id),
                    spec.name[:200],
                    "",
                    json.dumps(diff({}, _snapshot(spec))),
                    None,
                )
            )
        if check and specs:
            _check_search_keys(specs[0], validators)
        for table, rows in (
            (PARTY, party_rows),
            (OBSERVATION, observation_rows),
            (GOLDEN, golden_rows),
            (SEARCH_KEY, key_rows),
            (PARTY_TAG, tag_rows),
            (CHANGE, change_rows),
        ):
            table.insert(cursor, vendor, rows)
    return party_ids


def _same(value: Any) -> Any:
    return value


def _snapshot(spec: PartySpec) -> dict[str, Any]:
    """``core.services.snapshot(party, PARTY_FIELDS)`` of the party ``spec`` describes."""
    plain = {
        "kind": spec.kind,
        "name": spec.name,
        "owner": spec.owner.label if spec.owner else None,
        "team": spec.owner.team_label if spec.owner else None,
        "stage": spec.stage,
        "nature": spec.nature[1] if spec.nature else None,
        "region": spec.region[1] if spec.region else None,
        "industry": spec.industry[1] if spec.industry else None,
        "first_deal_date": spec.first_deal_date.isoformat() if spec.first_deal_date else None,
        "notes": spec.notes,
    }
    return {name: plain[name] for name in services.PARTY_FIELDS}


def _check_search_keys(spec: PartySpec, validators: dict[str, str]) -> None:
    party = Party(kind=spec.kind, name=spec.name, golden=spec.golden)
    expected = {(str(kind), value) for kind, value in services.search_keys_for(party)}
    actual = search_keys(spec.kind, spec.name, spec.golden, validators)
    if expected != actual:
        raise AssertionError(f"search keys of {spec.name!r}: {actual} != {expected}")


def populate(
    count: int,
    *,
    seed: int = 1,
    start: int = 0,
    batch_size: int = BATCH_SIZE,
    source: str = SOURCE,
    refs: References | None = None,
    progress: Callable[[Progress], None] | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> Result:
    """Write parties ``start`` … ``start + count - 1`` of population ``seed``, in batches."""
    refs = refs or References.load()
    result = Result()
    began = time.perf_counter()
    source_ref = f"population:{seed}"
    with bulk_load(using):
        for batch_start in range(start, start + count, batch_size):
            batch_end = min(batch_start + batch_size, start + count)
            specs = [generate(seed, index, refs) for index in range(batch_start, batch_end)]
            ids = write(specs, refs, source=source, source_ref=source_ref, using=using)
            result.parties += len(specs)
            result.observations += sum(len(spec.values) for spec in specs)
            result.first_id = result.first_id if result.first_id is not None else ids[0]
            result.last_id = ids[-1]
            if progress is not None:
                progress(Progress(result.parties, count, time.perf_counter() - began))
    result.seconds = time.perf_counter() - began
    return result


@contextlib.contextmanager
def bulk_load(using: str, cache_kib: int = BULK_CACHE_KIB) -> Iterator[None]:
    """On SQLite, a page cache of up to 1 GiB while loading: the indexes on values (search
    keys, golden values) take rows in random order, and SQLite's default 2 MB cache makes every
    insert a disk read once they outgrow it (a third of the speed by 100k parties). The
    write-ahead log is checkpointed by a background thread meanwhile
    (:mod:`huike.core.sqlite_wal`)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {int(cache_kib)}")
    try:
        with background_checkpoints(connection):
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def clear_caches() -> None:
    """Forget the names, brands and phone checks remembered while generating."""
    for cache in (pinyin_of, _brand_pinyin, _valid_phone, services.name_search_keys, text._tokens):
        cache.cache_clear()


def analyze(using: str = DEFAULT_DB_ALIAS) -> None:
    """On PostgreSQL, ``VACUUM ANALYZE`` the tables a load filled: what autovacuum would do
    soon after, done now (planner statistics; the visibility map for index-only scans).

    Nothing on SQLite: Huike never runs ``ANALYZE`` there, so its query plans are what a real
    installation gets. Needs autocommit (not inside ``atomic``).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    models = (Party, Observation, GoldenValue, SearchKey, ChangeLog, Party.tags.through)
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
