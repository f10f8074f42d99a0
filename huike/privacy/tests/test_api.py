"""``/api/v1/purposes/`` and ``/api/v1/consents/``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from huike.accounts.models import User
from huike.parties.tests.factories import person
from huike.privacy.models import ConsentRecord, PartyConsent
from huike.privacy.tests.factories import RECORD_CONSENT, allow, grant, withdraw

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
TokenClient = Callable[[User], APIClient]
PURPOSES = "/api/v1/purposes/"
CONSENTS = "/api/v1/consents/"


@pytest.fixture
def mei(make_user: MakeUser) -> User:
    return allow(make_user("salesperson", username="mei"), *RECORD_CONSENT)


@pytest.fixture
def mei_api(token_client: TokenClient, mei: User) -> APIClient:
    return token_client(mei)


def test_purposes_are_readable_by_everyone_signed_in(
    token_client: TokenClient, make_user: MakeUser, api_client: APIClient
) -> None:
    response = token_client(make_user("analyst")).get(PURPOSES)

    assert response.status_code == 200
    purposes = {p["code"]: p for p in response.json()["results"]}
    assert set(purposes) == {"service", "marketing", "profiling", "sharing", "sensitive_data"}
    marketing = purposes["marketing"]
    assert marketing["legal_basis"] == "consent"
    assert marketing["current_notice"]["version"] == 1
    assert "mobile" in marketing["attributes"]
    assert purposes["service"]["current_notice"] is None
    assert api_client.get(PURPOSES).status_code == 401


def test_one_purpose_by_its_code(mei_api: APIClient) -> None:
    response = mei_api.get(PURPOSES + "sensitive_data/")

    assert response.status_code == 200
    assert response.json()["requires_separate_consent"] is True


def test_recording_a_grant(mei_api: APIClient, mei: User) -> None:
    zhang = person("张三", owner=mei)

    response = mei_api.post(
        CONSENTS,
        {
            "party": zhang.pk,
            "purpose": "marketing",
            "status": "granted",
            "notice_version": 1,
            "notice_language": "en",
            "channel": "web_form",
            "evidence": "form submission 8812",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["purpose"] == "marketing"
    assert body["status"] == "granted"
    assert body["notice_version"] == 1
    assert body["notice_text"].startswith("I agree")
    assert body["collected_by"] == "mei"
    assert PartyConsent.objects.get(party=zhang).granted


def test_recording_a_withdrawal(mei_api: APIClient, mei: User) -> None:
    zhang = person("张三", owner=mei)
    grant(zhang, "marketing")

    response = mei_api.post(
        CONSENTS,
        {"party": zhang.pk, "purpose": "marketing", "status": "withdrawn", "channel": "phone"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["channel"] == "phone"
    assert not PartyConsent.objects.get(party=zhang).granted


def test_a_customer_out_of_scope_reads_as_unknown(mei_api: APIClient, make_user: MakeUser) -> None:
    theirs = person("李四", owner=make_user("salesperson"))

    response = mei_api.post(
        CONSENTS,
        {"party": theirs.pk, "purpose": "marketing", "status": "granted"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "party" in response.json()["errors"]
    assert str(theirs.pk) in response.json()["errors"]["party"][0]
    assert not ConsentRecord.objects.exists()


def test_service_refusals_answer_400_with_the_field(mei_api: APIClient, mei: User) -> None:
    zhang = person("张三", owner=mei)

    separate = mei_api.post(
        CONSENTS,
        {"party": zhang.pk, "purpose": "sensitive_data", "status": "granted"},
        format="json",
    )
    unknown_version = mei_api.post(
        CONSENTS,
        {"party": zhang.pk, "purpose": "marketing", "status": "granted", "notice_version": 9},
        format="json",
    )

    assert separate.status_code == 400
    assert set(separate.json()["errors"]) == {"notice_version", "evidence"}
    assert unknown_version.status_code == 400
    assert "notice_version" in unknown_version.json()["errors"]
    assert not ConsentRecord.objects.exists()


def test_recording_needs_the_add_permission(token_client: TokenClient, make_user: MakeUser) -> None:
    marketer = allow(make_user("marketer"), "privacy.view_consentrecord")
    zhang = person("张三")

    response = token_client(marketer).post(
        CONSENTS, {"party": zhang.pk, "purpose": "marketing", "status": "granted"}, format="json"
    )

    assert response.status_code == 403
    assert token_client(make_user("analyst")).get(CONSENTS).status_code == 403


def test_a_retried_post_with_the_same_idempotency_key_records_once(
    mei_api: APIClient, mei: User
) -> None:
    zhang = person("张三", owner=mei)
    body = {"party": zhang.pk, "purpose": "marketing", "status": "granted", "evidence": "x"}

    first = mei_api.post(CONSENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="consent-1")
    again = mei_api.post(CONSENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="consent-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert ConsentRecord.objects.count() == 1


def test_the_ledger_lists_customers_in_scope_and_filters(
    mei_api: APIClient, mei: User, make_user: MakeUser
) -> None:
    zhang, wang = person("张三", owner=mei), person("王五", owner=mei)
    grant(zhang, "marketing")
    withdraw(zhang, "marketing")
    grant(wang, "profiling")
    grant(person("李四", owner=make_user("salesperson")), "marketing")

    def ids(**query: Any) -> set[int]:
        response = mei_api.get(CONSENTS, query)
        assert response.status_code == 200
        return {row["party"] for row in response.json()["results"]}

    assert ids() == {zhang.pk, wang.pk}
    assert ids(party=zhang.pk) == {zhang.pk}
    assert ids(purpose="profiling") == {wang.pk}
    statuses = [r["status"] for r in mei_api.get(CONSENTS, {"party": zhang.pk}).json()["results"]]
    assert sorted(statuses) == ["granted", "withdrawn"]
    assert ids(status="withdrawn") == {zhang.pk}


def test_a_ledger_row_out_of_scope_answers_404(mei_api: APIClient, make_user: MakeUser) -> None:
    record = grant(person("李四", owner=make_user("salesperson")), "marketing")

    assert mei_api.get(f"{CONSENTS}{record.pk}/").status_code == 404


def _count(client: APIClient) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CONSENTS).status_code == 200
    return len(queries)


def test_the_ledger_api_query_count_does_not_grow_with_the_number_of_rows(
    mei_api: APIClient, mei: User
) -> None:
    for index in range(3):
        grant(person(f"客户{index}", owner=mei), "marketing")
    _count(mei_api)
    few = _count(mei_api)
    for index in range(12):
        grant(person(f"顾客{index}", owner=mei), "profiling")

    assert _count(mei_api) == few


def test_the_schema_documents_the_consent_endpoints(
    token_client: TokenClient, admin_user: User
) -> None:
    schema = token_client(admin_user).get("/api/v1/schema/?format=json").json()

    assert "/api/v1/consents/" in schema["paths"]
    assert "/api/v1/purposes/{code}/" in schema["paths"]
    parameters = schema["paths"]["/api/v1/parties/"]["get"]["parameters"]
    assert "consent" in {p["name"] for p in parameters}
