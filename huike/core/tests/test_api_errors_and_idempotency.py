"""The API's one error format and ``Idempotency-Key`` replays, seen through /api/v1/teams/."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from huike.accounts.models import Team, User
from huike.core.models import IdempotencyRecord

TEAMS = "/api/v1/teams/"
CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(admin_user: User, token_client: Callable[[User], APIClient]) -> APIClient:
    return token_client(admin_user)


def _post(client: APIClient, body: object, key: str | None = None) -> Any:
    headers: dict[str, Any] = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(TEAMS, body, format="json", **headers)


# --- Idempotency ----------------------------------------------------------------------------


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer_without_a_second_write(
    admin_api: APIClient,
) -> None:
    body = {"name": "华东销售部", "description": "East"}

    first = _post(admin_api, body, key="create-team-1")
    second = _post(admin_api, body, key="create-team-1")

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert Team.objects.filter(name="华东销售部").count() == 1


def test_the_same_key_with_a_different_body_is_refused_with_422(admin_api: APIClient) -> None:
    _post(admin_api, {"name": "Sales"}, key="k1")

    response = _post(admin_api, {"name": "Service"}, key="k1")

    assert response.status_code == 422
    body = response.json()
    assert body["status"] == 422
    assert body["code"] == "idempotency_key_reused"
    assert body["detail"]
    assert not Team.objects.filter(name="Service").exists()


def test_posts_without_a_key_are_not_deduplicated(admin_api: APIClient) -> None:
    first = _post(admin_api, {"name": "A"})
    second = _post(admin_api, {"name": "B"})

    assert (first.status_code, second.status_code) == (201, 201)
    assert IdempotencyRecord.objects.count() == 0


def test_a_key_longer_than_255_characters_is_refused_with_400(admin_api: APIClient) -> None:
    response = _post(admin_api, {"name": "Sales"}, key="k" * 256)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert not Team.objects.exists()


def test_a_key_of_255_characters_is_accepted(admin_api: APIClient) -> None:
    response = _post(admin_api, {"name": "Sales"}, key="k" * 255)

    assert response.status_code == 201


def test_a_key_with_control_characters_is_refused_with_400(admin_api: APIClient) -> None:
    response = _post(admin_api, {"name": "Sales"}, key="bad\x01key")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"


def test_a_retry_while_the_first_request_is_still_running_gets_409(
    admin_api: APIClient,
) -> None:
    _post(admin_api, {"name": "Sales"}, key="k1")
    # Given the first request has not finished yet (its answer is not stored)
    IdempotencyRecord.objects.update(status_code=None, response_body=None)

    response = _post(admin_api, {"name": "Sales"}, key="k1")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"


def test_keys_are_forgotten_after_the_replay_window(admin_api: APIClient) -> None:
    _post(admin_api, {"name": "Sales"}, key="k1")
    old = IdempotencyRecord.objects.get().created_at - settings.IDEMPOTENCY_TTL
    IdempotencyRecord.objects.update(created_at=old)

    response = _post(admin_api, {"name": "Service"}, key="k1")

    assert response.status_code == 201
    assert Team.objects.count() == 2


def test_keys_belong_to_one_user(
    admin_api: APIClient,
    make_user: Callable[..., User],
    token_client: Callable[[User], APIClient],
) -> None:
    other = token_client(make_user("administrator"))
    _post(admin_api, {"name": "Sales"}, key="k1")

    response = _post(other, {"name": "Service"}, key="k1")

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


def test_a_request_refused_for_permission_stores_no_key(
    make_user: Callable[..., User], token_client: Callable[[User], APIClient]
) -> None:
    client = token_client(make_user("salesperson"))

    response = _post(client, {"name": "Sales"}, key="k1")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not IdempotencyRecord.objects.exists()


# --- Error format ---------------------------------------------------------------------------


def test_malformed_json_answers_400_parse_error_with_a_detail(admin_api: APIClient) -> None:
    response = admin_api.post(TEAMS, data='{"name": ', content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["code"] == "parse_error"
    assert "JSON" in body["detail"]
    assert "errors" not in body


def test_invalid_data_answers_400_invalid_with_errors_per_field(admin_api: APIClient) -> None:
    response = _post(admin_api, {"description": "no name"})

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["code"] == "invalid"
    assert body["detail"]
    assert list(body["errors"]) == ["name"]
    assert body["errors"]["name"]


def test_a_duplicate_caught_by_the_service_answers_400_invalid(admin_api: APIClient) -> None:
    _post(admin_api, {"name": "Sales"})

    response = _post(admin_api, {"name": "Sales"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "name" in response.json()["errors"]


def test_an_unknown_api_url_answers_404_json(admin_api: APIClient) -> None:
    response = admin_api.get("/api/v1/nope/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == 404
    assert body["code"] == "not_found"
    assert body["detail"]


def test_an_unknown_object_answers_404_json(admin_api: APIClient) -> None:
    response = admin_api.get(TEAMS + "999999/")

    assert response.status_code == 404
    assert response.json() == {"status": 404, "code": "not_found", "detail": "Not found."}


def test_a_request_without_credentials_answers_401_json(api_client: APIClient) -> None:
    response = api_client.get(TEAMS)

    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }


def test_a_revoked_or_unknown_token_answers_401_authentication_failed(
    api_client: APIClient,
) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Token hk_not-a-real-key")

    response = api_client.get(TEAMS)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_errors_speak_the_callers_language(api_client: APIClient) -> None:
    response = api_client.get(TEAMS, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 401
    assert CJK.search(response.json()["detail"])
    assert response["Content-Language"] == "zh-hans"


def test_a_number_too_large_for_the_database_is_a_400_not_a_server_error(
    admin_api: APIClient, admin_user: User
) -> None:
    response = admin_api.get("/api/v1/consents/", {"party": "9" * 30})

    # SQLite cannot take the number (400); PostgreSQL answers that nothing matches.
    assert response.status_code in (400, 200), response.content
    if response.status_code == 400:
        assert response.json()["code"] == "parse_error"
    else:
        assert response.json()["results"] == []
