"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.urls import set_script_prefix
from django.utils import translation
from rest_framework.test import APIClient

from huike.accounts.models import Role, User
from huike.accounts.services import issue_token
from huike.accounts.tests.factories import UserFactory

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Playwright's sync API runs an event loop in the test thread, and Django then refuses ORM calls
# from that thread. Huike has no async views, so the check only gets in the way of tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the default language and at the root URL prefix: a request handled
    for a Chinese reader activates zh-hans in the test's thread, which would otherwise leak into
    the next test; the script prefix is thread state too (set by every WSGI request)."""
    translation.activate(settings.LANGUAGE_CODE)
    set_script_prefix("/")
    yield
    translation.activate(settings.LANGUAGE_CODE)
    set_script_prefix("/")


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    """``make_user("salesperson", team=t)``: a user holding a shipped role."""

    def make(role: str | None = None, **kwargs: Any) -> User:
        if role is not None:
            kwargs["role"] = Role.objects.get(code=role)
        return UserFactory.create(**kwargs)

    return make


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user("administrator", username="boss")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def token_client(db: None) -> Callable[[User], APIClient]:
    """An API client authenticated with a real token of ``user``."""

    def make(user: User) -> APIClient:
        _token, key = issue_token(user, actor=user, name="test")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token " + key)
        return client

    return make


# --- Browser tests: Playwright driving Debian's Chromium, never a downloaded browser ------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "en-US", "viewport": {"width": 1280, "height": 900}}
