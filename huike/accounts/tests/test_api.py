"""The accounts API: token authentication, the caller, users and tokens, and the schema."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from huike.accounts import services
from huike.accounts.models import ApiToken, Role, User, hash_token
from huike.accounts.tests.factories import PASSWORD, UserFactory
from huike.core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
TokenClient = Callable[[User], APIClient]
NEW_PASSWORD = "a fresh pass phrase 2024"


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + key)
    return client


@pytest.fixture
def admin_api(token_client: TokenClient, admin_user: User) -> APIClient:
    return token_client(admin_user)


# --- Authentication ---------------------------------------------------------------------------


def test_me_describes_the_caller_with_role_and_permissions(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    user = make_user("auditor", username="audrey", display_name="Audrey")

    response = token_client(user).get("/api/v1/me/")

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "audrey"
    assert body["display_name"] == "Audrey"
    assert body["role"] == "auditor"
    assert body["record_scope"] == "all"
    assert body["permissions"] == [
        "accounts.view_role",
        "accounts.view_team",
        "accounts.view_user",
        "core.view_accesslog",
        "core.view_changelog",
        "identity.view_matchcandidate",
        "identity.view_merge",
        "imports.view_importjob",
        "parties.view_attributedefinition",
        "parties.view_goldenvalue",
        "parties.view_observation",
        "parties.view_party",
        "parties.view_relationship",
        "privacy.view_consentnotice",
        "privacy.view_consentrecord",
        "privacy.view_impactassessment",
        "privacy.view_partyconsent",
        "privacy.view_purpose",
        "subjects.view_retentionrule",
        "subjects.view_subjectrequest",
        "subjects.view_suppressionentry",
        "webforms.view_submission",
        "webforms.view_webform",
    ]


def test_me_for_a_salesperson_lists_only_the_permissions_to_work_customers(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    body = token_client(make_user("salesperson")).get("/api/v1/me/").json()

    assert body["role"] == "salesperson"
    assert body["record_scope"] == "own"
    # Customer work, imports and recording consent only: nothing about users, teams, roles or
    # the change log, and no deleting customers.
    assert body["permissions"] == [
        "identity.view_matchcandidate",
        "imports.add_importjob",
        "imports.change_importjob",
        "imports.view_importjob",
        "intake.submit_intake",
        "parties.add_observation",
        "parties.add_party",
        "parties.add_relationship",
        "parties.change_party",
        "parties.change_relationship",
        "parties.delete_relationship",
        "parties.view_attributedefinition",
        "parties.view_goldenvalue",
        "parties.view_observation",
        "parties.view_party",
        "parties.view_partyshare",
        "parties.view_relationship",
        "privacy.add_consentrecord",
        "privacy.view_consentrecord",
    ]


def test_a_bad_token_answers_401_in_the_api_error_format(api_client: APIClient) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Token hk_not-a-real-key")

    response = api_client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    body = response.json()
    assert body["status"] == 401
    assert body["code"] == "authentication_failed"
    assert body["detail"]


def test_a_missing_token_answers_401_not_authenticated(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["status"] == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "header",
    ["Token", "Token two parts", "Token \u00e9t\u00e9"],
    ids=["no key", "spaces", "non-ascii"],
)
def test_a_malformed_token_header_answers_401(api_client: APIClient, header: str) -> None:
    api_client.credentials(HTTP_AUTHORIZATION=header)

    response = api_client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_the_token_keyword_is_case_insensitive(make_user: MakeUser) -> None:
    user = make_user("salesperson")
    _token, key = services.issue_token(user, actor=user, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="token " + key)

    assert client.get("/api/v1/me/").status_code == 200


def test_a_revoked_token_answers_401(make_user: MakeUser) -> None:
    user = make_user("salesperson")
    token, key = services.issue_token(user, actor=user, name="t")
    assert with_key(key).get("/api/v1/me/").status_code == 200

    services.revoke_token(token, actor=user)

    response = with_key(key).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_an_expired_token_answers_401(make_user: MakeUser) -> None:
    user = make_user("salesperson")
    _token, key = services.issue_token(
        user, actor=user, name="t", expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert with_key(key).get("/api/v1/me/").status_code == 401


def test_the_token_of_a_disabled_user_answers_401(admin_user: User, make_user: MakeUser) -> None:
    user = make_user("salesperson")
    _token, key = services.issue_token(user, actor=user, name="t")
    assert with_key(key).get("/api/v1/me/").status_code == 200

    services.update_user(user, actor=admin_user, is_active=False)

    assert with_key(key).get("/api/v1/me/").status_code == 401


def test_using_a_token_records_when_it_was_last_used(make_user: MakeUser) -> None:
    user = make_user("salesperson")
    token, key = services.issue_token(user, actor=user, name="t")
    assert token.last_used_at is None

    with_key(key).get("/api/v1/me/")

    token.refresh_from_db()
    assert token.last_used_at is not None


# --- Users ------------------------------------------------------------------------------------


def test_a_salesperson_cannot_list_users(token_client: TokenClient, make_user: MakeUser) -> None:
    response = token_client(make_user("salesperson")).get("/api/v1/users/")

    assert response.status_code == 403
    assert response.json()["status"] == 403
    assert response.json()["code"] == "permission_denied"


def test_an_auditor_can_list_users_but_not_create_them(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    client = token_client(make_user("auditor"))

    assert client.get("/api/v1/users/").status_code == 200
    response = client.post("/api/v1/users/", {"username": "new"}, format="json")
    assert response.status_code == 403
    assert not User.objects.filter(username="new").exists()


def test_an_administrator_lists_users_newest_first(
    admin_api: APIClient, make_user: MakeUser
) -> None:
    make_user("salesperson", username="mei")

    response = admin_api.get("/api/v1/users/")

    assert response.status_code == 200
    body = response.json()
    assert [row["username"] for row in body["results"]] == ["mei", "boss"]
    assert body["next"] is None
    mei = body["results"][0]
    assert mei["role"] == "salesperson"
    assert "password" not in mei
    assert "is_superuser" not in mei


def test_the_user_list_pages_with_cursors(admin_api: APIClient) -> None:
    # given five users (the administrator and four more), two per page
    UserFactory.create_batch(4)
    everyone = list(User.objects.order_by("-pk").values_list("username", flat=True))

    # when we follow "next" until it is empty
    seen: list[str] = []
    url: str | None = "/api/v1/users/?page_size=2"
    while url:
        body = admin_api.get(url).json()
        assert len(body["results"]) <= 2
        seen += [row["username"] for row in body["results"]]
        url = body["next"]
        assert url is None or "cursor=" in url

    # then each user came once, in order, and no page carried a total count
    assert seen == everyone
    assert "count" not in body


def test_the_user_list_filters_by_search_and_active(
    admin_api: APIClient, make_user: MakeUser
) -> None:
    make_user("salesperson", username="mei", display_name="Mei Lin")
    make_user("salesperson", username="li", is_active=False)

    found = admin_api.get("/api/v1/users/", {"q": "mei lin"}).json()["results"]
    disabled = admin_api.get("/api/v1/users/", {"is_active": "false"}).json()["results"]
    active = admin_api.get("/api/v1/users/", {"is_active": "true"}).json()["results"]

    assert [row["username"] for row in found] == ["mei"]
    assert [row["username"] for row in disabled] == ["li"]
    assert {row["username"] for row in active} == {"boss", "mei"}


def test_the_user_list_filters_by_role_code_as_it_shows_roles(
    admin_api: APIClient, make_user: MakeUser
) -> None:
    make_user("auditor", username="audrey")
    make_user("salesperson", username="mei")

    rows = admin_api.get("/api/v1/users/", {"role": "auditor"}).json()["results"]

    assert [row["username"] for row in rows] == ["audrey"]
    assert rows[0]["role"] == "auditor"
    unknown = admin_api.get("/api/v1/users/", {"role": "astronaut"})
    assert unknown.status_code == 400 and "role" in unknown.json()["errors"]


def test_the_user_list_costs_the_same_queries_for_few_and_many_users(
    admin_api: APIClient, make_user: MakeUser
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_api.get("/api/v1/users/").status_code == 200
        return len(captured)

    make_user("salesperson")
    queries()  # the first use of a token records last_used_at; measure the steady state
    few = queries()
    for role in ("salesperson", "auditor", "manager"):
        for _ in range(8):
            make_user(role, team=None)
    many = queries()

    assert many == few


def test_an_administrator_creates_a_user_with_a_role_code(admin_api: APIClient) -> None:
    response = admin_api.post(
        "/api/v1/users/",
        {
            "username": "mei",
            "email": "mei@example.com",
            "role": "salesperson",
            "password": NEW_PASSWORD,
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["role"] == "salesperson"
    assert "password" not in response.json()
    user = User.objects.get(username="mei")
    assert user.role == Role.objects.get(code="salesperson")
    assert user.check_password(NEW_PASSWORD)


def test_the_api_cannot_make_a_superuser_or_staff(admin_api: APIClient) -> None:
    response = admin_api.post(
        "/api/v1/users/",
        {"username": "sneaky", "role": "salesperson", "is_superuser": True, "is_staff": True},
        format="json",
    )

    assert response.status_code == 201
    user = User.objects.get(username="sneaky")
    assert not user.is_superuser
    assert not user.is_staff

    admin_api.patch(
        f"/api/v1/users/{user.pk}/", {"is_superuser": True, "is_staff": True}, format="json"
    )
    user.refresh_from_db()
    assert not user.is_superuser
    assert not user.is_staff


def test_an_unknown_role_code_is_a_validation_error(admin_api: APIClient) -> None:
    response = admin_api.post(
        "/api/v1/users/", {"username": "mei", "role": "emperor"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "role" in body["errors"]
    assert not User.objects.filter(username="mei").exists()


def test_a_weak_password_is_refused_by_the_api(admin_api: APIClient) -> None:
    response = admin_api.post(
        "/api/v1/users/", {"username": "mei", "password": "123"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "password" in response.json()["errors"]  # reported against the field
    assert not User.objects.filter(username="mei").exists()


def test_a_retried_token_request_replays_without_the_key_which_is_never_stored(
    make_user: MakeUser, token_client: Callable[[User], APIClient]
) -> None:
    client = token_client(make_user("analyst", username="ana"))
    first = client.post(
        "/api/v1/tokens/", {"name": "etl"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(
        "/api/v1/tokens/", {"name": "etl"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert first.status_code == again.status_code == 201
    assert first.json()["key"].startswith("hk_")
    assert again["Idempotent-Replayed"] == "true"
    assert "key" not in again.json() and again.json()["id"] == first.json()["id"]
    stored = IdempotencyRecord.objects.get(key="k-1")
    assert first.json()["key"] not in json.dumps(stored.response_body)


def test_a_duplicate_username_is_refused_by_the_api(
    admin_api: APIClient, make_user: MakeUser
) -> None:
    make_user("salesperson", username="mei")

    response = admin_api.post("/api/v1/users/", {"username": "mei"}, format="json")

    assert response.status_code == 400
    assert "username" in response.json()["errors"]


def test_an_administrator_patches_a_user(admin_api: APIClient, make_user: MakeUser) -> None:
    user = make_user("salesperson", username="mei", display_name="Mei")

    response = admin_api.patch(
        f"/api/v1/users/{user.pk}/",
        {"display_name": "Mei Lin", "role": "manager", "password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["display_name"] == "Mei Lin"
    assert response.json()["role"] == "manager"
    user.refresh_from_db()
    assert user.role == Role.objects.get(code="manager")
    assert user.check_password(NEW_PASSWORD)


def test_an_administrator_cannot_disable_themselves_through_the_api(
    admin_api: APIClient, admin_user: User
) -> None:
    response = admin_api.patch(
        f"/api/v1/users/{admin_user.pk}/", {"is_active": False}, format="json"
    )

    assert response.status_code == 400
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_users_cannot_be_deleted_through_the_api(admin_api: APIClient, make_user: MakeUser) -> None:
    user = make_user("salesperson")

    response = admin_api.delete(f"/api/v1/users/{user.pk}/")

    assert response.status_code == 405
    assert User.objects.filter(pk=user.pk).exists()


def test_a_retried_create_with_the_same_idempotency_key_creates_one_user(
    admin_api: APIClient,
) -> None:
    payload = {"username": "mei", "role": "salesperson"}

    first = admin_api.post("/api/v1/users/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = admin_api.post("/api/v1/users/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert User.objects.filter(username="mei").count() == 1


def test_roles_are_listed_read_only(admin_api: APIClient) -> None:
    codes = {row["code"] for row in admin_api.get("/api/v1/roles/").json()["results"]}

    assert {"administrator", "salesperson", "auditor"} <= codes
    assert admin_api.post("/api/v1/roles/", {"code": "x"}, format="json").status_code == 405


# --- Tokens -----------------------------------------------------------------------------------


def test_creating_a_token_answers_with_its_key_once(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    user = make_user("salesperson")
    client = token_client(user)

    created = client.post("/api/v1/tokens/", {"name": "ERP sync"}, format="json")

    assert created.status_code == 201
    key = created.json()["key"]
    token = ApiToken.objects.get(pk=created.json()["id"])
    assert token.user == user
    assert token.digest == hash_token(key)
    assert with_key(key).get("/api/v1/me/").json()["username"] == user.username

    listed = client.get("/api/v1/tokens/")
    assert listed.status_code == 200
    assert {row["name"] for row in listed.json()["results"]} == {"test", "ERP sync"}
    assert all("key" not in row for row in listed.json()["results"])
    assert key not in listed.content.decode()


def test_a_user_sees_only_their_own_tokens(token_client: TokenClient, make_user: MakeUser) -> None:
    other = make_user("salesperson")
    services.issue_token(other, actor=other, name="theirs")

    rows = token_client(make_user("salesperson")).get("/api/v1/tokens/").json()["results"]

    assert [row["name"] for row in rows] == ["test"]


def test_deleting_a_token_revokes_it(token_client: TokenClient, make_user: MakeUser) -> None:
    user = make_user("salesperson")
    client = token_client(user)
    created = client.post("/api/v1/tokens/", {"name": "short-lived"}, format="json").json()

    response = client.delete(f"/api/v1/tokens/{created['id']}/")

    assert response.status_code == 204
    token = ApiToken.objects.get(pk=created["id"])
    assert token.revoked_at is not None
    assert with_key(created["key"]).get("/api/v1/me/").status_code == 401
    assert "short-lived" not in client.get("/api/v1/tokens/").content.decode()


def test_a_user_cannot_revoke_someone_elses_token(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    other = make_user("salesperson")
    token, key = services.issue_token(other, actor=other, name="theirs")

    response = token_client(make_user("salesperson")).delete(f"/api/v1/tokens/{token.pk}/")

    assert response.status_code == 404
    assert with_key(key).get("/api/v1/me/").status_code == 200


def test_a_token_needs_a_name(token_client: TokenClient, make_user: MakeUser) -> None:
    response = token_client(make_user("salesperson")).post("/api/v1/tokens/", {}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_a_token_can_be_created_with_an_expiry(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    user = make_user("salesperson")
    expires = timezone.now() + timedelta(days=30)

    created = token_client(user).post(
        "/api/v1/tokens/", {"name": "month", "expires_at": expires.isoformat()}, format="json"
    )

    assert created.status_code == 201
    assert ApiToken.objects.get(name="month").expires_at == expires


def test_an_anonymous_caller_cannot_create_tokens(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/tokens/", {"name": "x"}, format="json")

    assert response.status_code == 401
    assert not ApiToken.objects.exists()


def test_a_signed_in_browser_session_can_use_the_api(client: object, make_user: MakeUser) -> None:
    user = make_user("auditor")
    api = APIClient()
    api.force_login(user)

    assert api.get("/api/v1/me/").json()["username"] == user.username


# --- Schema and documentation -----------------------------------------------------------------


def test_the_schema_is_yaml_by_default(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi;")  # YAML
    text = response.content.decode()
    assert text.startswith("openapi: 3")
    assert "/api/v1/users/" in text
    assert "tokenAuth" in text


def test_the_schema_is_json_when_asked(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    document = json.loads(response.content)
    assert document["openapi"].startswith("3")
    assert document["info"]["title"] == "Huike API"
    assert "/api/v1/me/" in document["paths"]
    assert "/api/v1/tokens/{id}/" in document["paths"]
    user_fields = document["components"]["schemas"]["User"]["properties"]
    assert "is_superuser" not in user_fields
    assert "password" not in user_fields  # write-only: only in the request schema


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/docs/",
        "/api/v1/redoc/",
    ],
)
def test_the_api_documentation_loads_only_local_files(api_client: APIClient, path: str) -> None:
    response = api_client.get(path)

    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]*)"', page)
    assert sources, "the page loads no assets at all"
    assert all(source.startswith("/") and not source.startswith("//") for source in sources)
    # no address of another host anywhere (a random CSRF token may well contain "cdn")
    assert not re.search(
        r"(?:https?:)?//[a-z0-9.-]*(?:cdn|unpkg|jsdelivr|googleapis)", page.lower()
    )
    assert not re.search(r'<script[^>]*src="https?://', page)


def test_the_api_root_redirects_to_the_documentation(api_client: APIClient) -> None:
    response = api_client.get("/api/")

    assert response.status_code == 302
    assert response["Location"] == "/api/v1/docs/"


def test_an_unknown_user_answers_404_in_the_api_error_format(admin_api: APIClient) -> None:
    response = admin_api.get("/api/v1/users/999999/")

    assert response.status_code == 404
    body = response.json()
    assert body["status"] == 404
    assert body["code"] == "not_found"


def test_a_password_is_never_part_of_a_user_answer(
    admin_api: APIClient, make_user: MakeUser
) -> None:
    user = make_user("salesperson")

    body = admin_api.get(f"/api/v1/users/{user.pk}/").content.decode()

    assert user.password not in body
    assert PASSWORD not in body
