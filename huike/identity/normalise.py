"""Customer data normalised for comparison: names, e-mails, addresses, dates.

- names: NFKC, traditional → simplified Chinese (OpenCC), case and accents folded; Han names
  also as pinyin, given and family names in either order (the family name read as a family
  name: 单 shan, 曾 zeng, and its other readings); organisations without their legal form
  (有限公司, Co., Ltd.) and leading place name;
- e-mails lower-cased, without +tags where the domain ignores them (and without Gmail's dots);
- addresses as simplified, folded text; dates as ISO text whatever their input form.

Pure functions, remembered per value (a base repeats names and places).
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from huike.parties import text


@functools.cache
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s.json")


@functools.lru_cache(maxsize=200_000)
def simplified(value: str) -> str:
    """``value`` NFKC-normalised, casefolded, in simplified Chinese characters."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    if any("\u3400" <= char <= "\u9fff" for char in folded):
        folded = _converter().convert(folded)
    return folded


def _fold_latin(value: str) -> str:
    """Accents removed (é → e, ü → u) from an already casefolded string."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class NameForms:
    """A name ready to compare: ``key`` (order-free, for exact agreement and frequencies),
    ``spellings`` (every way it is spelt without spaces: pinyin readings, both name orders),
    ``han`` (its Chinese characters, simplified), ``tokens`` (its words)."""

    key: str
    spellings: tuple[str, ...]
    han: str
    tokens: tuple[str, ...]


@functools.lru_cache(maxsize=200_000)
def person_name(name: str) -> NameForms:
    folded = _fold_latin(simplified(name))
    han = "".join(HAN.findall(folded))
    latin = [word for word in _WORD.findall(HAN.sub(" ", folded)) if word]
    if han:
        syllables = _syllables(han)
        split = 2 if han[:2] in text.COMPOUND_SURNAME_READINGS else 1
        given = "".join(syllables[split:])
        spellings: set[str] = set()
        for family in _family_spellings(han[:split], syllables[:split]):
            spellings.add(family + given)
            if given:
                spellings.add(given + family)
        words = ["".join(syllables[:split]), given] if given else ["".join(syllables)]
        return NameForms(han, tuple(sorted(spellings)), han, tuple([*words, *latin]))
    if not latin:
        return NameForms("", (), "", ())
    spellings = {"".join(latin), "".join(reversed(latin))}
    if len(latin) > 2:
        spellings.add("".join(sorted(latin)))
    return NameForms(" ".join(sorted(latin)), tuple(sorted(spellings)), "", tuple(latin))


@functools.cache
def _char_reading(char: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0].replace("ü", "v")


@functools.cache
def _char_readings(char: str) -> tuple[str, ...]:
    from pypinyin import Style, pinyin

    readings = pinyin(char, style=Style.NORMAL, heteronym=True)[0]
    return tuple(dict.fromkeys(reading.replace("ü", "v") for reading in readings))


def _syllables(han: str) -> list[str]:
    """One reading per character (characters one by one: fast, and names are rarely
    phrases), the family name read as a family name (单 shan, 曾 zeng)."""
    syllables = [_char_reading(char) for char in han]
    compound = text.COMPOUND_SURNAME_READINGS.get(han[:2])
    if compound:
        syllables[:2] = list(compound)
    elif han[0] in text.SURNAME_READINGS:
        syllables[0] = text.SURNAME_READINGS[han[0]]
    return syllables


def _family_spellings(family: str, syllables: list[str]) -> list[str]:
    """How a family name may be spelt: its surname reading, then its other readings (a
    customer who typed 单 as "dan")."""
    spellings = ["".join(syllables)]
    if len(family) == 1:
        spellings += [r for r in _char_readings(family)[:3] if r not in spellings]
    return spellings


@functools.lru_cache(maxsize=200_000)
def organisation_name(name: str) -> NameForms:
    """An organisation's name without legal form and leading place name, simplified."""
    from huike.parties.services import without_place_prefix

    core = text.organisation_core_name(simplified(name))
    local = without_place_prefix(core) if core else ""
    core = _fold_latin(local or core)
    if not core:
        return NameForms("", (), "", ())
    han = "".join(HAN.findall(core))
    spellings = {core}
    if han and han == core:
        spellings.add("".join(_syllables(han)))
    return NameForms(core, tuple(sorted(spellings)), han, (core,))


# Domains whose mailboxes ignore "+tag" in the local part (and, for Gmail, dots).
PLUS_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "fastmail.com",
        "proton.me",
        "protonmail.com",
        "yandex.com",
        "zoho.com",
    }
)


def canonical_email(address: str) -> str:
    """The mailbox an address delivers to: lower case; for domains that ignore them, without
    "+tag" (and Gmail's dots)."""
    address = unicodedata.normalize("NFKC", address).strip().lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain in PLUS_DOMAINS:
        local = local.split("+", 1)[0]
        if domain == "gmail.com":
            local = local.replace(".", "")
    return f"{local}@{domain}"


_PUNCTUATION = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=100_000)
def address_text(value: str) -> str:
    """An address folded for comparison: simplified, lower case, punctuation as spaces."""
    return " ".join(_PUNCTUATION.sub(" ", _fold_latin(simplified(value))).split())


def iso_date(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raw = str(value or "").strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return raw
    if re.fullmatch(r"\d{8}", raw):
        raw = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
    try:
        return text.parse_gregorian_date(raw).isoformat()
    except Exception:  # any unreadable date is simply not compared
        return ""
