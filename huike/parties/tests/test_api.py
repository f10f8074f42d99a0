"""``/api/v1/parties/`` and its neighbours: the customer record over the REST API."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from huike.accounts.models import Team, User
from huike.accounts.tests.factories import TeamFactory
from huike.core.models import ChangeLog
from huike.parties import services
from huike.parties.models import (
    AttributeDefinition,
    Industry,
    Observation,
    Party,
    Region,
    Relationship,
    Tag,
)
from huike.parties.tests.factories import custom_definition, observe, organisation, person

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
TokenClient = Callable[[User], APIClient]
PARTIES = "/api/v1/parties/"
MOBILE = "+8613800138000"


def detail(party: Party | int) -> str:
    pk = party if isinstance(party, int) else party.pk
    return f"{PARTIES}{pk}/"


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


@pytest.fixture
def east() -> Team:
    return TeamFactory.create(name="East")


@pytest.fixture
def mei(make_user: MakeUser, east: Team) -> User:
    return make_user("salesperson", username="mei", team=east)


@pytest.fixture
def mei_api(token_client: TokenClient, mei: User) -> APIClient:
    return token_client(mei)


@pytest.fixture
def admin_api(token_client: TokenClient, admin_user: User) -> APIClient:
    return token_client(admin_user)


# --- Create -----------------------------------------------------------------------------------


def test_posting_a_person_answers_201_with_the_golden_record(mei_api: APIClient, mei: User) -> None:
    response = mei_api.post(
        PARTIES,
        {
            "kind": "person",
            "name": "张三",
            "attributes": {"mobile": "138 0013 8000", "email": "ZS@Example.com", "gender": "男"},
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == Party.objects.get().pk
    assert body["name"] == "张三"
    assert body["pinyin"] == "zhang san"
    assert body["kind"] == "person"
    assert body["version"] == 1
    assert body["attributes"] == {
        "name": "张三",
        "mobile": MOBILE,
        "email": "zs@example.com",
        "gender": "male",
    }
    assert body["owner"] == "mei"  # a salesperson's new customer is her own


def test_values_sent_through_the_api_are_observations_from_the_api(
    mei_api: APIClient, mei: User
) -> None:
    mei_api.post(
        PARTIES,
        {
            "kind": "person",
            "name": "张三",
            "attributes": {"mobile": "13800138000"},
            "provenance": {"consent": "sms", "note": "booth 3"},
        },
        format="json",
    )

    observation = Observation.objects.get(attribute__code="mobile")
    assert observation.source == "manual"  # an edit through the API is a manual edit
    assert observation.source_ref == "api token:test"
    assert observation.collector == mei
    assert (observation.consent, observation.note) == ("sms", "booth 3")


def test_an_invalid_phone_answers_400_under_attributes_and_saves_nothing(
    mei_api: APIClient,
) -> None:
    response = mei_api.post(
        PARTIES,
        {"kind": "person", "name": "张三", "attributes": {"mobile": "12345"}},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == {"attributes": {"mobile": ["“12345” is not a valid phone number."]}}
    assert not Party.objects.exists()
    assert not Observation.objects.exists()


def test_an_unknown_kind_answers_400(mei_api: APIClient) -> None:
    response = mei_api.post(PARTIES, {"kind": "robot", "name": "R2"}, format="json")

    assert response.status_code == 400
    assert "kind" in response.json()["errors"]
    assert not Party.objects.exists()


def test_an_attribute_that_does_not_apply_answers_400(mei_api: APIClient) -> None:
    response = mei_api.post(
        PARTIES,
        {"kind": "person", "name": "张三", "attributes": {"uscc": "91110000600037341L"}},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]["attributes"]) == ["uscc"]
    assert not Party.objects.exists()


def test_an_organisation_is_created_with_region_industry_and_tags(admin_api: APIClient) -> None:
    Tag.objects.create(name="重点")

    response = admin_api.post(
        PARTIES,
        {
            "kind": "organization",
            "name": "华为技术有限公司",
            "region": "330106",
            "industry": "65",
            "tags": ["重点"],
            "stage": "customer",
            "attributes": {"uscc": "91110000600037341L", "registered_capital": "¥4,000,000"},
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["region"], body["industry"], body["tags"], body["stage"]) == (
        "330106",
        "65",
        ["重点"],
        "customer",
    )
    assert body["attributes"]["registered_capital"] == {"amount": "4000000.00", "currency": "CNY"}


def test_a_retried_create_with_an_idempotency_key_creates_one_party(mei_api: APIClient) -> None:
    payload = {"kind": "person", "name": "张三", "attributes": {"mobile": "13800138000"}}

    first = mei_api.post(PARTIES, payload, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    again = mei_api.post(PARTIES, payload, format="json", HTTP_IDEMPOTENCY_KEY="p-1")

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Party.objects.count() == 1
    assert Observation.objects.count() == 2


def test_a_role_without_add_party_cannot_create(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    response = token_client(make_user("analyst")).post(
        PARTIES, {"kind": "person", "name": "张三"}, format="json"
    )

    assert response.status_code == 403
    assert not Party.objects.exists()


def test_anonymous_callers_get_401(api_client: APIClient) -> None:
    assert api_client.get(PARTIES).status_code == 401


# --- Read, search, lineage --------------------------------------------------------------------


def test_the_list_searches_with_q(admin_api: APIClient) -> None:
    person("张三", attributes={"mobile": "13800138000"})
    person("李四")

    assert [row["name"] for row in results(admin_api.get(PARTIES, {"q": "zs"}))] == ["张三"]
    assert [row["name"] for row in results(admin_api.get(PARTIES, {"q": "8000"}))] == ["张三"]
    assert {row["name"] for row in results(admin_api.get(PARTIES))} == {"张三", "李四"}


def test_the_detail_carries_an_etag_of_the_version(admin_api: APIClient) -> None:
    party = person("张三")

    response = admin_api.get(detail(party))

    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["attributes"] == {"name": "张三"}


def test_lineage_lists_every_observation_newest_first(
    admin_api: APIClient, mei: User, admin_user: User
) -> None:
    party = person("张三", actor=mei, owner=mei, attributes={"mobile": "13800138000"})
    observe(party, {"mobile": "13900139000"}, source="import", days_ago=-1)
    observe(party, {"mobile": "13700137000"}, source="api", actor=admin_user, days_ago=-2)

    response = admin_api.get(f"{detail(party)}lineage/", {"attribute": "mobile"})

    assert response.status_code == 200
    rows = response.json()
    assert [(row["value"], row["source"], row["collector"]) for row in rows] == [
        ("+8613700137000", "api", "boss"),
        ("+8613900139000", "import", "system"),
        (MOBILE, "manual", "mei"),
    ]
    assert all(row["attribute"] == "mobile" for row in rows)


def test_lineage_of_an_unknown_attribute_answers_400(admin_api: APIClient) -> None:
    party = person("张三")

    response = admin_api.get(f"{detail(party)}lineage/", {"attribute": "shoe_size"})

    assert response.status_code == 400
    assert "attribute" in response.json()["errors"]


# --- Update -----------------------------------------------------------------------------------


def test_patch_with_the_current_version_saves_and_answers_the_new_etag(
    admin_api: APIClient,
) -> None:
    party = person("张三")

    response = admin_api.patch(
        detail(party),
        {"stage": "vip", "attributes": {"mobile": "13800138000"}},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    assert response.json()["attributes"]["mobile"] == MOBILE
    assert Party.objects.get().stage == "vip"


def test_patch_with_a_stale_version_answers_412_and_changes_nothing(
    admin_api: APIClient,
) -> None:
    party = person("张三")
    admin_api.patch(detail(party), {"stage": "customer"}, format="json", HTTP_IF_MATCH='"1"')
    observations = Observation.objects.count()

    response = admin_api.patch(
        detail(party),
        {"name": "李四", "stage": "lost", "attributes": {"mobile": "13800138000"}},
        format="json",
        HTTP_IF_MATCH='W/"1"',
    )

    assert response.status_code == 412
    body = response.json()
    assert body["code"] == "version_conflict"
    assert "version 2" in body["detail"]
    stored = Party.objects.get()
    assert (stored.name, stored.stage, stored.version) == ("张三", "customer", 2)
    assert Observation.objects.count() == observations


def test_patch_without_if_match_renames_a_customer_the_api_created(admin_api: APIClient) -> None:
    created = admin_api.post(PARTIES, {"kind": "person", "name": "张三"}, format="json").json()

    response = admin_api.patch(detail(created["id"]), {"name": "李四"}, format="json")

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["pinyin"]) == ("李四", "li si")
    assert response["ETag"] == '"2"'
    assert [row["name"] for row in results(admin_api.get(PARTIES, {"q": "ls"}))] == ["李四"]


def test_an_api_edit_replaces_a_name_a_colleague_typed_and_keeps_the_old_one(
    admin_api: APIClient,
) -> None:
    party = person("张三")  # typed in the UI: a manual observation

    response = admin_api.patch(detail(party), {"name": "张叁"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "张叁"
    lineage = admin_api.get(f"{detail(party)}lineage/", {"attribute": "name"}).json()
    assert [(row["value"], row["source"], row["source_ref"]) for row in lineage] == [
        ("张叁", "manual", "api token:test"),
        ("张三", "manual", ""),
    ]


def test_a_channel_reporting_through_observations_does_not_beat_a_manual_value(
    admin_api: APIClient,
) -> None:
    party = person("张三", attributes={"mobile": "13800138000"})

    response = admin_api.post(
        "/api/v1/observations/",
        {"party": party.pk, "attributes": {"mobile": "13900139000"}, "source": "import"},
        format="json",
    )

    assert response.status_code == 201
    assert admin_api.get(detail(party)).json()["attributes"]["mobile"] == "+8613800138000"


def test_an_if_match_that_is_not_a_version_answers_400(admin_api: APIClient) -> None:
    party = person("张三")

    response = admin_api.patch(
        detail(party), {"stage": "vip"}, format="json", HTTP_IF_MATCH='"abc"'
    )

    assert response.status_code == 400
    assert Party.objects.get().stage == "prospect"


def test_patch_cannot_change_the_kind(admin_api: APIClient) -> None:
    party = person("张三")

    response = admin_api.patch(detail(party), {"kind": "organization"}, format="json")

    assert response.status_code == 400
    assert "kind" in response.json()["errors"]
    assert Party.objects.get().kind == "person"


def test_patch_with_an_invalid_value_answers_400_and_saves_nothing(admin_api: APIClient) -> None:
    party = person("张三")

    response = admin_api.patch(
        detail(party), {"stage": "vip", "attributes": {"email": "nope"}}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]["attributes"]) == ["email"]
    stored = Party.objects.get()
    assert (stored.stage, stored.version) == ("prospect", 1)


def test_delete_removes_the_party_and_logs_it(admin_api: APIClient, admin_user: User) -> None:
    party = person("张三")

    response = admin_api.delete(detail(party))

    assert response.status_code == 204
    assert not Party.objects.exists()
    assert ChangeLog.objects.filter(object_id=str(party.pk), action="delete").get().actor == (
        admin_user
    )


def test_a_salesperson_may_not_delete_even_her_own_customers(mei_api: APIClient, mei: User) -> None:
    party = person("张三", owner=mei)

    assert mei_api.delete(detail(party)).status_code == 403
    assert Party.objects.filter(pk=party.pk).exists()


# --- Scope ------------------------------------------------------------------------------------


def test_a_salesperson_lists_only_her_own_customers(
    mei_api: APIClient, mei: User, make_user: MakeUser, east: Team
) -> None:
    person("张三", owner=mei)
    person("李四", owner=make_user("salesperson", team=east), team=east)

    assert [row["name"] for row in results(mei_api.get(PARTIES))] == ["张三"]


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("get", "lineage/?attribute=name", None),
        ("patch", "", {"stage": "vip"}),
        ("put", "", {"kind": "person", "name": "李四"}),
        ("delete", "", None),
    ],
)
def test_a_party_out_of_scope_answers_404(
    token_client: TokenClient,
    make_user: MakeUser,
    east: Team,
    method: str,
    suffix: str,
    payload: dict[str, Any] | None,
) -> None:
    # given a manager of the East team and a customer of another salesperson in no team
    manager = make_user("manager", team=east)
    party = person("张三", owner=make_user("salesperson"))

    response = getattr(token_client(manager), method)(
        detail(party) + suffix, payload, format="json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    stored = Party.objects.get(pk=party.pk)
    assert (stored.name, stored.stage) == ("张三", "prospect")


def test_a_manager_reaches_her_teams_customers(
    token_client: TokenClient, make_user: MakeUser, east: Team
) -> None:
    manager = make_user("manager", team=east)
    party = person("张三", owner=make_user("salesperson", team=east), team=east)

    assert token_client(manager).get(detail(party)).status_code == 200
    assert token_client(manager).delete(detail(party)).status_code == 204


# --- Filters ----------------------------------------------------------------------------------


@pytest.fixture
def filtered(admin_user: User, mei: User) -> dict[str, Party]:
    vip = Tag.objects.create(name="重点")
    long_ago = timezone.now() - datetime.timedelta(days=400)
    parties = {
        "xihu": organisation(
            "西湖软件有限公司",
            region=Region.objects.get(code="330106"),
            industry=Industry.objects.get(code="65"),
            stage=Party.Stage.CUSTOMER,
            owner=mei,
            tags=[vip],
            attributes={"scale": "large"},
        ),
        "ningbo": organisation(
            "宁波港有限公司",
            region=Region.objects.get(code="330200"),
            industry=Industry.objects.get(code="55"),
            attributes={"scale": "small"},
            provenance=services.Provenance(collected_at=long_ago),
        ),
        "beijing": person(
            "王五",
            region=Region.objects.get(code="110101"),
            stage=Party.Stage.VIP,
            owner=admin_user,
        ),
    }
    return parties


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"region": "330000"}, {"xihu", "ningbo"}),
        ({"region": "330100"}, {"xihu"}),
        ({"region": "330106"}, {"xihu"}),
        ({"region": "CN"}, {"xihu", "ningbo", "beijing"}),
        ({"region": "999999"}, set()),
        ({"industry": "I"}, {"xihu"}),
        ({"industry": "65"}, {"xihu"}),
        ({"industry": "G"}, {"ningbo"}),
        ({"stage": "customer"}, {"xihu"}),
        ({"stage": ["customer", "vip"]}, {"xihu", "beijing"}),
        ({"owner": "mei"}, {"xihu"}),
        ({"tag": "重点"}, {"xihu"}),
        ({"kind": "person"}, {"beijing"}),
        ({"stale": "true"}, {"ningbo"}),
        ({"stale": "false"}, {"xihu", "beijing"}),
        ({"attr.scale": "large"}, {"xihu"}),
        ({"attr.scale": "small", "region": "330000"}, {"ningbo"}),
        ({"attr.scale": "medium"}, set()),
        ({"q": "西湖", "region": "330000"}, {"xihu"}),
    ],
)
def test_the_list_filters(
    admin_api: APIClient, filtered: dict[str, Party], params: dict[str, Any], found: set[str]
) -> None:
    names = {party.pk: key for key, party in filtered.items()}

    rows = results(admin_api.get(PARTIES, params))

    assert {names[row["id"]] for row in rows} == found


def test_an_unknown_owner_in_a_filter_answers_400(
    admin_api: APIClient, filtered: dict[str, Party]
) -> None:
    response = admin_api.get(PARTIES, {"owner": "nobody"})

    assert response.status_code == 400
    assert "owner" in response.json()["errors"]


# --- Observations -----------------------------------------------------------------------------


def test_posting_observations_adds_values_for_a_party(mei_api: APIClient, mei: User) -> None:
    party = person("张三", owner=mei)

    response = mei_api.post(
        "/api/v1/observations/",
        {
            "party": party.pk,
            "source": "pos",
            "attributes": {"email": "zs@example.com", "mobile": "13800138000"},
            "provenance": {"source_ref": "till 4", "consent": "receipt"},
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    rows = response.json()
    assert {row["attribute"] for row in rows} == {"email", "mobile"}
    assert {(row["source"], row["source_ref"], row["collector"]) for row in rows} == {
        ("pos", "till 4", "mei")
    }
    stored = Party.objects.get(pk=party.pk)
    assert stored.golden["email"] == "zs@example.com"
    assert stored.version == 2


def test_a_retried_observation_post_records_one_set_of_observations(
    mei_api: APIClient, mei: User
) -> None:
    party = person("张三", owner=mei)
    payload = {"party": party.pk, "attributes": {"mobile": "13800138000"}}

    first = mei_api.post("/api/v1/observations/", payload, format="json", HTTP_IDEMPOTENCY_KEY="o1")
    again = mei_api.post("/api/v1/observations/", payload, format="json", HTTP_IDEMPOTENCY_KEY="o1")

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Observation.objects.filter(party=party, attribute__code="mobile").count() == 1


def test_posting_an_invalid_observation_answers_400_and_records_nothing(
    mei_api: APIClient, mei: User
) -> None:
    party = person("张三", owner=mei)

    response = mei_api.post(
        "/api/v1/observations/",
        {"party": party.pk, "attributes": {"mobile": "12345", "email": "zs@example.com"}},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]["attributes"]) == ["mobile"]
    assert Observation.objects.filter(party=party).count() == 1  # the name


def test_observations_for_a_party_out_of_scope_answer_404(
    mei_api: APIClient, make_user: MakeUser
) -> None:
    party = person("张三", owner=make_user("salesperson"))

    response = mei_api.post(
        "/api/v1/observations/",
        {"party": party.pk, "attributes": {"mobile": "13800138000"}},
        format="json",
    )

    assert response.status_code == 404
    assert Observation.objects.filter(party=party).count() == 1


def test_the_observation_list_shows_only_visible_parties_and_filters_by_attribute(
    mei_api: APIClient, mei: User, make_user: MakeUser
) -> None:
    mine = person("张三", owner=mei, attributes={"mobile": "13800138000"})
    person("李四", owner=make_user("salesperson"), attributes={"mobile": "13900139000"})

    everything = results(mei_api.get("/api/v1/observations/"))
    mobiles = results(mei_api.get("/api/v1/observations/", {"attribute": "mobile"}))

    assert {row["party"] for row in everything} == {mine.pk}
    assert [(row["attribute"], row["value"]) for row in mobiles] == [("mobile", MOBILE)]


# --- Attribute definitions --------------------------------------------------------------------


def test_any_signed_in_user_reads_the_attribute_definitions(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    nobody = make_user(None)  # no role, no permissions

    response = token_client(nobody).get("/api/v1/attributes/", {"page_size": 500})

    codes = {row["code"] for row in results(response)}
    assert {"name", "mobile", "uscc", "lunar_birthday", "external_id"} <= codes
    mobile = next(row for row in response.json()["results"] if row["code"] == "mobile")
    assert (mobile["validator"], mobile["is_system"]) == ("phone", True)


def test_only_permitted_users_create_attribute_definitions(
    mei_api: APIClient, admin_api: APIClient
) -> None:
    payload = {
        "code": "favourite_tea",
        "label_zh": "喜欢的茶",
        "label_en": "Favourite tea",
        "data_type": "choice",
        "choices": [{"value": "green", "zh": "绿茶", "en": "Green tea"}],
        "applies_to": "person",
    }

    refused = mei_api.post("/api/v1/attributes/", payload, format="json")
    created = admin_api.post("/api/v1/attributes/", payload, format="json")

    assert refused.status_code == 403
    assert created.status_code == 201, created.content
    assert created.json()["is_system"] is False
    assert AttributeDefinition.objects.get(code="favourite_tea").label_en == "Favourite tea"


def test_a_choice_definition_without_choices_answers_400(admin_api: APIClient) -> None:
    response = admin_api.post(
        "/api/v1/attributes/",
        {"code": "tea", "label_zh": "茶", "label_en": "Tea", "data_type": "choice"},
        format="json",
    )

    assert response.status_code == 400
    assert "choices" in response.json()["errors"]
    assert not AttributeDefinition.objects.filter(code="tea").exists()


@pytest.mark.parametrize(
    ("payload", "key"),
    [({"is_active": False}, "is_active"), ({"data_type": "number"}, "data_type")],
)
def test_built_in_fields_cannot_be_retired_or_change_type_through_the_api(
    admin_api: APIClient, payload: dict[str, Any], key: str
) -> None:
    mobile = AttributeDefinition.objects.get(code="mobile")

    response = admin_api.patch(f"/api/v1/attributes/{mobile.pk}/", payload, format="json")

    assert response.status_code == 400
    assert key in response.json()["errors"]
    mobile.refresh_from_db()
    assert (mobile.is_active, mobile.data_type) == (True, "text")


def test_a_custom_field_can_be_retired_but_not_deleted(admin_api: APIClient) -> None:
    tea = custom_definition("tea", "text")

    retired = admin_api.patch(f"/api/v1/attributes/{tea.pk}/", {"is_active": False}, format="json")
    deleted = admin_api.delete(f"/api/v1/attributes/{tea.pk}/")

    assert retired.status_code == 200
    assert deleted.status_code == 405
    tea.refresh_from_db()
    assert not tea.is_active


# --- Relationships ----------------------------------------------------------------------------


def test_relationships_are_created_listed_and_deleted(mei_api: APIClient, mei: User) -> None:
    zhang = person("张三", owner=mei)
    huawei = organisation(owner=mei)

    created = mei_api.post(
        "/api/v1/relationships/",
        {
            "from_party": zhang.pk,
            "to_party": huawei.pk,
            "kind": "employment",
            "title": "CTO",
            "stakeholder_role": "decision_maker",
            "influence": 5,
        },
        format="json",
    )

    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    listed = results(mei_api.get("/api/v1/relationships/", {"party": huawei.pk}))
    assert [(row["id"], row["title"]) for row in listed] == [(pk, "CTO")]
    assert mei_api.delete(f"/api/v1/relationships/{pk}/").status_code == 204
    assert not Relationship.objects.exists()
    assert ChangeLog.objects.filter(object_id=str(zhang.pk), message__startswith="- ").exists()


def test_a_relationship_to_an_invisible_party_is_refused(
    mei_api: APIClient, mei: User, make_user: MakeUser
) -> None:
    zhang = person("张三", owner=mei)
    theirs = organisation(owner=make_user("salesperson"))

    response = mei_api.post(
        "/api/v1/relationships/",
        {"from_party": zhang.pk, "to_party": theirs.pk, "kind": "employment"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"to_party": ["No such customer."]}
    assert not Relationship.objects.exists()


def test_a_relationship_against_the_kind_rules_answers_400(mei_api: APIClient, mei: User) -> None:
    zhang = person("张三", owner=mei)
    huawei = organisation(owner=mei)

    response = mei_api.post(
        "/api/v1/relationships/",
        {"from_party": huawei.pk, "to_party": zhang.pk, "kind": "employment"},
        format="json",
    )

    assert response.status_code == 400
    assert "kind" in response.json()["errors"]


def test_relationships_with_an_invisible_end_are_not_listed_or_deletable(
    mei_api: APIClient, mei: User, make_user: MakeUser
) -> None:
    zhang = person("张三", owner=mei)
    theirs = organisation(owner=make_user("salesperson"))
    hidden = services.save_relationship(
        Relationship(), actor=None, from_party=zhang, to_party=theirs, kind="employment"
    )

    assert results(mei_api.get("/api/v1/relationships/")) == []
    assert mei_api.delete(f"/api/v1/relationships/{hidden.pk}/").status_code == 404
    assert Relationship.objects.filter(pk=hidden.pk).exists()


# --- Reference data ---------------------------------------------------------------------------


def test_regions_by_parent_list_the_cities_of_zhejiang(mei_api: APIClient) -> None:
    rows = results(mei_api.get("/api/v1/regions/", {"parent": "330000", "page_size": "100"}))

    assert len(rows) == 11
    assert {row["code"] for row in rows} >= {"330100", "330200", "331100"}
    hangzhou = next(row for row in rows if row["code"] == "330100")
    assert (hangzhou["name_zh"], hangzhou["level"], hangzhou["parent"]) == (
        "杭州市",
        "city",
        "330000",
    )


def test_industries_are_found_by_chinese_name(mei_api: APIClient) -> None:
    rows = results(mei_api.get("/api/v1/industries/", {"q": "软件"}))

    assert {row["code"] for row in rows} == {"I", "65"}


def test_a_region_is_read_by_its_code(mei_api: APIClient) -> None:
    response = mei_api.get("/api/v1/regions/330106/")

    assert response.status_code == 200
    assert response.json()["path"] == "CN/330000/330100/330106"


# --- Query counts -----------------------------------------------------------------------------


def make_parties(count: int, owner: User) -> None:
    vip = Tag.objects.get_or_create(name="重点")[0]
    region = Region.objects.get(code="330106")
    industry = Industry.objects.get(code="65")
    for number in range(count):
        person(
            f"客户{number}",
            owner=owner,
            region=region,
            industry=industry,
            tags=[vip],
            attributes={"mobile": f"1380013{number:04d}"},
        )


def count_queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_party_list_costs_the_same_queries_for_3_and_20_parties(
    admin_api: APIClient, admin_user: User
) -> None:
    make_parties(3, admin_user)
    count_queries(admin_api, PARTIES)  # the token's first use records last_used_at
    few = count_queries(admin_api, PARTIES)

    make_parties(17, admin_user)
    many = count_queries(admin_api, PARTIES)

    assert len(results(admin_api.get(PARTIES))) == 20
    assert many == few


def test_the_party_detail_costs_the_same_queries_with_3_and_20_parties(
    admin_api: APIClient, admin_user: User
) -> None:
    make_parties(3, admin_user)
    first = Party.objects.order_by("pk").first()
    assert first is not None
    count_queries(admin_api, detail(first))
    few = count_queries(admin_api, detail(first))

    make_parties(17, admin_user)
    many = count_queries(admin_api, detail(first))

    assert many == few
