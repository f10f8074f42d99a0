"""Background tasks of the operations app."""

from __future__ import annotations

import socket

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, on_startup

from huike.ops.backup import scheduled_backup
from huike.ops.services import beat


@on_startup()
def heartbeat_on_start() -> None:
    beat(socket.gethostname())


@db_periodic_task(crontab(minute="*"))
def heartbeat() -> None:
    """Prove once a minute that a worker runs (the health check reads it).

    Beats on while Huike is paused: the pause holds back work, and the health check should
    still tell a stopped worker from a paused one (it reports ``paused`` separately).
    """
    beat(socket.gethostname())


@db_periodic_task(crontab(minute="5"))
def nightly_backup() -> str:
    """Every hour, ask whether it is ``BACKUP_HOUR`` (local time) and back up if so.

    Asked hourly rather than scheduled at one UTC hour so that the hour follows TIME_ZONE.
    Skips while paused: a restored copy must not overwrite the backups of the original.
    """
    result = scheduled_backup()
    return str(result.path) if result else ""
