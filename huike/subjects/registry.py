"""The personal-data registry: every app says what it holds about a person, and how to erase it.

A subject-access export asks each provider for its rows; an erasure asks each provider to
delete (or, when the law keeps the records, de-personalise) them; the retention job asks the
providers which customers were active recently and which have a live consent. No app imports
this one's models for that: each registers functions, usually in its ``AppConfig.ready()``::

    from huike.subjects import registry

    registry.register(
        "orders",                                   # section name: orders.csv in the export
        label=_("Orders"),
        export=lambda party: [order_row(o) for o in party.orders.all()],
        erase=depersonalise_orders,                 # (party, actor) -> {"orders": 12}
        kept=_("Tax law: invoices are kept for 10 years; the buyer is de-personalised."),
        count=lambda party: party.orders.count(),   # shown on the erasure confirmation
        hold=open_order_reason,                     # (party) -> "2 orders not yet delivered" | None
        active=lambda since: Order.objects.filter(created_at__gte=since).values("party_id"),
        order=50,                                   # erasers run in ascending order
    )

Contract of each function:

``export(party) -> list[dict]``
    One dict per record, JSON-serialisable values (dates as ISO text is fine; datetimes are
    handled). Decrypt sealed values: this export goes to the person themself.
``erase(party, actor) -> dict``
    Delete (or de-personalise, if ``kept``) every record of the section about ``party``, in the
    caller's transaction, and return a summary (counts by kind). Never delete what another
    provider still needs: erasers run in ascending ``order``; the customer record itself
    (``order=90``) and its observations (``80``) go last, the change-log scrub (``10``) first.
``kept``
    ``False``: the section's records are deleted. ``True`` or a reason: they are kept because the
    law requires it (orders, invoices, proof of consent) and ``erase`` de-personalises them.
``hold(party) -> str | None``
    A reason why erasure is not yet possible (an open complaint, an unpaid invoice, a legal
    hold). Any reason refuses the erasure; the customer is restricted instead.
``active(since) -> iterable of party ids``
    Customers with activity in this section since ``since`` (retention: they are kept).
``consenting(purpose) -> iterable of party ids``
    Customers with a live consent for ``purpose`` (``""``: for any purpose).

Retention policies may also come from other apps (the privacy app's purposes with a retention
period): ``register_retention_policies(fn)`` with ``fn() -> Iterable[RetentionPolicy]``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from huike.parties.models import Party

Export = Callable[["Party"], list[dict[str, Any]]]
Erase = Callable[["Party", Any], dict[str, Any]]


@dataclass(frozen=True)
class Provider:
    """What one app holds about a person, and how to export and erase it."""

    name: str
    label: Any
    export: Export
    erase: Erase | None = None
    kept: bool | Any = False
    count: Callable[[Party], int] | None = None
    hold: Callable[[Party], Any] | None = None
    active: Callable[[datetime.datetime], Iterable[Any]] | None = None
    consenting: Callable[[str], Iterable[Any]] | None = None
    order: int = 50

    @property
    def keeps_records(self) -> bool:
        return bool(self.kept)

    @property
    def kept_reason(self) -> str:
        return "" if isinstance(self.kept, bool) else str(self.kept)


@dataclass(frozen=True)
class RetentionPolicy:
    """Customers in ``stages`` (all if empty), inactive for ``inactivity_days`` and without a
    live consent for ``purpose`` (any, if empty) are anonymised or purged (``action``)."""

    name: str
    inactivity_days: int
    action: str = "anonymise"
    purpose: str = ""
    stages: tuple[str, ...] = ()
    rule_id: int | None = None


_providers: dict[str, Provider] = {}
_policy_sources: list[Callable[[], Iterable[RetentionPolicy]]] = []


def register(
    name: str,
    *,
    export: Export,
    erase: Erase | None = None,
    kept: bool | Any = False,
    label: Any = None,
    count: Callable[[Party], int] | None = None,
    hold: Callable[[Party], Any] | None = None,
    active: Callable[[datetime.datetime], Iterable[Any]] | None = None,
    consenting: Callable[[str], Iterable[Any]] | None = None,
    order: int = 50,
) -> Provider:
    """Add (or replace: registering twice is harmless) the provider of section ``name``."""
    provider = Provider(
        name=name,
        label=label if label is not None else name,
        export=export,
        erase=erase,
        kept=kept,
        count=count,
        hold=hold,
        active=active,
        consenting=consenting,
        order=order,
    )
    _providers[name] = provider
    return provider


def unregister(name: str) -> None:
    _providers.pop(name, None)


def providers() -> list[Provider]:
    """Every registered provider, in erasure order."""
    return sorted(_providers.values(), key=lambda provider: (provider.order, provider.name))


def get(name: str) -> Provider | None:
    return _providers.get(name)


def register_retention_policies(source: Callable[[], Iterable[RetentionPolicy]]) -> None:
    if source not in _policy_sources:
        _policy_sources.append(source)


def unregister_retention_policies(source: Callable[[], Iterable[RetentionPolicy]]) -> None:
    if source in _policy_sources:
        _policy_sources.remove(source)


def retention_policies() -> list[RetentionPolicy]:
    """The policies other apps contribute (the rules of this app are read by the job)."""
    return [policy for source in _policy_sources for policy in source()]
