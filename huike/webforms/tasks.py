"""Background jobs of the web forms, run by the worker."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from huike.ops.services import is_paused
from huike.webforms import services


@db_periodic_task(crontab(minute="25"))
def expire_unconfirmed_submissions() -> int:
    """Close submissions not confirmed by e-mail in time and drop their values (hourly)."""
    if is_paused():  # a restored copy changes nothing until an administrator resumes
        return 0
    return services.expire_pending()
