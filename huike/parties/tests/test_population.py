"""Demo populations: deterministic, valid, and written exactly as the services write parties."""

from __future__ import annotations

import collections
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from stdnum.cn import uscc

from huike.accounts.models import Team, User
from huike.core.models import ChangeLog
from huike.parties import population, services, text
from huike.parties.models import (
    AttributeDefinition,
    CustomerNature,
    GoldenValue,
    Industry,
    Party,
    Region,
    SearchKey,
)
from huike.parties.values import coerce

pytestmark = pytest.mark.django_db
SEED = 7


@pytest.fixture
def refs() -> population.References:
    return population.References.load()


def test_generation_is_deterministic_and_a_prefix_of_bigger_populations(
    refs: population.References,
) -> None:
    first = [population.generate(SEED, index, refs) for index in range(50)]
    again = [population.generate(SEED, index, refs) for index in range(50)]
    assert first == again
    # Party 40 is the same whether the population is generated from 0 or from 40.
    assert population.generate(SEED, 40, refs) == first[40]
    other_seed = [population.generate(SEED + 1, index, refs) for index in range(50)]
    assert [s.name for s in other_seed] != [s.name for s in first]


def test_the_mix_of_people_organisations_and_names(refs: population.References) -> None:
    specs = [population.generate(SEED, index, refs) for index in range(3000)]
    kinds = collections.Counter(
        "org"
        if s.kind == Party.Kind.ORGANIZATION
        else "han"
        if text._HAN.match(s.name)
        else "latin"
        for s in specs
    )
    assert 0.66 < kinds["han"] / len(specs) < 0.74
    assert 0.07 < kinds["latin"] / len(specs) < 0.13
    assert 0.17 < kinds["org"] / len(specs) < 0.23
    orgs = [s for s in specs if s.kind == Party.Kind.ORGANIZATION]
    assert sum(s.name.endswith("有限公司") for s in orgs) > len(orgs) / 3
    assert any(s.name.endswith(("GmbH", "Inc.", "Co., Ltd.", "LLC")) for s in orgs)
    surnames = {s.name[:2] if s.name[:2] in population.SURNAMES else s.name[0] for s in specs}
    assert {"单", "曾"} & surnames and "欧阳" in surnames  # polyphonic and compound surnames
    # About ten attributes each: the values plus the party's own fields (owner, stage, region…).
    average = sum(len(s.values) for s in specs) / len(specs)
    assert 7 <= average <= 11
    assert len({s.owner.username for s in specs if s.owner}) == len(population.OWNER_NAMES)
    assert len({s.region for s in specs}) > 500
    assert {s.stage for s in specs} == set(Party.Stage.values)


def test_every_generated_value_is_already_canonical(refs: population.References) -> None:
    """What ``coerce`` (the one validation of every channel) returns for each value is the
    value itself: phones valid and in E.164, credit codes with the right check characters…"""
    definitions = refs.definitions
    seen: set[str] = set()
    for index in range(3000):
        spec = population.generate(SEED, index, refs)
        for code, value, value_text in spec.values:
            assert definitions[code].applies(spec.kind), (code, spec.kind)
            assert coerce(definitions[code], value) == (value, value_text), (code, value)
            seen.add(code)
            if code == "uscc":
                assert uscc.is_valid(value)
    assert {"mobile", "phone", "email", "uscc", "website", "lunar_birthday"} <= seen
    assert {"birth_date", "gender", "employer", "job_title", "home_address"} <= seen


def _rows(party: Party) -> dict[str, Any]:
    """Everything stored about ``party`` except primary keys and the times rows were written."""
    fields = [
        "kind",
        "name",
        "pinyin",
        "owner_id",
        "team_id",
        "stage",
        "nature_id",
        "region_id",
        "industry_id",
        "first_deal_date",
        "notes",
        "golden",
        "version",
    ]
    party.refresh_from_db()
    observations = sorted(
        (
            o.attribute.code,
            repr(o.value),
            o.value_text,
            o.source,
            o.source_ref,
            o.collector_id,
            o.collector_name,
            o.collected_at,
            o.consent,
            o.confidence,
            o.note,
        )
        for o in party.observations.select_related("attribute")
    )
    golden = sorted(
        (
            g.attribute.code,
            repr(g.value),
            g.value_text,
            g.observation.attribute_id == g.attribute_id,
            g.observation.value_text,
            g.confirmed_at,
            g.stale_at,
        )
        for g in GoldenValue.objects.filter(party=party).select_related("attribute", "observation")
    )
    changes = [
        (c.action, c.actor_id, c.actor_name, c.object_repr, c.message, c.changes, c.remote_addr)
        for c in ChangeLog.objects.filter(
            content_type__model="party", object_id=str(party.pk)
        ).order_by("pk")
    ]
    return {
        "party": {name: getattr(party, name) for name in fields},
        "tags": sorted(party.tags.values_list("pk", flat=True)),
        "observations": observations,
        "golden": golden,
        "search_keys": sorted(SearchKey.objects.filter(party=party).values_list("kind", "value")),
        "changes": changes,
    }


def test_a_generated_party_is_indistinguishable_from_one_the_service_creates(
    refs: population.References,
) -> None:
    specs = [population.generate(SEED, index, refs) for index in range(120)]
    bulk_ids = population.write(specs, refs, source="import", source_ref="population:7")
    assert len(bulk_ids) == len(specs)
    related: dict[str, Any] = {"owner": User, "team": Team, "nature": CustomerNature}
    related.update(region=Region, industry=Industry)
    for spec, bulk_id in zip(specs, bulk_ids, strict=True):
        fields = spec.party_fields()
        for name, model in related.items():
            pk = fields.pop(name + "_id")
            fields[name] = model.objects.get(pk=pk) if pk else None
        created = services.create_party(
            actor=None,
            kind=spec.kind,
            name=spec.name,
            attributes=spec.attributes,
            provenance=services.Provenance(
                source="import", source_ref="population:7", collected_at=spec.created_at
            ),
            tags=list(spec.tag_ids),
            **fields,
        )
        assert _rows(Party.objects.get(pk=bulk_id)) == _rows(created), spec.name
        bulk = Party.objects.get(pk=bulk_id)
        assert bulk.created_at == spec.created_at
        assert services.search_keys_for(bulk) == {
            (k.kind, k.value) for k in SearchKey.objects.filter(party=bulk)
        }


def test_the_rows_carry_on_after_existing_ones(refs: population.References) -> None:
    result = population.populate(30, seed=SEED, batch_size=7, refs=refs)
    more = population.populate(5, seed=SEED, start=30, refs=refs)
    assert result.parties == 30 and more.parties == 5
    assert more.first_id == result.last_id + 1  # type: ignore[operator]
    # An ordinary write after a bulk load gets a fresh key.
    party = services.create_party(actor=None, kind="person", name="张三")
    assert party.pk > more.last_id  # type: ignore[operator]
    assert Party.objects.count() == 36
    assert SearchKey.objects.filter(kind="initials", value="zs", party=party).exists()


def test_searching_a_population_finds_what_the_service_would(
    refs: population.References, admin_user: Any, client: Any
) -> None:
    population.populate(200, seed=SEED, refs=refs)
    spec = next(
        s
        for s in (population.generate(SEED, i, refs) for i in range(200))
        if s.kind == Party.Kind.PERSON and text._HAN.match(s.name)
    )
    initials = text.pinyin_keys(spec.name)[1][0]
    found = set(
        services.Party.objects.filter(
            pk__in=SearchKey.objects.filter(kind="initials", value=initials).values("party_id")
        ).values_list("name", flat=True)
    )
    assert spec.name in found
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/customers/", {"q": initials, "stage": spec.stage})
        api = client.get("/api/v1/parties/", {"q": initials})
    assert page.status_code == 200 and api.status_code == 200
    assert spec.name in page.content.decode()
    # Lists page by keyset: no request counts the rows.
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL collation")
def test_search_keys_compare_bytewise_on_postgresql() -> None:
    """Migration 0004 gives ``SearchKey.value`` the "C" collation, so the prefix range of the
    search box is answered from the (kind, value) index and means the same as on SQLite."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT collation_name FROM information_schema.columns "
            "WHERE table_name = %s AND column_name = 'value'",
            [SearchKey._meta.db_table],
        )
        assert cursor.fetchone()[0] == "C"


def test_definitions_the_population_uses_exist() -> None:
    codes = set(AttributeDefinition.objects.values_list("code", flat=True))
    assert {"mobile", "uscc", "hobbies", "legal_representative", "registered_capital"} <= codes


@pytest.mark.parametrize(
    "params",
    [
        {"region": "330000"},
        {"region": "440300"},
        {"region": "110101"},
        {"region": "US"},
        {"region": "999999"},
        {"industry": "C"},
        {"industry": "52"},
        {"stale": "true"},
        {"stale": "false"},
        {"stale": "false", "stage": "customer"},
        {"region": "440000", "stage": "customer", "owner": "pop-sales-01"},
        {"region": "440000", "industry": "C", "stale": "true"},
    ],
)
def test_dense_filters_mean_what_sparse_ones_do(
    refs: population.References, monkeypatch: pytest.MonkeyPatch, params: dict[str, str]
) -> None:
    """Regions, industries and stale values with many customers are filtered in page order
    (``TREE_DENSE``, ``STALE_DENSE``); the rows are the same either way."""
    from django.http import QueryDict

    from huike.parties import filters

    population.populate(400, seed=SEED, refs=refs)

    def rows() -> list[int]:
        data = QueryDict(mutable=True)
        data.update(params)
        filterset = filters.PartyFilterSet(data, queryset=Party.objects.all())
        assert filterset.is_valid(), filterset.errors
        return list(filterset.qs.order_by("-pk").values_list("pk", flat=True))

    sparse = rows()
    monkeypatch.setattr(filters, "TREE_DENSE", 1)
    monkeypatch.setattr(filters, "STALE_DENSE", 1)
    assert rows() == sparse
    if params in ({"region": "330000"}, {"stale": "true"}):
        assert sparse  # the population has some: the comparison means something
