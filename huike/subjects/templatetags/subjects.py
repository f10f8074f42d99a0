"""``{% load subjects %}{% subject_requests_due_alert %}``: the due-requests alert anywhere
(the home page), for users who may see data-subject requests."""

from __future__ import annotations

from typing import Any

from django import template

from huike.subjects.selectors import due_alert_context

register = template.Library()


@register.inclusion_tag("subjects/_due_alert.html", takes_context=True)
def subject_requests_due_alert(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return due_alert_context(user)
