"""Template helpers: money per language, query strings that keep filters."""

from __future__ import annotations

import decimal
from typing import Any

from babel.numbers import format_currency
from django import template
from django.conf import settings
from django.http import QueryDict
from django.utils import translation

register = template.Library()


def babel_locale(language: str | None = None) -> str:
    language = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
    return "zh_Hans_CN" if language.startswith("zh") else "en_US"


def format_money(amount: Any, currency: str | None = None, language: str | None = None) -> str:
    """``¥1,234.50`` in Chinese, ``CN¥1,234.50`` in English: money as each reader expects."""
    if amount is None or amount == "":
        return ""
    value = decimal.Decimal(str(amount))
    return format_currency(
        value, currency or settings.DEFAULT_CURRENCY, locale=babel_locale(language)
    )


@register.filter
def money(amount: Any, currency: str | None = None) -> str:
    return format_money(amount, currency)


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (``None`` removes one)."""
    request = context["request"]
    params: QueryDict = request.GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return "?" + encoded if encoded else "?"
