"""Sensitive values sealed at rest, and what each reader is allowed to see of a value.

Two rules, applied here and nowhere else:

* **Encryption** — values of attributes whose sensitivity is ``sensitive`` (PIPL art. 28) are
  sealed before they are stored (:func:`protect`): ``Observation.value``, ``GoldenValue.value``
  and ``Party.golden[code]`` hold ``enc:v1:…`` text and ``value_text`` holds a keyed blind index,
  so equality (survivorship, "most frequent") still works without the plaintext. Identifier-like
  sealed values also get a blind search key, so the search box finds a full ID number.
* **Masking** — :func:`shown` decides, from the reader's field access for the attribute's
  sensitivity class, whether a value is shown in full, masked (``138****8000``), or not at all.
  Every output (360° page, lineage, lists, search snippets, API, exports) goes through it, so the
  plaintext never reaches the HTML, JSON or CSV of a reader who may not see it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from huike.core import crypto
from huike.parties.models import AttributeDefinition, Party
from huike.parties.values import display

SENSITIVE = AttributeDefinition.Sensitivity.SENSITIVE
FULL, REVEAL, MASKED, HIDDEN = "full", "reveal", "masked", "hidden"
IDENTIFIER = re.compile(r"[A-Za-z0-9-]{5,40}")
CONTACT_CODES = ("mobile", "phone", "email")


def is_sensitive(definition: AttributeDefinition) -> bool:
    return definition.sensitivity == SENSITIVE


def protect(definition: AttributeDefinition, value: Any, value_text: str) -> tuple[Any, str]:
    """``(value, value_text)`` as stored: sealed and blind-indexed for sensitive attributes.

    Values that are already stored that way (re-observed golden values) are kept as they are.
    """
    if not is_sensitive(definition):
        return value, value_text
    if crypto.is_sealed(value) and value_text.startswith(crypto.INDEX_PREFIX):
        return value, value_text
    sealed = crypto.seal(json.dumps(value, ensure_ascii=False), definition.code)
    return sealed, crypto.blind_index(value_text.strip().upper(), definition.code)


def plain(code: str, stored: Any) -> Any:
    """The value as it was given (decrypted if sealed); raises ``crypto.TamperedValue``."""
    if crypto.is_sealed(stored):
        return json.loads(crypto.unseal(stored, code))
    return stored


def plain_or_none(code: str, stored: Any) -> Any:
    try:
        return plain(code, stored)
    except (crypto.TamperedValue, ValueError):
        return None


def equality_key(definition: AttributeDefinition, value_text: str) -> str:
    """What a stored ``value_text`` equals for this attribute (blind index when sensitive)."""
    if is_sensitive(definition):
        return crypto.blind_index(value_text.strip().upper(), definition.code)
    return value_text


def search_key(identifier: str) -> str:
    """The blind search key of an identifier (ID, passport, account number) for the search box."""
    return crypto.blind_index(identifier.replace("-", "").replace(" ", "").upper(), "search")


def sealed_search_keys(code: str, stored: Any) -> list[str]:
    value = plain_or_none(code, stored)
    if isinstance(value, str) and IDENTIFIER.fullmatch(value.strip()):
        return [search_key(value.strip())]
    return []


# Masking -----------------------------------------------------------------------------------


def mask_text(text: str, validator: str = "") -> str:
    """A masked form that still lets people tell values apart: ``138****8000``,
    ``1101**********123X``, ``z***@example.com``, ``张*``."""
    text = str(text)
    if not text:
        return text
    if validator == AttributeDefinition.Validator.EMAIL or ("@" in text and " " not in text):
        local, _at, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    compact = re.sub(r"[\s()\-]", "", text)
    if validator == AttributeDefinition.Validator.PHONE or re.fullmatch(r"\+?\d{7,}", compact):
        digits = compact.lstrip("+")
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        return f"{digits[:3]}****{digits[-4:]}"
    if len(compact) >= 10 and IDENTIFIER.fullmatch(compact):
        return compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
    if len(text) <= 2:
        return text[:1] + "*"
    if len(text) <= 6:
        return text[:1] + "*" * (len(text) - 1)
    return text[:2] + "*" * min(len(text) - 3, 8) + text[-1:]


def access(user: Any, definition: AttributeDefinition) -> str:
    """The reader's access to ``definition``: full, reveal, masked or hidden.

    ``user=None`` is the system itself (jobs, the CLI run by an operator): full access.
    """
    if user is None:
        return FULL
    if not getattr(user, "is_authenticated", False):
        return HIDDEN
    return user.field_access(definition.sensitivity)


def may_reveal(user: Any, definition: AttributeDefinition) -> bool:
    return access(user, definition) == REVEAL and user.has_perm("core.reveal_sensitive")


@dataclass(frozen=True)
class Shown:
    """One value as a particular reader sees it."""

    text: str
    value: Any
    state: str  # full, masked, hidden, unreadable
    revealable: bool = False

    @property
    def visible(self) -> bool:
        return self.state != HIDDEN


def shown(user: Any, definition: AttributeDefinition, stored: Any) -> Shown:
    level = access(user, definition)
    if level == HIDDEN:
        return Shown("", None, HIDDEN)
    try:
        value = plain(definition.code, stored)
    except (crypto.TamperedValue, ValueError):
        return Shown(_("unreadable (damaged or unknown key)"), None, "unreadable")
    text = display(definition, value)
    if level == FULL:
        return Shown(text, value, FULL)
    masked = mask_text(text, definition.validator)
    return Shown(masked, masked, MASKED, revealable=may_reveal(user, definition))


def definitions_by_code(codes: Iterable[str] | None = None) -> dict[str, AttributeDefinition]:
    queryset = AttributeDefinition.objects.all()
    if codes is not None:
        queryset = queryset.filter(code__in=list(codes))
    return {d.code: d for d in queryset}


def golden_for(
    user: Any,
    golden: Mapping[str, Any],
    known: Mapping[str, AttributeDefinition] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The golden record as ``user`` may read it (JSON values) and the codes read in full that
    are sensitive (for the access log)."""
    known = known if known is not None else definitions_by_code(golden)
    result: dict[str, Any] = {}
    sensitive_read = []
    for code, stored in golden.items():
        definition = known.get(code)
        if definition is None:
            continue
        seen = shown(user, definition, stored)
        if not seen.visible:
            continue
        result[code] = seen.value
        if seen.state == FULL and is_sensitive(definition):
            sensitive_read.append(code)
    return result, sensitive_read


def contact_for(user: Any, party: Party, known: Mapping[str, AttributeDefinition]) -> str:
    """The first contact point (mobile, phone, e-mail) as ``user`` may see it, or ""."""
    golden = party.golden or {}
    for code in CONTACT_CODES:
        if golden.get(code) and code in known:
            seen = shown(user, known[code], golden[code])
            if seen.visible and seen.text:
                return seen.text
    return ""
