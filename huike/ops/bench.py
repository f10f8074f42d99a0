"""Benchmarks: each prints one JSON line per measurement, with a baseline from the same run.

Noisy machines still compare, because every figure is a ratio to something measured moments
before on the same machine. Benchmarks run in a throw-away test database (created and dropped
here), never in the real one. Later apps add theirs with ``@benchmark("name")``.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path


@dataclass
class Measurement:
    bench: str
    n: int
    value: float
    unit: str
    baseline: float
    ratio: float
    database: str = ""

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


Benchmark = Callable[[int], list[Measurement]]
REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[Benchmark], Benchmark]:
    def register(function: Benchmark) -> Benchmark:
        REGISTRY[name] = function
        return function

    return register


def timed(function: Callable[[], Any], repeat: int) -> list[float]:
    """Milliseconds per call, after a short warm-up."""
    for _ in range(min(10, repeat)):
        function()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def compare(name: str, measured: list[float], baseline: list[float]) -> list[Measurement]:
    """Median and p95 of ``measured``, each against the same statistic of ``baseline``."""
    vendor = connection.vendor
    results = []
    for label, stat in (("median", statistics.median), ("p95", p95)):
        value, base = stat(measured), stat(baseline)
        results.append(
            Measurement(
                bench=f"{name}.{label}",
                n=len(measured),
                value=round(value, 3),
                unit="ms",
                baseline=round(base, 3),
                ratio=round(value / base, 2) if base else 0.0,
                database=vendor,
            )
        )
    return results


@contextmanager
def scratch_database() -> Iterator[None]:
    """A fresh test database for the run, dropped afterwards.

    On SQLite it is a file (``var/bench/scratch.sqlite3``), not Django's in-memory test
    database: an installation writes to disk, and an in-memory database would count its whole
    size as the process's memory.
    """
    from django.conf import settings
    from django.test.utils import setup_test_environment, teardown_test_environment

    if connection.vendor == "sqlite":
        folder = Path(settings.VAR_DIR) / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(folder / "scratch.sqlite3")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


# --- request overhead ------------------------------------------------------------------------


def bare_user_rows(request: HttpRequest) -> HttpResponse:
    """The floor: the same 50 users, fetched and written out with no framework around them."""
    from huike.accounts.models import User

    rows = User.objects.order_by("username").values_list("username", "display_name", "email")[:50]
    body = "\n".join("\t".join(row) for row in rows)
    return HttpResponse(body, content_type="text/plain")


urlpatterns = [path("bench/bare-users/", bare_user_rows), path("", include("huike.urls"))]


@benchmark("request_overhead")
def request_overhead(repeat: int) -> list[Measurement]:
    """A signed-in list page of 50 users against a bare view returning the same rows."""
    from huike.accounts.models import Role, User

    admin_role = Role.objects.get(code="administrator")
    User.objects.bulk_create(
        [
            User(
                username=f"bench{i:04d}",
                display_name=f"用户{i}",
                email=f"bench{i}@example.com",
            )
            for i in range(200)
        ]
    )
    admin = User.objects.create(username="bench-admin", role=admin_role, is_staff=True)
    client = Client()
    client.force_login(admin)
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False, SECURE_SSL_REDIRECT=False):
        page = client.get("/accounts/users/?per_page=50&sort=username")
        assert page.status_code == 200, page.status_code
        assert page.content.count(b"bench0") >= 49
        bare = Client()
        measured = timed(lambda: client.get("/accounts/users/?per_page=50&sort=username"), repeat)
        baseline = timed(lambda: bare.get("/bench/bare-users/"), repeat)
    return compare("request_overhead.user_list_50_rows", measured, baseline)
