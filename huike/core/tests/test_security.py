"""Protections every request goes through: Content-Security-Policy, no caching of private pages,
HSTS and secure cookies in production, session timeouts, disabled users, rate limits."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.utils import translation
from rest_framework.test import APIClient

from huike.accounts.models import User
from huike.accounts.tests.factories import PASSWORD
from huike.core import ratelimit
from huike.core.security import SEEN_AT, SIGNED_IN_AT

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def csp(response: Any) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    policy: dict[str, list[str]] = {}
    for part in response["Content-Security-Policy"].split(";"):
        words = part.split()
        if words:
            policy[words[0]] = words[1:]
    return policy


def signed_in(username: str = "mei", password: str = PASSWORD) -> Client:
    """A client signed in through the sign-in page, as a person is."""
    client = Client()
    response = client.post(LOGIN, {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def set_session(client: Client, **values: float) -> None:
    session = client.session
    for key, value in values.items():
        session[key] = value
    session.save()


# --- Content-Security-Policy ------------------------------------------------------------------


def test_pages_carry_a_policy_without_inline_script(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")

    for response in (Client().get(LOGIN), signed_in().get("/")):
        assert response.status_code == 200
        policy = csp(response)
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"]
        assert policy["form-action"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'self'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def template_files() -> list[Path]:
    """Every template of Huike: the project folder and each Huike app's templates folder."""
    template_dirs = cast(list[str], settings.TEMPLATES[0]["DIRS"])
    folders = [Path(folder) for folder in template_dirs]
    huike_root = Path(settings.BASE_DIR) / "huike"
    for config in apps.get_app_configs():
        folder = Path(config.path) / "templates"
        if folder.is_dir() and huike_root in folder.parents:
            folders.append(folder)
    return sorted(
        path for folder in folders for path in folder.rglob("*") if path.suffix in {".html", ".txt"}
    )


INLINE = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
}
# Pages of third-party tools that are served with a relaxed style policy (see huike/urls.py).
STYLE_ELEMENT_ALLOWED = {"drf_spectacular/redoc.html"}


def test_no_template_contains_inline_script_handlers_or_styles() -> None:
    files = template_files()
    assert any(path.name == "base.html" for path in files)

    offenders = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for what, pattern in INLINE.items():
            if pattern.search(text):
                offenders.append(f"{path.relative_to(settings.BASE_DIR)}: {what}")
        relative = path.as_posix().split("/templates/", 1)[-1]
        if re.search(r"<style\b", text, re.IGNORECASE) and relative not in STYLE_ELEMENT_ALLOWED:
            offenders.append(f"{path.relative_to(settings.BASE_DIR)}: <style> element")

    assert offenders == []


def test_the_template_check_recognises_inline_script() -> None:
    # the patterns above must catch what they are meant to catch, and let files through
    assert INLINE["inline <script>"].search("<script>alert(1)</script>")
    assert not INLINE["inline <script>"].search('<script src="/static/dist/app.js" defer></script>')
    assert INLINE["event handler attribute"].search('<button type="button" onclick="go()">')
    assert not INLINE["event handler attribute"].search('<meta name="x" content="y">')
    assert INLINE["style attribute"].search('<div class="a" style="color: red">')


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_api_documentation_runs_without_inline_script(path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 200
    policy = csp(response)
    assert policy["script-src"] == ["'self'"]
    # Swagger UI and Redoc style themselves inline: allowed on these pages only
    assert "'unsafe-inline'" in policy["style-src"]
    page = response.content.decode()
    assert not re.search(r"<script\b(?![^>]*\bsrc=)[^>]*>", page)


# --- Caching -----------------------------------------------------------------------------------


def test_signed_in_pages_are_never_stored(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")

    response = signed_in().get("/accounts/profile/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


def test_api_answers_are_never_stored(
    make_user: MakeUser, token_client: Callable[[User], APIClient]
) -> None:
    mei = make_user("salesperson", username="mei")

    answered = token_client(mei).get("/api/v1/me/")
    refused = APIClient().get("/api/v1/me/")

    assert answered.status_code == 200
    assert refused.status_code == 401
    for response in (answered, refused):
        assert response["Cache-Control"] == "no-store"
        assert response["Pragma"] == "no-cache"


def test_static_files_stay_cacheable(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")
    client = signed_in()

    with override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        client.handler.load_middleware()
        response = client.get("/static/img/logo.svg")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Pragma" not in response


# --- HTTPS, HSTS and cookies --------------------------------------------------------------------


def test_hsts_is_sent_over_https_when_configured() -> None:
    with override_settings(SECURE_HSTS_SECONDS=600):
        response = Client().get(LOGIN, secure=True)

    assert response["Strict-Transport-Security"].startswith("max-age=600")


def production_settings(**environment: str) -> dict[str, Any]:
    """Settings as a production process computes them from its environment."""
    names = [
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "LANGUAGE_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_IDLE_MINUTES",
        "SESSION_ABSOLUTE_HOURS",
        "RATE_LIMITS_ENABLED",
        "PASSWORD_RESET_RATE_PER_ADDRESS",
        "PASSWORD_RESET_RATE_PER_EMAIL",
        "OUTBOUND_ALLOWED_HOSTS",
        "UPLOAD_MAX_BYTES",
        "REST_FRAMEWORK",
        "MIDDLEWARE",
    ]
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}, default=str))"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "HUIKE_", "SECURE_", "SESSION_", "API_RATE", "PASSWORD_"))
        and key not in {"DEBUG", "HTTPS", "SECRET_KEY", "RATE_LIMITS_ENABLED", "UPLOAD_MAX_BYTES"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="huike.settings",
        SECRET_KEY=secrets.token_urlsafe(60),
        HUIKE_VAR_DIR=environment.pop("HUIKE_VAR_DIR"),
        **environment,
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_defaults_are_secure(tmp_path: Path) -> None:
    values = production_settings(HUIKE_VAR_DIR=str(tmp_path))

    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["LANGUAGE_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SESSION_IDLE_MINUTES"] == 30
    assert values["SESSION_ABSOLUTE_HOURS"] == 12
    assert values["RATE_LIMITS_ENABLED"] is True
    assert values["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"] == {
        "anon": "60/minute",
        "user": "2000/minute",
    }
    assert values["REST_FRAMEWORK"]["DEFAULT_THROTTLE_CLASSES"] == [
        "huike.core.ratelimit.AnonRateThrottle",
        "huike.core.ratelimit.UserRateThrottle",
    ]
    middleware = values["MIDDLEWARE"]
    assert middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") < middleware.index(
        "huike.core.security.NoStoreMiddleware"
    )
    assert middleware.index("django.contrib.messages.middleware.MessageMiddleware") < (
        middleware.index("huike.core.security.SessionTimeoutMiddleware")
    )


def test_the_environment_configures_hsts_timeouts_and_limits(tmp_path: Path) -> None:
    values = production_settings(
        HUIKE_VAR_DIR=str(tmp_path),
        SECURE_HSTS_SECONDS="600",
        SESSION_IDLE_MINUTES="10",
        SESSION_ABSOLUTE_HOURS="4",
        API_RATE_ANON="10/minute",
        API_RATE_USER="100/minute",
        PASSWORD_RESET_RATE_PER_EMAIL="1/h",
        OUTBOUND_ALLOWED_HOSTS="erp.internal, 10.1.2.0/24",
        UPLOAD_MAX_BYTES="1000",
    )

    assert values["SECURE_HSTS_SECONDS"] == 600
    assert values["SESSION_IDLE_MINUTES"] == 10
    assert values["SESSION_ABSOLUTE_HOURS"] == 4
    assert values["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"] == {
        "anon": "10/minute",
        "user": "100/minute",
    }
    assert values["PASSWORD_RESET_RATE_PER_EMAIL"] == "1/h"
    assert values["OUTBOUND_ALLOWED_HOSTS"] == ["erp.internal", "10.1.2.0/24"]
    assert values["UPLOAD_MAX_BYTES"] == 1000


def test_development_mode_does_not_require_https(tmp_path: Path) -> None:
    values = production_settings(HUIKE_VAR_DIR=str(tmp_path), DEBUG="1")

    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0


# --- Sessions -------------------------------------------------------------------------------------


def test_signing_in_gives_a_new_session_key(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")
    client = Client()
    before = client.session.session_key  # a session exists before signing in
    assert before

    client.post(LOGIN, {"username": "mei", "password": PASSWORD})

    after = client.session
    assert after.session_key != before
    assert after["_auth_user_id"]
    assert abs(after[SIGNED_IN_AT] - time.time()) < 3600  # stamped at sign-in


def test_an_idle_session_ends_and_the_sign_in_page_says_why(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")
    client = signed_in()
    # given Mei's last request was 31 minutes ago
    set_session(client, **{SEEN_AT: time.time() - 31 * 60})

    response = client.get("/customers/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/customers/"
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out after a period of inactivity" in page


def test_a_session_ends_after_its_absolute_duration_however_active(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")
    client = signed_in()
    # given Mei signed in 13 hours ago and has been busy ever since
    set_session(client, **{SIGNED_IN_AT: time.time() - 13 * 3600, SEEN_AT: time.time()})

    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "Your sign-in has reached its maximum duration" in response.content.decode()


def test_an_active_session_lives_on_and_records_the_activity(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")
    client = signed_in()
    five_minutes_ago = time.time() - 5 * 60
    set_session(client, **{SEEN_AT: five_minutes_ago})

    assert client.get("/").status_code == 200

    assert client.session[SEEN_AT] > five_minutes_ago


@override_settings(SESSION_IDLE_MINUTES=5)
def test_the_idle_limit_follows_the_setting(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")
    client = signed_in()
    set_session(client, **{SEEN_AT: time.time() - 6 * 60})

    assert client.get("/").status_code == 302


def test_an_expired_session_answers_401_in_the_api(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")
    client = signed_in()
    assert client.get("/api/v1/me/").status_code == 200
    set_session(client, **{SEEN_AT: time.time() - 31 * 60})

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401
    assert body["code"] == "session_expired"


def test_an_expired_session_redirects_htmx_requests_with_a_header(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")
    client = signed_in()
    set_session(client, **{SEEN_AT: time.time() - 31 * 60})

    response = client.get("/customers/", HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"] == "/accounts/login/"


def test_a_disabled_user_is_signed_out_on_the_next_request(make_user: MakeUser) -> None:
    mei = make_user("salesperson", username="mei")
    client = signed_in()
    assert client.get("/").status_code == 200

    mei.is_active = False
    mei.save(update_fields=["is_active"])

    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_a_disabled_users_api_tokens_stop_working_at_once(
    make_user: MakeUser, token_client: Callable[[User], APIClient]
) -> None:
    mei = make_user("salesperson", username="mei")
    api = token_client(mei)
    assert api.get("/api/v1/me/").status_code == 200

    mei.is_active = False
    mei.save(update_fields=["is_active"])

    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_django_admin_signs_in_through_huikes_sign_in_page() -> None:
    # Django's own admin login would skip two-factor sign-in
    response = Client().get("/django-admin/login/?next=/django-admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/django-admin/"


# --- Rate limiter ---------------------------------------------------------------------------------


def test_rates_read_like_drfs_and_allow_several_units() -> None:
    assert ratelimit.parse_rate("5/m") == ratelimit.Limit(5, 60)
    assert ratelimit.parse_rate("60/minute") == ratelimit.Limit(60, 60)
    assert ratelimit.parse_rate("3/h") == ratelimit.Limit(3, 3600)
    assert ratelimit.parse_rate("5/15m") == ratelimit.Limit(5, 900)
    assert ratelimit.parse_rate("100/day") == ratelimit.Limit(100, 86400)
    assert ratelimit.parse_rate("") is None
    with pytest.raises(ImproperlyConfigured):
        ratelimit.parse_rate("five a minute")


@override_settings(RATE_LIMITS_ENABLED=True)
def test_the_limiter_counts_per_scope_and_key() -> None:
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1")
    for _ in range(3):
        ratelimit.limit(request, "signup", rate="3/m")

    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.limit(request, "signup", rate="3/m")

    assert 1 <= refused.value.retry_after <= 61
    # another address, another scope and another explicit key each count on their own
    ratelimit.limit(RequestFactory().post("/", REMOTE_ADDR="10.0.0.2"), "signup", rate="3/m")
    ratelimit.limit(request, "newsletter", rate="3/m")
    ratelimit.limit(request, "signup", rate="3/m", key="someone@example.com")


def test_the_limiter_is_off_when_rate_limits_are_disabled() -> None:
    request = RequestFactory().post("/")
    for _ in range(10):
        ratelimit.limit(request, "signup", rate="1/h")


@override_settings(RATE_LIMITS_ENABLED=True)
def test_the_decorator_answers_429_only_to_the_limited_methods() -> None:
    @ratelimit.rate_limit("form", rate="1/h")
    def view(request: Any) -> HttpResponse:
        return HttpResponse("ok")

    factory = RequestFactory()
    assert view(factory.post("/form/")).status_code == 200
    refused = view(factory.post("/form/"))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many requests" in refused.content.decode()
    assert view(factory.get("/form/")).status_code == 200


@override_settings(
    RATE_LIMITS_ENABLED=True, PASSWORD_RESET_RATE_PER_ADDRESS="2/h", LANGUAGE_CODE="zh-hans"
)
def test_password_reset_is_limited_per_address_with_a_translated_page() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    for number in range(2):
        response = client.post("/accounts/password/reset/", {"email": f"a{number}@example.com"})
        assert response.status_code == 302

    response = client.post("/accounts/password/reset/", {"email": "a3@example.com"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    with translation.override("zh-hans"):
        assert translation.gettext("Too many requests") in page


@override_settings(RATE_LIMITS_ENABLED=True, PASSWORD_RESET_RATE_PER_EMAIL="2/h")
def test_password_reset_is_limited_per_e_mail_address_from_any_address(
    make_user: MakeUser,
) -> None:
    make_user("salesperson", username="mei", email="mei@example.com")
    statuses = [
        Client()
        .post("/accounts/password/reset/", {"email": email}, REMOTE_ADDR=address)
        .status_code
        for email, address in [
            ("mei@example.com", "10.0.0.1"),
            ("MEI@example.com", "10.0.0.2"),
            ("mei@example.com", "10.0.0.3"),
        ]
    ]

    assert statuses == [302, 302, 429]
    assert len(mail.outbox) == 2


def api_rates(anon: str, user: str) -> dict[str, Any]:
    return {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": user}}


def test_api_throttles_answer_429_in_the_api_error_format(
    make_user: MakeUser, token_client: Callable[[User], APIClient]
) -> None:
    api = token_client(make_user("salesperson", username="mei"))

    with override_settings(RATE_LIMITS_ENABLED=True, REST_FRAMEWORK=api_rates("100/m", "2/m")):
        statuses = [api.get("/api/v1/me/").status_code for _ in range(3)]
        refused = api.get("/api/v1/me/")

    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    body = refused.json()
    assert body["status"] == 429
    assert body["code"] == "throttled"
    assert body["detail"]


def test_api_throttles_count_anonymous_callers_per_address() -> None:
    with override_settings(RATE_LIMITS_ENABLED=True, REST_FRAMEWORK=api_rates("1/m", "100/m")):
        first = APIClient().get("/api/v1/schema/", {"format": "json"}, REMOTE_ADDR="10.0.0.1")
        second = APIClient().get("/api/v1/schema/", {"format": "json"}, REMOTE_ADDR="10.0.0.1")
        elsewhere = APIClient().get("/api/v1/schema/", {"format": "json"}, REMOTE_ADDR="10.0.0.2")

    assert (first.status_code, second.status_code, elsewhere.status_code) == (200, 429, 200)
    assert second.json()["code"] == "throttled"


def test_api_throttles_are_off_in_the_test_settings(
    make_user: MakeUser, token_client: Callable[[User], APIClient]
) -> None:
    api = token_client(make_user("salesperson", username="mei"))
    with override_settings(REST_FRAMEWORK=api_rates("1/m", "1/m")):
        assert [api.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
