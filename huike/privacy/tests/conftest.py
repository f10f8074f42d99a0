from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from huike.accounts.models import Role
from huike.privacy.models import ConsentNotice
from huike.privacy.tests.factories import PROPOSED_ROLE_PERMISSIONS


@pytest.fixture(autouse=True)
def _shipped_notices_shown_since_last_year(db: None) -> None:
    """The shipped notices are "published" when the test database is migrated; tests that
    backdate consents need them to have been shown before."""
    ConsentNotice.objects.update(published_at=timezone.now() - datetime.timedelta(days=365))


@pytest.fixture(autouse=True)
def _shipped_roles_hold_privacy_permissions(db: None) -> None:
    """The privacy permissions proposed for the shipped roles (``huike/accounts/roles.py``
    grants them once the lead adds them there; this is then a no-op)."""
    for code, names in PROPOSED_ROLE_PERMISSIONS.items():
        codenames = [name.split(".", 1)[1] for name in names]
        Role.objects.get(code=code).permissions.add(
            *Permission.objects.filter(content_type__app_label="privacy", codename__in=codenames)
        )
