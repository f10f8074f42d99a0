"""Background tasks of the operations app."""

from __future__ import annotations

import socket

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, on_startup

from huike.ops.services import beat


@on_startup()
def heartbeat_on_start() -> None:
    beat(socket.gethostname())


@db_periodic_task(crontab(minute="*"))
def heartbeat() -> None:
    """Prove once a minute that a worker runs (the health check reads it)."""
    beat(socket.gethostname())
