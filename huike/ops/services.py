"""Health of the running system, and the pause a restored copy starts in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from huike.core.models import WorkerHeartbeat
from huike.core.services import record_change
from huike.ops.models import SystemState


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
    # Paused after a restore: the worker beats on, but jobs, e-mail and webhooks hold back.
    report["paused"] = False
    if report["database"]["ok"]:
        try:
            report["paused"] = is_paused()
        except DatabaseError:  # not migrated yet
            pass
    report["ok"] = report["database"]["ok"] and worker["ok"]
    return report


# --- Paused mode (after a restore) ------------------------------------------------------------


def pause_state(using: str = "default") -> SystemState | None:
    """The installation's state row when it is paused, else ``None``."""
    return (
        SystemState.objects.using(using)
        .filter(pk=SystemState.SINGLETON, paused_at__isnull=False)
        .first()
    )


def is_paused(using: str = "default") -> bool:
    """Whether outgoing e-mail, webhooks and background jobs must hold back.

    Every job with effects outside the database (sending, calling other systems, scheduled
    work) checks this first and skips while it is true; a restored copy starts paused.
    """
    return (
        SystemState.objects.using(using)
        .filter(pk=SystemState.SINGLETON, paused_at__isnull=False)
        .exists()
    )


def pause(reason: str, *, using: str = "default") -> SystemState:
    """Pause the installation (kept when already paused, with the new reason)."""
    state, _created = SystemState.objects.using(using).get_or_create(pk=SystemState.SINGLETON)
    state.paused_at = state.paused_at or timezone.now()
    state.paused_reason = reason[:300]
    state.save(using=using)
    return state


def resume(*, actor: Any) -> bool:
    """Lift the pause; ``False`` when the installation was not paused. Logs who resumed."""
    state = pause_state()
    if state is None:
        return False
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    before = {"paused_at": state.paused_at.isoformat() if state.paused_at else None}
    state.paused_at = None
    state.resumed_at = timezone.now()
    state.resumed_by = (actor.get_username() if is_user else "system")[:150]
    state.save()
    record_change(
        state,
        actor=actor,
        action="action",
        message="resumed",
        changes={"paused_at": [before["paused_at"], None]},
    )
    return True
