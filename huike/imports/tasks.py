"""Import jobs in the background worker.

``run_import`` runs one job (queued by the import page or the API); ``resume_imports`` hands
over again, every five minutes, the jobs a stopped or paused worker left behind: each
continues after its last committed batch. Both do nothing while Huike is paused.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from huike.imports import retention, services
from huike.ops.services import is_paused


@db_task()
def run_import(job_id: int) -> str:
    """Import job ``job_id``; returns its status ("" when another worker has it)."""
    if is_paused():  # a restored copy imports nothing until an administrator resumes it
        return ""
    job = services.claim(job_id)
    if job is None:  # finished, cancelled, not queued, or running elsewhere
        return ""
    return services.execute(job).status


@db_periodic_task(crontab(minute="*/5"))
def resume_imports() -> int:
    """Queue again the imports nobody picked up and those whose worker stopped."""
    if is_paused():
        return 0
    waiting = services.waiting_jobs()
    for job_id in waiting:
        run_import(job_id)
    return len(waiting)


@db_periodic_task(crontab(hour="3", minute="20"))
def purge_old_imports() -> dict[str, int]:
    """Nightly: delete old imports' problem rows and uploads, and abandoned uploads."""
    if is_paused():
        return {}
    return retention.purge()
