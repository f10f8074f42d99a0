"""Health of the running system."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from huike.core.models import WorkerHeartbeat


def beat(name: str) -> None:
    """Record that the worker ``name`` is alive now."""
    WorkerHeartbeat.objects.update_or_create(
        name=name[:100], defaults={"last_seen": timezone.now()}
    )


def health() -> dict[str, Any]:
    """Database reachability and the freshest worker heartbeat.

    ``ok`` is false when the database fails or no worker beat recently.
    """
    report: dict[str, Any] = {"database": {"ok": False, "vendor": connection.vendor}}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        report["database"]["ok"] = True
    except DatabaseError as error:
        report["database"]["error"] = error.__class__.__name__
    worker: dict[str, Any] = {
        "ok": False,
        "last_seen": None,
        "backend": settings.HUEY["huey_class"],
    }
    if report["database"]["ok"]:
        latest = WorkerHeartbeat.objects.order_by("-last_seen").first()
        if latest is not None:
            age = timezone.now() - latest.last_seen
            worker.update(
                last_seen=latest.last_seen.isoformat(),
                name=latest.name,
                ok=age <= settings.WORKER_HEARTBEAT_MAX_AGE,
            )
    report["worker"] = worker
    report["ok"] = report["database"]["ok"] and worker["ok"]
    return report
