"""An intake call writes its plain new customers together, and stores exactly what writing them
one by one through the customer services stores."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huike.accounts.models import User
from huike.core import crypto
from huike.core.models import ChangeLog
from huike.identity.models import MatchCandidate
from huike.intake import services
from huike.intake.services import ConsentGiven, Item
from huike.parties import privacy
from huike.parties.models import GoldenValue, Observation, Party, SearchKey
from huike.parties.tests.factories import person
from huike.privacy.models import ConsentRecord, PartyConsent, Purpose

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
RESIDENT_ID = "11010519491231002X"


@pytest.fixture
def mei(make_user: MakeUser) -> User:
    return make_user("salesperson", username="mei")


def stored(pk: int) -> dict[str, Any]:
    """What a customer's rows say, without ids, times counted from when its values were
    collected (a call without ``collected_at`` collects them when it arrives)."""
    party = Party.objects.get(pk=pk)
    base = min(Observation.objects.filter(party=party).values_list("collected_at", flat=True))

    def since(moment: datetime.datetime | None) -> datetime.timedelta | None:
        return moment - base if moment is not None else None

    golden_values = GoldenValue.objects.filter(party=party).select_related(
        "attribute", "observation"
    )
    return {
        "party": (party.kind, party.name, party.pinyin, party.owner_id, party.stage, party.version),
        "golden": {
            code: (crypto.is_sealed(value), privacy.plain(code, value))
            for code, value in party.golden.items()
        },
        "observations": sorted(
            (
                o.attribute.code,
                o.value_text[:3],
                o.source,
                o.source_ref.split("#")[1],
                o.collector_id,
                o.collector_name,
                since(o.collected_at),
                o.consent,
                o.note,
                o.confidence,
            )
            for o in Observation.objects.filter(party=party).select_related("attribute")
        ),
        "golden_values": sorted(
            (
                g.attribute.code,
                g.value_text[:3],
                g.observation.attribute_id == g.attribute_id,
                since(g.confirmed_at),
                since(g.stale_at),
            )
            for g in golden_values
        ),
        "keys": sorted(SearchKey.objects.filter(party=party).values_list("kind", "value")),
        "changes": sorted(
            (c.action, c.actor_name, sorted(c.changes.items()))
            for c in ChangeLog.objects.filter(content_type__model="party", object_id=str(pk))
        ),
        "consents": sorted(
            (r.purpose.code, r.status, r.channel, r.evidence, since(r.occurred_at), r.notice_id)
            for r in ConsentRecord.objects.filter(party=party).select_related("purpose")
        ),
        "current": sorted(
            PartyConsent.objects.filter(party=party).values_list("purpose__code", "granted")
        ),
    }


def items(collected: datetime.datetime) -> list[Item]:
    return [
        Item(
            name="王小明",
            attributes={
                "mobile": "138 0013 8000",
                "email": "XM@Example.com",
                "resident_id": RESIDENT_ID,
                "birth_date": "1990-05-01",
                "external_id": "POS-1",
            },
            source="intake:pos:store-12",
            collector="cashier 0042",
            collected_at=collected,
            consent=[ConsentGiven("marketing", evidence="box ticked"), ConsentGiven("service")],
        ),
        Item(name="Acme 有限公司", kind="organization", attributes={"website": "acme.example"}),
    ]


def receive(actor: User, entries: list[Any]) -> list[services.Outcome]:
    return services.receive(entries, actor=actor).outcomes


def test_new_customers_written_together_are_stored_as_one_by_one(
    mei: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_by_one: list[str] = []
    create_party = services.parties.create_party

    def counted(**kwargs: Any) -> Party:
        one_by_one.append(kwargs["name"])
        return create_party(**kwargs)

    monkeypatch.setattr(services.parties, "create_party", counted)
    collected = (timezone.now() - datetime.timedelta(days=3)).replace(microsecond=0)
    together = receive(mei, items(collected))
    assert [o.status for o in together] == ["created", "created"] and one_by_one == []
    assert all(o.observations for o in together) and together[0].consents
    written = [stored(o.party) for o in together if o.party]

    # Every item through ``create_party``, as before items were written together.
    monkeypatch.setattr(services, "_create_together", lambda *args, **kwargs: {})
    again = items(collected)
    for item in again:
        item.policy = "create"  # the same people again, as new customers
    alone = receive(mei, again)

    assert [o.status for o in alone] == ["created", "created"]
    assert one_by_one == ["王小明", "Acme 有限公司"]
    assert [len(o.observations) for o in alone] == [len(o.observations) for o in together]
    assert [stored(o.party) for o in alone if o.party] == written
    # Lineage: the stale date counts from when the value was collected, not when it arrived.
    mobile = GoldenValue.objects.get(party_id=alone[0].party or 0, attribute__code="mobile")
    assert mobile.confirmed_at == collected
    assert mobile.stale_at is not None and mobile.stale_at > collected


def test_a_batch_of_new_customers_costs_a_few_queries_each_not_dozens(mei: User) -> None:
    def batch(start: int, count: int) -> list[Item]:
        return [
            Item(name=f"客户{n}", attributes={"mobile": f"1390000{n:04d}"})
            for n in range(start, start + count)
        ]

    with CaptureQueriesContext(connection) as one:
        receive(mei, batch(0, 1))
    with CaptureQueriesContext(connection) as forty:
        outcomes = receive(mei, batch(100, 40))

    assert [o.status for o in outcomes] == ["created"] * 40, (len(one), len(forty))
    assert Party.objects.count() == 41
    # One by one, each new customer cost as many queries as the whole call of one.
    assert len(forty) < 4 * len(one) < 40 * len(one)


def test_items_that_depend_on_earlier_ones_still_read_them_in_order(mei: User) -> None:
    known = person("老客户", actor=mei, owner=mei, attributes={"mobile": "13700137000"})
    entries: list[Any] = [
        Item(name="甲", attributes={"email": "jia@example.com"}),
        Item(name="老客户", attributes={"mobile": "13700137000", "wechat": "old"}),
        Item(name="甲", attributes={"email": "JIA@example.com", "wechat": "jia"}),
        {"name": ["not read"]},
        Item(name="乙", attributes={"mobile": "12345"}),
        Item(name="丙", attributes={"mobile": "13600136000"}, match=known.pk),
        Item(name="丁", attributes={"mobile": "13500135000"}),
    ]

    outcomes = receive(mei, entries)

    assert [o.status for o in outcomes] == [
        "created",
        "updated",
        "updated",
        "rejected",
        "rejected",
        "updated",
        "created",
    ]
    assert outcomes[0].party == outcomes[2].party
    assert outcomes[1].party == outcomes[5].party == known.pk
    first = Party.objects.get(pk=outcomes[0].party or 0)
    assert first.golden["wechat"] == "jia"
    assert "mobile" in outcomes[4].errors["attributes"]
    assert Party.objects.count() == 3


def test_a_consent_the_ledger_refuses_sends_the_call_one_by_one(mei: User) -> None:
    Purpose.objects.filter(code="marketing").update(is_active=False)
    entries = [
        Item(name="甲", attributes={"mobile": "13900139001"}),
        Item(name="乙", attributes={"mobile": "13900139002"}, consent=[ConsentGiven("marketing")]),
    ]

    outcomes = receive(mei, entries)

    assert [o.status for o in outcomes] == ["created", "rejected"]
    assert "retired" in str(outcomes[1].errors["consent"])
    assert list(Party.objects.values_list("name", flat=True)) == ["甲"]
    assert Observation.objects.filter(party_id=outcomes[0].party or 0).count() == 2


def test_new_customers_of_one_call_are_queued_as_likely_duplicates(mei: User) -> None:
    same = {"birth_date": "1985-03-04", "home_address": "杭州市西湖区文三路 90 号"}
    entries = [
        Item(name="赵六", attributes={"mobile": "13900139011", **same}),
        Item(name="赵六", attributes={"mobile": "13900139012", **same}),
    ]

    first, second = receive(mei, entries)

    pair = MatchCandidate.objects.get()
    assert {pair.party_a_id, pair.party_b_id} == {first.party, second.party}
    assert pair.found_by == MatchCandidate.FoundBy.ENTRY


def test_the_intake_benchmark_posts_the_same_call_both_ways(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from huike.intake import bench

    monkeypatch.setenv("HUIKE_BENCH_INTAKE_ITEMS", "12")
    rate, seconds = bench.intake(1)

    assert (rate.bench, rate.unit, seconds.bench) == (
        "intake.new.12.items_per_s",
        "items/s",
        "intake.new.12.seconds",
    )
    assert rate.value > 0 and rate.baseline > 0 and seconds.ratio > 0
    # Both ways wrote their customers, with the consent given at the till.
    assert Party.objects.filter(name__startswith="会员").count() == 24
    assert ConsentRecord.objects.filter(purpose__code="marketing").count() == 24
