"""Global search: each app registers a provider; the search box asks them all.

A provider gets the user and the query and returns hits it already scoped with
``visible_to(user)``, so search never shows a record the user may not open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class SearchHit:
    title: str
    url: str
    subtitle: str = ""


@dataclass
class SearchGroup:
    label: str | Promise
    hits: list[SearchHit] = field(default_factory=list)


Provider = Callable[[Any, str], list[SearchHit]]
_providers: list[tuple[str | Promise, Provider]] = []


def register_search(label: str | Promise, provider: Provider) -> None:
    """Add a provider (called once per app, from its ``AppConfig.ready``)."""
    if all(existing is not provider for _label, existing in _providers):
        _providers.append((label, provider))


def search_everything(user: Any, query: str, limit: int = 10) -> list[SearchGroup]:
    groups = []
    for label, provider in _providers:
        hits = provider(user, query)[:limit]
        if hits:
            groups.append(SearchGroup(label=label, hits=hits))
    return groups
