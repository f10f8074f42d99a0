"""Helpers for web-form tests: forms built through the builder's service, submissions made
through the public page's service, and posts a browser would send."""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache

from huike.parties.models import AttributeDefinition
from huike.privacy.models import ConsentNotice, Purpose
from huike.webforms import protection, services
from huike.webforms.models import Submission, WebForm


def attribute(code: str) -> AttributeDefinition:
    return AttributeDefinition.objects.get(code=code)


def make_form(
    slug: str = "contact",
    *,
    fields: tuple[str, ...] = ("name", "email", "mobile"),
    required: tuple[str, ...] = ("name",),
    consents: tuple[str, ...] = ("marketing",),
    required_consents: tuple[str, ...] = (),
    actor: Any = None,
    **values: Any,
) -> WebForm:
    """A form asking ``fields`` (``required`` ones required) with a box per purpose code."""
    values.setdefault("name", f"Form {slug}")
    values.setdefault("title_zh", "联系我们")
    values.setdefault("title_en", "Contact us")
    values.setdefault("thank_you_zh", "谢谢，我们已收到。")
    values.setdefault("thank_you_en", "Thank you, we got it.")
    return services.save_form(
        WebForm(),
        actor=actor,
        slug=slug,
        fields=[
            services.FieldSpec(attribute(code), required=code in required, order=index)
            for index, code in enumerate(fields)
        ],
        consents=[
            services.ConsentSpec(
                Purpose.objects.get(code=code), required=code in required_consents, order=index
            )
            for index, code in enumerate(consents)
        ],
        **values,
    )


def latest_notice(code: str) -> ConsentNotice:
    notice = ConsentNotice.objects.filter(purpose__code=code).order_by("-version").first()
    assert notice is not None
    return notice


def token(
    form: WebForm, *, age: float = 10, notices: dict[str, int] | None = None
) -> protection.Token:
    """A page token issued ``age`` seconds ago (a person takes a while to type)."""
    return protection.issue(form, notices=notices, issued_at=time.time() - age)


def post_data(form: WebForm, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """What a browser posts: the answers, the page's token and language, an empty honeypot
    and, when the form asks one, the right answer to the question."""
    issued = token(form)
    data = {
        protection.TOKEN_FIELD: issued.value,
        protection.LANGUAGE_FIELD: extra.pop("lang", "en"),
        protection.HONEYPOT_FIELD: "",
        **values,
    }
    if issued.challenge is not None:
        data[protection.ANSWER_FIELD] = str(issued.challenge.answer)
    data.update(extra)
    return data


def submission(form: WebForm, values: dict[str, Any], ticked: tuple[str, ...] = ()) -> Submission:
    return services.submit(form, values=values, ticked=ticked, language="en")


def forget_rate_limits() -> None:
    cache.clear()


def builder_post(
    fields: list[dict[str, Any]],
    consents: list[dict[str, Any]] = (),  # type: ignore[assignment]
    **values: Any,
) -> dict[str, Any]:
    """What the builder page posts: the form's settings and its two sets of rows."""
    data: dict[str, Any] = {
        "name": "Trade fair",
        "slug": "fair",
        "party_kind": "person",
        "is_active": "on",
        "title_zh": "展会登记",
        "title_en": "Trade fair sign-up",
        **values,
    }
    for prefix, rows in (("fields", fields), ("consents", consents)):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(sum(1 for row in rows if row.get("id")))
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for index, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{index}-{key}"] = value
    return data


def field_row(code: str, *, required: bool = False, order: int = 10, **more: Any) -> dict[str, Any]:
    row = {"attribute": str(attribute(code).pk), "order": str(order), **more}
    if required:
        row["required"] = "on"
    return row
