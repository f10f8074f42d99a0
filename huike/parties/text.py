"""Normalisation, validation and search keys for the text on a customer record.

Pure functions: no database, no settings beyond the active translation. Each ``normalise_*``,
``validate_*`` and ``parse_*`` function returns the canonical form of a valid value and raises a
``django.core.exceptions.ValidationError`` with a translated message and a stable ``code`` for an
invalid one, so forms, the API and importers report the same problem in the same words.

Judgement calls, recorded where a reader will look for them:

- Pinyin. ``pinyin_display`` shows one reading: pypinyin's, phrase-aware, except that a leading
  surname with a special surname reading (单 shan, 曾 zeng, 区 ou…) gets that reading unless the
  character starts a dictionary word (单位 dan wei, 区域 qu yu). ü is shown as ``ü``;
  ``pinyin_keys`` spells it ``v`` as Chinese keyboards do, and also ``u`` for the first two
  characters (吕 → lv, lu).
- Phones are stored as E.164; extensions ("ext", "x", "#", 转, 分机) are dropped, not stored.
  Phone search compares *reversed* digits, so "the last four digits" is a prefix match.
- Lunar dates: see ``LunarDay.next_solar_occurrence`` for the rule used when a year lacks the
  leap month or the 30th day.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import itertools
import re
import unicodedata

import phonenumbers
from borax.calendars.lunardate import LCalendars, LunarDate, TextUtils
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.seg.mmseg import seg as _phrase_segmenter
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import ric, uscc

__all__ = [
    "LunarDay",
    "normalise_email",
    "normalise_name",
    "normalise_phone",
    "organisation_core_name",
    "parse_gregorian_date",
    "parse_lunar_day",
    "phone_digits_reversed",
    "phone_query_reversed",
    "pinyin_display",
    "pinyin_keys",
    "resident_id_birth_date",
    "resident_id_gender",
    "validate_resident_id",
    "validate_uscc",
]


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


# ---------------------------------------------------------------------------------------------
# Names and pinyin
# ---------------------------------------------------------------------------------------------

# CJK ideographs (basic, extensions A–H, compatibility) and 〇.
_HAN = re.compile(
    "[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff\U00030000-\U000323af]"
)
# Apostrophes join a word ("O'Brien" → "obrien") instead of splitting it.
_APOSTROPHES = frozenset("'’`")

# Surnames read differently from the character's most common reading. Only well-attested surname
# readings: where both readings are common surnames (乐 le/yue, 蔚 wei/yu) the default stays and
# ``pinyin_keys`` indexes both.
SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "区": "ou",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "缪": "miao",
    "翟": "zhai",
    "覃": "qin",
    "种": "chong",
    "繁": "po",
    "秘": "bi",
    "宓": "fu",
    "隗": "wei",
    "阚": "kan",
    "都": "du",
    "员": "yun",
    "句": "gou",
    "藏": "zang",
    "召": "shao",
    "祭": "zhai",
    "薄": "bo",
    "重": "chong",
    "洗": "xian",
    "折": "she",
    "佴": "nai",
    "粘": "nian",
    "卜": "bu",
    "便": "pian",
    "蕃": "pi",
    "角": "jue",
    "炅": "gui",
    "沓": "ta",
    "能": "nai",
    "黑": "he",
    "六": "lu",
    "奇": "ji",
    "澹": "tan",
    "番": "pan",
}

# Compound surnames, whatever pypinyin's phrase dictionary says about them.
COMPOUND_SURNAME_READINGS: dict[str, tuple[str, str]] = {
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "单于": ("chan", "yu"),
    "澹台": ("tan", "tai"),
    "长孙": ("zhang", "sun"),
    "乐正": ("yue", "zheng"),
    "令狐": ("ling", "hu"),
    "亓官": ("qi", "guan"),
    "中行": ("zhong", "hang"),
    "仲长": ("zhong", "chang"),
    "欧阳": ("ou", "yang"),
    "诸葛": ("zhu", "ge"),
    "皇甫": ("huang", "fu"),
    "上官": ("shang", "guan"),
    "司马": ("si", "ma"),
    "夏侯": ("xia", "hou"),
}


@dataclasses.dataclass(frozen=True)
class _Token:
    """A Han character with its reading (``v`` for ü), or a Latin/digit word."""

    text: str
    reading: str
    is_han: bool


@functools.lru_cache(maxsize=100_000)
def _tokens(text: str) -> tuple[_Token, ...]:
    """Han characters one by one and other letter/digit runs as words; punctuation dropped.

    Remembered per text: a name's pinyin display and its search keys both read it."""
    pieces: list[tuple[str, bool]] = []
    word: list[str] = []
    for char in _nfkc(text):
        if _HAN.match(char):
            if word:
                pieces.append(("".join(word), False))
                word = []
            pieces.append((char, True))
        elif char in _APOSTROPHES:
            continue
        elif unicodedata.category(char)[0] in "LMN":
            word.append(char)
        elif word:
            pieces.append(("".join(word), False))
            word = []
    if word:
        pieces.append(("".join(word), False))

    tokens: list[_Token] = []
    for is_han, group in itertools.groupby(pieces, key=lambda piece: piece[1]):
        texts = [piece[0] for piece in group]
        if is_han:
            run = "".join(texts)
            tokens.extend(map(_Token, texts, _han_readings(run), itertools.repeat(True)))
        else:
            tokens.extend(_Token(word, word.casefold(), False) for word in texts)
    _apply_surname_reading(tokens)
    return tuple(tokens)


def _han_readings(run: str) -> list[str]:
    """One toneless reading per character of ``run``, using pypinyin's phrase context."""
    readings = lazy_pinyin(run, style=Style.NORMAL)
    if len(readings) != len(run):
        # pypinyin merges consecutive characters it has no reading for; go one by one.
        readings = [lazy_pinyin(char, style=Style.NORMAL)[0] for char in run]
    return readings


def _apply_surname_reading(tokens: list[_Token]) -> None:
    if not tokens or not tokens[0].is_han:
        return
    if len(tokens) > 1 and tokens[1].is_han:
        compound = COMPOUND_SURNAME_READINGS.get(tokens[0].text + tokens[1].text)
        if compound:
            tokens[0] = dataclasses.replace(tokens[0], reading=compound[0])
            tokens[1] = dataclasses.replace(tokens[1], reading=compound[1])
            return
    surname = SURNAME_READINGS.get(tokens[0].text)
    if surname is None:
        return
    leading_run = "".join(t.text for t in itertools.takewhile(lambda t: t.is_han, tokens))
    first_word = next(iter(_phrase_segmenter.cut(leading_run)), "")
    if len(first_word) <= 1:  # 单位, 区域: a dictionary word, not a surname
        tokens[0] = dataclasses.replace(tokens[0], reading=surname)


def pinyin_display(text: str) -> str:
    """The name as toneless lowercase pinyin: "张三" → "zhang san", "李Lily" → "li lily".

    Guarantees: one space between syllables/words, no leading or trailing space, "" for text
    without letters or digits. Han characters get one reading each (pypinyin's most common,
    phrase-aware, with the surname reading for a leading surname), ü written ``ü``; other
    letter/digit runs are kept as lowercased words; punctuation is dropped. A Han character
    pypinyin has no reading for is kept as itself.
    """
    return " ".join(
        token.reading.replace("v", "ü") if token.is_han else token.text.lower()
        for token in _tokens(text)
    )


def _alternative_readings(token: _Token) -> list[str]:
    """Every reading of a token: its display reading first, then the others pypinyin knows."""
    if not token.is_han:
        return [token.reading]
    readings = [token.reading, *pinyin(token.text, style=Style.NORMAL, heteronym=True)[0]]
    readings += [reading.replace("v", "u") for reading in readings if "v" in reading]
    return list(dict.fromkeys(readings))


def pinyin_keys(text: str, limit: int = 8) -> tuple[list[str], list[str]]:
    """Search keys for ``text``: (full pinyin without spaces, initials), each at most ``limit``.

    Every reading of the first two tokens is combined (单田芳 → shantianfang, dantianfang,
    chantianfang; initials stf, dtf, ctf); later characters keep their display reading.
    Guarantees: casefolded, deduplicated, the display reading first (so ``full[0]`` is
    ``pinyin_display(text)`` without spaces, ü spelt ``v``), then the readings differing least
    from it; ü is spelt ``v``, and ``u`` as an alternative in the first two characters. Latin
    words give themselves (full) and their first letter (initials). ``([], [])`` for text
    without letters or digits.
    """
    tokens = _tokens(text)
    if not tokens:
        return [], []
    head = [_alternative_readings(token) for token in tokens[:2]]
    tail = [token.reading for token in tokens[2:]]
    combinations = sorted(
        itertools.product(*(list(enumerate(readings)) for readings in head)),
        # Fewest changes first; among equals, vary the first token (the surname) first.
        key=lambda combination: (
            sum(rank for rank, _reading in combination),
            combination[-1][0],
        ),
    )
    full: dict[str, None] = {}
    initials: dict[str, None] = {}
    for combination in combinations:
        syllables = [reading for _rank, reading in combination] + tail
        full.setdefault("".join(syllables))
        initials.setdefault("".join(syllable[0] for syllable in syllables))
    return list(full)[:limit], list(initials)[:limit]


def normalise_name(text: str) -> str:
    """``text`` for comparison: NFKC, casefolded, with every space, punctuation mark and symbol
    (ASCII and CJK: ，。、（）()·-_.,&' …) removed. Letters, marks and digits are kept in order.

    "  ZHANG san " → "zhangsan"; "（北京）华为" → "北京华为".
    """
    folded = _nfkc(_nfkc(text).casefold())
    return "".join(char for char in folded if unicodedata.category(char)[0] in "LMN")


# Longest first within each script; traditional forms included for Hong Kong and Taiwan.
_CHINESE_LEGAL_FORMS = sorted(
    {
        "集团股份有限公司",
        "集团有限公司",
        "股份有限公司",
        "有限责任公司",
        "合伙企业（有限合伙）",
        "合伙企业",
        "有限合伙",
        "有限公司",
        "个体工商户",
        "分公司",
        "总公司",
        "工作室",
        "公司",
        "集团",
        "商行",
        "厂",
        "店",
        "集團股份有限公司",
        "集團有限公司",
        "有限責任公司",
        "個體工商戶",
        "總公司",
        "集團",
        "廠",
    },
    key=len,
    reverse=True,
)
_LATIN_LEGAL_FORMS = (
    "co",
    "ltd",
    "limited",
    "co ltd",
    "company",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "llc",
    "l l c",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "s a",
    "sas",
    "s a s",
    "sarl",
    "bv",
    "b v",
    "nv",
    "n v",
    "pte ltd",
    "pty ltd",
    "kk",
    "k k",
    "oy",
    "ab",
    "as",
    "spa",
    "s p a",
    "srl",
    "s r l",
)
# Suffixes as token sequences: one token per Han character, one per Latin word.
_LEGAL_FORM_TOKENS: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        {tuple(normalise_name(form)) for form in _CHINESE_LEGAL_FORMS}
        | {tuple(form.split()) for form in _LATIN_LEGAL_FORMS},
        key=len,
        reverse=True,
    )
)


def _name_tokens(text: str) -> list[str]:
    """Normalised tokens: each Han character alone, other letter/mark/digit runs as words."""
    tokens: list[str] = []
    word: list[str] = []
    for char in _nfkc(_nfkc(text).casefold()):
        kept = unicodedata.category(char)[0] in "LMN"
        if kept and not _HAN.match(char):
            word.append(char)
            continue
        if word:
            tokens.append("".join(word))
            word = []
        if kept:
            tokens.append(char)
    if word:
        tokens.append("".join(word))
    return tokens


def organisation_core_name(text: str) -> str:
    """``normalise_name`` of an organisation's name without its legal form.

    Legal-form suffixes (有限公司, 股份有限公司, 集团, 厂, 店…; Co., Ltd., Inc., GmbH, AG, S.A.…)
    are removed repeatedly, at the end only, Latin ones as whole words ("Atlas" keeps its "as").
    A suffix is never removed when nothing would remain ("公司" stays "公司"). Everything else is
    kept, including region brackets and words like 控股: "阿里巴巴集团控股有限公司" →
    "阿里巴巴集团控股"; "Acme Co., Ltd." → "acme".
    """
    tokens = _name_tokens(text)
    stripped = True
    while stripped:
        stripped = False
        for suffix in _LEGAL_FORM_TOKENS:
            if len(tokens) > len(suffix) and tuple(tokens[-len(suffix) :]) == suffix:
                del tokens[-len(suffix) :]
                stripped = True
                break
    return "".join(tokens)


# ---------------------------------------------------------------------------------------------
# Phones and e-mail
# ---------------------------------------------------------------------------------------------

# Extensions phonenumbers does not recognise itself; "ext", "x" and "#" it handles.
_CHINESE_EXTENSION = re.compile(r"\s*(?:转|轉|分机|分機)\s*(\d+)\s*$")


def phone_region() -> str:
    """The installation's country for phone numbers without a country code (``PHONE_REGION``,
    default ``CN``)."""
    from django.conf import settings

    return str(getattr(settings, "PHONE_REGION", "") or "CN").upper()


# A Chinese mobile number with "+86", or (in China) with "86" or no country code, in one piece
# or split by spaces or dashes ("138 0013 8000"): most numbers a Chinese installation stores.
# phonenumbers' full parse costs about 100 µs; these are checked against the prefixes it deems
# valid instead.
_CN_MOBILE = re.compile(r"(?:(\+)?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})")


@functools.cache
def _cn_mobile_prefixes() -> frozenset[str]:
    """The 4-digit prefixes of Chinese mobile numbers that phonenumbers deems valid whatever
    the other seven digits (checked at both ends of the range and in the middle)."""
    return frozenset(
        prefix
        for prefix in (str(number) for number in range(1300, 2000))
        if all(
            phonenumbers.is_valid_number(phonenumbers.parse("+86" + prefix + rest))
            for rest in ("0000000", "9999999", "5000000")
        )
    )


def normalise_phone(raw: str, default_region: str | None = None) -> str:
    """The phone number in E.164 ("+8613800138000"), or ValidationError ``invalid_phone``.

    Accepts spaces, dashes, dots, brackets, +86/0086 prefixes, full-width digits, Chinese
    mobiles and landlines with trunk prefix ("010-6552 9988" → "+861065529988"). Numbers without
    a country code are read as ``default_region``'s (default: :func:`phone_region`). An
    extension ("ext 12", "x12", "#12", "转12", "分机12") is accepted and dropped. Only numbers
    phonenumbers deems valid pass.
    """
    value = _nfkc(raw).strip()
    region = default_region or phone_region()
    mobile = _CN_MOBILE.fullmatch(value)
    if mobile and (mobile.group(1) or region == "CN"):
        digits = "".join(mobile.group(2, 3, 4))
        if digits[:4] in _cn_mobile_prefixes():
            return "+86" + digits
    candidate = _CHINESE_EXTENSION.sub(r" ext. \1", value)
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“{value}” is not a valid phone number.").format(value=value), code="invalid_phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits_reversed(e164: str) -> str:
    """The ASCII digits of ``e164`` (without "+"), reversed: "+8613800138000" →
    "0008310083168". Stored as the phone search key."""
    return "".join(char for char in e164 if char.isascii() and char.isdigit())[::-1]


def phone_query_reversed(query: str) -> str | None:
    """The digits of a search query reversed, to prefix-match ``phone_digits_reversed`` keys;
    ``None`` when the query has fewer than 4 digits.

    Any format and full-width digits are accepted: "8000" (last four digits) and
    "138 0013 8000" both match "+8613800138000". A query of 9 or more digits is a whole number,
    so its leading zeros (trunk prefix 0, international prefix 00) are dropped first:
    "010-6552 9988" and "0086 138 0013 8000" match too. Dropping digits from the end of the
    reversed query only widens the match; it never loses one.
    """
    digits = "".join(char for char in _nfkc(query) if char.isascii() and char.isdigit())
    if len(digits) >= 9:
        digits = digits.lstrip("0")
    if len(digits) < 4:
        return None
    return digits[::-1]


def normalise_email(raw: str) -> str:
    """The e-mail address stripped, NFKC-normalised (full-width ＠ becomes @) and lowercased
    whole, or ValidationError ``invalid_email`` when Django's ``EmailValidator`` rejects it."""
    value = _nfkc(raw).strip().lower()
    try:
        _EMAIL(value)
    except ValidationError:
        message = _("“{value}” is not a valid e-mail address.").format(value=raw.strip())
        raise ValidationError(message, code="invalid_email") from None
    return value


_EMAIL = EmailValidator()


# ---------------------------------------------------------------------------------------------
# Chinese identifiers
# ---------------------------------------------------------------------------------------------


def _compact_code(raw: str) -> str:
    return re.sub(r"[\s\-]", "", _nfkc(raw)).upper()


def validate_uscc(raw: str) -> str:
    """The 18-character unified social credit code (统一社会信用代码), compacted (spaces and
    dashes removed, full-width folded, upper-case), or ValidationError ``invalid_uscc`` naming
    the problem: length, characters, or check character. ``stdnum.cn.uscc`` decides validity
    (it requires the first 8 characters to be digits)."""
    number = _compact_code(raw)
    try:
        return str(uscc.validate(number))
    except stdnum_exceptions.InvalidLength:
        message = _(
            "A unified social credit code has 18 characters; “{value}” has {count}."
        ).format(value=number, count=len(number))
    except stdnum_exceptions.InvalidFormat:
        if not number[:8].isascii() or not number[:8].isdigit():
            message = _("The first 8 characters of a unified social credit code are digits.")
        else:
            message = _(
                "A unified social credit code contains only digits and the capital letters "
                "A–Y except I, O, S and V."
            )
    except stdnum_exceptions.ValidationError:
        message = _(
            "The check character of unified social credit code “{value}” is wrong; "
            "look for a mistyped character."
        ).format(value=number)
    raise ValidationError(message, code="invalid_uscc")


def validate_resident_id(raw: str) -> str:
    """The 18-character resident identity card number (居民身份证号码), compacted (spaces and
    dashes removed, full-width folded, ``x`` → ``X``), or ValidationError
    ``invalid_resident_id`` naming the problem: length, characters, birth date (impossible or
    in the future), check digit, or unknown region code. ``stdnum.cn.ric`` decides validity;
    the old 15-digit numbers are not accepted.
    """
    number = _compact_code(raw)
    code = "invalid_resident_id"
    if len(number) != 18:
        raise ValidationError(
            _("A resident ID number has 18 characters; “{value}” has {count}.").format(
                value=number, count=len(number)
            ),
            code=code,
        )
    if not (number[:17].isascii() and number[:17].isdigit()) or number[17] not in "0123456789X":
        raise ValidationError(
            _("A resident ID number is 17 digits followed by a digit or X."), code=code
        )
    try:
        birth = ric.get_birth_date(number)
    except stdnum_exceptions.ValidationError:
        birth = None
    if birth is None:
        raise ValidationError(
            _("The birth date {digits} in resident ID number “{value}” is not a real date.").format(
                digits=number[6:14], value=number
            ),
            code=code,
        )
    if birth > datetime.date.today():
        raise ValidationError(
            _("The birth date {date} in resident ID number “{value}” is in the future.").format(
                date=birth.isoformat(), value=number
            ),
            code=code,
        )
    try:
        return str(ric.validate(number))
    except stdnum_exceptions.InvalidChecksum:
        message = _(
            "The check digit of resident ID number “{value}” is wrong; look for a mistyped digit."
        ).format(value=number)
    except stdnum_exceptions.ValidationError:
        message = _(
            "The region code {region} in resident ID number “{value}” is not a known Chinese "
            "administrative division."
        ).format(region=number[:6], value=number)
    raise ValidationError(message, code=code)


def resident_id_birth_date(number: str) -> datetime.date:
    """The birth date encoded in a resident ID number (validated first, so a ValidationError
    ``invalid_resident_id`` for an invalid number)."""
    return ric.get_birth_date(validate_resident_id(number))


def resident_id_gender(number: str) -> str:
    """ "male" or "female", from the parity of the 17th digit of a resident ID number
    (validated first, so a ValidationError ``invalid_resident_id`` for an invalid number)."""
    return "male" if int(validate_resident_id(number)[16]) % 2 else "female"


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

MIN_LUNAR_YEAR = 1900
MAX_LUNAR_YEAR = 2100
_LUNAR_CODE = "invalid_lunar_date"


@functools.cache
def _leap_month_lengths() -> dict[int, int]:
    """For each month that is a leap month in some year 1900–2100, its longest length."""
    lengths: dict[int, int] = {}
    for year in range(MIN_LUNAR_YEAR, MAX_LUNAR_YEAR + 1):
        for month, days, leap in LCalendars.iter_year_month(year):
            if leap:
                lengths[month] = max(days, lengths.get(month, 0))
    return lengths


def _lunar_month_length(year: int, month: int, leap: bool) -> int:
    return int(LCalendars.ndays(year, month, int(leap)))


@dataclasses.dataclass(frozen=True)
class LunarDay:
    """A day of the Chinese lunar calendar, with or without a year (a recurring birthday).

    Construction validates: year 1900–2100 when given, month 1–12, day 1–30, and the day must
    exist (the leap month in that year; day 30 in a 30-day month). Without a year, a leap month
    must occur in some year 1900–2100 and the day must fit its longest length. Invalid values
    raise ValidationError ``invalid_lunar_date`` saying which part is wrong.
    """

    year: int | None
    month: int
    day: int
    leap: bool = False

    def __post_init__(self) -> None:
        year, month, day, leap = self.year, self.month, self.day, self.leap
        if year is not None and not MIN_LUNAR_YEAR <= year <= MAX_LUNAR_YEAR:
            raise ValidationError(
                _("The lunar year must be between {first} and {last}.").format(
                    first=MIN_LUNAR_YEAR, last=MAX_LUNAR_YEAR
                ),
                code=_LUNAR_CODE,
            )
        if not 1 <= month <= 12:
            raise ValidationError(_("The lunar month must be between 1 and 12."), code=_LUNAR_CODE)
        if not 1 <= day <= 30:
            raise ValidationError(_("The lunar day must be between 1 and 30."), code=_LUNAR_CODE)
        if year is None:
            self._check_without_year()
            return
        leap_month = LCalendars.leap_month(year)
        if leap and leap_month == 0:
            raise ValidationError(
                _("Lunar year {year} has no leap month.").format(year=year), code=_LUNAR_CODE
            )
        if leap and leap_month != month:
            raise ValidationError(
                _("Lunar year {year} has no leap month {month}; its leap month is {leap}.").format(
                    year=year, month=month, leap=leap_month
                ),
                code=_LUNAR_CODE,
            )
        length = _lunar_month_length(year, month, leap)
        if day > length:
            message = (
                _("Leap month {month} of lunar year {year} has only {days} days.")
                if leap
                else _("Month {month} of lunar year {year} has only {days} days.")
            )
            raise ValidationError(
                message.format(month=month, year=year, days=length), code=_LUNAR_CODE
            )

    def _check_without_year(self) -> None:
        if not self.leap:
            return
        longest = _leap_month_lengths().get(self.month)
        if longest is None:
            raise ValidationError(
                _("No lunar year between {first} and {last} has a leap month {month}.").format(
                    first=MIN_LUNAR_YEAR, last=MAX_LUNAR_YEAR, month=self.month
                ),
                code=_LUNAR_CODE,
            )
        if self.day > longest:
            raise ValidationError(
                _("Leap month {month} has at most {days} days.").format(
                    month=self.month, days=longest
                ),
                code=_LUNAR_CODE,
            )

    @property
    def canonical(self) -> str:
        """The stored form: "1990-04-08", leap month "2020-L04-08", without year "--04-08" or
        "--L04-08". ``parse_lunar_day(d.canonical) == d``."""
        year = "-" if self.year is None else f"{self.year:04d}"
        leap = "L" if self.leap else ""
        return f"{year}-{leap}{self.month:02d}-{self.day:02d}"

    def display(self, language: str) -> str:
        """The date for people reading ``language``.

        Chinese ("zh", "zh-hans", …): "农历2020年闰四月初八", "农历正月十五", with borax's
        month and day names (正月, 冬月, 腊月; 初一, 廿九, 三十); traditional characters for
        zh-hant/zh-tw/zh-hk/zh-mo. Any other language: English, "Lunar 2020, leap month 4,
        day 8", "Lunar month 1, day 15".
        """
        tag = language.lower().replace("_", "-")
        if tag.startswith("zh"):
            text = "农历{year}{leap}{month}月{day}".format(
                year="" if self.year is None else f"{self.year}年",
                leap="闰" if self.leap else "",
                month=TextUtils.month_cn(self.month),
                day=TextUtils.day_cn(self.day),
            )
            if tag.split("-")[1:2] in (["hant"], ["tw"], ["hk"], ["mo"]):
                text = text.translate(str.maketrans("农历闰腊", "農曆閏臘"))
            return text
        month = f"leap month {self.month}" if self.leap else f"month {self.month}"
        year = "" if self.year is None else f" {self.year},"
        return f"Lunar{year} {month}, day {self.day}"

    def to_solar(self) -> datetime.date:
        """The Gregorian date of this lunar day. Raises ValueError when it has no year."""
        if self.year is None:
            raise ValueError("A lunar day without a year has no single Gregorian date.")
        return LunarDate(self.year, self.month, self.day, int(self.leap)).to_solar_date()

    def next_solar_occurrence(self, after: datetime.date) -> datetime.date:
        """The first Gregorian date on or after ``after`` on which this lunar month and day
        fall, ignoring the year (for yearly birthday reminders).

        Fallback rule, for lunar years that lack the exact day: a leap month the year does not
        have becomes the same ordinary month (闰四月初八 → 四月初八); a day the month does not
        have (30 in a 29-day month) becomes the month's last day, the 29th. A leap-month day
        falls in the leap month whenever the year has it. Raises ValueError outside borax's
        range (Gregorian 1900-01-31 to the end of lunar 2100).
        """
        first_year = LunarDate.from_solar(after).year
        for year in (first_year, first_year + 1):
            if year > MAX_LUNAR_YEAR:
                break
            leap = self.leap and LCalendars.leap_month(year) == self.month
            day = min(self.day, _lunar_month_length(year, self.month, leap))
            solar = LunarDate(year, self.month, day, int(leap)).to_solar_date()
            if solar >= after:
                return solar
        raise ValueError(f"No lunar calendar data after {after.isoformat()}.")


_LUNAR_PREFIX = re.compile(r"^(?:农历|農曆|阴历|陰曆)")
_LUNAR_NUMERIC = re.compile(
    r"^(?:(?P<year>\d{4})(?P<sep>[-/.])|--)(?P<leap>l|闰|閏)?(?P<month>\d{1,2})"
    r"(?(sep)(?P=sep)|-)(?P<day>\d{1,2})$"
)
_LUNAR_CHINESE = re.compile(
    r"^(?:(?P<year>\d{4}|[〇零一二三四五六七八九]{4})年)?(?P<leap>闰|閏)?"
    r"(?P<month>[^月]{1,2})月(?P<day>.{1,3})$"
)
_CHINESE_DIGITS = {char: str(index) for index, char in enumerate("〇一二三四五六七八九")} | {
    "零": "0"
}
_LUNAR_MONTHS = {TextUtils.month_cn(month): month for month in range(1, 13)} | {
    "一": 1,
    "十一": 11,
    "十二": 12,
    "臘": 12,
}
_LUNAR_DAYS = {TextUtils.day_cn(day): day for day in range(1, 31)} | {
    **{"二十" + TextUtils.day_cn(day)[1]: day for day in range(21, 30)},
    "卅": 30,
}


def _lunar_number(text: str, names: dict[str, int]) -> int | None:
    if text in names:
        return names[text]
    digits = text.rstrip("日号號")
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 2 else None


def parse_lunar_day(raw: str) -> LunarDay:
    """The lunar day written in ``raw``, or ValidationError ``invalid_lunar_date``.

    Accepted (whitespace ignored anywhere, full-width digits folded, optional 农历/阴历 prefix):
    canonical "1990-04-08", "2020-L04-08", "--04-08", "--L04-08"; "2020-闰04-08", "2020-闰4-8",
    "1990/4/8", "1990.4.8"; Chinese "农历2020年闰四月初八", "一九九〇年四月初八", "四月初八",
    "正月十五", "冬月初一", "腊月廿三", "十二月二十三", "4月8日". Years 1900–2100. The day must
    exist: the messages say which part is wrong ("Lunar year 1990 has no leap month 4…").
    """
    value = re.sub(r"\s+", "", _nfkc(raw)).casefold()
    value = _LUNAR_PREFIX.sub("", value)
    year_text: str | None
    numeric = _LUNAR_NUMERIC.match(value)
    if numeric:
        year_text, month, day = numeric["year"], int(numeric["month"]), int(numeric["day"])
        leap = bool(numeric["leap"])
    else:
        chinese = _LUNAR_CHINESE.match(value)
        parsed_month = _lunar_number(chinese["month"], _LUNAR_MONTHS) if chinese else None
        parsed_day = _lunar_number(chinese["day"], _LUNAR_DAYS) if chinese else None
        if chinese is None or parsed_month is None or parsed_day is None:
            raise ValidationError(
                _(
                    "“{value}” is not a lunar date. Write it like 1990-04-08, 2020-L04-08 "
                    "(leap month), --04-08 (no year) or 农历四月初八."
                ).format(value=raw.strip()),
                code=_LUNAR_CODE,
            )
        year_text = chinese["year"]
        if year_text:
            year_text = "".join(_CHINESE_DIGITS.get(char, char) for char in year_text)
        month, day, leap = parsed_month, parsed_day, bool(chinese["leap"])
    year = int(year_text) if year_text else None
    return LunarDay(year=year, month=month, day=day, leap=leap)


_GREGORIAN_FORMS = (
    re.compile(r"^(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})$"),
    re.compile(r"^(?P<year>\d{4})年(?P<month>\d{1,2})月(?P<day>\d{1,2})[日号號]?$"),
    re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$"),
)


def parse_gregorian_date(raw: str) -> datetime.date:
    """The Gregorian date written in ``raw``, or ValidationError ``invalid_date``.

    Accepted (whitespace ignored, full-width digits folded): "1990-05-30", "1990/5/30",
    "1990.5.30", "1990年5月30日" (日, 号 or nothing at the end), "19900530". Impossible dates
    such as 2023-02-29 are rejected with their own message.
    """
    value = re.sub(r"\s+", "", _nfkc(raw))
    for form in _GREGORIAN_FORMS:
        match = form.match(value)
        if match is None:
            continue
        year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
        try:
            return datetime.date(year, month, day)
        except ValueError:
            raise ValidationError(
                _("{year:04d}-{month:02d}-{day:02d} is not a date that exists.").format(
                    year=year, month=month, day=day
                ),
                code="invalid_date",
            ) from None
    raise ValidationError(
        _("“{value}” is not a date. Write it like 1990-05-30.").format(value=raw.strip()),
        code="invalid_date",
    )


def format_phone(e164: str, home_region: str | None = None) -> str:
    """A stored E.164 number as people write it: national format for numbers of
    ``home_region`` (default: :func:`phone_region`; "138 0013 8000", "0571 8888 6666"),
    international otherwise. Cached: lists show the same numbers again and again."""
    return _format_phone(e164, home_region or phone_region())


@functools.lru_cache(maxsize=50_000)
def _format_phone(e164: str, home_region: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == home_region
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
