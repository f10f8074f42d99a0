"""What every page needs from the operations app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from huike.ops.models import SystemState
from huike.ops.services import pause_state


def pause(request: HttpRequest) -> dict[str, Callable[[], SystemState | None]]:
    """``huike_pause``: the paused state for the administrators' banner.

    A callable, so the query runs only when the template evaluates it, and the banner include
    evaluates it only for administrators: other users' pages cost nothing.
    """
    return {"huike_pause": _lazy_state}


def _lazy_state(*args: Any) -> SystemState | None:
    return pause_state()
