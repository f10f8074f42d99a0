"""``POST /api/v1/parties/`` checks for likely duplicates: 409 with the candidates, unless the
client says to create anyway."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from huike.accounts.models import User
from huike.core.models import IdempotencyRecord
from huike.identity.models import MatchCandidate
from huike.parties.models import Party
from huike.parties.tests.factories import person

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
TokenClient = Callable[[User], APIClient]
PARTIES = "/api/v1/parties/"


def zhang_again(**extra: Any) -> dict[str, Any]:
    """张三 again, with the mobile already on file (typed differently)."""
    return {"kind": "person", "name": "张三", "attributes": {"mobile": "138 0013 8000"}, **extra}


@pytest.fixture
def mei(make_user: MakeUser) -> User:
    return make_user("salesperson", username="mei")


@pytest.fixture
def mei_api(token_client: TokenClient, mei: User) -> APIClient:
    return token_client(mei)


@pytest.fixture
def zhang(mei: User) -> Party:
    return person("张三", owner=mei, attributes={"mobile": "13800138000"})


def test_a_likely_duplicate_answers_409_with_the_candidates_and_saves_nothing(
    mei_api: APIClient, zhang: Party
) -> None:
    response = mei_api.post(PARTIES, zhang_again(), format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "duplicate"
    assert body["detail"].startswith("This customer may already be on file")
    [candidate] = body["candidates"]
    assert set(candidate) == {"id", "name", "url", "score", "decision", "explanation"}
    assert (candidate["id"], candidate["name"]) == (zhang.pk, "张三")
    assert candidate["url"] == f"http://testserver/api/v1/parties/{zhang.pk}/"
    assert candidate["decision"] == "same"
    assert 0.9 <= candidate["score"] <= 1
    fields = {part["field"]: part["level"] for part in candidate["explanation"]}
    assert fields["phone"] == "exact"
    assert fields["name"] == "exact"
    assert Party.objects.count() == 1
    assert not MatchCandidate.objects.exists()


@pytest.mark.parametrize(
    ("body", "query"),
    [({"create_anyway": True}, ""), ({}, "?create_anyway=1"), ({}, "?create_anyway=true")],
)
def test_create_anyway_creates_and_queues_the_pair_for_review(
    mei_api: APIClient, zhang: Party, mei: User, body: dict[str, Any], query: str
) -> None:
    response = mei_api.post(PARTIES + query, zhang_again(**body), format="json")

    assert response.status_code == 201, response.content
    assert "create_anyway" not in response.json()  # write-only
    created = Party.objects.get(pk=response.json()["id"])
    assert created.owner == mei
    pair = MatchCandidate.objects.get()
    assert (pair.party_a_id, pair.party_b_id) == (zhang.pk, created.pk)
    assert (pair.found_by, pair.status, pair.decision) == ("entry", "open", "same")


def test_create_anyway_false_is_the_default(mei_api: APIClient, zhang: Party) -> None:
    response = mei_api.post(
        PARTIES + "?create_anyway=0", zhang_again(create_anyway=False), format="json"
    )

    assert response.status_code == 409


def test_a_customer_unlike_any_on_file_is_created_without_queueing(
    mei_api: APIClient, zhang: Party
) -> None:
    response = mei_api.post(
        PARTIES,
        {"kind": "person", "name": "李四", "attributes": {"mobile": "13900139000"}},
        format="json",
    )

    assert response.status_code == 201
    assert response["ETag"] == '"1"'
    assert not MatchCandidate.objects.exists()


def test_a_candidate_the_caller_may_not_see_is_not_shown_but_is_queued(
    mei_api: APIClient, make_user: MakeUser, mei: User
) -> None:
    theirs = person("张三", owner=make_user("salesperson"), attributes={"mobile": "13800138000"})

    response = mei_api.post(PARTIES, zhang_again(), format="json")

    assert response.status_code == 201
    assert "candidates" not in response.json()
    created = Party.objects.get(pk=response.json()["id"])
    pair = MatchCandidate.objects.get()
    assert (pair.party_a_id, pair.party_b_id) == (theirs.pk, created.pk)
    assert pair.found_by == "entry"


def test_only_the_candidates_the_caller_may_see_are_listed(
    mei_api: APIClient, make_user: MakeUser, zhang: Party
) -> None:
    theirs = person("张三", owner=make_user("salesperson"), attributes={"mobile": "13800138000"})

    response = mei_api.post(PARTIES, zhang_again(), format="json")

    assert response.status_code == 409
    assert [c["id"] for c in response.json()["candidates"]] == [zhang.pk]
    created_anyway = mei_api.post(PARTIES, zhang_again(create_anyway=True), format="json")
    new = created_anyway.json()["id"]
    assert sorted(MatchCandidate.objects.values_list("party_a_id", "party_b_id")) == sorted(
        [(zhang.pk, new), (theirs.pk, new)]
    )


def test_wrong_values_answer_400_before_any_duplicate_check(
    mei_api: APIClient, zhang: Party
) -> None:
    body = zhang_again()
    body["attributes"]["email"] = "not-an-address"

    response = mei_api.post(PARTIES, body, format="json")

    assert response.status_code == 400
    assert "email" in response.json()["errors"]["attributes"]


def test_a_refusal_of_the_save_comes_before_the_duplicate_warning(
    mei_api: APIClient, zhang: Party, mei: User, make_user: MakeUser
) -> None:
    from huike.subjects.suppression import contact_points, suppress

    # given 张三's mobile on the suppression list, and another 张三 of mei's with an e-mail
    suppress(contact_points(zhang), actor=None)
    by_mail = person("张三", owner=mei, attributes={"email": "zs@example.com"})
    colleague = make_user("salesperson", username="lin")

    suppressed = mei_api.post(PARTIES, zhang_again(), format="json")
    handed_over = mei_api.post(
        PARTIES,
        {"kind": "person", "name": "张三", "attributes": {"email": "zs@example.com"}}
        | {"owner": colleague.username},
        format="json",
    )

    assert suppressed.status_code == 400
    assert "mobile" in suppressed.json()["errors"]["attributes"]
    assert handed_over.status_code == 400
    assert "owner" in handed_over.json()["errors"]
    assert set(Party.objects.values_list("pk", flat=True)) == {zhang.pk, by_mail.pk}


def test_an_idempotency_key_is_free_again_after_a_duplicate_warning(
    mei_api: APIClient, zhang: Party
) -> None:
    key: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": "new-zhang-1"}

    warned = mei_api.post(PARTIES, zhang_again(), format="json", **key)
    created = mei_api.post(PARTIES + "?create_anyway=1", zhang_again(), format="json", **key)
    replayed = mei_api.post(PARTIES + "?create_anyway=1", zhang_again(), format="json", **key)

    assert warned.status_code == 409
    assert created.status_code == 201
    assert replayed.status_code == 201
    assert replayed["Idempotent-Replayed"] == "true"
    assert replayed.json()["id"] == created.json()["id"]
    assert Party.objects.count() == 2
    assert IdempotencyRecord.objects.get().status_code == 201


def test_a_retried_create_anyway_with_its_key_creates_once(
    mei_api: APIClient, zhang: Party
) -> None:
    key: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": "new-zhang-2"}
    body = zhang_again(create_anyway=True)

    first = mei_api.post(PARTIES, body, format="json", **key)
    again = mei_api.post(PARTIES, body, format="json", **key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert Party.objects.count() == 2
    assert MatchCandidate.objects.count() == 1


def test_the_schema_documents_create_anyway_and_the_409_answer(
    token_client: TokenClient, admin_user: User
) -> None:
    schema = token_client(admin_user).get("/api/v1/schema/?format=json").json()

    operation = schema["paths"]["/api/v1/parties/"]["post"]
    assert "409" in operation["responses"]
    ref = operation["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    conflict = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"type", "detail", "candidates"} <= set(conflict["properties"])
    assert "create_anyway" in {p["name"] for p in operation.get("parameters", [])}
    request_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request = schema["components"]["schemas"][request_ref.rsplit("/", 1)[1]]
    assert request["properties"]["create_anyway"]["type"] == "boolean"
    read_ref = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    read = schema["components"]["schemas"][read_ref.rsplit("/", 1)[1]]
    assert "create_anyway" not in read["properties"]
