"""Housekeeping of the core app, run by the background worker."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from huike.core.models import IdempotencyRecord


@db_periodic_task(crontab(minute="17"))
def purge_idempotency_records() -> int:
    """Forget stored API answers once their Idempotency-Key may no longer be replayed."""
    from huike.ops.services import is_paused  # core imports no app at module level

    if is_paused():  # a restored copy waits until an administrator resumes it
        return 0
    oldest = timezone.now() - settings.IDEMPOTENCY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=oldest).delete()
    return deleted


@db_task()
def reseal_all_values() -> dict[str, int]:
    """After ``huike rotate-keys``: re-seal every stored sensitive value under the new key."""
    from huike.core import crypto

    return crypto.reseal_everything()
