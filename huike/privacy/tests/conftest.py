from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from huike.privacy.models import ConsentNotice


@pytest.fixture(autouse=True)
def _shipped_notices_shown_since_last_year(db: None) -> None:
    """The shipped notices are "published" when the test database is migrated; tests that
    backdate consents need them to have been shown before."""
    ConsentNotice.objects.update(published_at=timezone.now() - datetime.timedelta(days=365))
