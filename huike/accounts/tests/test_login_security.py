"""Brute-force protection on the sign-in page (django-axes).

A username is locked *from one address* only: guessing Mei's password from one machine must
neither lock Mei out everywhere nor lock everyone out of that machine's office.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.test import Client, override_settings
from rest_framework.test import APIClient

from huike.accounts.models import User
from huike.accounts.tests.factories import PASSWORD

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
LOGIN = "/accounts/login/"
ATTACKER = "10.0.0.1"
ELSEWHERE = "10.0.0.2"


@pytest.fixture(autouse=True)
def axes_on() -> Iterator[None]:
    with override_settings(AXES_ENABLED=True):
        yield
    reset()


@pytest.fixture
def mei(make_user: MakeUser) -> User:
    return make_user("salesperson", username="mei")


def sign_in(
    username: str, password: str, address: str, client: Client | None = None
) -> TestResponse:
    client = client or Client()
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(times: int, username: str = "mei", address: str = ATTACKER) -> list[int]:
    return [sign_in(username, "wrong guess", address).status_code for _ in range(times)]


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_failure_limit_is_five() -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_failed_attempts_below_the_limit_show_the_sign_in_form_again(mei: User) -> None:
    assert fail(4) == [200, 200, 200, 200]

    client = Client()
    response = sign_in("mei", PASSWORD, ATTACKER, client)

    assert response.status_code == 302
    assert is_signed_in(client)


def test_after_five_failures_even_the_right_password_is_refused_from_that_address(
    mei: User,
) -> None:
    # given five wrong guesses for Mei from one address; the fifth already locks
    assert fail(5) == [200, 200, 200, 200, 429]

    # when the right password is sent from the same address
    client = Client()
    response = sign_in("mei", PASSWORD, ATTACKER, client)

    # then django-axes answers 429 with Huike's lockout page, and nobody is signed in
    assert response.status_code == 429
    content = response.content.decode()
    assert "Too many failed sign-in attempts" in content
    assert "Try again in 15 minutes" in content
    assert "/accounts/password/reset/" in content
    assert not is_signed_in(client)


@override_settings(AXES_COOLOFF_TIME=timedelta(minutes=30))
def test_the_lockout_page_tells_how_long_the_configured_cool_off_lasts(mei: User) -> None:
    fail(5)

    response = sign_in("mei", PASSWORD, ATTACKER)

    assert "Try again in 30 minutes" in response.content.decode()


def test_a_locked_user_can_still_sign_in_from_another_address(mei: User) -> None:
    fail(5)

    client = Client()
    response = sign_in("mei", PASSWORD, ELSEWHERE, client)

    assert response.status_code == 302
    assert is_signed_in(client)


def test_another_user_can_still_sign_in_from_the_locked_address(
    mei: User, make_user: MakeUser
) -> None:
    make_user("salesperson", username="li")
    fail(5)

    client = Client()
    response = sign_in("li", PASSWORD, ATTACKER, client)

    assert response.status_code == 302
    assert is_signed_in(client)


def test_failures_for_unknown_usernames_lock_only_that_username(mei: User) -> None:
    assert fail(5, username="admin")[-1] == 429

    client = Client()
    sign_in("mei", PASSWORD, ATTACKER, client)

    assert is_signed_in(client)


def test_a_successful_sign_in_resets_the_failure_count(mei: User) -> None:
    fail(4)
    assert sign_in("mei", PASSWORD, ATTACKER).status_code == 302

    # four more failures stay under the limit because the count started again
    assert fail(4) == [200, 200, 200, 200]
    client = Client()
    sign_in("mei", PASSWORD, ATTACKER, client)
    assert is_signed_in(client)


def test_resetting_the_attempts_lifts_the_lockout(mei: User) -> None:
    fail(5)
    assert AccessAttempt.objects.filter(username="mei", ip_address=ATTACKER).exists()

    reset(ip=ATTACKER, username="mei")

    client = Client()
    sign_in("mei", PASSWORD, ATTACKER, client)
    assert is_signed_in(client)


def test_the_sign_in_form_itself_stays_reachable_from_a_locked_address(mei: User) -> None:
    fail(5)

    response = Client().get(LOGIN, REMOTE_ADDR=ATTACKER)

    # a GET carries no username, so it is not locked: the form stays reachable
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_api_tokens_are_not_affected_by_a_sign_in_lockout(
    mei: User, token_client: Callable[[User], APIClient]
) -> None:
    fail(5)

    response = token_client(mei).get("/api/v1/me/", REMOTE_ADDR=ATTACKER)

    assert response.status_code == 200
