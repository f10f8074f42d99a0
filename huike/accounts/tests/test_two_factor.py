"""Two-factor sign-in: setting it up, signing in with a code, replays, lockout, switching it
off, and roles that require it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from io import StringIO

import pyotp
import pytest
from axes.utils import reset
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from rest_framework.test import APIClient

from huike.accounts import two_factor
from huike.accounts.models import Role, User
from huike.accounts.tests.factories import PASSWORD
from huike.core import crypto
from huike.core.models import ChangeLog

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
LOGIN = "/accounts/login/"
CODE = "/accounts/login/code/"
SETUP = "/accounts/two-factor/setup/"
DISABLE = "/accounts/two-factor/disable/"


def code(secret: str, steps: int = 0) -> str:
    """The code an authenticator app shows ``steps`` periods of 30 seconds from now."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def switch_on(user: User) -> str:
    """Set two-factor sign-in up for ``user`` a few minutes ago; returns the secret."""
    secret = pyotp.random_base32()
    earlier = time.time() - 120
    assert two_factor.enable(user, secret, pyotp.TOTP(secret).at(earlier), actor=user, at=earlier)
    return secret


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def password_step(client: Client, username: str = "mei", **extra: str) -> str:
    response = client.post(LOGIN, {"username": username, "password": PASSWORD, **extra})
    assert response.status_code == 302
    return str(response["Location"])


@pytest.fixture
def mei(make_user: MakeUser) -> User:
    return make_user("salesperson", username="mei")


# --- Setting it up ----------------------------------------------------------------------------


def test_setting_up_shows_a_qr_code_and_key_and_a_code_switches_it_on(mei: User) -> None:
    client = Client()
    client.force_login(mei)

    page = client.get(SETUP)

    assert page.status_code == 200
    content = page.content.decode()
    assert '<svg width="' in content and 'class="hk-qr"' in content  # drawn here, inline
    assert "data:" not in content and "<script>" not in content
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', content).group(1).replace(" ", "")  # type: ignore[union-attr]
    assert len(secret) == 32
    # the secret waits in the session, sealed
    assert secret not in str(dict(client.session))

    response = client.post(SETUP, {"code": code(secret)})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    mei.refresh_from_db()
    assert mei.totp_confirmed_at is not None
    assert crypto.is_sealed(mei.totp_secret)
    assert secret not in mei.totp_secret
    assert crypto.unseal(mei.totp_secret, "totp") == secret
    assert ChangeLog.objects.filter(object_id=str(mei.pk), message__contains="two-factor").exists()


def test_a_wrong_code_does_not_switch_it_on(mei: User) -> None:
    client = Client()
    client.force_login(mei)
    client.get(SETUP)

    response = client.post(SETUP, {"code": "000000"})

    assert response.status_code == 200
    assert "This code is not valid" in response.content.decode()
    mei.refresh_from_db()
    assert mei.totp_confirmed_at is None
    assert mei.totp_secret == ""


def test_the_key_stays_the_same_while_setting_up(mei: User) -> None:
    client = Client()
    client.force_login(mei)
    first = client.get(SETUP).content.decode()
    again = client.get(SETUP).content.decode()

    key = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
    assert key.search(first).group(1) == key.search(again).group(1)  # type: ignore[union-attr]


def test_the_profile_offers_to_set_it_up_and_then_shows_it_is_on(mei: User) -> None:
    client = Client()
    client.force_login(mei)
    assert 'href="/accounts/two-factor/setup/"' in client.get("/accounts/profile/").content.decode()

    switch_on(mei)

    page = client.get("/accounts/profile/").content.decode()
    assert "On since" in page
    assert 'action="/accounts/two-factor/disable/"' in page
    assert client.get(SETUP)["Location"] == "/accounts/profile/"


# --- Signing in -----------------------------------------------------------------------------------


def test_the_password_alone_does_not_sign_in_a_user_with_two_factor(mei: User) -> None:
    secret = switch_on(mei)
    client = Client()

    assert password_step(client, next="/customers/") == CODE
    assert not is_signed_in(client)
    assert client.get("/").status_code == 302  # still signed out
    key_before_code = client.session.session_key

    response = client.post(CODE, {"code": code(secret)})

    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    assert is_signed_in(client)
    assert client.session.session_key != key_before_code
    mei.refresh_from_db()
    assert mei.last_login is not None


def test_users_without_two_factor_sign_in_with_the_password_alone(mei: User) -> None:
    client = Client()
    assert password_step(client) == "/"
    assert is_signed_in(client)


def test_a_wrong_code_leaves_the_user_signed_out(mei: User) -> None:
    switch_on(mei)
    client = Client()
    password_step(client)

    response = client.post(CODE, {"code": "123456"})

    assert response.status_code == 200
    assert "This code is not valid" in response.content.decode()
    assert not is_signed_in(client)


def test_a_code_is_accepted_only_once(mei: User) -> None:
    secret = switch_on(mei)
    used = code(secret)
    first = Client()
    password_step(first)
    assert first.post(CODE, {"code": used}).status_code == 302

    # someone who saw the code over Mei's shoulder (and knows her password) tries it too
    second = Client()
    password_step(second)
    response = second.post(CODE, {"code": used})

    assert response.status_code == 200
    assert not is_signed_in(second)


def test_the_service_refuses_replays_and_old_codes(mei: User) -> None:
    secret = switch_on(mei)
    now = time.time()

    assert two_factor.verify(mei, pyotp.TOTP(secret).at(now), at=now)
    assert not two_factor.verify(mei, pyotp.TOTP(secret).at(now), at=now)
    # a code of the step before the last one used is refused too
    assert not two_factor.verify(mei, pyotp.TOTP(secret).at(now - 30), at=now)
    # the next step's code is still good (clock drift)
    assert two_factor.verify(mei, pyotp.TOTP(secret).at(now + 30), at=now)
    # but a code far from now is not
    assert not two_factor.verify(mei, pyotp.TOTP(secret).at(now + 300), at=now)


def test_after_five_wrong_codes_the_password_is_asked_again(mei: User) -> None:
    secret = switch_on(mei)
    client = Client()
    password_step(client)
    for _ in range(4):
        assert client.post(CODE, {"code": "000000"}).status_code == 200

    response = client.post(CODE, {"code": "000000"})

    assert response["Location"] == LOGIN
    assert client.post(CODE, {"code": code(secret)})["Location"] == LOGIN
    assert not is_signed_in(client)


def test_the_code_step_expires(mei: User) -> None:
    secret = switch_on(mei)
    client = Client()
    password_step(client)
    session = client.session
    session[two_factor.PENDING] = {**session[two_factor.PENDING], "since": time.time() - 600}
    session.save()

    response = client.post(CODE, {"code": code(secret)})

    assert response["Location"] == LOGIN
    assert not is_signed_in(client)


def test_the_code_step_without_a_password_step_goes_to_the_sign_in_page() -> None:
    assert Client().get(CODE)["Location"] == LOGIN


def test_a_user_disabled_between_the_steps_is_not_signed_in(mei: User) -> None:
    secret = switch_on(mei)
    client = Client()
    password_step(client)
    User.objects.filter(pk=mei.pk).update(is_active=False)

    response = client.post(CODE, {"code": code(secret)})

    assert response["Location"] == LOGIN
    assert not is_signed_in(client)


def test_the_code_step_does_not_redirect_to_other_sites(mei: User) -> None:
    secret = switch_on(mei)
    client = Client()
    password_step(client, next="https://evil.example/")

    response = client.post(CODE, {"code": code(secret)})

    assert response["Location"] == "/"


@pytest.fixture
def axes_on() -> Iterator[None]:
    with override_settings(AXES_ENABLED=True):
        yield
    reset()


def test_wrong_codes_count_towards_the_sign_in_lockout(mei: User, axes_on: None) -> None:
    secret = switch_on(mei)
    client = Client(REMOTE_ADDR="10.0.0.1")
    password_step(client)
    statuses = [client.post(CODE, {"code": "000000"}).status_code for _ in range(5)]

    # the fifth wrong code locks Mei's name from this address, as five wrong passwords would
    assert statuses == [200, 200, 200, 200, 429]
    again = Client(REMOTE_ADDR="10.0.0.1")
    locked = again.post(LOGIN, {"username": "mei", "password": PASSWORD})
    assert locked.status_code == 429
    assert not is_signed_in(again)
    # from another address Mei still signs in
    elsewhere = Client(REMOTE_ADDR="10.0.0.2")
    password_step(elsewhere)
    assert elsewhere.post(CODE, {"code": code(secret)}).status_code == 302


def test_a_locked_user_is_refused_at_the_code_step_too(mei: User, axes_on: None) -> None:
    secret = switch_on(mei)
    client = Client(REMOTE_ADDR="10.0.0.1")
    password_step(client)
    # meanwhile someone else fails five passwords for Mei from the same address
    for _ in range(5):
        Client(REMOTE_ADDR="10.0.0.1").post(LOGIN, {"username": "mei", "password": "wrong"})

    response = client.post(CODE, {"code": code(secret)})

    assert response.status_code == 429
    assert not is_signed_in(client)


# --- Switching it off -----------------------------------------------------------------------------


def test_switching_off_with_the_password(mei: User) -> None:
    switch_on(mei)
    client = Client()
    client.force_login(mei)

    response = client.post(DISABLE, {"proof": PASSWORD}, follow=True)

    assert "Two-factor sign-in is off." in response.content.decode()
    mei.refresh_from_db()
    assert mei.totp_confirmed_at is None
    assert mei.totp_secret == ""


def test_switching_off_with_a_current_code(mei: User) -> None:
    secret = switch_on(mei)
    client = Client()
    client.force_login(mei)

    client.post(DISABLE, {"proof": code(secret)})

    mei.refresh_from_db()
    assert mei.totp_confirmed_at is None


def test_switching_off_needs_a_right_proof(mei: User) -> None:
    switch_on(mei)
    client = Client()
    client.force_login(mei)

    response = client.post(DISABLE, {"proof": "not my password"}, follow=True)

    assert "stays on" in response.content.decode()
    mei.refresh_from_db()
    assert mei.totp_confirmed_at is not None


@override_settings(RATE_LIMITS_ENABLED=True)
def test_guessing_the_proof_to_switch_off_is_rate_limited(mei: User) -> None:
    cache.clear()
    switch_on(mei)
    client = Client()
    client.force_login(mei)
    statuses = [client.post(DISABLE, {"proof": "guess"}).status_code for _ in range(6)]

    assert statuses == [302, 302, 302, 302, 302, 429]
    cache.clear()


# --- Required by the role -------------------------------------------------------------------------


@pytest.fixture
def required() -> None:
    Role.objects.filter(code="salesperson").update(require_two_factor=True)


def test_a_role_that_requires_it_sends_its_users_to_set_it_up(mei: User, required: None) -> None:
    client = Client()
    password_step(client)

    for path in ("/", "/customers/", "/accounts/profile/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == SETUP
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "Your role requires two-factor sign-in" in page.content.decode()
    # signing out stays possible
    assert client.post("/accounts/logout/").status_code == 302


def test_users_who_must_set_it_up_can_use_nothing_else_through_the_session_api(
    mei: User, required: None
) -> None:
    client = Client()
    client.force_login(mei)

    response = client.get("/api/v1/me/")

    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_setup_required"


def test_api_tokens_are_not_affected_by_the_requirement(
    mei: User, required: None, token_client: Callable[[User], APIClient]
) -> None:
    assert token_client(mei).get("/api/v1/me/").status_code == 200


def test_once_set_up_the_user_works_normally(mei: User, required: None) -> None:
    client = Client()
    client.force_login(mei)
    client.get(SETUP)
    secret = re.search(  # type: ignore[union-attr]
        r'id="totp-secret">([A-Z2-7 ]+)<', client.get(SETUP).content.decode()
    ).group(1)

    client.post(SETUP, {"code": code(secret.replace(" ", ""))})

    assert client.get("/").status_code == 200


def test_users_of_roles_without_the_requirement_are_not_redirected(mei: User) -> None:
    client = Client()
    client.force_login(mei)

    assert client.get("/").status_code == 200


# --- Lost phone -----------------------------------------------------------------------------------


def test_an_administrator_switches_it_off_for_a_lost_phone_from_the_command_line(
    mei: User,
) -> None:
    switch_on(mei)
    out = StringIO()

    call_command("reset_two_factor", "mei", stdout=out)

    assert "switched off for mei" in out.getvalue()
    mei.refresh_from_db()
    assert mei.totp_confirmed_at is None
    client = Client()
    assert password_step(client) == "/"  # the password alone signs in again
    with pytest.raises(CommandError):
        call_command("reset_two_factor", "nobody")
