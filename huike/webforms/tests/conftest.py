from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.utils import timezone

from huike.privacy.models import ConsentNotice


@pytest.fixture(autouse=True)
def _notices_published_and_no_spent_tokens(db: None) -> Iterator[None]:
    """The shipped notices count as shown since last year, and each test starts with an empty
    cache (spent tokens, rate-limit counters)."""
    ConsentNotice.objects.update(published_at=timezone.now() - datetime.timedelta(days=365))
    cache.clear()
    yield
    cache.clear()
