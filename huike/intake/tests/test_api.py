"""``POST /api/v1/intake/``: points of sale, events and other systems report customers."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from rest_framework.test import APIClient

from huike.accounts.models import Role, User
from huike.accounts.tests.factories import UserFactory
from huike.core import crypto
from huike.core.models import ChangeLog, IdempotencyRecord
from huike.intake.models import IntakeRequest
from huike.parties import privacy
from huike.parties.models import GoldenValue, Observation, Party
from huike.parties.tests.factories import person
from huike.privacy.models import ConsentRecord, PartyConsent
from huike.privacy.tests.factories import notice

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
TokenClient = Callable[[User], APIClient]
URL = "/api/v1/intake/"
MOBILE = "13800138000"


def an_hour_ago() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=1)


def send(client: APIClient, body: Any, **headers: Any) -> Any:
    return client.post(URL, body, format="json", **headers)


def counts() -> tuple[int, int, int, int]:
    return (
        Party.objects.count(),
        Observation.objects.count(),
        ConsentRecord.objects.count(),
        IntakeRequest.objects.count(),
    )


@pytest.fixture
def mei(make_user: MakeUser) -> User:
    return make_user("salesperson", username="mei")


@pytest.fixture
def mei_api(token_client: TokenClient, mei: User) -> APIClient:
    return token_client(mei)


# --- One item, provenance on every value ---------------------------------------------------


def test_one_item_creates_a_customer_whose_values_say_where_they_came_from(
    mei_api: APIClient, mei: User
) -> None:
    collected = an_hour_ago().replace(microsecond=0)

    response = send(
        mei_api,
        {
            "name": "张三",
            "attributes": {"mobile": "138 0013 8000", "email": "ZS@Example.com"},
            "source": "pos:store-12",
            "collector": "cashier 0042",
            "collected_at": collected.isoformat(),
            "consent": "marketing",
        },
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    request_id = body["request"]
    assert (body["created"], body["updated"], body["skipped"], body["rejected"]) == (1, 0, 0, 0)
    [result] = body["results"]
    assert result["index"] == 0 and result["status"] == "created" and result["errors"] == {}
    party = Party.objects.get(pk=result["party"])
    assert party.name == "张三" and party.owner == mei
    assert party.golden["mobile"] == "+8613800138000" and party.golden["email"] == "zs@example.com"
    observations = Observation.objects.filter(party=party)
    assert sorted(result["observations"]) == sorted(o.pk for o in observations)
    assert {o.attribute.code for o in observations} == {"name", "mobile", "email"}
    for observation in observations:
        assert observation.source == "intake:pos:store-12"
        assert observation.source_ref == f"intake {request_id} #0"
        assert observation.collector == mei and observation.collector_name == "mei"
        assert observation.collected_at == collected
        assert observation.consent == "marketing"
        assert observation.note == "cashier 0042"
    call = IntakeRequest.objects.get(pk=request_id)
    assert call.received_by == mei and call.token_name == "test"
    assert (call.items, call.created, call.rejected) == (1, 1, 0)


def test_defaults_source_intake_collected_now_and_kind_person(mei_api: APIClient) -> None:
    before = timezone.now()

    response = send(mei_api, {"name": "李四", "attributes": {"mobile": "13900139000"}})

    party = Party.objects.get(pk=response.json()["results"][0]["party"])
    assert party.kind == Party.Kind.PERSON
    observation = Observation.objects.get(party=party, attribute__code="mobile")
    assert observation.source == "intake" and observation.consent == ""
    assert observation.collected_at >= before


def test_a_long_source_label_is_cut_to_what_a_source_holds(mei_api: APIClient) -> None:
    response = send(
        mei_api, {"name": "王五", "source": "event:spring-fair-2026-hangzhou-west-lake"}
    )

    party = Party.objects.get(pk=response.json()["results"][0]["party"])
    source = Observation.objects.get(party=party).source
    assert source == "intake:event:spring-fair-2026-" and len(source) == 30


def test_an_organisation_item(mei_api: APIClient) -> None:
    response = send(
        mei_api,
        {
            "kind": "organization",
            "name": "深圳市腾达贸易有限公司",
            "attributes": {"uscc": "91350100M000100Y43"},
        },
    )

    party = Party.objects.get(pk=response.json()["results"][0]["party"])
    assert party.kind == Party.Kind.ORGANIZATION and "uscc" in party.golden


# --- Batches and per-item errors -----------------------------------------------------------


def test_a_batch_keeps_the_good_items_and_rejects_each_bad_one_with_its_reasons(
    mei_api: APIClient,
) -> None:
    items: list[Any] = [
        {"name": "甲", "attributes": {"mobile": "13900000001"}},
        {"name": "乙", "attributes": {"mobile": "12345"}},
        {"name": "丙", "attributes": {"shoe_size": "42"}},
        "not an object",
        {"attributes": {"mobile": "13900000005"}},
        {"name": "戊", "phone": "13900000006"},
        {"name": "己", "policy": "merge"},
        {"name": "庚", "attributes": {"mobile": "13900000008"}},
    ]

    response = send(mei_api, {"items": items})

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["rejected"]) == (2, 6)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(8))
    assert [r["status"] for r in results] == ["created"] + ["rejected"] * 6 + ["created"]
    assert "mobile" in results[1]["errors"]["attributes"]
    assert results[2]["errors"]["attributes"] == {"shoe_size": ["Unknown attribute “shoe_size”."]}
    assert "non_field_errors" in results[3]["errors"]
    assert results[4]["errors"] == {"name": ["A customer needs a name."]}
    assert results[5]["errors"] == {"phone": ["Unknown field."]}
    assert "policy" in results[6]["errors"]
    for rejected in results[1:7]:
        assert rejected["party"] is None and rejected["observations"] == []
    assert set(Party.objects.values_list("name", flat=True)) == {"甲", "庚"}
    assert IntakeRequest.objects.get().rejected == 6


def test_a_rejected_item_leaves_nothing_behind_even_after_writing(
    mei_api: APIClient, mei: User
) -> None:
    # Given consent that the ledger refuses only after the customer would have been created
    # (separate consent needs evidence),
    before = counts()

    response = send(
        mei_api,
        {
            "name": "赵六",
            "attributes": {"mobile": "13900139001"},
            "consent": [{"purpose": "sharing", "notice_version": 1}],
        },
    )

    # then the item is rejected and its savepoint rolled back.
    [result] = response.json()["results"]
    assert result["status"] == "rejected"
    assert "evidence" in result["errors"]["consent"]["0"]
    assert counts()[:3] == before[:3]
    assert not ChangeLog.objects.filter(object_repr="赵六").exists()


# --- Matching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "item",
    [
        {"attributes": {"mobile": "+86 138-0013-8000"}},
        {"attributes": {"email": "ZHANG@example.com"}},
        {"external_id": "POS-77"},
        {"attributes": {"external_id": "POS-77"}},
    ],
    ids=["mobile", "email", "external_id", "attributes.external_id"],
)
def test_an_item_updates_the_customer_it_matches(
    mei_api: APIClient, mei: User, item: dict[str, Any]
) -> None:
    zhang = person(
        "张三",
        owner=mei,
        attributes={"mobile": MOBILE, "email": "zhang@example.com", "external_id": "POS-77"},
    )

    response = send(
        mei_api, {**item, "attributes": {**item.get("attributes", {}), "wechat": "zs88"}}
    )

    [result] = response.json()["results"]
    assert result["status"] == "updated" and result["party"] == zhang.pk
    assert Party.objects.count() == 1
    zhang.refresh_from_db()
    assert zhang.golden["wechat"] == "zs88"
    assert len(result["observations"]) == len(item.get("attributes", {})) + 1 + (
        "external_id" in item
    )


def test_a_matching_name_becomes_an_observation_but_manual_entry_still_wins(
    mei_api: APIClient, mei: User
) -> None:
    zhang = person("张三", owner=mei, attributes={"mobile": MOBILE})

    response = send(mei_api, {"name": "张叁", "attributes": {"mobile": MOBILE}})

    assert response.json()["results"][0]["party"] == zhang.pk
    assert Observation.objects.filter(party=zhang, attribute__code="name").count() == 2
    zhang.refresh_from_db()
    assert zhang.name == "张三"


def test_policy_create_makes_a_new_customer_despite_a_match(mei_api: APIClient, mei: User) -> None:
    zhang = person("张三", owner=mei, attributes={"mobile": MOBILE})

    response = send(mei_api, {"name": "张三", "attributes": {"mobile": MOBILE}, "policy": "create"})

    [result] = response.json()["results"]
    assert result["status"] == "created" and result["party"] != zhang.pk
    assert Party.objects.count() == 2


def test_policy_skip_leaves_a_matched_customer_alone_and_creates_new_ones(
    mei_api: APIClient, mei: User
) -> None:
    zhang = person("张三", owner=mei, attributes={"mobile": MOBILE})
    observations = Observation.objects.count()

    response = send(
        mei_api,
        {
            "items": [
                {"name": "张三", "attributes": {"mobile": MOBILE}, "policy": "skip"},
                {"name": "新客", "attributes": {"mobile": "13900139002"}, "policy": "skip"},
            ]
        },
    )

    skipped, created = response.json()["results"]
    assert skipped == {
        "index": 0,
        "status": "skipped",
        "party": zhang.pk,
        "observations": [],
        "consents": [],
        "errors": {},
    }
    assert created["status"] == "created"
    assert Observation.objects.filter(party=zhang).count() == observations


def test_two_items_of_one_batch_about_the_same_person_make_one_customer(
    mei_api: APIClient,
) -> None:
    response = send(
        mei_api,
        {
            "items": [
                {"name": "孙七", "attributes": {"mobile": "13900139003"}},
                {"name": "孙七", "attributes": {"mobile": "13900139003", "wechat": "sq7"}},
            ]
        },
    )

    first, second = response.json()["results"]
    assert (first["status"], second["status"]) == ("created", "updated")
    assert first["party"] == second["party"]


def test_an_explicit_match_adds_to_that_customer(mei_api: APIClient, mei: User) -> None:
    zhang = person("张三", owner=mei)

    response = send(mei_api, {"match": zhang.pk, "attributes": {"email": "zs@example.com"}})

    [result] = response.json()["results"]
    assert result["status"] == "updated" and result["party"] == zhang.pk


def test_an_explicit_match_out_of_scope_reads_as_no_such_customer(
    mei_api: APIClient, make_user: MakeUser
) -> None:
    # Given a customer of another salesperson, and an id nobody has,
    other = person("外人", owner=make_user("salesperson"), attributes={"mobile": MOBILE})
    missing = Party.objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]
    before = Observation.objects.filter(party=other).count()

    # when both are named,
    response = send(
        mei_api,
        {
            "items": [
                {"match": other.pk, "attributes": {"email": "x@example.com"}},
                {"match": missing, "attributes": {"email": "x@example.com"}},
            ]
        },
    )

    # then both are refused alike and the other salesperson's customer is untouched.
    hidden, nonexistent = response.json()["results"]
    assert hidden["status"] == nonexistent["status"] == "rejected"
    assert hidden["errors"] == nonexistent["errors"] == {"match": ["No such customer."]}
    assert hidden["party"] is None
    assert Observation.objects.filter(party=other).count() == before
    assert "外人" not in response.content.decode()


def test_a_match_found_by_mobile_out_of_scope_is_neither_changed_nor_revealed(
    mei_api: APIClient, mei: User, make_user: MakeUser
) -> None:
    other = person("外人", owner=make_user("salesperson"), attributes={"mobile": MOBILE})

    response = send(mei_api, {"name": "外人", "attributes": {"mobile": MOBILE}})

    [result] = response.json()["results"]
    assert result["status"] == "created" and result["party"] != other.pk
    assert Party.objects.get(pk=result["party"]).owner == mei
    assert Observation.objects.filter(party=other).count() == 2  # name and mobile, as before


def test_an_explicit_match_cannot_change_the_kind_or_go_with_policy_create(
    mei_api: APIClient, mei: User
) -> None:
    zhang = person("张三", owner=mei)

    response = send(
        mei_api,
        {
            "items": [
                {"match": zhang.pk, "kind": "organization", "name": "张三公司"},
                {"match": zhang.pk, "policy": "create", "name": "张三"},
            ]
        },
    )

    kind, policy = response.json()["results"]
    assert "kind" in kind["errors"] and "policy" in policy["errors"]


# --- Consent -------------------------------------------------------------------------------


def test_consent_goes_to_the_ledger_with_evidence_channel_api_and_the_collection_time(
    mei_api: APIClient, mei: User
) -> None:
    collected = an_hour_ago().replace(microsecond=0)

    response = send(
        mei_api,
        {
            "name": "周八",
            "attributes": {"mobile": "13900139004"},
            "collected_at": collected.isoformat(),
            "consent": [
                {"purpose": "marketing", "evidence": "sign-up form 1234, box ticked"},
                "service",
            ],
        },
    )

    [result] = response.json()["results"]
    [record] = ConsentRecord.objects.all()
    assert result["consents"] == [record.pk]  # service rests on the contract: no ledger row
    assert record.party_id == result["party"] and record.purpose.code == "marketing"
    assert record.channel == "api" and record.evidence == "sign-up form 1234, box ticked"
    assert record.collected_by == mei and record.occurred_at == collected
    assert record.status == "granted"
    assert PartyConsent.objects.get(party_id=result["party"]).granted
    observation = Observation.objects.get(party_id=result["party"], attribute__code="mobile")
    assert observation.consent == "marketing, service"


def test_consent_names_the_notice_version_shown(mei_api: APIClient) -> None:
    shown = notice("marketing")

    response = send(
        mei_api,
        {"name": "吴九", "consent": [{"purpose": "marketing", "notice_version": shown.version}]},
    )

    record = ConsentRecord.objects.get(pk=response.json()["results"][0]["consents"][0])
    assert record.notice == shown and record.notice_text


def test_separate_consent_needs_the_notice_and_evidence(mei_api: APIClient) -> None:
    sensitive = notice("sensitive_data")

    response = send(
        mei_api,
        {
            "items": [
                {"name": "郑十", "consent": [{"purpose": "sensitive_data", "evidence": "signed"}]},
                {
                    "name": "郑十一",
                    "consent": [
                        {
                            "purpose": "sensitive_data",
                            "evidence": "signed form 9",
                            "notice_version": sensitive.version,
                        }
                    ],
                },
            ]
        },
    )

    without_notice, complete = response.json()["results"]
    assert without_notice["status"] == "rejected"
    assert "notice_version" in without_notice["errors"]["consent"]["0"]
    assert complete["status"] == "created" and len(complete["consents"]) == 1


def test_unknown_purposes_and_notice_versions_are_refused(mei_api: APIClient) -> None:
    response = send(
        mei_api,
        {
            "items": [
                {"name": "甲", "consent": "newsletter"},
                {"name": "乙", "consent": [{"purpose": "marketing", "notice_version": 99}]},
                {"name": "丙", "consent": 7},
                {"name": "丁", "consent": [{"purpose": "marketing", "signed": True}]},
            ]
        },
    )

    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 4
    assert results[0]["errors"] == {
        "consent": {"0": {"purpose": ["Unknown purpose “newsletter”."]}}
    }
    assert "notice_version" in results[1]["errors"]["consent"]["0"]
    assert "consent" in results[2]["errors"]
    assert results[3]["errors"]["consent"]["0"] == {"signed": ["Unknown field."]}
    assert not Party.objects.exists()


def test_consent_needs_the_right_to_record_consent(
    token_client: TokenClient,
) -> None:
    # Given a till whose role may send customers but not record consent,
    role = Role.objects.create(code="till", name="Till", record_scope="own", edit_personal=True)
    role.permissions.add(Permission.objects.get(codename="submit_intake"))
    till = token_client(UserFactory.create(role=role))

    response = send(till, {"items": [{"name": "甲", "consent": "marketing"}, {"name": "乙"}]})

    refused, accepted = response.json()["results"]
    assert refused["errors"] == {"consent": ["Your role may not record consent."]}
    assert accepted["status"] == "created"


# --- Times ---------------------------------------------------------------------------------


def test_a_time_of_collection_in_the_future_or_without_time_zone_is_refused(
    mei_api: APIClient,
) -> None:
    tomorrow = timezone.now() + datetime.timedelta(days=1)

    response = send(
        mei_api,
        {
            "items": [
                {"name": "甲", "collected_at": tomorrow.isoformat()},
                {"name": "乙", "collected_at": "2026-03-01T10:30:00"},
                {"name": "丙", "collected_at": "yesterday"},
                {"name": "丁", "collected_at": "2026-03-01T10:30:00Z"},
            ]
        },
    )

    future, naive, nonsense, utc = response.json()["results"]
    assert future["errors"] == {"collected_at": ["The time of collection cannot be in the future."]}
    assert naive["errors"] == {
        "collected_at": ["Give the time with its time zone, e.g. 2026-03-01T10:30:00+08:00."]
    }
    assert "collected_at" in nonsense["errors"]
    assert utc["status"] == "created"


# --- Idempotency ---------------------------------------------------------------------------


BATCH = {
    "items": [
        {"name": "钱一", "attributes": {"mobile": "13900139005"}, "consent": "marketing"},
        {"name": "钱二", "attributes": {"email": "qian2@example.com"}},
        {"name": "钱三", "attributes": {"mobile": "bad"}},
    ]
}


def test_the_same_batch_twice_with_the_same_key_gives_one_set_of_observations(
    mei_api: APIClient,
) -> None:
    key = str(uuid.uuid4())

    first = send(mei_api, BATCH, HTTP_IDEMPOTENCY_KEY=key)
    after_first = counts()
    second = send(mei_api, BATCH, HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == second.status_code == 200
    assert counts() == after_first
    assert after_first[:2] == (2, 4)  # two customers; name and one contact each
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert second.json() == first.json()


def test_without_a_key_a_retry_writes_again(mei_api: APIClient) -> None:
    send(mei_api, {"name": "孙", "attributes": {"wechat": "s1"}})
    send(mei_api, {"name": "孙", "attributes": {"wechat": "s1"}})

    assert Party.objects.count() == 2  # nothing to match by: name alone is no key


def test_a_key_reused_for_another_body_is_refused(mei_api: APIClient) -> None:
    send(mei_api, BATCH, HTTP_IDEMPOTENCY_KEY="k-1")
    before = counts()

    response = send(mei_api, {"name": "别的"}, HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert counts() == before


def test_the_key_is_kept_with_the_call(mei_api: APIClient) -> None:
    response = send(mei_api, {"name": "钱四"}, HTTP_IDEMPOTENCY_KEY="till-7-0001")

    assert IntakeRequest.objects.get(pk=response.json()["request"]).idempotency_key == (
        "till-7-0001"
    )
    assert IdempotencyRecord.objects.get().key == "till-7-0001"


# --- Request-level errors ------------------------------------------------------------------


def test_more_than_1000_items_are_refused_whole(mei_api: APIClient) -> None:
    response = send(mei_api, {"items": [{"name": "甲"}] * 1001})

    assert response.status_code == 413
    assert response.json()["code"] == "too_many_items"
    assert counts() == (0, 0, 0, 0)


def test_a_body_over_the_upload_limit_is_refused(mei_api: APIClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = send(mei_api, {"items": [{"name": "甲" * 100}] * 20})
    keyed = send(mei_api, {"items": [{"name": "乙" * 100}] * 20}, HTTP_IDEMPOTENCY_KEY="big")

    assert response.status_code == keyed.status_code == 413
    assert response.json()["code"] == keyed.json()["code"] == "too_large"
    assert counts() == (0, 0, 0, 0)


def test_bad_json_is_a_parse_error(mei_api: APIClient) -> None:
    response = mei_api.post(URL, '{"name": "张三",', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([{"name": "甲"}], "non_field_errors"),
        ("张三", "non_field_errors"),
        ({"items": []}, "items"),
        ({"items": {"name": "甲"}}, "items"),
        ({"items": [{"name": "甲"}], "source": "pos"}, "source"),
    ],
    ids=["list", "string", "empty batch", "items not a list", "batch-level field"],
)
def test_a_body_that_is_neither_an_item_nor_a_batch_is_refused(
    mei_api: APIClient, body: Any, field: str
) -> None:
    response = send(mei_api, body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert counts() == (0, 0, 0, 0)


def test_only_json_is_accepted(mei_api: APIClient) -> None:
    response = mei_api.post(URL, {"name": "张三"})  # multipart form

    assert response.status_code == 415


def test_anonymous_callers_are_asked_to_sign_in(api_client: APIClient) -> None:
    response = send(api_client, {"name": "张三"})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not Party.objects.exists()


@pytest.mark.parametrize("role", ["analyst", "auditor", "marketer", "data_protection_officer"])
def test_roles_without_the_intake_permission_are_refused(
    token_client: TokenClient, make_user: MakeUser, role: str
) -> None:
    response = send(token_client(make_user(role)), {"name": "张三"})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert counts() == (0, 0, 0, 0)


@pytest.mark.parametrize("role", ["salesperson", "service_agent", "manager", "administrator"])
def test_the_shipped_roles_that_take_in_customers(
    token_client: TokenClient, make_user: MakeUser, role: str
) -> None:
    response = send(token_client(make_user(role)), {"name": "张三"})

    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "created"


# --- Privacy -------------------------------------------------------------------------------


def test_a_contact_on_the_suppression_list_is_rejected(mei_api: APIClient) -> None:
    from huike.subjects import suppression

    suppression.suppress([("phone", "+8613800138000")], actor=None)

    response = send(
        mei_api,
        {"items": [{"name": "已删除", "attributes": {"mobile": MOBILE}}, {"name": "新人"}]},
    )

    erased, other = response.json()["results"]
    assert erased["status"] == "rejected"
    assert "suppression list" in erased["errors"]["attributes"]["mobile"][0]
    assert other["status"] == "created"
    assert not Party.objects.filter(name="已删除").exists()


def test_a_sensitive_value_is_stored_sealed(mei_api: APIClient) -> None:
    resident_id = "11010519491231002X"

    response = send(mei_api, {"name": "冯十二", "attributes": {"resident_id": resident_id}})

    party_id = response.json()["results"][0]["party"]
    stored = Observation.objects.get(party_id=party_id, attribute__code="resident_id")
    assert crypto.is_sealed(stored.value) and stored.value_text.startswith("bi:")
    golden = GoldenValue.objects.get(party_id=party_id, attribute__code="resident_id")
    assert crypto.is_sealed(golden.value)
    assert privacy.plain("resident_id", golden.value) == resident_id
    assert resident_id not in response.content.decode()


def test_a_role_that_may_not_edit_sensitive_values_has_that_item_rejected(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    agent = token_client(make_user("service_agent"))

    response = send(agent, {"name": "陈十三", "attributes": {"resident_id": "11010519491231002X"}})

    [result] = response.json()["results"]
    assert result["status"] == "rejected"
    assert "resident_id" in result["errors"]["attributes"]


def test_nul_characters_are_refused_per_item(mei_api: APIClient) -> None:
    response = send(mei_api, {"name": "甲", "attributes": {"wechat": "a\x00b", "x\x00": "1"}})

    [result] = response.json()["results"]
    assert result["status"] == "rejected"
    assert set(result["errors"]["attributes"]) == {"wechat", "x\x00"}


# --- The contract in the schema ------------------------------------------------------------


def test_the_schema_documents_the_endpoint(api_client: APIClient) -> None:
    schema = json.loads(api_client.get("/api/v1/schema/?format=json").content)

    operation = schema["paths"]["/api/v1/intake/"]["post"]
    assert {"200", "400", "401", "403", "413", "422"} <= set(operation["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])
    components = schema["components"]["schemas"]
    assert len(components["IntakeBodyRequest"]["oneOf"]) == 2
    # Unknown fields are refused, so a batch is never also read as an item.
    assert components["IntakeItemRequest"]["additionalProperties"] is False
    assert components["IntakeBatchRequest"]["properties"]["items"]["maxItems"] == 1000


# --- On the customer page ------------------------------------------------------------------


def test_the_customer_page_shows_which_call_who_when_and_which_consent(
    mei_api: APIClient, mei: User, client: Any
) -> None:
    collected = an_hour_ago()
    response = send(
        mei_api,
        {
            "name": "褚十四",
            "attributes": {"email": "chu@example.com"},
            "source": "pos:store-12",
            "collector": "cashier 0042",
            "collected_at": collected.isoformat(),
            "consent": "marketing",
        },
    )
    body = response.json()
    party_id = body["results"][0]["party"]
    client.force_login(mei)

    page = client.get(f"/customers/{party_id}/").content.decode()
    lineage = client.get(f"/customers/{party_id}/lineage/email/").content.decode()

    for html in (page, lineage):
        assert "intake API · pos:store-12" in html  # the channel
        assert f"intake {body['request']} #0" in html  # the API call
        assert "marketing" in html  # under which consent
    day = date_filter(timezone.localtime(collected), "SHORT_DATE_FORMAT")
    assert f"#0 · mei (cashier 0042) · {day}" in page  # who: the API user, and its collector
    assert "Collected by: </span>mei (cashier 0042)" in lineage
    assert date_filter(timezone.localtime(collected), "SHORT_DATETIME_FORMAT") in lineage
