"""Reads of the web-forms app: submissions as a reader may see them, and the embedding
snippets of a form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from huike.parties import privacy
from huike.parties.models import AttributeDefinition
from huike.webforms import protection
from huike.webforms.forms import PublicForm
from huike.webforms.models import Submission, WebForm
from huike.webforms.services import consents_shown


@dataclass(frozen=True)
class ShownValue:
    code: str
    label: str
    text: str
    state: str  # full, masked, unreadable (hidden values are left out)
    sensitive: bool


def shown_values(
    user: Any,
    submission: Submission,
    known: Mapping[str, AttributeDefinition] | None = None,
) -> list[ShownValue]:
    """The values of ``submission`` as ``user`` may read them (masked or left out by the
    reader's field access, like the customer page)."""
    known = known if known is not None else privacy.definitions_by_code(submission.data)
    rows = []
    for code, stored in submission.data.items():
        definition = known.get(code)
        if definition is None:
            continue
        seen = privacy.shown(user, definition, stored)
        if not seen.visible:
            continue
        rows.append(
            ShownValue(
                code, definition.label, seen.text, seen.state, privacy.is_sensitive(definition)
            )
        )
    return rows


def sensitive_read(rows: Iterable[ShownValue]) -> list[str]:
    """Codes of sensitive values shown in full (for the access log)."""
    return [row.code for row in rows if row.sensitive and row.state == privacy.FULL]


def summary(user: Any, submission: Submission, known: Mapping[str, AttributeDefinition]) -> str:
    """One line for lists: the name and the first contact point, as ``user`` may read them."""
    parts = []
    for code in ("name", *privacy.CONTACT_CODES):
        stored = submission.data.get(code)
        definition = known.get(code)
        if stored in (None, "") or definition is None:
            continue
        seen = privacy.shown(user, definition, stored)
        if seen.visible and seen.text:
            parts.append(seen.text)
        if len(parts) == 2:
            break
    return " · ".join(parts)


@dataclass(frozen=True)
class Snippets:
    public_url: str
    embed_url: str
    iframe: str
    html: dict[str, str]  # language code → plain HTML form


def snippets(form: WebForm, base: str, languages: Iterable[tuple[str, str]]) -> Snippets:
    """What a web editor pastes into another site: an ``<iframe>`` of the embeddable page, and
    a plain HTML form (no script) that posts to the public address, per language. ``base`` is
    the site's own address (scheme and host)."""
    public_url = base + form.public_path()
    embed_url = base + form.embed_path()
    html = {}
    for code, _name in languages:
        with translation.override(code):
            public = PublicForm(form, code, consents_shown(form))
            html[code] = render_to_string(
                "webforms/snippet_form.html",
                {
                    "form": public,
                    "action": public_url,
                    "language": code,
                    "title": form.title_in(code),
                    "honeypot": protection.HONEYPOT_FIELD,
                    "language_field": protection.LANGUAGE_FIELD,
                },
            ).strip()
    iframe = render_to_string(
        "webforms/snippet_iframe.html",
        {"url": embed_url, "title": form.title_in()},
    ).strip()
    return Snippets(public_url, embed_url, iframe, html)
