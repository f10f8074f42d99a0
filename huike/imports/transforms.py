"""Value transforms for imports: names, addresses, dates, phones, gender, person or company.

Each transform takes one cell's text and returns the value to store (``""`` for nothing), or
raises ``ValueError`` with a translated message. :data:`TRANSFORMS` names them for mappings
(``"birth_date:date_dmy"``); the "part" transforms have no function: the columns of one name
or one address are combined by :func:`join_name` and :func:`format_address`
(see :mod:`huike.imports.presets`).
"""

from __future__ import annotations

import datetime
import functools
import html.parser
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from huike.parties.attributes import DEFAULT_ATTRIBUTES
from huike.parties.text import normalise_phone, phone_region

__all__ = [
    "COMPOUND_SURNAMES",
    "TRANSFORMS",
    "Transform",
    "first_nonempty",
    "format_address",
    "gender",
    "html_text",
    "join_name",
    "parse_date",
    "party_kind",
    "phone",
    "split_full_name",
]

PERSON, ORGANIZATION = "person", "organization"
_GENDER_CHOICES = next(
    entry["choices"] for entry in DEFAULT_ATTRIBUTES if entry["code"] == "gender"
)
_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def _has_han(text: str) -> bool:
    return bool(_HAN.search(text))


def first_nonempty(*values: str | None) -> str:
    """The first value that is not blank, as it is; ``""`` when all are."""
    for value in values:
        if value and value.strip():
            return value
    return ""


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

# Two-character surnames (复姓), simplified and traditional; a name starting with one of them
# keeps both characters as the family name.
COMPOUND_SURNAMES = frozenset(
    """
    欧阳 歐陽 司马 司馬 上官 诸葛 諸葛 东方 東方 皇甫 尉迟 尉遲 公孙 公孫 慕容 长孙 長孫
    宇文 司徒 夏侯 轩辕 軒轅 令狐 钟离 鍾離 闻人 聞人 万俟 萬俟 澹台 澹臺 公冶 宗政 濮阳 濮陽
    淳于 单于 單于 太叔 申屠 赫连 赫連 独孤 獨孤 南宫 南宮 西门 西門 百里 呼延 端木 拓跋
    第五 司空 司寇 仲孙 仲孫 亓官 巫马 巫馬 乐正 樂正 公良 漆雕 谷梁 穀梁 左丘 东郭 東郭
    梁丘 闾丘 閭丘 羊舌 微生 公西 公羊 段干 段幹 呼延 纳兰 納蘭 爱新觉罗 愛新覺羅
    """.split()
)


def split_full_name(text: str) -> tuple[str, str]:
    """``(family, given)`` of a full name. Kept simple on purpose:

    - Chinese (the name has Han characters and no space): the family name is the first
      character, or the first two when they are a compound surname (欧阳, 司马, 诸葛…):
      张三 → (张, 三), 欧阳修 → (欧阳, 修). A name with a middle dot (阿沛·阿旺晋美,
      约翰·史密斯) is not split: ("", whole).
    - Latin: "Zhang, San" (a comma) is family first; a word in capitals among others
      ("ZHANG San", "San ZHANG") is the family name; otherwise the last word is the family
      name ("San Zhang" → (Zhang, San)). One word is a given name only.
    """
    name = " ".join(text.split())
    if not name:
        return "", ""
    if _has_han(name) and " " not in name:
        if "·" in name or "•" in name:
            return "", name
        for size in (4, 2):
            if len(name) > size and name[:size] in COMPOUND_SURNAMES:
                return name[:size], name[size:]
        return (name[0], name[1:]) if len(name) > 1 else ("", name)
    if "," in name:
        family, _comma, given = name.partition(",")
        return family.strip(), given.strip()
    words = name.split(" ")
    if len(words) == 1:
        return "", name
    capitals = [word for word in words if len(word) > 1 and word.isupper()]
    if len(capitals) == 1 and len(capitals) < len(words):
        family = capitals[0]
        return family, " ".join(word for word in words if word is not family)
    return words[-1], " ".join(words[:-1])


def join_name(given: str = "", family: str = "", middle: str = "") -> str:
    """A full name from its parts: family then given, without a space, when Chinese
    (张 + 三 → 张三); else "Given Middle Family" (San Zhang)."""
    given, family, middle = given.strip(), family.strip(), middle.strip()
    if _has_han(given + family) and not (given + family).isascii():
        return family + middle + given
    return " ".join(part for part in (given, middle, family) if part)


def _display_name(text: str) -> str:
    """Transform ``split_full_name``: the name in the order people write it ("Zhang, San" →
    "San Zhang", "张 三" → "张三")."""
    family, given = split_full_name(text)
    if not family:
        return " ".join(text.split())
    if _has_han(text) and "," not in text:
        return "".join(text.split())
    return join_name(given=given, family=family)


# ---------------------------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------------------------

_HOME_COUNTRY = frozenset({"中国", "中华人民共和国", "中國", "china", "cn", "prc"})


def format_address(
    street: str = "", city: str = "", region: str = "", postcode: str = "", country: str = ""
) -> str:
    """One line from address parts. Chinese addresses go from large to small, without
    separators, and without the country when it is China: 广东省深圳市南山区科技园路1号 518057.
    Others: "1 Main St, Springfield, IL 62701, USA"."""
    parts = [" ".join(part.split()) for part in (street, city, region, postcode, country)]
    street, city, region, postcode, country = parts
    if _has_han("".join(parts)):
        large_to_small: list[str] = []
        for part in (country, region, city, street):
            if not part or part.lower() in _HOME_COUNTRY:
                continue
            previous = large_to_small[-1] if large_to_small else ""
            if previous and part.startswith(previous):
                large_to_small[-1] = part  # 北京 then 北京市: the city says it all
            elif not previous.startswith(part):
                large_to_small.append(part)
        text = "".join(large_to_small)
        return (text + " " + postcode).strip() if postcode else text
    if region.casefold() == city.casefold():
        region = ""  # Shanghai, Shanghai: a city that is its own province
    if region:
        region = " ".join(part for part in (region, postcode) if part)
    else:
        city = " ".join(part for part in (city, postcode) if part)
    return ", ".join(part for part in (street, city, region, country) if part)


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_EMPTY_DATES = re.compile(r"^0{1,4}([-/.]0{1,4}){2}$")
_YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_CHINESE_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
_DAY_NAMED_MONTH = re.compile(r"^(\d{1,2})[-\s]([a-z]{3,9})\.?[-\s,]+(\d{2}|\d{4})$")
_NAMED_MONTH_DAY = re.compile(r"^([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_EXCEL_SERIAL = re.compile(r"^\d{1,5}(\.\d+)?$")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        pivot = datetime.date.today().year % 100
        year += 2000 if year <= pivot else 1900
    return year


def _date(year: int, month: int, day: int, raw: str) -> str:
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(_("“{value}” is not a date that exists.").format(value=raw)) from None


def parse_date(text: str, order: str = "auto") -> str:
    """The ISO date (``1990-05-30``) written in ``text``; ``""`` for a blank or an all-zero
    placeholder (Outlook writes ``0/0/00``). ``ValueError`` with a translated message when it
    is not a date.

    Year first: 1990-05-30, 1990/5/30, 1990.5.30, 19900530, 1990年5月30日, with a time after
    it or not (1990-05-30T08:00:00Z). Day and month: 30/05/1990, 5/30/90, 30-May-1990,
    May 30, 1990. Excel serial numbers (33023). ``order`` says how to read 05/06/1990:
    ``"dmy"`` (day first), ``"mdy"`` (month first, as in the USA) or ``"auto"`` (only when
    one of the two numbers is above 12; ambiguous dates are refused, naming the choice).
    """
    raw = text.strip()
    value = unicodedata.normalize("NFKC", raw).lower()
    value = re.split(r"[t\s]\d{1,2}:\d{2}", value, maxsplit=1)[0].strip()
    if not value or _EMPTY_DATES.match(value):
        return ""
    for pattern in (_YEAR_FIRST, _CHINESE_DATE, _COMPACT_DATE):
        match = pattern.match(value)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return _date(year, month, day, raw)
    match = _NUMERIC_DATE.match(value)
    if match:
        first, second, year_text = match.groups()
        a, b = int(first), int(second)
        if order == "dmy" or (order == "auto" and a > 12 >= b):
            day, month = a, b
        elif order == "mdy" or (order == "auto" and b > 12 >= a):
            month, day = a, b
        elif a == b:
            day = month = a
        else:
            raise ValueError(
                _(
                    "“{value}” could be day/month or month/day. Choose “date, day first” or "
                    "“date, month first” for this column."
                ).format(value=raw)
            )
        return _date(_year(year_text), month, day, raw)
    match = _DAY_NAMED_MONTH.match(value)
    if match and match.group(2) in _MONTHS:
        return _date(_year(match.group(3)), _MONTHS[match.group(2)], int(match.group(1)), raw)
    match = _NAMED_MONTH_DAY.match(re.sub(r"^[a-z]+day,\s*", "", value))
    if match and match.group(1) in _MONTHS:
        return _date(int(match.group(3)), _MONTHS[match.group(1)], int(match.group(2)), raw)
    if _EXCEL_SERIAL.match(value) and 1000 <= float(value) < 2958466:
        # Excel's day numbers; below 1000 (before 1902) a number is more likely something else
        serial = _EXCEL_EPOCH + datetime.timedelta(days=int(float(value)))
        return serial.isoformat()
    if re.match(r"^-{0,2}\d{1,2}[-/.]\d{1,2}$", value):
        raise LeftOut(_("“{value}” has no year.").format(value=raw))
    raise ValueError(_("“{value}” is not a date. Write it like 1990-05-30.").format(value=raw))


class LeftOut(ValueError):
    """A value that is fine but cannot be stored in its attribute (a birthday without a year):
    the import leaves it out, notes it, and imports the rest of the row."""


# ---------------------------------------------------------------------------------------------
# Value transforms
# ---------------------------------------------------------------------------------------------

_SCIENTIFIC = re.compile(r"^[+-]?\d(\.\d+)?e\+?\d+$", re.IGNORECASE)
_EXTENSION = re.compile(r"(?:ext\.?|extension|x|#|转|轉|分机|分機)\s*(\d{1,6})\s*$", re.IGNORECASE)
_SEVERAL = re.compile(r"\s*(?::::|;|；|/|、|\n)\s*")
CN_MOBILE_E164 = re.compile(r"^\+861[3-9]\d{9}$")


def phone(text: str, default_region: str | None = None) -> str:
    """A phone number in E.164 (numbers without a country code are read as
    ``default_region``'s, by default the installation's ``PHONE_REGION``), with its extension
    kept as `` ext. 12``. The first of several numbers in one cell ("138… / 139…", Google's
    ":::") is taken."""
    default_region = default_region or phone_region()
    value = first_nonempty(*_SEVERAL.split(unicodedata.normalize("NFKC", text))).strip()
    if not value:
        return ""
    if _SCIENTIFIC.match(value):
        raise ValueError(
            _(
                "Excel shortened this number to “{value}”. Format the column as text in Excel "
                "and export the file again."
            ).format(value=value)
        )
    extension = _EXTENSION.search(value)
    number = value[: extension.start()] if extension else value
    digits = re.sub(r"[\s\-().]", "", number)
    if digits.isdigit() and digits.startswith("86") and len(digits) == 13:
        number = "+" + digits  # 8613800138000: the country code without its "+"
    try:
        e164 = normalise_phone(number, default_region)
    except ValidationError as error:
        raise ValueError(error.messages[0]) from None
    return e164 + (" ext. " + extension.group(1) if extension else "")


# Countries as exports write them, besides ISO codes and the names pycountry and the CLDR know.
_COUNTRY_ALIASES = {
    "uk": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "prc": "CN",
    "中国大陆": "CN",
    "大陆": "CN",
    "内地": "CN",
    "中华人民共和国": "CN",
    "香港": "HK",
    "澳门": "MO",
    "澳門": "MO",
    "台湾": "TW",
    "台灣": "TW",
}
# Languages whose country names (from the CLDR, through babel) address columns are read in.
_COUNTRY_NAME_LANGUAGES = ("en", "zh_Hans", "zh_Hant", "de", "fr", "es", "it", "ja", "ko")


def country_name(code: str) -> str:
    """The country ``code`` (ISO 3166) names, in the active language (CLDR, through babel)."""
    from babel import Locale, UnknownLocaleError

    language = (get_language() or "en").replace("-", "_")
    try:
        locale = Locale.parse("zh_Hans" if language.lower().startswith("zh") else language)
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    return str(locale.territories.get(code, code))


def phone_regions() -> list[str]:
    """The countries phone numbers know, as ISO 3166 codes, in alphabetical order."""
    return sorted(code for code in phonenumbers.SUPPORTED_REGIONS if len(code) == 2)


@functools.lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    from babel import Locale

    names: dict[str, str] = {}
    for language in _COUNTRY_NAME_LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(_country_key(name), code)
    return names


def _country_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().replace(".", "").split())


@functools.lru_cache(maxsize=1024)
def region_of_country(text: str) -> str | None:
    """The ISO 3166 code of a country as an address column writes it ("United States", "USA",
    "美国", "Deutschland", "HK"), if it is one phone numbers know; else ``None``."""
    key = _country_key(text)
    if not key:
        return None
    code = _COUNTRY_ALIASES.get(key) or _country_names().get(key)
    if code is None:
        import pycountry

        try:
            code = pycountry.countries.lookup(key).alpha_2
        except LookupError:
            return None
    code = code.upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


_GENDERS = {
    "male": {
        "男",
        "男性",
        "男士",
        "先生",
        "m",
        "male",
        "man",
        "mr",
        "mr.",
        "1",
        "boy",
        "männlich",  # German and French Outlook exports
        "masculin",
    },
    "female": {
        "女",
        "女性",
        "女士",
        "小姐",
        "f",
        "female",
        "woman",
        "w",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "miss",
        "2",
        "girl",
        "weiblich",
        "féminin",
    },
    "": {
        "0",
        "9",
        "u",
        "未知",
        "未指定",  # Chinese Outlook's "unspecified"
        "未指定的",
        "保密",
        "不详",
        "其他",
        "其它",
        "unknown",
        "unspecified",
        "not specified",
        "other",
        "diverse",
        "non-binary",
        "prefer not to say",
        "keine angabe",
        "nicht angegeben",
        "non spécifié",
        "n/a",
        "-",
    },
}


def gender(text: str) -> str:
    """``male`` or ``female`` (the gender attribute's choice values) from 男/女, M/F,
    Male/Female, Mr/Ms, 1/2 (GB/T 2261.1); ``""`` for unknown, unspecified or other."""
    value = " ".join(unicodedata.normalize("NFKC", text).strip().lower().split())
    for choice, words in _GENDERS.items():
        if value in words:
            return choice
    for choice in _GENDER_CHOICES:
        if value in {str(choice["value"]).lower(), str(choice["zh"]), str(choice["en"]).lower()}:
            return str(choice["value"])
    raise ValueError(_("“{value}” is not a gender: write 男 or 女, M or F.").format(value=text))


_KINDS = {
    PERSON: {
        "person",
        "individual",
        "contact",
        "个人",
        "自然人",
        "个人客户",
        "false",
        "0",
        "no",
        "否",
    },
    ORGANIZATION: {
        "organization",
        "organisation",
        "company",
        "business",
        "account",
        "org",
        "公司",
        "企业",
        "企业客户",
        "机构",
        "单位",
        "组织",
        "法人",
        "true",
        "1",
        "yes",
        "是",
    },
}


def party_kind(text: str) -> str:
    """``person`` or ``organization`` from words such as 个人/企业, Person/Company, and
    Odoo's ``is_company`` (True/False); ``""`` when blank."""
    value = unicodedata.normalize("NFKC", text).strip().lower()
    if not value:
        return ""
    for choice, words in _KINDS.items():
        if value in words:
            return choice
    raise ValueError(
        _("“{value}” is neither a person nor an organisation.").format(value=text.strip())
    )


class _TextOf(html.parser.HTMLParser):
    """Collects the text of an HTML fragment: tags dropped, a line break after blocks."""

    BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self.hidden += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_text(text: str) -> str:
    """The text of an HTML fragment (Odoo exports notes as ``<p>…</p>``): tags, scripts and
    styles dropped, entities decoded, one line per paragraph. Text without tags is kept."""
    if "<" not in text and "&" not in text:
        return text.strip()
    parser = _TextOf()
    parser.feed(text)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Transform:
    """A named transform: ``function`` turns one cell into a value (``ValueError`` when it
    cannot); a ``part`` transform has no function and is combined with the other parts of the
    same attribute (``name`` or ``address``)."""

    code: str
    label: Promise
    function: Callable[[str], str] | None = None
    part: str = ""
    role: str = ""


TRANSFORMS: dict[str, Transform] = {
    transform.code: transform
    for transform in (
        Transform("phone", gettext_lazy("Phone number (international form)"), phone),
        Transform("gender", gettext_lazy("Gender (男/女, M/F)"), gender),
        Transform("date", gettext_lazy("Date"), parse_date),
        Transform(
            "date_dmy",
            gettext_lazy("Date, day first (30/05/1990)"),
            lambda text: parse_date(text, "dmy"),
        ),
        Transform(
            "date_mdy",
            gettext_lazy("Date, month first (05/30/1990)"),
            lambda text: parse_date(text, "mdy"),
        ),
        Transform("kind", gettext_lazy("Person or organisation"), party_kind),
        Transform("html_text", gettext_lazy("Text of HTML (tags removed)"), html_text),
        Transform("split_full_name", gettext_lazy("Full name (family, given)"), _display_name),
        Transform(
            "given_name", gettext_lazy("Part of the name: given name"), None, "name", "given"
        ),
        Transform(
            "middle_name", gettext_lazy("Part of the name: middle name"), None, "name", "middle"
        ),
        Transform(
            "family_name", gettext_lazy("Part of the name: family name"), None, "name", "family"
        ),
        Transform("street", gettext_lazy("Part of the address: street"), None, "address", "street"),
        Transform("city", gettext_lazy("Part of the address: city"), None, "address", "city"),
        Transform(
            "region",
            gettext_lazy("Part of the address: province or state"),
            None,
            "address",
            "region",
        ),
        Transform(
            "postcode", gettext_lazy("Part of the address: postcode"), None, "address", "postcode"
        ),
        Transform(
            "country", gettext_lazy("Part of the address: country"), None, "address", "country"
        ),
    )
}
