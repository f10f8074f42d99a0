"""Background jobs of data-subject requests and retention, run daily by the worker."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from huike.ops.services import is_paused
from huike.subjects import retention


@db_periodic_task(crontab(hour="2", minute="40"))
def apply_retention_rules() -> int:
    """Anonymise or purge the customers each retention policy applies to; returns how many."""
    if is_paused():  # a restored copy changes nothing until an administrator resumes
        return 0
    results = retention.apply_retention()
    return sum(result.anonymised + result.purged for result in results)


@db_periodic_task(crontab(hour="2", minute="55"))
def purge_expired_access_log() -> int:
    """Delete access-log rows older than ``ACCESS_LOG_RETENTION_DAYS`` (at least 180 days)."""
    if is_paused():  # a restored copy changes nothing until an administrator resumes
        return 0
    return retention.purge_access_log()


@db_periodic_task(crontab(hour="3", minute="5"))
def purge_old_subject_exports() -> int:
    """Delete access exports older than ``DSR_EXPORT_KEEP_DAYS`` from the private folder, and
    minimise requests closed more than ``DSR_REQUEST_KEEP_DAYS`` ago."""
    if is_paused():  # a restored copy changes nothing until an administrator resumes
        return 0
    return retention.purge_exports() + retention.minimise_closed_requests()
