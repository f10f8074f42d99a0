"""Ids printed into pages must not be localised: with USE_THOUSAND_SEPARATOR, 12345 would read
"12,345" in a link or a form value and point at nothing (seen on PostgreSQL, whose ids grow)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.template import Context, Template

ID_OUTPUT = re.compile(r"{{\s*[\w.]+(?:\.pk|(?<!attrs)\.id|_id)\s*}}")  # not widget.attrs.id (HTML)


def test_no_template_prints_an_id_through_localisation() -> None:
    offenders = []
    for path in Path(settings.BASE_DIR, "huike").rglob("*.html"):
        if "static" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ID_OUTPUT.search(line):
                offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{number}")
    assert offenders == [], "use |unlocalize (load l10n) for ids: " + ", ".join(offenders)


def test_unlocalize_keeps_large_ids_whole() -> None:
    page = Template("{% load l10n %}{{ pk }} {{ pk|unlocalize }}").render(Context({"pk": 12345}))
    assert page == "12,345 12345"  # the guard above matters: localisation groups digits
