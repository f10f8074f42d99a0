"""Turning what a channel sent into a typed attribute value, and back into text for people.

``coerce()`` is the one place that validates a value for an attribute: the HTML form, the API,
the CLI and imports all go through it, so the same input gets the same error everywhere.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import translation
from django.utils.translation import gettext as _

from huike.parties import text
from huike.parties.models import AttributeDefinition

DataType = AttributeDefinition.DataType
Validator = AttributeDefinition.Validator

TRUE_WORDS = {"1", "true", "yes", "y", "on", "是", "对", "有", "√"}
FALSE_WORDS = {"0", "false", "no", "n", "off", "否", "不", "无", "×"}


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def coerce(attribute: AttributeDefinition, raw: Any) -> tuple[Any, str]:
    """``(value, value_text)`` for ``raw`` sent for ``attribute``, or a ValidationError.

    ``value`` is what is stored (JSON); ``value_text`` is its canonical text, used to compare
    values (the most frequent wins), to filter lists and to build search keys.
    """
    kind = attribute.data_type
    if kind in (DataType.TEXT, DataType.LONG_TEXT, DataType.FILE):
        value = _text(attribute, raw)
        return value, value[:500]
    if kind == DataType.NUMBER:
        number = _decimal(raw)
        return str(number), str(number)
    if kind == DataType.MONEY:
        amount, currency = _money(raw)
        return {"amount": str(amount), "currency": currency}, f"{amount} {currency}"
    if kind == DataType.DATE:
        day = raw if isinstance(raw, datetime.date) else text.parse_gregorian_date(str(raw))
        return day.isoformat(), day.isoformat()
    if kind == DataType.LUNAR_DATE:
        lunar = text.parse_lunar_day(str(raw))
        return lunar.canonical, lunar.canonical
    if kind == DataType.BOOLEAN:
        flag = _boolean(raw)
        return flag, "true" if flag else "false"
    if kind == DataType.CHOICE:
        choice = _choice(attribute, raw)
        return choice, choice
    if kind == DataType.MULTI_CHOICE:
        items = raw if isinstance(raw, list | tuple) else str(raw).replace("，", ",").split(",")
        values = sorted({_choice(attribute, item) for item in items if not is_blank(item)})
        return values, ",".join(values)[:500]
    if kind == DataType.PARTY:
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            raise ValidationError(
                _("Give the number of a customer."), code="invalid_party"
            ) from None
        return pk, str(pk)
    raise ValidationError(_("Unknown attribute type."), code="invalid_type")  # pragma: no cover


def _text(attribute: AttributeDefinition, raw: Any) -> str:
    if isinstance(raw, dict | list):
        raise ValidationError(_("Send text, not a list or object."), code="invalid_text")
    value = str(raw).strip()
    validator = attribute.validator
    if validator == Validator.PHONE:
        return text.normalise_phone(value)
    if validator == Validator.EMAIL:
        return text.normalise_email(value)
    if validator == Validator.USCC:
        return text.validate_uscc(value)
    if validator == Validator.RESIDENT_ID:
        return text.validate_resident_id(value)
    if validator == Validator.URL:
        candidate = value if "://" in value else "http://" + value
        URLValidator(message=_("Enter a valid web address."))(candidate)
        return candidate
    limit = 10000 if attribute.data_type == DataType.LONG_TEXT else 500
    if len(value) > limit:
        raise ValidationError(_("At most {limit} characters.").format(limit=limit), code="too_long")
    return value


def _decimal(raw: Any) -> decimal.Decimal:
    if isinstance(raw, bool):
        raise ValidationError(_("Enter a number."), code="invalid_number")
    cleaned = str(raw).strip().replace(",", "").replace("，", "").replace(" ", "")
    try:
        number = decimal.Decimal(cleaned)
    except decimal.InvalidOperation:
        raise ValidationError(_("Enter a number."), code="invalid_number") from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number."), code="invalid_number")
    # A whole number is stored without decimals and without an exponent: "1000", never "1E+3"
    # (which ``normalize()`` gives).
    return decimal.Decimal(int(number)) if number == number.to_integral_value() else number


CURRENCY_SIGNS = {"¥": "CNY", "￥": "CNY", "$": "USD", "€": "EUR", "£": "GBP", "HK$": "HKD"}


def _money(raw: Any) -> tuple[decimal.Decimal, str]:
    currency = settings.DEFAULT_CURRENCY
    amount: Any = raw
    if isinstance(raw, dict):
        amount = raw.get("amount")
        currency = str(raw.get("currency") or currency).upper()
    elif isinstance(raw, str):
        value = raw.strip()
        for sign, code in sorted(CURRENCY_SIGNS.items(), key=lambda item: -len(item[0])):
            if value.startswith(sign):
                value, currency = value[len(sign) :], code
                break
        parts = value.split()
        if len(parts) == 2 and parts[0].isalpha():
            currency, value = parts[0].upper(), parts[1]
        elif len(parts) == 2 and parts[1].isalpha():
            value, currency = parts[0], parts[1].upper()
        amount = value
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError(
            _("Use a three-letter currency code such as CNY."), code="invalid_currency"
        )
    try:
        number = _decimal(amount).quantize(decimal.Decimal("0.01"))
    except decimal.InvalidOperation:  # more digits than a Decimal holds
        raise ValidationError(_("Enter a number."), code="invalid_number") from None
    return number, currency


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(_("Answer yes or no."), code="invalid_boolean")


def _choice(attribute: AttributeDefinition, raw: Any) -> str:
    wanted = str(raw).strip()
    for choice in attribute.choices or []:
        labels = {
            str(choice.get("value", "")),
            str(choice.get("zh", "")),
            str(choice.get("en", "")),
        }
        if wanted in labels or wanted.lower() in {label.lower() for label in labels}:
            return str(choice["value"])
    allowed = ", ".join(str(choice.get("value")) for choice in attribute.choices or [])
    raise ValidationError(
        _("“{value}” is not one of the choices: {allowed}.").format(value=wanted, allowed=allowed),
        code="invalid_choice",
    )


def display(attribute: AttributeDefinition, value: Any) -> str:
    """A stored value as a person reads it, in the active language."""
    if value is None or value == "":
        return ""
    kind = attribute.data_type
    language = translation.get_language() or settings.LANGUAGE_CODE
    if attribute.validator == Validator.PHONE:
        return text.format_phone(str(value))
    if kind == DataType.CHOICE:
        return attribute.choice_label(value)
    if kind == DataType.MULTI_CHOICE:
        return (
            "、".join(attribute.choice_label(item) for item in value)
            if language.startswith("zh")
            else ", ".join(attribute.choice_label(item) for item in value)
        )
    if kind == DataType.BOOLEAN:
        return _("Yes") if value else _("No")
    if kind == DataType.LUNAR_DATE:
        try:
            return text.parse_lunar_day(str(value)).display(language)
        except ValidationError:
            return str(value)
    if kind == DataType.MONEY and isinstance(value, dict):
        from huike.core.templatetags.huike import format_money

        return format_money(value.get("amount"), value.get("currency"))
    if kind == DataType.DATE:
        from django.utils.formats import date_format

        try:
            return date_format(datetime.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(value)
