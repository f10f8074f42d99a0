"""Replayed credentials: a revoked API token, a used password-reset link, a reused session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from huike.accounts.models import User
from huike.accounts.services import issue_token

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


def test_a_revoked_token_replayed_answers_401(make_user: MakeUser) -> None:
    user = make_user("salesperson")
    token, key = issue_token(user, actor=user, name="laptop")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 200

    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    replay = client.get("/api/v1/me/")
    assert replay.status_code == 401
    assert replay.json()["code"] in {"authentication_failed", "not_authenticated"}


def test_a_password_reset_link_works_once(client: Client, make_user: MakeUser) -> None:
    user = make_user("salesperson", email="mei@example.com")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = f"/accounts/password/reset/{uid}/{default_token_generator.make_token(user)}/"
    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "Zq8!long-enough", "new_password2": "Zq8!long-enough"}
    )
    assert done.status_code == 302

    again: Any = Client().get(link, follow=True)
    content = again.content.decode()
    assert 'name="new_password1"' not in content  # the link is spent


def test_a_session_of_a_disabled_user_is_not_honoured(client: Client, make_user: MakeUser) -> None:
    user = make_user("salesperson")
    client.force_login(user)
    assert client.get("/customers/").status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    replay = client.get("/customers/")
    assert replay.status_code == 302 and "/accounts/login/" in replay["Location"]
