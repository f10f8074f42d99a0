"""``/api/v1/subject-requests/`` and ``/api/v1/suppressions/check/``."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from huike.accounts.models import User
from huike.accounts.tests.factories import TeamFactory
from huike.parties.models import Party
from huike.parties.tests.factories import person
from huike.subjects import services
from huike.subjects.models import SubjectRequest
from huike.subjects.tests.conftest import grant
from huike.subjects.tests.helpers import MOBILE, unzip, verified_request, zhang

pytestmark = pytest.mark.django_db

URL = "/api/v1/subject-requests/"
CHECK = "/api/v1/suppressions/check/"


@pytest.fixture
def api(token_client: Callable[[User], APIClient], dpo: User) -> APIClient:
    return token_client(dpo)


def test_an_access_request_through_the_api(api: APIClient, dpo: User) -> None:
    party = zhang(dpo)

    created = api.post(
        URL,
        {
            "kind": "access",
            "requester_name": "张三",
            "requester_contact": MOBILE,
            "party": party.pk,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="dsr-1",
    )
    assert created.status_code == 201, created.data
    body = created.json()
    assert body["status"] == "received" and body["party"] == party.pk
    number = body["id"]
    due = datetime.datetime.fromisoformat(body["due_at"])
    received = datetime.datetime.fromisoformat(body["received_at"])
    assert due - received == datetime.timedelta(days=15)
    again = api.post(
        URL,
        {
            "kind": "access",
            "requester_name": "张三",
            "requester_contact": MOBILE,
            "party": party.pk,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="dsr-1",
    )
    assert again["Idempotent-Replayed"] == "true" and SubjectRequest.objects.count() == 1

    early = api.post(f"{URL}{number}/fulfil/")
    assert early.status_code == 400 and early.json()["code"] == "invalid"
    verified = api.post(
        f"{URL}{number}/verify/", {"method": "email", "evidence": "Reply from address on record"}
    )
    assert verified.status_code == 200 and verified.json()["status"] == "identity_verified"
    assert api.post(f"{URL}{number}/start/").json()["status"] == "in_progress"
    fulfilled = api.post(f"{URL}{number}/fulfil/")
    assert fulfilled.status_code == 200
    assert fulfilled.json()["status"] == "fulfilled"
    assert fulfilled.json()["download"].endswith(f"{URL}{number}/download/")

    download = api.get(f"{URL}{number}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    files = unzip(b"".join(download.streaming_content))  # type: ignore[attr-defined]
    assert files["subject.json"]["sections"]["customer"][0]["id"] == party.pk


def test_refusing_through_the_api_needs_a_reason(api: APIClient) -> None:
    request = services.open_request(actor=None, kind="erasure", requester_name="李四")
    missing = api.post(f"{URL}{request.pk}/refuse/", {"reason": ""}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["errors"]
    refused = api.post(f"{URL}{request.pk}/refuse/", {"reason": "Not our customer"})
    assert refused.status_code == 200 and refused.json()["status"] == "refused"


def test_an_erasure_through_the_api(api: APIClient, dpo: User) -> None:
    party = zhang(dpo)
    request = verified_request(party, dpo, kind="erasure")

    response = api.post(f"{URL}{request.pk}/erase/")

    assert response.status_code == 200, response.data
    body = response.json()
    assert body["request"]["status"] == "fulfilled"
    assert body["summary"]["observations"] == {"observations": 4}
    assert body["summary"]["suppressed"] == {"email": 1, "id": 1, "phone": 1}
    party.refresh_from_db()
    assert party.erased_at is not None
    assert api.post(f"{URL}{request.pk}/erase/").status_code == 400
    assert api.get(CHECK, {"value": "+86 138 0013 8000"}).json() == {
        "suppressed": True,
        "kinds": ["phone"],
    }
    assert api.post(CHECK, {"value": "13900139000"}).json()["suppressed"] is False
    answer = api.post(
        CHECK, {"values": {"mobile": "138 0013 8000", "email": "other@example.com"}}, format="json"
    ).json()
    assert answer == {"suppressed": True, "codes": ["mobile"]}


def test_a_blocked_erasure_answers_409_and_restricts(
    api: APIClient, dpo: User, temporary_provider: Callable[..., Any]
) -> None:
    party = zhang(dpo)
    request = verified_request(party, dpo, kind="erasure")
    temporary_provider("orders", hold=lambda p: "invoice not yet paid")

    response = api.post(f"{URL}{request.pk}/erase/")

    assert response.status_code == 409
    assert response.json()["code"] == "erasure_blocked"
    assert response.json()["reasons"] == ["orders: invoice not yet paid"]
    party.refresh_from_db()
    assert party.processing_restricted and party.erased_at is None


def test_the_list_filters_as_the_queue_does(api: APIClient) -> None:
    now = timezone.now()
    late = services.open_request(
        actor=None, kind="access", requester_name="a", received_at=now - datetime.timedelta(days=20)
    )
    services.open_request(actor=None, kind="erasure", requester_name="b")

    overdue = api.get(URL, {"due": "overdue"}).json()["results"]
    assert [row["id"] for row in overdue] == [late.pk] and overdue[0]["overdue"] is True
    assert len(api.get(URL, {"kind": "erasure"}).json()["results"]) == 1


def test_the_list_query_count_does_not_grow(api: APIClient) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(URL).status_code == 200
        return len(queries)

    for number in range(3):
        verified_request(person(f"客户{number}"), None)
    count()  # the first request also reads the session, token and permissions
    few = count()
    for number in range(12):
        verified_request(person(f"顾客{number}"), None)
    assert count() == few


def test_api_permissions_and_scope(
    token_client: Callable[[User], APIClient],
    api_client: APIClient,
    make_user: Callable[..., User],
) -> None:
    east, west = TeamFactory.create(), TeamFactory.create()
    theirs = verified_request(person("西区", team=west), None, kind="erasure")
    ours = verified_request(person("东区", team=east), None, kind="access")

    assert api_client.get(URL).status_code in (401, 403)
    seller = token_client(make_user("salesperson"))
    assert seller.get(URL).status_code == 403
    assert seller.get(CHECK, {"value": MOBILE}).status_code == 403
    grant("manager", "view_subjectrequest", "change_subjectrequest")
    lead = token_client(make_user("manager", team=east))
    assert [row["id"] for row in lead.get(URL).json()["results"]] == [ours.pk]
    assert lead.get(f"{URL}{theirs.pk}/").status_code == 404
    assert lead.post(f"{URL}{theirs.pk}/refuse/", {"reason": "x"}).status_code == 404
    # without erase_party / export_subject
    assert lead.post(f"{URL}{ours.pk}/fulfil/").status_code == 403
    assert lead.get(f"{URL}{ours.pk}/download/").status_code == 403
    erasure = verified_request(person("东区二", team=east), None, kind="erasure")
    assert lead.post(f"{URL}{erasure.pk}/erase/").status_code == 403
    assert Party.objects.filter(erased_at__isnull=False).count() == 0
