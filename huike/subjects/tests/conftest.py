"""Fixtures of the data-subject request tests: a DPO holding every permission of the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from huike.accounts.models import Role, User
from huike.subjects import registry

SUBJECT_PERMISSIONS = (
    "view_subjectrequest",
    "add_subjectrequest",
    "change_subjectrequest",
    "erase_party",
    "export_subject",
    "view_suppressionentry",
    "change_suppressionentry",
    "view_retentionrule",
    "add_retentionrule",
    "change_retentionrule",
)


def grant(role_code: str, *codenames: str) -> None:
    """Give a shipped role permissions of the subjects app (as DEFAULT_ROLES will)."""
    role = Role.objects.get(code=role_code)
    role.permissions.add(
        *Permission.objects.filter(content_type__app_label="subjects", codename__in=codenames)
    )


@pytest.fixture
def dpo(make_user: Callable[..., User]) -> User:
    grant("data_protection_officer", *SUBJECT_PERMISSIONS)
    # Signed in with two-factor already set up, whatever the role requires.
    return make_user("data_protection_officer", username="dpo", totp_confirmed_at=timezone.now())


@pytest.fixture
def dpo_client(client: Client, dpo: User) -> Client:
    client.force_login(dpo)
    return client


@pytest.fixture(autouse=True)
def private_files(settings: Any, tmp_path: Path) -> Path:
    """Exports go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def temporary_provider() -> Iterator[Callable[..., registry.Provider]]:
    """Register a provider for one test (as a later app would); removed afterwards."""
    names: list[str] = []

    def add(name: str, **kwargs: Any) -> registry.Provider:
        names.append(name)
        kwargs.setdefault("export", lambda party: [])
        return registry.register(name, **kwargs)

    yield add
    for name in names:
        registry.unregister(name)
