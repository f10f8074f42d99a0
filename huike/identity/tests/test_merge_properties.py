"""Properties of merge and unmerge over generated customers: nothing is lost or duplicated, and
an unmerge gives each customer back exactly what was theirs."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huike.accounts.models import User
from huike.identity import services
from huike.identity.tests.factories import golden_state, rows_of
from huike.parties import services as parties
from huike.parties.models import Observation, Party, Relationship, Tag
from huike.parties.tests.factories import person
from huike.privacy import services as privacy
from huike.privacy.models import ConsentRecord, Purpose

pytestmark = pytest.mark.django_db

DB_EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
VALUES = {
    "mobile": ["13800000001", "13800000002"],
    "email": ["a@example.com", "b@example.com"],
    "native_place": ["杭州", "宁波"],
    "external_id": ["crm-1", "crm-2"],
}
SOURCES = ["manual", "import", "api", "form:contact"]
# a and b are the two records merged; t0 and t1 are third customers they are tied to.
WHO = ["a", "b", "t0", "t1"]
TAGS = ["vip", "fair", "north"]

observation = st.tuples(
    st.sampled_from(WHO[:2]),
    st.sampled_from(sorted(VALUES)),
    st.integers(0, 1),
    st.sampled_from(SOURCES),
    st.integers(0, 20),
)
relationship = st.tuples(
    st.sampled_from(WHO),
    st.sampled_from(WHO),
    st.sampled_from(["friend", "relative", "spouse", "child"]),
    st.sampled_from([None, *WHO]),
)
consent = st.tuples(
    st.sampled_from(WHO[:2]),
    st.sampled_from(["marketing", "profiling"]),
    st.booleans(),
    st.integers(0, 20),
)


@dataclass
class World:
    parties: dict[str, Party]

    def __getitem__(self, who: str) -> Party:
        return self.parties[who]


def _build(
    observations: list[tuple[str, str, int, str, int]],
    relationships: list[tuple[str, str, str, str | None]],
    consents: list[tuple[str, str, bool, int]],
    tags: dict[str, set[str]],
) -> World:
    made = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}
    world = World(
        {who: person("欧阳" + who, tags=[made[t] for t in tags.get(who, ())]) for who in WHO}
    )
    now = timezone.now()
    for who, code, index, source, days in observations:
        parties.record_observations(
            world[who],
            {code: VALUES[code][index]},
            actor=None,
            provenance=parties.Provenance(
                source=source,
                source_ref=f"ref-{who}-{days}",
                collected_at=now - datetime.timedelta(days=days, minutes=index),
            ),
        )
    for source, target, kind, reports_to in relationships:
        if source == target or reports_to == source:
            continue
        parties.save_relationship(
            Relationship(),
            actor=None,
            from_party=world[source],
            to_party=world[target],
            kind=kind,
            reports_to=world[reports_to] if reports_to else None,
        )
    for who, code, granted, days in consents:
        when = now - datetime.timedelta(days=days, seconds=len(code))
        purpose = Purpose.objects.get(code=code)
        if granted:
            privacy.grant(world[who], purpose, actor=None, channel="manual", occurred_at=when)
        else:
            privacy.withdraw(world[who], purpose, actor=None, channel="phone", occurred_at=when)
    for party in world.parties.values():
        party.refresh_from_db()
    return world


def _observations(*party_ids: int) -> Counter[tuple[Any, ...]]:
    return Counter(
        Observation.objects.filter(party__in=party_ids).values_list(
            "pk", "attribute_id", "value_text", "source", "source_ref", "collected_at"
        )
    )


def _consents(*party_ids: int) -> Counter[tuple[Any, ...]]:
    return Counter(
        ConsentRecord.objects.filter(party__in=party_ids).values_list(
            "pk", "purpose_id", "status", "occurred_at"
        )
    )


def _relationships() -> dict[int, tuple[int, int, str, int | None]]:
    return {
        r[0]: r[1:]
        for r in Relationship.objects.values_list(
            "pk", "from_party", "to_party", "kind", "reports_to"
        )
    }


def _state(party_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    fields = Party.objects.filter(pk=party_id).values().get()
    for changing in ("version", "updated_at"):
        fields.pop(changing)
    return rows_of(party_id), {**fields, "golden_values": golden_state(party_id)}


@DB_EXAMPLES
@given(
    observations=st.lists(observation, max_size=8),
    relationships=st.lists(relationship, max_size=4),
    consents=st.lists(consent, max_size=4),
    tags=st.fixed_dictionaries(
        {"a": st.sets(st.sampled_from(TAGS)), "b": st.sets(st.sampled_from(TAGS))}
    ),
    b_survives=st.booleans(),
)
def test_merge_keeps_every_row_and_unmerge_gives_each_back(
    make_user: Callable[..., User],
    observations: list[tuple[str, str, int, str, int]],
    relationships: list[tuple[str, str, str, str | None]],
    consents: list[tuple[str, str, bool, int]],
    tags: dict[str, set[str]],
    b_survives: bool,
) -> None:
    with transaction.atomic():
        actor = make_user("administrator")
        world = _build(observations, relationships, consents, tags)
        survivor, merged = (world["b"], world["a"]) if b_survives else (world["a"], world["b"])
        pair = {survivor.pk, merged.pk}
        observations_before = _observations(*pair)
        consents_before = _consents(*pair)
        relationships_before = _relationships()
        tags_before = set(survivor.tags.all()) | set(merged.tags.all())
        states = {pk: _state(pk) for pk in pair}
        codes_before = set(survivor.golden) | set(merged.golden)

        # Merge: the survivor holds every row of both, once, and the union of tags.
        record = services.merge(survivor, merged, actor=actor)

        assert _observations(survivor.pk) == observations_before
        assert _consents(survivor.pk) == consents_before
        assert set(survivor.tags.all()) == tags_before
        assert set(survivor.golden) == codes_before

        def moved(party_id: int | None) -> int | None:
            return survivor.pk if party_id == merged.pk else party_id

        expected = {}
        between = set()
        for pk, (source, target, kind, reports_to) in relationships_before.items():
            if {source, target} == pair:
                between.add(pk)
                continue
            new_source, new_boss = moved(source), moved(reports_to)
            boss = None if new_boss == new_source else new_boss
            expected[pk] = (new_source, moved(target), kind, boss)
        assert _relationships() == expected
        assert {row["pk"] for row in record.snapshot["deleted"]} == between

        # Unmerge: each row is back on its own customer, golden records as before.
        services.unmerge(record, actor=actor)

        assert _relationships() == relationships_before
        for pk, (rows, fields) in states.items():
            rows_now, fields_now = _state(pk)
            assert fields_now == fields
            for name, before in rows.items():
                if name == "history":
                    assert before <= rows_now[name]  # plus the merge and unmerge rows
                else:
                    assert rows_now[name] == before, name
        assert _observations(*pair) == observations_before
        assert _consents(*pair) == consents_before
        transaction.set_rollback(True)


@DB_EXAMPLES
@given(
    order=st.permutations([0, 1, 2]),
    values=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(sorted(VALUES))), max_size=5),
)
def test_merges_chained_in_any_order_are_undone_in_reverse(
    make_user: Callable[..., User],
    order: list[int],
    values: list[tuple[int, str]],
) -> None:
    with transaction.atomic():
        actor = make_user("administrator")
        three = [person("司马" + str(n)) for n in range(3)]
        for index, code in values:
            parties.record_observations(three[index], {code: VALUES[code][0]}, actor=None)
        before = {p.pk: _state(p.pk) for p in three}
        first, second, third = (three[i] for i in order)

        # second absorbs first, then third absorbs second
        earlier = services.merge(second, first, actor=actor)
        later = services.merge(third, second, actor=actor)
        assert Party.objects.filter(pk__in=[p.pk for p in three]).count() == 1

        # The earlier merge can be undone only after the later one.
        with pytest.raises(ValidationError):
            services.unmerge(earlier, actor=actor)
        services.unmerge(later, actor=actor)
        services.unmerge(earlier, actor=actor)

        for pk, (rows, fields) in before.items():
            rows_now, fields_now = _state(pk)
            assert fields_now == fields
            assert rows_now["observations"] == rows["observations"]
            assert rows_now["tags"] == rows["tags"]
        transaction.set_rollback(True)
