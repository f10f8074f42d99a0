"""Factories for customer records.

Parties are created through ``services.create_party`` (never ``Party.objects.create``), so every
test party has what a real one has: observations, golden values, ``Party.golden``, pinyin and
search keys.
"""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.utils import timezone

from huike.parties import services
from huike.parties.models import AttributeDefinition, Party


class PartyFactory(factory.Factory[Party]):
    """``PartyFactory.create(name="张三", attributes={"mobile": "13800138000"}, owner=mei)``.

    ``actor`` defaults to the owner (or "system" without one); ``provenance`` defaults to a
    manual entry.
    """

    class Meta:
        model = Party

    kind = Party.Kind.PERSON
    name = factory.Sequence(lambda n: f"客户{n}")

    @classmethod
    def _build(cls, model_class: type[Party], *args: Any, **kwargs: Any) -> Party:
        for services_only in ("attributes", "actor", "provenance", "tags"):
            kwargs.pop(services_only, None)
        return model_class(**kwargs)

    @classmethod
    def _create(cls, model_class: type[Party], *args: Any, **kwargs: Any) -> Party:
        actor = kwargs.pop("actor", kwargs.get("owner"))
        return services.create_party(actor=actor, **kwargs)


def person(name: str = "张三", *, actor: Any = None, **kwargs: Any) -> Party:
    """A person created as a colleague would create one (``manual`` source)."""
    return PartyFactory.create(kind=Party.Kind.PERSON, name=name, actor=actor, **kwargs)


def organisation(name: str = "华为技术有限公司", *, actor: Any = None, **kwargs: Any) -> Party:
    return PartyFactory.create(kind=Party.Kind.ORGANIZATION, name=name, actor=actor, **kwargs)


def definition(code: str) -> AttributeDefinition:
    return AttributeDefinition.objects.get(code=code)


def set_rule(code: str, survivorship: str) -> AttributeDefinition:
    """Give a definition another survivorship rule (as an administrator may)."""
    AttributeDefinition.objects.filter(code=code).update(survivorship=survivorship)
    return definition(code)


def custom_definition(code: str, data_type: str, **fields: Any) -> AttributeDefinition:
    """A custom profile field, as an administrator adds one."""
    fields.setdefault("label_zh", code)
    fields.setdefault("label_en", code.replace("_", " ").capitalize())
    return AttributeDefinition.objects.create(code=code, data_type=data_type, **fields)


def observe(
    party: Party,
    values: dict[str, Any],
    *,
    source: str = "manual",
    actor: Any = None,
    days_ago: float = 0,
    at: datetime.datetime | None = None,
) -> None:
    """Record ``values`` for ``party`` from ``source``, collected ``days_ago`` days ago."""
    when = at or timezone.now() - datetime.timedelta(days=days_ago)
    services.record_observations(
        party, values, actor=actor, provenance=services.Provenance(source=source, collected_at=when)
    )
