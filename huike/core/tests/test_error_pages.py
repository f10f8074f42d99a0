"""HTML error pages render Huike's templates; API paths answer JSON instead."""

from __future__ import annotations

import json
from collections.abc import Callable
from unittest.mock import ANY

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory

from huike.accounts.models import User
from huike.core.views import errors

pytestmark = pytest.mark.django_db


def _templates(response: object) -> list[str]:
    return [t.name for t in response.templates]  # type: ignore[attr-defined]


def test_an_unknown_page_renders_the_404_template_with_status_404(
    client: Client, settings: object
) -> None:
    assert settings.DEBUG is False  # type: ignore[attr-defined]

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "404.html" in _templates(response)
    assert "Page not found" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


def test_an_unknown_object_page_renders_the_404_template(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)

    response = client.get("/accounts/users/999999/")

    assert response.status_code == 404
    assert "404.html" in _templates(response)


def test_a_signed_in_user_without_permission_gets_the_403_page(
    client: Client, make_user: Callable[..., User]
) -> None:
    client.force_login(make_user("salesperson"))

    response = client.get("/accounts/users/")

    assert response.status_code == 403
    assert "403.html" in _templates(response)
    assert "Access denied" in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in_rather_than_refused(client: Client) -> None:
    response = client.get("/accounts/users/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/accounts/users/")


@pytest.mark.parametrize(
    ("handler", "status", "code"),
    [
        (errors.bad_request, 400, "bad_request"),
        (errors.permission_denied, 403, "permission_denied"),
        (errors.page_not_found, 404, "not_found"),
        (errors.csrf_failure, 403, "csrf_failed"),
    ],
)
def test_error_handlers_answer_json_for_api_paths(
    handler: Callable[..., object], status: int, code: str
) -> None:
    request = RequestFactory().get("/api/v1/anything/")

    response = handler(request)

    assert response.status_code == status  # type: ignore[attr-defined]
    assert json.loads(response.content) == {  # type: ignore[attr-defined]
        "status": status,
        "code": code,
        "detail": ANY,
    }


def test_the_server_error_handler_answers_json_for_api_paths() -> None:
    response = errors.server_error(RequestFactory().get("/api/v1/teams/"))

    assert response.status_code == 500
    assert json.loads(response.content)["code"] == "server_error"


@pytest.mark.parametrize(
    ("handler", "status", "template_text"),
    [
        (errors.bad_request, 400, "Bad request"),
        (errors.permission_denied, 403, "Access denied"),
        (errors.page_not_found, 404, "Page not found"),
        (errors.server_error, 500, "Something went wrong on our side"),
        (errors.csrf_failure, 403, "The form expired"),
    ],
)
def test_error_handlers_render_html_pages_elsewhere(
    handler: Callable[..., object], status: int, template_text: str, rf: RequestFactory
) -> None:
    request = rf.get("/customers/")
    request.user = AnonymousUser()

    response = handler(request)

    assert response.status_code == status  # type: ignore[attr-defined]
    assert response["Content-Type"].startswith("text/html")  # type: ignore[index]
    assert template_text in response.content.decode()  # type: ignore[attr-defined]


def test_a_post_without_a_csrf_token_gets_the_csrf_page(
    admin_user: User,
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post("/accounts/teams/add/", {"name": "Sales"})

    assert response.status_code == 403
    assert "403_csrf.html" in _templates(response)
