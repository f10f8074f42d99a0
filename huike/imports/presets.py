"""Mapping the columns of an import file to customer attributes.

Three things live here, all pure (no database):

- **Presets**: ready-made mappings for the exports people actually have (Outlook, Google
  Contacts, vCard, Salesforce, HubSpot, Odoo, Zoho CRM, EspoCRM). :func:`recognise` picks one
  from the header row.
- **Suggestions** for any other layout: :func:`suggest` maps columns by their names in Chinese
  and English (姓名, 手机, E-mail, 公司 …), ignoring case, spaces, punctuation, full-width
  characters, numbers and marks such as “（必填）”.
- :func:`map_row`, which turns one row into attribute values ready for
  ``huike.parties.services.validate_values``, with the transforms of
  :mod:`huike.imports.transforms` (re-exported here).

A mapping is ``{column: spec}`` where ``spec`` is ``None`` (ignored), an attribute code
(``"email"``) or ``"code:transform"`` (``"mobile:phone"``, ``"birth_date:date_dmy"``).
Several columns may map to one attribute: the first non-empty value wins, in column order
(:func:`first_nonempty`). Part transforms combine instead: ``name:given_name`` +
``name:family_name`` are joined by :func:`join_name` (张 + 三 → 张三, San + Zhang →
San Zhang), and ``…:street``/``city``/``region``/``postcode``/``country`` by
:func:`format_address`; a column mapped to the same attribute without a part transform (a
full name next to given and family names) wins over the parts.

Three targets are not attributes:

- ``phones``: a phone number put under ``mobile``, ``phone`` or ``fax`` by the type in its
  sibling column (``Phone 1 - Type``/``Phone 1 - Label``/``Phone 1 type``: Mobile, Work Fax…)
  or, without a type, by its shape (a Chinese mobile number → ``mobile``);
- ``addresses``: an address put under ``home_address``, ``work_address`` (``office_address``
  for an organisation) or ``postal_address`` by its sibling type column;
- ``kind``: ``person`` or ``organization`` for this row (Odoo's ``is_company``, a vCard of a
  company). :func:`map_row` returns it under the key ``kind``; it is not an attribute.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.imports.transforms import (
    CN_MOBILE_E164,
    ORGANIZATION,
    PERSON,
    TRANSFORMS,
    LeftOut,
    Transform,
    first_nonempty,
    format_address,
    gender,
    join_name,
    parse_date,
    party_kind,
    phone,
    region_of_country,
    split_full_name,
)
from huike.parties.attributes import DEFAULT_ATTRIBUTES

__all__ = [
    "PRESETS",
    "PSEUDO_TARGETS",
    "RECOGNISE_THRESHOLD",
    "TRANSFORMS",
    "CompiledMapping",
    "Preset",
    "Transform",
    "check_mapping",
    "compile_mapping",
    "first_nonempty",
    "format_address",
    "gender",
    "get",
    "get_preset",
    "join_name",
    "map_row",
    "parse_date",
    "parse_target",
    "party_kind",
    "phone",
    "recognise",
    "split_full_name",
    "suggest",
]

# phone_region: a column naming the country of the row's phone numbers, stored nowhere.
PSEUDO_TARGETS = frozenset({"phones", "addresses", "kind", "phone_region"})
# Share of a preset's signature headers that must be present for it to be recognised.
RECOGNISE_THRESHOLD = 0.6

_APPLIES = {entry["code"]: entry["applies_to"] for entry in DEFAULT_ATTRIBUTES}
_PHONE_CODES = frozenset(
    entry["code"] for entry in DEFAULT_ATTRIBUTES if entry.get("validator") == "phone"
)


def parse_target(spec: str) -> tuple[str, str]:
    """``(target, transform)`` of a mapping spec ``"code"`` or ``"code:transform"``;
    ``ValueError`` for an unknown transform."""
    target, _colon, transform = spec.strip().partition(":")
    target, transform = target.strip(), transform.strip()
    if transform and transform not in TRANSFORMS:
        raise ValueError(_("Unknown transform “{name}”.").format(name=transform))
    return target, transform


def check_mapping(mapping: Mapping[str, str | None], known_codes: Iterable[str]) -> list[str]:
    """Problems with a mapping (unknown attributes or transforms), translated; ``[]`` if none."""
    known = set(known_codes) | PSEUDO_TARGETS
    problems = []
    for column, spec in mapping.items():
        if not spec:
            continue
        try:
            target, _transform = parse_target(spec)
        except ValueError as error:
            problem = _("{column}: {problem}").format(column=column, problem=error)
            problems.append(Notice(problem) if isinstance(error, LeftOut) else problem)
            continue
        if target not in known:
            problems.append(
                _("{column}: unknown attribute “{code}”.").format(column=column, code=target)
            )
    return problems


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------


def _sibling_type(column: str, row: Mapping[str, str]) -> str:
    """The type written next to a value: "Phone 1 - Type" for "Phone 1 - Value", "Phone 1
    type" for "Phone 1"."""
    base = re.sub(r"\s*-\s*(value|formatted)\s*$", "", column, flags=re.IGNORECASE)
    for candidate in (base + " - Type", base + " - Label", base + " type", base + " Type"):
        if candidate in row:
            return row[candidate].strip().lower().lstrip("* ").strip()
    return ""


def _phone_target(type_text: str, number: str, row_kind: str) -> str:
    words = set(re.split(r"[\s,;/:_\-]+", type_text))
    if "fax" in words or "传真" in type_text:
        return "fax"
    if words & {"mobile", "cell", "iphone", "cellular"} or "手机" in type_text:
        return "mobile" if row_kind == PERSON else "phone"
    untyped_mobile = CN_MOBILE_E164.match(number.split(" ext.")[0])
    if not type_text and row_kind == PERSON and untyped_mobile:
        return "mobile"
    return "phone"


def _address_target(type_text: str, row_kind: str) -> str:
    words = set(re.split(r"[\s,;/:_\-]+", type_text))
    if words & {"home", "住宅", "家庭"}:
        return "home_address" if row_kind == PERSON else "postal_address"
    if words & {"work", "business", "office", "商务", "公司"}:
        return "work_address" if row_kind == PERSON else "office_address"
    return "postal_address"


# Google Contacts puts several values of one label in one cell: "a@example.com ::: b@example.com".
_SEVERAL_VALUES = ":::"
_SINGLE_VALUED = frozenset({"email", "addresses", "website"})
_ADDRESSES = frozenset(code for code in _APPLIES if code.endswith("_address"))
# Odoo exports a state as "Zhejiang (CN)": its country's code is not part of the address.
_REGION_COUNTRY_CODE = re.compile(r"\s*\([A-Z]{2}\)$")


def _combine(part: str, items: list[tuple[str, str]]) -> str:
    pieces: dict[str, list[str]] = {}
    for role, value in items:
        value = " ".join(value.split())
        if role == "region":
            value = _REGION_COUNTRY_CODE.sub("", value)
        pieces.setdefault(role, []).append(value)
    if part == "name":
        return join_name(
            given=" ".join(pieces.get("given", [])),
            family=" ".join(pieces.get("family", [])),
            middle=" ".join(pieces.get("middle", [])),
        )
    return format_address(**{role: " ".join(values) for role, values in pieces.items()})


@dataclass(frozen=True)
class CompiledMapping:
    """A mapping parsed once: ``(column, target, transform)`` for each mapped column."""

    entries: tuple[tuple[str, str, Transform | None], ...]
    kind_columns: tuple[str, ...]
    country_columns: tuple[str, ...] = ()  # columns naming the country of the row's phones


def compile_mapping(mapping: Mapping[str, str | None] | CompiledMapping) -> CompiledMapping:
    """``mapping`` parsed for :func:`map_row`: call it once per file, not once per row.
    ``ValueError`` for an unknown transform."""
    if isinstance(mapping, CompiledMapping):
        return mapping
    entries: list[tuple[str, str, Transform | None]] = []
    kind_columns: list[str] = []
    region_columns: list[str] = []
    for column, spec in mapping.items():
        if not spec:
            continue
        target, transform = parse_target(spec)
        if target == "kind":
            kind_columns.append(column)
            continue
        if target == "phone_region":
            region_columns.append(column)
            continue
        definition = TRANSFORMS.get(transform) if transform else None
        if definition is None and (target == "phones" or target in _PHONE_CODES):
            definition = TRANSFORMS["phone"]  # read with the row's or the import's region
        entries.append((column, target, definition))
    countries = tuple(region_columns) + tuple(
        column
        for column, _target, definition in entries
        if definition and definition.role == "country"
    )
    return CompiledMapping(tuple(entries), tuple(kind_columns), countries)


def map_row(
    row: Mapping[str, str],
    mapping: Mapping[str, str | None] | CompiledMapping,
    *,
    kind: str = PERSON,
    region: str | None = None,
) -> tuple[dict[str, str], list[str]]:
    """``({attribute code: value}, problems)`` for one row.

    Phone numbers without a country code are read as those of the country the row's address
    names (a "country" part such as Outlook's "Business Country/Region"), else of ``region``
    (the import's choice), else of the installation's ``PHONE_REGION``.

    Values are ready for ``validate_values`` (which still checks and normalises them); blank
    cells give no value. ``kind`` is the party kind unless the mapping has a ``kind`` column,
    whose value is then returned under the key ``kind`` (not an attribute: take it out before
    validating). A value a transform refuses is left out and its problem reported as
    "column: message", translated; so is a value of a default attribute that does not apply to
    the row's kind (a website on a person). Whether a row with problems is rejected is the
    caller's choice. ``mapping`` may be compiled once with :func:`compile_mapping` (faster).
    Raises ``ValueError`` only for a mapping naming an unknown transform.
    """
    compiled = compile_mapping(mapping)
    problems: list[str] = []
    row_kind, kind_found = kind, False
    for column in compiled.kind_columns:
        try:
            value = party_kind(row.get(column) or "")
        except ValueError as error:
            problem = _("{column}: {problem}").format(column=column, problem=error)
            problems.append(Notice(problem) if isinstance(error, LeftOut) else problem)
            continue
        if value and not kind_found:
            row_kind, kind_found = value, True
    values: dict[str, str] = {}
    parts: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    row_region = _row_region(row, compiled) or region
    for column, target, definition in compiled.entries:
        raw = row.get(column) or ""
        if not raw or raw.isspace():
            continue
        if definition is not None and definition.part:
            parts.setdefault(target, (definition.part, []))[1].append((definition.role, raw))
            continue
        if target in values and target not in PSEUDO_TARGETS:
            continue  # the first non-empty value wins
        try:
            if definition is _PHONE:
                value = phone(raw, row_region)
            else:
                value = definition.function(raw) if definition and definition.function else raw
        except ValueError as error:
            problem = _("{column}: {problem}").format(column=column, problem=error)
            problems.append(Notice(problem) if isinstance(error, LeftOut) else problem)
            continue
        if target in _SINGLE_VALUED and _SEVERAL_VALUES in value:
            value = first_nonempty(*value.split(_SEVERAL_VALUES)).strip()
        if target == "phones":
            target = _phone_target(_sibling_type(column, row), value, row_kind)
        elif target == "addresses":
            target = _address_target(_sibling_type(column, row), row_kind)
        if target == "addresses" or target in _ADDRESSES:
            # an address written on several lines (Google's "Formatted", Outlook's "Business
            # Address") is stored on one
            value = ", ".join(line.strip() for line in value.splitlines() if line.strip())
        if value and not value.isspace() and target not in values:
            values[target] = value
    for target, (part, items) in parts.items():
        if target not in values:
            value = _combine(part, items)
            if value:
                values[target] = value
    for target in [code for code in values if _APPLIES.get(code, "both") not in ("both", row_kind)]:
        value = values.pop(target)
        if value != values.get("name"):  # a company vCard's ORG repeats its name: no loss
            problems.append(Notice(_not_applicable(target, row_kind)))
    if kind_found:
        values["kind"] = row_kind
    return values, problems


_PHONE = TRANSFORMS["phone"]


def _row_region(row: Mapping[str, str], compiled: CompiledMapping) -> str | None:
    """The phone region of the first country an address part of the row names."""
    for column in compiled.country_columns:
        raw = row.get(column) or ""
        if raw and not raw.isspace():
            found = region_of_country(raw)
            if found:
                return found
    return None


class Notice(str):
    """A problem of :func:`map_row` that loses one value but not the row (a birthday without a
    year, a website on a person): imports note it and import the rest of the row."""


def _not_applicable(code: str, row_kind: str) -> str:
    if row_kind == ORGANIZATION:
        return _("“{code}” is recorded for people only; this row is an organisation.").format(
            code=code
        )
    return _("“{code}” is recorded for organisations only; this row is a person.").format(code=code)


# ---------------------------------------------------------------------------------------------
# Presets
# ---------------------------------------------------------------------------------------------


def _loose(header: str) -> str:
    """A header as presets compare it: NFKC, case folded, without any spacing (Outlook writes
    both ``住宅电话 2`` and ``住宅电话2``; Salesforce's ``Mailing City`` is ``MailingCity`` in
    API exports)."""
    return "".join(unicodedata.normalize("NFKC", header).casefold().split())


def _pattern(key: str) -> re.Pattern[str] | None:
    if "{n}" not in key:
        return None
    literal = re.escape(_loose(key)).replace(re.escape("{n}"), r"\d+")
    return re.compile("^" + literal + "$")


@dataclass(frozen=True)
class Preset:
    """A ready-made mapping for one export format.

    ``columns`` maps header names (compared without regard to case and spacing; ``{n}``
    stands for any number, as in ``E-mail {n} - Value``) to specs; ``signature`` is the set
    of header names that identify the format, each possibly with alternatives separated by
    ``|`` (see :func:`recognise`); ``kind`` is the kind of party each row describes unless a
    ``kind`` column says otherwise.
    """

    code: str
    label: Promise
    kind: str
    columns: Mapping[str, str | None]
    signature: frozenset[str]
    _exact: dict[str, str | None] = field(init=False, repr=False, compare=False)
    _patterns: list[tuple[re.Pattern[str], str | None]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        exact: dict[str, str | None] = {}
        patterns: list[tuple[re.Pattern[str], str | None]] = []
        for key, spec in self.columns.items():
            pattern = _pattern(key)
            if pattern is None:
                exact[_loose(key)] = spec
            else:
                patterns.append((pattern, spec))
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_patterns", patterns)

    def spec_for(self, column: str) -> str | None:
        key = _loose(column)
        if key in self._exact:
            return self._exact[key]
        for pattern, spec in self._patterns:
            if pattern.match(key):
                return spec
        return None

    def mapping_for(
        self, header: Iterable[str], known_codes: Iterable[str] | None = None
    ) -> dict[str, str | None]:
        """``{column: spec}`` for this file's header; with ``known_codes``, specs naming an
        attribute that does not exist (retired, or not in this installation) become ``None``."""
        known = None if known_codes is None else set(known_codes) | PSEUDO_TARGETS
        mapping: dict[str, str | None] = {}
        for column in header:
            spec = self.spec_for(column)
            if spec and known is not None and parse_target(spec)[0] not in known:
                spec = None
            mapping[column] = spec
        return mapping


_OUTLOOK_ADDRESS = {
    "{kind} Street": ":street",
    "{kind} Street 2": ":street",
    "{kind} Street 3": ":street",
    "{kind} City": ":city",
    "{kind} State": ":region",
    "{kind} Postal Code": ":postcode",
    "{kind} Country/Region": ":country",
    "{kind} Country": ":country",  # Outlook.com's older export, Google's "Outlook CSV"
    "{kind} Address": "",  # the whole address in one cell (Google's "Outlook CSV")
}
_OUTLOOK_ADDRESS_ZH = {
    "{kind}地址 街道": ":street",
    "{kind}地址 街道 2": ":street",
    "{kind}地址 街道 3": ":street",
    "{kind}地址 市/县": ":city",
    "{kind}地址 省/市/自治区": ":region",
    "{kind}地址 邮政编码": ":postcode",
    "{kind}地址 国家/地区": ":country",
}


def _expand(template: dict[str, str], **kinds: str) -> dict[str, str | None]:
    return {
        key.format(kind=name): target + suffix
        for name, target in kinds.items()
        for key, suffix in template.items()
    }


OUTLOOK = Preset(
    code="outlook",
    label=gettext_lazy("Outlook contacts (CSV)"),
    kind=PERSON,
    columns={
        "First Name": "name:given_name",
        "Middle Name": "name:middle_name",
        "Last Name": "name:family_name",
        "Company": "employer",
        "Job Title": "job_title",
        **_expand(
            _OUTLOOK_ADDRESS, Business="work_address", Home="home_address", Other="postal_address"
        ),
        "Mobile Phone": "mobile:phone",
        "Business Phone": "phone:phone",
        "Business Phone 2": "phone:phone",
        "Company Main Phone": "phone:phone",
        "Home Phone": "phone:phone",
        "Home Phone 2": "phone:phone",
        "Primary Phone": "phone:phone",
        "Other Phone": "phone:phone",
        "Business Fax": "fax:phone",
        "Home Fax": "fax:phone",
        "Other Fax": "fax:phone",
        "Car Phone": "phone:phone",
        "E-mail Address": "email",
        "E-mail 2 Address": "email",
        "E-mail 3 Address": "email",
        "Birthday": "birth_date:date",
        "Anniversary": "wedding_anniversary:date",
        "Spouse": "spouse_name",
        "Children": "children",
        "Gender": "gender:gender",
        "Hobby": "hobbies",
        "Notes": "notes",
    },
    signature=frozenset(
        {
            "First Name",
            "Middle Name",
            "Last Name",
            "Suffix",
            "Job Title",
            "Business Street",
            "Business City",
            "Business Postal Code",
            "Business Phone",
            "Business Fax",
            "Home Phone",
            "Mobile Phone",
            "Company Main Phone",
            "E-mail Address",
            "E-mail 2 Address",
            "E-mail Display Name",
        }
    ),
)

OUTLOOK_ZH = Preset(
    code="outlook_zh",
    label=gettext_lazy("Outlook contacts (CSV, Chinese Outlook)"),
    kind=PERSON,
    columns={
        "名": "name:given_name",
        "中间名": "name:middle_name",
        "姓": "name:family_name",
        "公司": "employer",
        "单位": "employer",  # older Chinese Outlook (英文称谓, 名, 中间名, 姓, 中文称谓, 单位…)
        "职务": "job_title",
        **_expand(
            _OUTLOOK_ADDRESS_ZH, 商务="work_address", 住宅="home_address", 其他="postal_address"
        ),
        "移动电话": "mobile:phone",
        "商务电话": "phone:phone",
        "商务电话 2": "phone:phone",
        "单位主要电话": "phone:phone",
        "住宅电话": "phone:phone",
        "住宅电话 2": "phone:phone",
        "主要电话": "phone:phone",
        "其他电话": "phone:phone",
        "商务传真": "fax:phone",
        "住宅传真": "fax:phone",
        "其他传真": "fax:phone",
        "电子邮件地址": "email",
        "电子邮件 2 地址": "email",
        "电子邮件 3 地址": "email",
        "车载电话": "phone:phone",
        "生日": "birth_date:date",
        "纪念日": "wedding_anniversary:date",
        "配偶": "spouse_name",
        "子女": "children",
        "性别": "gender:gender",
        "爱好": "hobbies",
        "业余爱好": "hobbies",
        "附注": "notes",
        "备注": "notes",
    },
    signature=frozenset(
        {
            "名",
            "中间名",
            "姓",
            "职务",
            "商务地址 街道",
            "商务地址 市/县",
            "商务地址 邮政编码",
            "商务电话",
            "商务传真",
            "住宅电话",
            "移动电话",
            "电子邮件地址",
            "电子邮件显示名称",
            "生日",
        }
    ),
)

OUTLOOK_DE = Preset(
    code="outlook_de",
    label=gettext_lazy("Outlook contacts (CSV, German Outlook)"),
    kind=PERSON,
    columns={
        "Vorname": "name:given_name",
        "Weitere Vornamen": "name:middle_name",
        "Nachname": "name:family_name",
        "Firma": "employer",
        "Position": "job_title",
        "Straße geschäftlich": "work_address:street",
        "Straße geschäftlich 2": "work_address:street",
        "Straße geschäftlich 3": "work_address:street",
        "Ort geschäftlich": "work_address:city",
        "Region geschäftlich": "work_address:region",
        "Bundesland/Kanton geschäftlich": "work_address:region",
        "Postleitzahl geschäftlich": "work_address:postcode",
        "Land/Region geschäftlich": "work_address:country",
        "Straße privat": "home_address:street",
        "Straße privat 2": "home_address:street",
        "Straße privat 3": "home_address:street",
        "Ort privat": "home_address:city",
        "Bundesland/Kanton privat": "home_address:region",
        "Postleitzahl privat": "home_address:postcode",
        "Land/Region privat": "home_address:country",
        "Weitere Straße": "postal_address:street",
        "Weitere Straße 2": "postal_address:street",
        "Weitere Straße 3": "postal_address:street",
        "Weiterer Ort": "postal_address:city",
        "Weiteres/r Bundesland/Kanton": "postal_address:region",
        "Weitere Postleitzahl": "postal_address:postcode",
        "Weiteres/e Land/Region": "postal_address:country",
        "Mobiltelefon": "mobile:phone",
        "Mobiltelefon 2": "mobile:phone",
        "Telefon geschäftlich": "phone:phone",
        "Telefon (geschäftlich)": "phone:phone",
        "Telefon geschäftlich 2": "phone:phone",
        "Telefon Firma": "phone:phone",
        "Haupttelefon": "phone:phone",
        "Telefon (privat)": "phone:phone",
        "Telefon privat": "phone:phone",
        "Telefon (privat 2)": "phone:phone",
        "Weiteres Telefon": "phone:phone",
        "Fax geschäftlich": "fax:phone",
        "Fax (geschäftlich)": "fax:phone",
        "Fax privat": "fax:phone",
        "Weiteres Fax": "fax:phone",
        "E-Mail-Adresse": "email",
        "E-Mail 2: Adresse": "email",
        "E-Mail 3: Adresse": "email",
        "Geburtstag": "birth_date:date",
        "Jahrestag": "wedding_anniversary:date",
        "Partner": "spouse_name",
        "Kinder": "children",
        "Geschlecht": "gender:gender",
        "Hobby": "hobbies",
        "Notizen": "notes",
    },
    signature=frozenset(
        {
            "Vorname",
            "Weitere Vornamen",
            "Nachname",
            "Firma",
            "Position",
            "Straße geschäftlich",
            "Ort geschäftlich",
            "Postleitzahl geschäftlich",
            "Telefon geschäftlich|Telefon (geschäftlich)",
            "Fax geschäftlich|Fax (geschäftlich)",
            "Telefon (privat)|Telefon privat",
            "Mobiltelefon",
            "E-Mail-Adresse",
            "E-Mail 2: Adresse",
            "Geburtstag",
        }
    ),
)

OUTLOOK_FR = Preset(
    code="outlook_fr",
    label=gettext_lazy("Outlook contacts (CSV, French Outlook)"),
    kind=PERSON,
    columns={
        "Prénom": "name:given_name",
        "Deuxième prénom": "name:middle_name",
        "Nom": "name:family_name",
        "Société": "employer",
        "Titre (2)": "job_title",  # the second "Titre" is the job title; the first, Mr or Ms
        "Fonction": "job_title",
        "Rue (bureau)": "work_address:street",
        "Rue (bureau) 2": "work_address:street",
        "Rue (bureau) 3": "work_address:street",
        "Ville (bureau)": "work_address:city",
        "Dép/Région (bureau)": "work_address:region",
        "Code postal (bureau)": "work_address:postcode",
        "Pays/Région (bureau)": "work_address:country",
        "Pays (bureau)": "work_address:country",
        "Rue (domicile)": "home_address:street",
        "Rue (domicile) 2": "home_address:street",
        "Rue (domicile) 3": "home_address:street",
        "Ville (domicile)": "home_address:city",
        "Dép/Région (domicile)": "home_address:region",
        "Code postal (domicile)": "home_address:postcode",
        "Pays/Région (domicile)": "home_address:country",
        "Pays (domicile)": "home_address:country",
        "Rue (autre)": "postal_address:street",
        "Rue (autre) 2": "postal_address:street",
        "Rue (autre) 3": "postal_address:street",
        "Ville (autre)": "postal_address:city",
        "Dép/Région (autre)": "postal_address:region",
        "Code postal (autre)": "postal_address:postcode",
        "Pays/Région (autre)": "postal_address:country",
        "Pays (autre)": "postal_address:country",
        "Tél. mobile": "mobile:phone",
        "Téléphone (bureau)": "phone:phone",
        "Téléphone 2 (bureau)": "phone:phone",
        "Téléphone société": "phone:phone",
        "Téléphone principal": "phone:phone",
        "Téléphone (domicile)": "phone:phone",
        "Téléphone 2 (domicile)": "phone:phone",
        "Téléphone (autre)": "phone:phone",
        "Téléphone (voiture)": "phone:phone",
        "Télécopie (bureau)": "fax:phone",
        "Télécopie (domicile)": "fax:phone",
        "Télécopie (autre)": "fax:phone",
        "Adresse de messagerie": "email",
        "Adresse de messagerie 2": "email",
        "Adresse de messagerie 3": "email",
        "Adresse de courrier": "email",
        "Adresse de courrier 2": "email",
        "Adresse de courrier 3": "email",
        "Anniversaire": "birth_date:date",  # a birthday, in French
        "Anniversaire de mariage ou fête": "wedding_anniversary:date",
        "Conjoint(e)": "spouse_name",
        "Enfants": "children",
        "Sexe": "gender:gender",
        "Passe-temps": "hobbies",
        "Notes": "notes",
    },
    signature=frozenset(
        {
            "Prénom",
            "Deuxième prénom",
            "Nom",
            "Société",
            "Rue (bureau)",
            "Ville (bureau)",
            "Code postal (bureau)",
            "Téléphone (bureau)",
            "Télécopie (bureau)",
            "Téléphone (domicile)",
            "Tél. mobile",
            "Adresse de messagerie|Adresse de courrier",
            "Adresse de messagerie 2|Adresse de courrier 2",
            "Anniversaire",
        }
    ),
)

_GOOGLE_COMMON: dict[str, str | None] = {
    "Birthday": "birth_date:date",
    "Notes": "notes",
    "E-mail {n} - Value": "email",
    "Phone {n} - Value": "phones",
    "Address {n} - Formatted": "addresses",
}

GOOGLE = Preset(
    code="google",
    label=gettext_lazy("Google Contacts (CSV)"),
    kind=PERSON,
    columns={
        **_GOOGLE_COMMON,
        "First Name": "name:given_name",
        "Middle Name": "name:middle_name",
        "Last Name": "name:family_name",
        "Organization Name": "employer",
        "Organization Title": "job_title",
    },
    signature=frozenset(
        {
            "First Name",
            "Middle Name",
            "Last Name",
            "Phonetic First Name",
            "Phonetic Last Name",
            "Name Prefix",
            "Name Suffix",
            "File As",
            "Organization Name",
            "Organization Title",
            "Labels",
            "E-mail 1 - Label",
            "E-mail 1 - Value",
            "Phone 1 - Label",
            "Phone 1 - Value",
        }
    ),
)

GOOGLE_LEGACY = Preset(
    code="google_legacy",
    label=gettext_lazy("Google Contacts (CSV, before 2024)"),
    kind=PERSON,
    columns={
        **_GOOGLE_COMMON,
        "Name": "name",
        "Given Name": "name:given_name",
        "Additional Name": "name:middle_name",
        "Family Name": "name:family_name",
        "Gender": "gender:gender",
        "Organization {n} - Name": "employer",
        "Organization {n} - Title": "job_title",
    },
    signature=frozenset(
        {
            "Name",
            "Given Name",
            "Additional Name",
            "Family Name",
            "Yomi Name",
            "Name Prefix",
            "Name Suffix",
            "Group Membership",
            "E-mail 1 - Type",
            "E-mail 1 - Value",
            "Phone 1 - Type",
            "Phone 1 - Value",
            "Organization 1 - Name",
            "Organization 1 - Title",
        }
    ),
)

VCARD = Preset(
    code="vcard",
    label=gettext_lazy("vCard (Apple, Android, Outlook)"),
    kind=PERSON,
    columns={
        "Name": "name",
        "Family name": "name:family_name",
        "Given name": "name:given_name",
        "Organization": "employer",
        "Title": "job_title",
        "Phone {n}": "phones",
        "E-mail {n}": "email",
        "Address {n}": "addresses",
        "Birthday": "birth_date:date",
        "Note": "notes",
        "UID": "external_id",
        "Kind": "kind:kind",
        "Country": "phone_region",  # of the card's addresses: its phones' country
    },
    signature=frozenset(
        {
            "Name",
            "Family name",
            "Given name",
            "Nickname",
            "Organization",
            "Department",
            "Title",
            "Phone 1",
            "Phone 1 type",
            "E-mail 1",
            "Address 1",
            "Address 1 type",
            "Birthday",
            "URL",
            "Note",
            "UID",
            "Kind",
        }
    ),
)

# Salesforce: report exports ("Details Only") name columns by their labels; Data Loader and the
# weekly Data Export by their API names (FirstName, MailingStreet, AccountId; Data Loader in
# capitals). Labels and API names that differ only by spacing compare equal.
SALESFORCE_CONTACTS = Preset(
    code="salesforce_contacts",
    label=gettext_lazy("Salesforce contacts (report or Data Loader export)"),
    kind=PERSON,
    columns={
        "Full Name": "name",
        "Name": "name",  # Data Loader: the compound name
        "First Name": "name:given_name",
        "Middle Name": "name:middle_name",
        "Last Name": "name:family_name",
        "Title": "job_title",
        "Account Name": "employer",
        "Account.Name": "employer",
        "Mailing Street": "postal_address:street",
        "Mailing Address Line 1": "postal_address:street",
        "Mailing Address Line 2": "postal_address:street",
        "Mailing Address Line 3": "postal_address:street",
        "Mailing City": "postal_address:city",
        "Mailing State/Province": "postal_address:region",
        "Mailing State/Province (text only)": "postal_address:region",
        "MailingState": "postal_address:region",
        "Mailing Zip/Postal Code": "postal_address:postcode",
        "MailingPostalCode": "postal_address:postcode",
        "Mailing Country": "postal_address:country",
        "Mailing Country (text only)": "postal_address:country",
        "Mobile": "mobile:phone",
        "MobilePhone": "mobile:phone",
        "Phone": "phone:phone",
        "Home Phone": "phone:phone",
        "Other Phone": "phone:phone",
        "Fax": "fax:phone",
        "Email": "email",
        "Birthdate": "birth_date:date",
        "Description": "notes",
        "Contact ID": "external_id",
        "Id": "external_id",
    },
    signature=frozenset(
        {
            "Salutation",
            "First Name",
            "Last Name",
            "Account Name|AccountId|Account.Name",
            "Mailing Street|Mailing Address Line 1",
            "Mailing City",
            "Mailing State/Province|Mailing State/Province (text only)",
            "Mailing Zip/Postal Code|MailingPostalCode",
            "Mailing Country|Mailing Country (text only)",
            "Contact Owner|OwnerId|Owner.Name",
            "Birthdate",
            "Contact ID|Id",
        }
    ),
)

SALESFORCE_ACCOUNTS = Preset(
    code="salesforce_accounts",
    label=gettext_lazy("Salesforce accounts (report or Data Loader export)"),
    kind=ORGANIZATION,
    columns={
        "Account Name": "name",
        "Name": "name",
        "Billing Street": "postal_address:street",
        "Billing Address Line 1": "postal_address:street",
        "Billing Address Line 2": "postal_address:street",
        "Billing Address Line 3": "postal_address:street",
        "Billing City": "postal_address:city",
        "Billing State/Province": "postal_address:region",
        "Billing State/Province (text only)": "postal_address:region",
        "BillingState": "postal_address:region",
        "Billing Zip/Postal Code": "postal_address:postcode",
        "BillingPostalCode": "postal_address:postcode",
        "Billing Country": "postal_address:country",
        "Billing Country (text only)": "postal_address:country",
        "Shipping Street": "warehouse_address:street",
        "Shipping Address Line 1": "warehouse_address:street",
        "Shipping Address Line 2": "warehouse_address:street",
        "Shipping Address Line 3": "warehouse_address:street",
        "Shipping City": "warehouse_address:city",
        "Shipping State/Province": "warehouse_address:region",
        "Shipping State/Province (text only)": "warehouse_address:region",
        "ShippingState": "warehouse_address:region",
        "Shipping Zip/Postal Code": "warehouse_address:postcode",
        "ShippingPostalCode": "warehouse_address:postcode",
        "Shipping Country": "warehouse_address:country",
        "Shipping Country (text only)": "warehouse_address:country",
        "Phone": "phone:phone",
        "Fax": "fax:phone",
        "Website": "website",
        "Employees": "employees",
        "NumberOfEmployees": "employees",
        "Description": "notes",
        "Account ID": "external_id",
        "Id": "external_id",
    },
    signature=frozenset(
        {
            "Account Name|Name",
            "Account Owner|OwnerId|Owner.Name",
            "Type",
            "Industry",
            "Billing Street|Billing Address Line 1",
            "Billing City",
            "Billing State/Province|Billing State/Province (text only)",
            "Billing Zip/Postal Code|BillingPostalCode",
            "Billing Country|Billing Country (text only)",
            "Shipping Street|Shipping Address Line 1",
            "Employees|NumberOfEmployees",
            "Account ID|Id",
        }
    ),
)

HUBSPOT_CONTACTS = Preset(
    code="hubspot_contacts",
    label=gettext_lazy("HubSpot contacts (export)"),
    kind=PERSON,
    columns={
        "Record ID": "external_id",
        "Contact ID": "external_id",
        "First Name": "name:given_name",
        "Last Name": "name:family_name",
        "Email": "email",
        "Mobile Phone Number": "mobile:phone",
        "Phone Number": "phone:phone",
        "Fax Number": "fax:phone",
        "Company Name": "employer",
        "Associated Company": "employer",  # the primary company, when exported with the contact
        "Job Title": "job_title",
        "Street Address": "postal_address:street",
        "Street Address 2": "postal_address:street",
        "City": "postal_address:city",
        "State/Region": "postal_address:region",
        "Postal Code": "postal_address:postcode",
        "Country/Region": "postal_address:country",
        "Date of birth": "birth_date:date",
    },
    signature=frozenset(
        {
            "Record ID|Contact ID",
            "First Name",
            "Last Name",
            "Email",
            "Phone Number",
            "Mobile Phone Number",
            "Company Name|Associated Company",
            "Job Title",
            "State/Region",
            "Country/Region",
            "Contact owner",
            "Lifecycle Stage",
            "Lead Status",
            "Create Date",
            "Last Activity Date",
        }
    ),
)

HUBSPOT_COMPANIES = Preset(
    code="hubspot_companies",
    label=gettext_lazy("HubSpot companies (export)"),
    kind=ORGANIZATION,
    columns={
        "Record ID": "external_id",
        "Company ID": "external_id",
        "Company name": "name",
        "Website URL": "website",
        "Company Domain Name": "website",
        "Phone Number": "phone:phone",
        "Street Address": "office_address:street",
        "Street Address 2": "office_address:street",
        "City": "office_address:city",
        "State/Region": "office_address:region",
        "Postal Code": "office_address:postcode",
        "Country/Region": "office_address:country",
        "Number of Employees": "employees",
        "Description": "notes",
    },
    signature=frozenset(
        {
            "Record ID|Company ID",
            "Company name",
            "Company Domain Name",
            "Website URL",
            "Phone Number",
            "Industry",
            "Number of Employees",
            "Annual Revenue",
            "Company owner",
            "Country/Region",
            "Create Date|Last Activity Date",
        }
    ),
)

# Odoo's "import-compatible" export names columns by field (parent_id, or parent_id/id for the
# related record's external ID, which is no name); the plain export by the field's label in the
# user's language (English and simplified Chinese here). "Company" (company_id) is the Odoo
# company that owns the record in a multi-company database, not the contact's employer.
ODOO = Preset(
    code="odoo",
    label=gettext_lazy("Odoo contacts (res.partner, import-compatible export)"),
    kind=PERSON,
    columns={
        "id": "external_id",
        "name": "name",
        "complete_name": "name",
        "is_company": "kind:kind",
        "company_type": "kind:kind",
        "parent_id": "employer",
        "parent_id/name": "employer",
        "commercial_company_name": "employer",
        "company_name": "employer",
        "function": "job_title",
        "email": "email",
        "phone": "phones",
        "mobile": "mobile:phone",
        "street": "postal_address:street",
        "street2": "postal_address:street",
        "city": "postal_address:city",
        "zip": "postal_address:postcode",
        "state_id": "postal_address:region",
        "state_id/name": "postal_address:region",
        "country_id": "postal_address:country",
        "country_id/name": "postal_address:country",
        "website": "website",
        "vat": "tax_id",
        "comment": "notes:html_text",  # Odoo 16+ keeps notes as HTML
    },
    signature=frozenset(
        {
            "id",
            "name",
            "is_company|company_type",
            "parent_id|parent_id/id|parent_id/name",
            "function",
            "street",
            "street2",
            "zip",
            "state_id|state_id/id|state_id/name",
            "country_id|country_id/id|country_id/name",
            "vat",
            "comment",
        }
    ),
)

ODOO_LABELS = Preset(
    code="odoo_labels",
    label=gettext_lazy("Odoo contacts (res.partner, export with field labels)"),
    kind=PERSON,
    columns={
        "Name": "name",
        "名称": "name",
        "Display Name": "name",
        "显示名称": "name",
        "Complete Name": "name",
        "Is a Company": "kind:kind",
        "是公司": "kind:kind",
        "是一家公司": "kind:kind",
        "Company Type": "kind:kind",
        "公司类型": "kind:kind",
        "公司类别": "kind:kind",
        "Related Company": "employer",
        "关联公司": "employer",
        "Company Name": "employer",
        "公司名称": "employer",
        "Company": None,
        "Job Position": "job_title",
        "工作岗位": "job_title",
        "职位": "job_title",
        "Email": "email",
        "电子邮件": "email",
        "Phone": "phones",
        "电话": "phones",
        "Mobile": "mobile:phone",
        "手机": "mobile:phone",
        "Street": "postal_address:street",
        "街道": "postal_address:street",
        "Street2": "postal_address:street",
        "街道2": "postal_address:street",
        "City": "postal_address:city",
        "城市": "postal_address:city",
        "Zip": "postal_address:postcode",
        "邮编": "postal_address:postcode",
        "邮政编码": "postal_address:postcode",
        "State": "postal_address:region",
        "省/州": "postal_address:region",
        "州/省": "postal_address:region",
        "Country": "postal_address:country",
        "国家": "postal_address:country",
        "国家/地区": "postal_address:country",
        "Website": "website",
        "Website Link": "website",
        "网站": "website",
        "网站链接": "website",
        "Tax ID": "tax_id",
        "税号": "tax_id",
        "Notes": "notes:html_text",
        "备注": "notes:html_text",
    },
    signature=frozenset(
        {
            "Name|名称|Display Name|显示名称|Complete Name",
            "Is a Company|是公司|是一家公司|Company Type|公司类型|公司类别",
            "Related Company|关联公司",
            "Job Position|工作岗位",
            "Street2|街道2",
            "Zip|邮编|邮政编码",
            "Country|国家/地区",
            "Tax ID|税号",
            "Website Link|网站链接",
            "Salesperson|销售员|销售人员",
            "Tags|标签",
        }
    ),
)

ZOHO_CONTACTS = Preset(
    code="zoho_contacts",
    label=gettext_lazy("Zoho CRM contacts (export)"),
    kind=PERSON,
    columns={
        "Record Id": "external_id",
        "Contact Id": "external_id",
        "Full Name": "name",
        "Contact Name": "name",  # the full name in exports since 2023
        "First Name": "name:given_name",
        "Last Name": "name:family_name",
        "Account Name": "employer",
        "Company Name": "employer",  # Bigin, and layouts that renamed Account Name
        "Title": "job_title",
        "Email": "email",
        "Secondary Email": "email",
        "Mobile": "mobile:phone",
        "Phone": "phone:phone",
        "Home Phone": "phone:phone",
        "Other Phone": "phone:phone",
        "Fax": "fax:phone",
        "Date of Birth": "birth_date:date",
        "Mailing Street": "postal_address:street",
        "Mailing City": "postal_address:city",
        "Mailing State": "postal_address:region",
        "Mailing Zip": "postal_address:postcode",
        "Mailing Code": "postal_address:postcode",
        "Mailing Country": "postal_address:country",
        "Skype ID": "other_handles",
        "Description": "notes",
    },
    signature=frozenset(
        {
            "Record Id",
            "Contact Owner",
            "Contact Owner.id|Created By.id|Modified By.id",
            "First Name",
            "Last Name",
            "Account Name|Company Name",
            "Secondary Email",
            "Date of Birth",
            "Mailing Street",
            "Mailing Zip|Mailing Code",
            "Email Opt Out",
            "Created Time|Modified Time",
            "Skype ID",
        }
    ),
)

ZOHO_ACCOUNTS = Preset(
    code="zoho_accounts",
    label=gettext_lazy("Zoho CRM accounts (export)"),
    kind=ORGANIZATION,
    columns={
        "Record Id": "external_id",
        "Account Id": "external_id",
        "Account Name": "name",
        "Phone": "phone:phone",
        "Fax": "fax:phone",
        "Website": "website",
        "Employees": "employees",
        "Billing Street": "postal_address:street",
        "Billing City": "postal_address:city",
        "Billing State": "postal_address:region",
        "Billing Code": "postal_address:postcode",
        "Billing Country": "postal_address:country",
        "Shipping Street": "warehouse_address:street",
        "Shipping City": "warehouse_address:city",
        "Shipping State": "warehouse_address:region",
        "Shipping Code": "warehouse_address:postcode",
        "Shipping Country": "warehouse_address:country",
        "Description": "notes",
    },
    signature=frozenset(
        {
            "Record Id|Account Id",
            "Account Owner",
            "Account Name",
            "Rating",
            "Account Site",
            "Parent Account",
            "Account Number",
            "Account Type",
            "Billing Code",
            "Shipping Code",
            "Ticker Symbol",
            "Ownership",
        }
    ),
)

ESPOCRM_CONTACTS = Preset(
    code="espocrm_contacts",
    label=gettext_lazy("EspoCRM contacts (export)"),
    kind=PERSON,
    columns={
        "id": "external_id",
        "name": "name",
        "firstName": "name:given_name",
        "middleName": "name:middle_name",
        "lastName": "name:family_name",
        "accountName": "employer",
        "title": "job_title",
        "emailAddress": "email",
        "phoneNumber": "phones",
        "phoneNumberMobile": "mobile:phone",
        "phoneNumberOffice": "phone:phone",
        "phoneNumberHome": "phone:phone",
        "phoneNumberOther": "phone:phone",
        "phoneNumberFax": "fax:phone",
        "addressStreet": "postal_address:street",
        "addressCity": "postal_address:city",
        "addressState": "postal_address:region",
        "addressPostalCode": "postal_address:postcode",
        "addressCountry": "postal_address:country",
        "description": "notes",
    },
    signature=frozenset(
        {
            "salutationName",
            "firstName",
            "lastName",
            "accountName",
            "emailAddress",
            "phoneNumber",
            "addressStreet",
            "addressCity",
            "addressPostalCode",
            "addressCountry",
            "assignedUserName",
        }
    ),
)

ESPOCRM_ACCOUNTS = Preset(
    code="espocrm_accounts",
    label=gettext_lazy("EspoCRM accounts (export)"),
    kind=ORGANIZATION,
    columns={
        "id": "external_id",
        "name": "name",
        "website": "website",
        "emailAddress": "email",
        "phoneNumber": "phone:phone",
        "phoneNumberFax": "fax:phone",
        "billingAddressStreet": "postal_address:street",
        "billingAddressCity": "postal_address:city",
        "billingAddressState": "postal_address:region",
        "billingAddressPostalCode": "postal_address:postcode",
        "billingAddressCountry": "postal_address:country",
        "shippingAddressStreet": "warehouse_address:street",
        "shippingAddressCity": "warehouse_address:city",
        "shippingAddressState": "warehouse_address:region",
        "shippingAddressPostalCode": "warehouse_address:postcode",
        "shippingAddressCountry": "warehouse_address:country",
        "description": "notes",
    },
    signature=frozenset(
        {
            "website",
            "emailAddress",
            "phoneNumber",
            "industry",
            "sicCode",
            "billingAddressStreet",
            "billingAddressCity",
            "billingAddressPostalCode",
            "billingAddressCountry",
            "shippingAddressStreet",
            "assignedUserName",
        }
    ),
)

PRESETS: dict[str, Preset] = {
    preset.code: preset
    for preset in (
        OUTLOOK,
        OUTLOOK_ZH,
        OUTLOOK_DE,
        OUTLOOK_FR,
        GOOGLE,
        GOOGLE_LEGACY,
        VCARD,
        SALESFORCE_CONTACTS,
        SALESFORCE_ACCOUNTS,
        HUBSPOT_CONTACTS,
        HUBSPOT_COMPANIES,
        ODOO,
        ODOO_LABELS,
        ZOHO_CONTACTS,
        ZOHO_ACCOUNTS,
        ESPOCRM_CONTACTS,
        ESPOCRM_ACCOUNTS,
    )
}


def get_preset(code: str) -> Preset | None:
    """The preset called ``code`` (``huike import --preset CODE``), or ``None``."""
    return PRESETS.get(code)


get = get_preset


def _signature_hit(names: str, present: set[str]) -> bool:
    """Whether one signature entry (``"Contact ID|Id"``: any of its alternatives) is present."""
    return any(_loose(name) in present for name in names.split("|"))


def recognise(header: Iterable[str]) -> Preset | None:
    """The preset whose signature the header matches best, when at least 60 %
    (:data:`RECOGNISE_THRESHOLD`) of its signature entries are present (compared without
    regard to case and spacing; an entry ``"A|B"`` is present when either name is: the same
    column under another name, in another language or in another export of the same system).
    Ties go to the preset with more matching entries (the more specific format), then to the
    one listed first in :data:`PRESETS`."""
    present = {_loose(column) for column in header}
    best: tuple[float, int] | None = None
    chosen = None
    for preset in PRESETS.values():
        hits = sum(1 for names in preset.signature if _signature_hit(names, present))
        score = (hits / len(preset.signature), hits)
        if score[0] >= RECOGNISE_THRESHOLD and (best is None or score > best):
            best, chosen = score, preset
    return chosen


# ---------------------------------------------------------------------------------------------
# Suggestions for unknown layouts
# ---------------------------------------------------------------------------------------------

# (words, spec for a person, spec for an organisation). Words are compared after _squeeze.
_SYNONYMS: tuple[tuple[str, str | None, str | None], ...] = (
    (
        "姓名 名字 名称 客户名称 客户姓名 联系人 联系人姓名 全名 客户 name fullname contactname "
        "customername displayname",
        "name",
        "name",
    ),
    (
        "公司名称 企业名称 单位名称 机构名称 companyname accountname organizationname "
        "organisationname",
        "employer",
        "name",
    ),
    ("名 firstname givenname forename vorname prénom", "name:given_name", None),
    ("姓 姓氏 lastname familyname surname nachname", "name:family_name", None),
    ("middlename", "name:middle_name", None),
    (
        "手机 手机号 手机号码 移动电话 mobile mobilephone mobilenumber mobilephonenumber cell "
        "cellphone mobiltelefon télmobile",
        "mobile:phone",
        "phone:phone",
    ),
    ("电话 联系电话 电话号码 联系方式 phone tel telephone phonenumber", "phones", "phones"),
    (
        "座机 固话 固定电话 办公电话 单位电话 公司电话 landline workphone businessphone "
        "officephone",
        "phone:phone",
        "phone:phone",
    ),
    ("传真 fax faxnumber", "fax:phone", "fax:phone"),
    (
        "邮箱 电子邮箱 电子邮件 邮件 电邮 邮箱地址 电子邮件地址 email emailaddress mail "
        "emailadresse adressedemessagerie",
        "email",
        "email",
    ),
    (
        "公司 单位 工作单位 所在单位 company organization organisation employer firma société",
        "employer",
        None,
    ),
    ("职务 职位 头衔 岗位 title jobtitle position jobposition", "job_title", None),
    (
        "生日 出生日期 出生年月日 birthday birthdate dateofbirth dob geburtstag",
        "birth_date:date",
        None,
    ),
    ("农历生日 阴历生日 lunarbirthday", "lunar_birthday", None),
    ("性别 gender sex", "gender:gender", None),
    (
        "地址 联系地址 通讯地址 邮寄地址 address mailingaddress postaladdress",
        "postal_address",
        "postal_address",
    ),
    ("家庭住址 家庭地址 住址 homeaddress", "home_address", None),
    (
        "公司地址 单位地址 工作地址 办公地址 workaddress businessaddress officeaddress",
        "work_address",
        "office_address",
    ),
    ("注册地址 registeredaddress", None, "registered_address"),
    (
        "街道 门牌号 street streetaddress streetnumber housenumber address1 address2 address3 "
        "addressline1 addressline2 addressline3 street1 street2 street3",
        "postal_address:street",
        "postal_address:street",
    ),
    ("城市 市 区县 city town suburb locality", "postal_address:city", "postal_address:city"),
    ("省 省份 state province region stateregion", "postal_address:region", "postal_address:region"),
    (
        "邮编 邮政编码 zip zipcode postcode postalcode",
        "postal_address:postcode",
        "postal_address:postcode",
    ),
    ("国家 国家地区 country countryregion", "postal_address:country", "postal_address:country"),
    ("微信 微信号 wechat wechatid weixin", "wechat", None),
    ("qq qq号 qq号码", "qq", None),
    (
        "备注 说明 附注 notes note remarks remark comment comments description notizen",
        "notes",
        "notes",
    ),
    ("身份证 身份证号 身份证号码 居民身份证号码 idcard idnumber residentid", "resident_id", None),
    ("护照 护照号 护照号码 passport passportnumber", "passport_number", None),
    (
        "其他证件 其他证件号码 证件号 证件号码 港澳通行证 台胞证 居留证 ssn socialsecuritynumber "
        "socsecid socialsecurityid nationalid nationalidnumber otheridnumber",
        "other_id_number",
        None,
    ),
    (
        "客户编号 客户编码 编号 客户id 外部编号 会员号 会员编号 id externalid customerid "
        "customernumber recordid recid contactid accountid",
        "external_id",
        "external_id",
    ),
    ("网址 网站 主页 website url homepage", None, "website"),
    ("统一社会信用代码 社会信用代码 信用代码 税号 纳税人识别号 uscc", None, "uscc"),
    ("taxid vat vatnumber", None, "tax_id"),
    ("英文名 英文名称 englishname", "english_name", "english_name"),
    ("国籍 nationality", "nationality", None),
    ("籍贯 nativeplace", "native_place", None),
    ("法定代表人 法人代表 法人 legalrepresentative", None, "legal_representative"),
    ("注册资本 registeredcapital", None, "registered_capital"),
    ("成立日期 成立时间 foundingdate", None, "founding_date:date"),
    ("员工人数 人数 employees numberofemployees", None, "employees"),
    ("爱好 兴趣爱好 hobby hobbies", "hobbies", None),
    ("是否公司 是否企业 iscompany", "kind:kind", "kind:kind"),
)


def _squeeze(header: str) -> str:
    """The header as compared with the synonyms: NFKC (full-width letters and digits folded),
    case folded, without marks such as “（必填）” or “*”, spaces and punctuation."""
    value = unicodedata.normalize("NFKC", header).casefold()
    value = re.sub(r"[(\[【〔][^)\]】〕]*[)\]】〕]", "", value)
    return "".join(char for char in value if char.isalnum())


_SYNONYM_INDEX: dict[str, tuple[str | None, str | None]] = {
    _squeeze(word): (person, organisation)
    for words, person, organisation in _SYNONYMS
    for word in words.split()
}


def _suggestion(header: str) -> tuple[str | None, str | None] | None:
    key = _squeeze(header)
    candidates = [key, re.sub(r"\d+", "", key)]
    candidates += [re.sub(r"(value|formatted|号码|number)$", "", item) for item in candidates]
    for candidate in candidates:
        if candidate and candidate in _SYNONYM_INDEX:
            return _SYNONYM_INDEX[candidate]
    return None


def suggest(
    header: Iterable[str], known_codes: Iterable[str], *, kind: str = PERSON
) -> dict[str, str | None]:
    """``{column: spec or None}`` guessed from the column names, in Chinese and English.

    Only attributes in ``known_codes`` that apply to ``kind`` (for the default attributes)
    are suggested; ``phones`` needs ``mobile`` or ``phone`` to be known.
    """
    known = set(known_codes)
    suggestions: dict[str, str | None] = {}
    for column in header:
        found = _suggestion(column)
        spec = None if found is None else (found[1] if kind == ORGANIZATION else found[0])
        if spec:
            target = parse_target(spec)[0]
            applies = _APPLIES.get(target, "both")
            if target == "phones":
                usable = bool(known & {"mobile", "phone"})
            elif target in PSEUDO_TARGETS:
                usable = True
            else:
                usable = target in known and applies in ("both", kind)
            if not usable:
                spec = None
        suggestions[column] = spec
    return suggestions
