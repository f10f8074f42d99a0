"""vCard 2.1, 3.0 and 4.0, card by card.

:func:`iter_cards` reads numbered lines and yields each card as a flat dict:

``full_name``, ``family_name``, ``given_name``, ``nickname``, ``org``, ``department``,
``title``, ``emails`` (list), ``phones`` (list of ``(type, number)``, type one of ``mobile``,
``work``, ``home``, ``main``, ``fax``, ``pager``, ``other`` or ``""``), ``addresses`` (list of
dicts: ``type``, ``street``, ``city``, ``region``, ``postcode``, ``country``, ``formatted``),
``birthday`` (``1990-05-30``, or ``--05-30`` without a year), ``note``, ``url``, ``uid`` and
``kind`` (``organization`` for a company card, else ``person``).

or a :class:`~huike.imports.reading.Skipped` for a card that cannot be read, with its first
line: the rest of the file is still read. Empty cards and contact groups (``KIND:group``,
Apple's ``X-ADDRESSBOOKSERVER-KIND:group``) are not contacts and are passed over.

Each card is first normalised by a pre-processor, then parsed by vobject's ``readOne``. The
pre-processor exists for what vobject cannot read and what phones really export: vCard 2.1
quoted-printable values with soft line breaks (``=`` at the end of a line), ``CHARSET=``
parameters (UTF-8, GBK, GB2312, Big5) in a file of another encoding, bare types
(``TEL;CELL;PREF:``) and Android's ``X-CUSTOM(…)`` labels, folded lines (2.1 keeps the white
space of a fold, 3.0 and 4.0 drop it), photos (dropped: they are large and not imported; in
2.1 their base64 lines need no indentation), the cards of 2.1 ``AGENT`` properties nested
inside a card (left out), and byte-order marks before ``BEGIN:VCARD`` in files joined together.
vCard 4.0 ``tel:`` URIs keep their extension (``;ext=102`` → `` ext. 102``). vobject's own
``readComponents`` is not used on the whole stream because one broken card would stop it; each
card is parsed on its own instead.

:func:`card_row` is the "row" view that ``Table.rows()`` yields for a vCard file, with these
column names (the ``vcard`` preset maps them):

``Name``, ``Family name``, ``Given name``, ``Nickname``, ``Organization``, ``Department``,
``Title``, ``Phone 1`` … ``Phone n`` with ``Phone 1 type`` …, ``E-mail 1`` … ``E-mail n``,
``Address 1`` … ``Address n`` with ``Address 1 type`` …, ``Birthday``, ``URL``, ``Note``,
``UID``, ``Kind``. At most 20 phones, e-mails and addresses per card are kept.
"""

from __future__ import annotations

import binascii
import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import vobject
from django.utils.translation import gettext as _

from huike.imports.reading import MAX_CELL_CHARS, Skipped
from huike.imports.transforms import format_address, join_name

__all__ = [
    "MAX_ITEMS",
    "Counts",
    "card_row",
    "count_properties",
    "iter_cards",
    "parse_vcards",
    "row_header",
]

MAX_ITEMS = 20
MAX_CARD_BYTES = 1024 * 1024
_DROPPED = frozenset({b"PHOTO", b"LOGO", b"SOUND", b"KEY", b"AGENT"})
_KEPT_EXTENSIONS = frozenset({b"X-ABSHOWAS", b"X-ABLABEL", b"X-ADDRESSBOOKSERVER-KIND"})
_ENCODINGS = frozenset({"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"})
_STRUCTURED = frozenset({"N", "ADR", "ORG"})
_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_ESCAPED = re.compile(r"\\(.)")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_YEAR_MONTH_DAY = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?$")
_PROPERTY = re.compile(rb"^\s*(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)[;:]")
_BOM = b"\xef\xbb\xbf"
_BEGIN = b"BEGIN:VCARD"
_END = b"END:VCARD"
# Android's own phone labels: TEL;X-CUSTOM(CHARSET=UTF-8,ENCODING=QUOTED-PRINTABLE,=E5=8A=9E):…
_CUSTOM_LABEL = re.compile(rb";\s*X-CUSTOM\(([^)]*)\)", re.IGNORECASE)
# Properties that say nothing about the contact: a card of only these is empty.
_EMPTY_CARD_PROPERTIES = frozenset({"VERSION", "PRODID", "BEGIN", "END"})
# Apple's labels: "_$!<Mobile>!$_".
_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
_MOBILE_WORDS = frozenset({"cell", "mobile", "iphone", "手机", "移动电话", "cellular"})
# Words of the labels Chinese phones write (Huawei, Xiaomi, Android's X-CUSTOM), by phone type;
# found anywhere in the label (工作传真 is a fax, 单位电话 a work phone).
_CHINESE_PHONE_LABELS = (
    ("fax", ("传真", "傳真")),
    ("mobile", ("手机", "手機", "移动", "移動")),
    ("pager", ("寻呼", "尋呼", "传呼")),
    ("work", ("工作", "单位", "單位", "公司", "办公", "辦公")),
    ("home", ("住宅", "家")),
    ("main", ("总机", "總機", "主要")),
    ("other", ("其他", "其它")),
)


@dataclass
class Counts:
    """The number of cards and the most phones, e-mails and addresses on one card."""

    cards: int = 0
    phones: int = 0
    emails: int = 0
    addresses: int = 0


def count_properties(lines: Iterable[bytes]) -> Counts:
    """A cheap first pass over the raw lines, to know the row header's width."""
    counts = Counts()
    current = {b"TEL": 0, b"EMAIL": 0, b"ADR": 0}
    nested = 0
    agent = False
    for raw in lines:
        line = raw.strip().removeprefix(_BOM).upper()
        if line == _BEGIN:
            if agent or nested:
                nested += 1  # a vCard 2.1 AGENT's card, inside the card
            else:
                counts.cards += 1
                current = dict.fromkeys(current, 0)
            agent = False
            continue
        if nested:
            nested -= line == _END
            continue
        if raw[:1] in (b" ", b"\t"):
            continue
        match = _PROPERTY.match(line)
        agent = False
        if match and match.group(1) == b"AGENT":
            value = line[_colon(line) + 1 :].strip()
            nested = int(value == _BEGIN)  # AGENT:BEGIN:VCARD, its card on the next lines
            agent = not value  # AGENT: alone, its card on the next lines
        if match and match.group(1) in current:
            current[match.group(1)] += 1
            counts.phones = max(counts.phones, current[b"TEL"])
            counts.emails = max(counts.emails, current[b"EMAIL"])
            counts.addresses = max(counts.addresses, current[b"ADR"])
    counts.phones = min(max(counts.phones, 1), MAX_ITEMS)
    counts.emails = min(max(counts.emails, 1), MAX_ITEMS)
    counts.addresses = min(max(counts.addresses, 1), MAX_ITEMS)
    return counts


def row_header(counts: Counts) -> list[str]:
    """The column names of :func:`card_row` for cards with at most ``counts`` items."""
    header = ["Name", "Family name", "Given name", "Nickname", "Organization", "Department"]
    header.append("Title")
    for index in range(1, counts.phones + 1):
        header += [f"Phone {index}", f"Phone {index} type"]
    header += [f"E-mail {index}" for index in range(1, counts.emails + 1)]
    for index in range(1, counts.addresses + 1):
        header += [f"Address {index}", f"Address {index} type"]
    return [*header, "Country", "Birthday", "URL", "Note", "UID", "Kind"]


class _CardProblem(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------------------------
# Pre-processor: raw property lines → clean vCard 3.0 text
# ---------------------------------------------------------------------------------------------


def _split_unquoted(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _colon(data: bytes) -> int:
    """The position of the ``:`` that ends the property's name and parameters, or -1."""
    quoted = False
    for position, byte in enumerate(data):
        if byte == 0x22:
            quoted = not quoted
        elif byte == 0x3A and not quoted:
            return position
    return -1


def _charset(name: str, fallback: str) -> str:
    wanted = name.strip().strip('"').lower()
    if wanted in ("gb2312", "gbk", "gb_2312-80", "euc-cn", "cp936"):
        wanted = "gb18030"
    try:
        return codecs.lookup(wanted).name if wanted else fallback
    except LookupError:
        return fallback


@dataclass
class _Property:
    name: str
    group: str
    params: dict[str, list[str]]
    value: str


def _custom_label(text: bytes, encoding: str) -> str:
    """The label of Android's ``X-CUSTOM(CHARSET=UTF-8,ENCODING=QUOTED-PRINTABLE,=E5=8A=9E)``
    (办), or ``""``."""
    items = text.split(b",")
    label = items[-1].strip()
    options = {item.strip().upper() for item in items[:-1]}
    if not label or label.upper().startswith((b"CHARSET=", b"ENCODING=")):
        return ""
    charset = encoding
    for option in options:
        if option.startswith(b"CHARSET="):
            charset = _charset(option[8:].decode("ascii", "replace"), encoding)
    try:
        if b"ENCODING=QUOTED-PRINTABLE" in options:
            label = binascii.a2b_qp(label)
        return label.decode(charset).strip()
    except (binascii.Error, ValueError):
        return ""


def _without_custom_label(head: bytes) -> tuple[bytes, bytes | None]:
    match = _CUSTOM_LABEL.search(head)
    if match is None:
        return head, None
    return head[: match.start()] + head[match.end() :], match.group(1)


def _parse_property(data: bytes, encoding: str) -> _Property | None:
    """One unfolded property line, its value decoded; ``None`` for what is not imported."""
    colon = _colon(data)
    if colon <= 0:
        return None  # not a property (base64 left-overs of a dropped photo, junk)
    head_bytes, custom = _without_custom_label(data[:colon])
    head = head_bytes.decode("ascii", "replace")
    parts = _split_unquoted(head, ";")
    group, _dot, name = parts[0].strip().rpartition(".")
    name = name.upper()
    if not _NAME.match(name) or name.encode() in _DROPPED or not _NAME.match(group or "X"):
        return None  # junk, or not imported
    if name.startswith("X-") and name.encode() not in _KEPT_EXTENSIONS:
        return None
    params: dict[str, list[str]] = {}
    for param in parts[1:]:
        key, equals, value = param.partition("=")
        if not equals:
            bare = key.strip().upper()
            key, value = ("ENCODING", bare) if bare in _ENCODINGS else ("TYPE", bare)
        values = [
            part.strip()
            for item in _split_unquoted(value, ",")
            for part in item.strip().strip('"').split(",")
        ]
        params.setdefault(key.strip().upper(), []).extend(item for item in values if item)
    label = _custom_label(custom, encoding) if custom is not None else ""
    if label:
        params.setdefault("TYPE", []).append(label)
    transfer = (params.pop("ENCODING", None) or [""])[-1].upper()
    if transfer in ("BASE64", "B") or params.get("VALUE") == ["binary"]:
        return None
    charset = _charset((params.pop("CHARSET", None) or [""])[-1], encoding)
    raw = data[colon + 1 :]
    if transfer == "QUOTED-PRINTABLE":
        try:
            raw = binascii.a2b_qp(raw)
        except (binascii.Error, ValueError):
            raise _CardProblem(_("a quoted-printable value is damaged.")) from None
    try:
        value = raw.decode(charset)
    except UnicodeDecodeError:
        raise _CardProblem(
            _("a value is not valid {charset} text.").format(charset=charset)
        ) from None
    if transfer == "QUOTED-PRINTABLE":
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _Property(name=name, group=group.strip(), params=params, value=value)


def _escape_21(prop: _Property) -> str:
    """A vCard 2.1 value as vCard 3.0 text: commas and backslashes escaped, line breaks as
    ``\\n``; in N, ADR and ORG ``;`` still separates the parts (``\\;`` stays a semicolon)."""
    value = prop.value.replace("\\;", "\x00")
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace("\n", "\\n")
    if prop.name not in _STRUCTURED:
        value = value.replace(";", "\\;")
    return value.replace("\x00", "\\;")


def _unescape_colons(value: str) -> str:
    """``\\:`` as ``:``: Apple and Google escape the colons of URLs (``http\\://``), which
    vCard 3.0 and 4.0 do not define (an escaped backslash before a colon stays)."""
    return _ESCAPED.sub(lambda match: ":" if match.group(1) == ":" else match.group(0), value)


def _omit_year(prop: _Property) -> str:
    """A birthday of Apple's without its placeholder year: ``BDAY;X-APPLE-OMIT-YEAR=1604:
    1604-05-30`` is ``--05-30``."""
    year = (prop.params.get("X-APPLE-OMIT-YEAR") or [""])[-1].strip()
    value = prop.value.strip()
    match = _YEAR_MONTH_DAY.match(value)
    if year and match and match.group(1) == year:
        return f"--{match.group(2)}-{match.group(3)}"
    return prop.value


def _clean_line(prop: _Property, version: str) -> str:
    if prop.name == "BDAY":
        prop.value = _omit_year(prop)
    if version == "2.1":
        value = _escape_21(prop)
    else:
        value = _unescape_colons(prop.value).replace("\n", "\\n")
    types = [item.lower() for item in prop.params.get("TYPE", [])]
    if (prop.params.get("PREF") or [""])[0].strip() == "1":  # vCard 4.0: PREF=1 is preferred
        types.append("pref")
    head = (prop.group + "." if prop.group else "") + prop.name
    safe = [re.sub(r"[^a-z0-9_\-\u0080-\uffff]", "", item) for item in types]
    if any(safe):
        head += ";TYPE=" + ",".join(item for item in safe if item)
    return head + ":" + value


def _normalise(properties: list[tuple[int, bytes]], encoding: str) -> tuple[str, bool]:
    """The card as clean vCard 3.0 text, and whether it is empty (no value but its version)."""
    version = "3.0"
    parsed: list[_Property] = []
    for _line, data in properties:
        prop = _parse_property(data, encoding)
        if prop is None:
            continue
        if prop.name == "VERSION":
            version = prop.value.strip() or version
            continue
        if prop.name in ("BEGIN", "END"):
            continue
        parsed.append(prop)
    lines = ["BEGIN:VCARD", "VERSION:3.0"]
    lines += [_clean_line(prop, version) for prop in parsed]
    lines.append("END:VCARD")
    empty = not any(
        prop.value.strip(" ;,\t\n") and prop.name not in _EMPTY_CARD_PROPERTIES for prop in parsed
    )
    return "\r\n".join(lines) + "\r\n", empty


# ---------------------------------------------------------------------------------------------
# Card assembly
# ---------------------------------------------------------------------------------------------


class _Card:
    def __init__(self, line: int) -> None:
        self.line = line
        self.properties: list[tuple[int, bytes]] = []
        self.raw: list[bytes] = []
        self.size = 0
        self.problem = ""
        self.version = b""
        self.current: bytearray | None = None
        self.current_line = 0
        self.current_qp = False
        self.dropping = False
        # A vCard 2.1 AGENT's card follows on the next lines (AGENT: then BEGIN:VCARD … END:VCARD):
        # ``agent`` while the BEGIN is awaited, ``nested`` the depth inside it. Its lines are
        # not the card's own.
        self.agent = False
        self.nested = 0

    def add_raw(self, data: bytes) -> None:
        self.size += len(data)
        if self.size <= MAX_CARD_BYTES:
            self.raw.append(data)
        elif not self.problem:
            self.problem = _("the card is larger than 1 MB.")

    def flush(self) -> None:
        if self.current is not None and not self.dropping:
            self.properties.append((self.current_line, bytes(self.current)))
        self.current = None
        self.dropping = False

    def start(self, line: int, data: bytes) -> None:
        self.flush()
        self.current_line = line
        colon = _colon(data)
        head, _custom = _without_custom_label(data[: colon if colon >= 0 else len(data)])
        head = head.upper()
        name = head.split(b";", 1)[0].rsplit(b".", 1)[-1].strip()
        value = data[colon + 1 :].strip() if colon >= 0 else b""
        self.agent = name == b"AGENT" and not value
        if name == b"AGENT" and value.upper() == _BEGIN:
            self.nested = 1  # AGENT:BEGIN:VCARD, the rest of its card on the next lines
        if name == b"VERSION":
            self.version = value
        self.dropping = name in _DROPPED or b"BASE64" in head or b"ENCODING=B" in head
        self.current_qp = b"QUOTED-PRINTABLE" in head
        self.current = None if self.dropping else bytearray(data)

    def continue_with(self, data: bytes, qp_soft_break: bool) -> None:
        if self.dropping or self.current is None:
            return
        if qp_soft_break:
            # the "=" that ends the line, and white space a mailer may have left after it
            self.current[:] = self.current.rstrip(b" \t")[:-1]
            self.current += data
        elif self.version == b"2.1" and not self.current_qp:
            # vCard 2.1 folds where there is white space and keeps it (RFC 822 folding);
            # 3.0 and 4.0 fold anywhere and the one space or tab is not part of the value.
            self.current += data
        else:
            self.current += data[1:]

    def pending_soft_break(self) -> bool:
        return bool(
            self.current_qp
            and self.current is not None
            and self.current.rstrip(b" \t").endswith(b"=")
        )

    def nest(self, marker: bytes) -> bool:
        """Whether the line belongs to an AGENT's card inside this one (and is left out)."""
        if marker == _BEGIN and (self.agent or self.nested):
            self.flush()
            self.agent = False
            self.nested += 1
            return True
        if self.nested:
            self.nested -= marker == _END
            return True
        return False


def _skipped(card: _Card, message: str, encoding: str) -> Skipped:
    raw = b"".join(card.raw).decode(encoding, "replace")
    return Skipped(line=card.line, message=message, raw=raw[:MAX_CELL_CHARS])


def iter_cards(
    lines: Iterable[tuple[int, bytes]], encoding: str = "utf-8"
) -> Iterator[tuple[int, dict[str, Any] | Skipped]]:
    """``(first_line, card)`` for each card in ``lines`` (numbered raw lines in ``encoding``);
    ``card`` is a dict (see the module's docstring) or a :class:`Skipped`. Cards without any
    detail (``BEGIN:VCARD``, ``VERSION`` and ``END:VCARD`` only) and contact groups are not
    contacts and are passed over, as blank rows are in a spreadsheet."""
    card: _Card | None = None
    for number, raw in lines:
        data = raw.rstrip(b"\r\n")
        # a byte-order mark before BEGIN:VCARD: vCard files joined together
        marker = data.strip().removeprefix(_BOM).upper()
        if card is not None:
            if card.nest(marker):
                card.add_raw(raw)
                continue
            if card.pending_soft_break() and marker != _END:
                card.add_raw(raw)
                card.continue_with(data, qp_soft_break=True)
                continue
            if data[:1] in (b" ", b"\t") and marker:
                if not card.dropping:
                    card.add_raw(raw)
                    card.continue_with(data, qp_soft_break=False)
                continue
            if card.dropping and marker and b":" not in data:
                continue  # vCard 2.1 base64 (a photo) goes on without indentation
        if marker == _BEGIN:
            if card is not None:
                yield card.line, _skipped(card, _("the card is not closed (END:VCARD)."), encoding)
            card = _Card(number)
            card.add_raw(raw)
            continue
        if card is None or not marker:
            continue  # text outside cards, blank lines
        if marker == _END:
            card.add_raw(raw)
            card.flush()
            result = _finish(card, encoding)
            if result is not None:
                yield card.line, result
            card = None
            continue
        card.start(number, data)
        if not card.dropping:
            card.add_raw(raw)
    if card is not None:
        yield card.line, _skipped(card, _("the card is not closed (END:VCARD)."), encoding)


def _finish(card: _Card, encoding: str) -> dict[str, Any] | Skipped | None:
    """The card's dict, a :class:`Skipped`, or ``None`` for an empty card or a group."""
    if card.problem:
        return _skipped(card, card.problem, encoding)
    try:
        text, empty = _normalise(card.properties, encoding)
    except _CardProblem as problem:
        return _skipped(card, problem.message, encoding)
    if empty:
        return None
    try:
        component = vobject.readOne(text)
        if _is_group(component):
            return None
        result = _card_dict(component)
    except Exception:  # vobject raises many kinds of errors on malformed cards
        return _skipped(card, _("the card cannot be read."), encoding)
    texts = [value for value in result.values() if isinstance(value, str)]
    texts += result["emails"] + [number for _kind, number in result["phones"]]
    texts += [address["formatted"] for address in result["addresses"]]
    if any(len(text) > MAX_CELL_CHARS for text in texts):
        return _skipped(
            card,
            _("a value of the card is longer than {limit} characters.").format(
                limit=f"{MAX_CELL_CHARS:,}"
            ),
            encoding,
        )
    if not any(
        result[key] for key in ("full_name", "org", "emails", "phones", "addresses", "note")
    ):
        return _skipped(card, _("the card has no name, organisation, phone or e-mail."), encoding)
    return result


def parse_vcards(data: bytes | str, encoding: str = "utf-8") -> list[dict[str, Any] | Skipped]:
    """Every card of a small vCard text (for tests and previews)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if isinstance(data, str):
        encoding = "utf-8"
    numbered = enumerate(raw.splitlines(keepends=True), start=1)
    return [card for _line, card in iter_cards(numbered, encoding)]


# ---------------------------------------------------------------------------------------------
# vobject component → flat dict
# ---------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(_text(item) for item in value if _text(item))
    return " ".join(str(value or "").split()) if "\n" not in str(value or "") else str(value)


def _values(component: Any, name: str) -> list[Any]:
    return list(component.contents.get(name, []))


def _first(component: Any, name: str) -> str:
    for line in _values(component, name):
        text = _text(line.value).strip()
        if text:
            return text
    return ""


def _labels(component: Any) -> dict[str, str]:
    labels = {}
    for line in _values(component, "x-ablabel"):
        if line.group:
            text = str(line.value).strip()
            match = _APPLE_LABEL.match(text)
            labels[line.group.lower()] = (match.group(1) if match else text).lower()
    return labels


def _types(line: Any, labels: dict[str, str]) -> set[str]:
    types = {str(item).lower() for item in line.params.get("TYPE", [])}
    if line.group and line.group.lower() in labels:
        types.add(labels[line.group.lower()])
    return types


def _phone_number(text: str) -> str:
    """A number as written, from a ``tel:`` URI of vCard 4.0 too: ``tel:+1-418-656-9254;ext=102``
    is ``+1-418-656-9254 ext. 102`` (other URI parameters are left out)."""
    if not text.lower().startswith("tel:"):
        return text
    number, *params = unquote(text[4:]).split(";")
    for param in params:
        key, _equals, value = param.partition("=")
        if key.strip().lower() == "ext" and value.strip():
            return f"{number.strip()} ext. {value.strip()}"
    return number.strip()


def _phone_type(types: set[str]) -> str:
    words = {word for item in types for word in re.split(r"[\s,]+", item) if word}
    if "fax" in words or any("fax" in word for word in words) or "传真" in words:
        return "fax"
    if words & _MOBILE_WORDS:
        return "mobile"
    for kind in ("pager", "work", "home", "main", "other"):
        if kind in words:
            return kind
    for kind, chinese in _CHINESE_PHONE_LABELS:
        if any(label in word for word in words for label in chinese):
            return kind
    return ""


def _address_type(types: set[str]) -> str:
    for kind in ("work", "home", "other"):
        if kind in types:
            return kind
    return "other" if types - {"pref", "postal", "parcel", "dom", "intl"} else ""


def _ordered(lines: list[Any]) -> list[Any]:
    """Preferred values first (TYPE=pref), otherwise in the card's order."""

    def preferred(line: Any) -> bool:
        return "pref" in {str(item).lower() for item in line.params.get("TYPE", [])}

    return sorted(lines, key=lambda line: not preferred(line))


def _birthday(text: str) -> str:
    value = text.strip()
    match = _YEAR_MONTH_DAY.match(value)
    if match:
        year, month, day = match.groups()
        # Apple writes 1604 for a birthday without a year.
        return f"--{month}-{day}" if year == "1604" else f"{year}-{month}-{day}"
    match = re.match(r"^--(\d{2})-?(\d{2})$", value)
    if match:
        return f"--{match.group(1)}-{match.group(2)}"
    return value


def _is_group(component: Any) -> bool:
    """A contact group: vCard 4.0's ``KIND:group``, Apple's and CardDAV servers'
    ``X-ADDRESSBOOKSERVER-KIND:group``."""
    kinds = (_first(component, "kind"), _first(component, "x-addressbookserver-kind"))
    return any(kind.lower() == "group" for kind in kinds)


def _street(value: Any) -> str:
    """The street of an address with its extended address (suite, building, floor) and post
    office box after it, and its lines, joined: ``2875 Laurier, Suite D2-630``, 科技园路1号A座."""
    lines = [
        line.strip()
        for key in ("street", "extended", "box")
        for line in _text(getattr(value, key, "")).split("\n")
        if line.strip()
    ]
    return ("" if _HAN.search("".join(lines)) else ", ").join(lines)


def _card_dict(component: Any) -> dict[str, Any]:
    labels = _labels(component)
    family = given = ""
    names = _values(component, "n")
    if names:
        name = names[0].value
        family = _text(getattr(name, "family", "")).strip()
        given = " ".join(
            part
            for part in (
                _text(getattr(name, "given", "")).strip(),
                _text(getattr(name, "additional", "")).strip(),
            )
            if part
        )
    org_parts: list[str] = []
    for line in _values(component, "org"):
        value = line.value if isinstance(line.value, list) else [line.value]
        org_parts = [_text(part).strip() for part in value if _text(part).strip()]
        if org_parts:
            break
    org = org_parts[0] if org_parts else ""
    full_name = _first(component, "fn")
    if not full_name and (family or given):
        full_name = join_name(given=given, family=family)
    show_as = _first(component, "x-abshowas").upper()
    kind = _first(component, "kind").lower()
    is_company = (
        show_as == "COMPANY" or kind in ("org", "organization") or (not full_name and bool(org))
    )
    nickname = _first(component, "nickname")
    if not full_name:
        full_name = org or nickname
    phones = []
    for line in _ordered(_values(component, "tel"))[:MAX_ITEMS]:
        number = _phone_number(_text(line.value).strip())
        if number:
            phones.append((_phone_type(_types(line, labels)), number))
    emails = [
        address
        for address in (
            re.sub(r"^mailto:", "", _text(line.value).strip(), flags=re.IGNORECASE).strip()
            for line in _ordered(_values(component, "email"))
        )
        if address
    ][:MAX_ITEMS]
    addresses = []
    for line in _ordered(_values(component, "adr"))[:MAX_ITEMS]:
        value = line.value
        parts = {
            "street": _street(value),
            "city": _text(getattr(value, "city", "")).strip(),
            "region": _text(getattr(value, "region", "")).strip(),
            "postcode": _text(getattr(value, "code", "")).strip(),
            "country": _text(getattr(value, "country", "")).strip(),
        }
        formatted = format_address(**parts)
        if formatted:
            addresses.append(
                {"type": _address_type(_types(line, labels)), **parts, "formatted": formatted}
            )
    return {
        "full_name": full_name,
        "family_name": family,
        "given_name": given,
        "nickname": nickname,
        "org": org,
        "department": " / ".join(org_parts[1:]),
        "title": _first(component, "title") or _first(component, "role"),
        "emails": emails,
        "phones": phones,
        "addresses": addresses,
        "birthday": _birthday(_first(component, "bday")),
        "note": _first(component, "note"),
        "url": _first(component, "url"),
        "uid": _first(component, "uid"),
        "kind": "organization" if is_company else "person",
    }


def card_row(card: dict[str, Any]) -> dict[str, str]:
    """The card as a row with the columns of :func:`row_header` (see the module's docstring)."""
    row = {
        "Name": card["full_name"],
        "Family name": card["family_name"],
        "Given name": card["given_name"],
        "Nickname": card["nickname"],
        "Organization": card["org"],
        "Department": card["department"],
        "Title": card["title"],
        "Birthday": card["birthday"],
        "URL": card["url"],
        "Note": card["note"],
        "UID": card["uid"],
        "Kind": card["kind"],
    }
    for index, (kind, number) in enumerate(card["phones"], start=1):
        row[f"Phone {index}"] = number
        row[f"Phone {index} type"] = kind
    for index, email in enumerate(card["emails"], start=1):
        row[f"E-mail {index}"] = email
    for index, address in enumerate(card["addresses"], start=1):
        row[f"Address {index}"] = address["formatted"]
        row[f"Address {index} type"] = address["type"]
    # the country of the card's phone numbers written without a country code
    row["Country"] = next((a["country"] for a in card["addresses"] if a.get("country")), "")
    return row
