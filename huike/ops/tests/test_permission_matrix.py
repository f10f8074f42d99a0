"""The health check is open to monitoring without a token (the permission matrix: see
``huike.core.testing.matrix``); what it says is checked in ``test_health.py``.
Resuming a paused installation is for administrators (``test_backup.py`` tests the rest)."""

from __future__ import annotations

from typing import Any

from huike.core.testing.matrix import PermissionMatrix, Route
from huike.ops.services import is_paused, pause


def paused(_owner: Any) -> Any:
    return pause("matrix")


class TestOpsMatrix(PermissionMatrix):
    routes = [
        Route("api:health", public=True),
        Route(
            "ops:resume",
            kind="action",
            method="POST",
            permission="ops.change_systemstate",
            make_object=paused,
            url_kwargs=lambda _obj: {},
            effect=lambda _obj: is_paused(),
            ok=(302,),
        ),
    ]
