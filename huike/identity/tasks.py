"""Searches for duplicates in the background worker.

``dedupe`` runs one search (started on the page, by the API); ``resume_dedupes`` hands over
again, every five minutes, the searches nobody picked up (queued while Huike was paused, or
lost by a restarted worker). Both do nothing while Huike is paused.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from huike.identity import jobs
from huike.ops.services import is_paused


@db_task()
def dedupe(job_id: int) -> str:
    """Run search ``job_id``; returns its status."""
    if is_paused():  # a restored copy searches nothing until an administrator resumes it
        return ""
    return str(jobs.run_dedupe(job_id).status)


@db_periodic_task(crontab(minute="*/5"))
def resume_dedupes() -> int:
    """Queue again the searches nobody picked up; fail those whose worker stopped."""
    if is_paused():
        return 0
    jobs.fail_abandoned()
    waiting = jobs.waiting_jobs()
    for job_id in waiting:
        dedupe(job_id)
    return len(waiting)
