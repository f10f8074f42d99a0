"""The entry points of import worker processes (see :mod:`huike.imports.pipeline`).

A worker starts as a fresh interpreter, so this module imports nothing of Django's models at
import time: the app registry is set up first, then the job's plan is read.
"""

from __future__ import annotations

import os
import pickle
from typing import Any

_plan: Any = None
_failure: str = ""


def start(plan: bytes, settings_module: str, keys_file: str, language: str) -> None:
    """Set Django up, then read the plan (its attribute definitions need the app registry)."""
    global _plan, _failure
    try:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
        import django

        django.setup()
        from django.conf import settings
        from django.utils import translation

        settings.HUIKE_KEYS_FILE = keys_file
        translation.activate(language)
        _plan = pickle.loads(plan)  # noqa: S301 (pickled by the job's own process)
    except Exception as error:  # reported with the first batch, which the job then prepares
        _failure = f"{type(error).__name__}: {error}"


def prepare(batch: list[tuple[int, dict[str, str]]]) -> list[Any]:
    if _plan is None:
        raise RuntimeError(f"the import worker could not start: {_failure}")
    from huike.imports.prepare import prepare_batch

    results = prepare_batch(_plan, batch)
    for result in results:
        result.row = {}  # the job's process has the rows: not sent back (see pipeline.Workers)
    return results
