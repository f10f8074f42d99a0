"""``huike bench intake``: an intake call of new customers, written together against one by one.

A call of ``HUIKE_BENCH_INTAKE_ITEMS`` new customers (default 1,000, the most a call takes; name,
mobile, e-mail, gender, birthday, address, consent to marketing) is posted to
``/api/v1/intake/`` through Django's test client, the way a till or an event system sends
sign-ups. The baseline is the same call with every item written one by one through the
customer services (``create_party``), as before the call's plain new customers were written
together; both run in the same scratch database, alternating, ``repeat`` times (at most 3).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Any
from unittest import mock

from django.db import connection

from huike.ops.bench import Measurement, benchmark

BENCH_USER = "bench-intake"


def log(message: str) -> None:
    print(f"[intake bench] {message}", file=sys.stderr, flush=True)


def batch(start: int, count: int) -> list[dict[str, Any]]:
    """``count`` sign-ups of people nobody has seen yet, numbered from ``start``."""
    return [
        {
            "name": f"会员{number:06d}",
            "attributes": {
                "mobile": f"139{number:08d}",
                "email": f"member{number}@example.com",
                "gender": "female" if number % 2 else "male",
                "birth_date": f"19{60 + number % 40}-0{1 + number % 9}-1{number % 10}",
                "home_address": f"杭州市西湖区文三路 {number % 500} 号",
            },
            "source": "pos:bench",
            "consent": [{"purpose": "marketing", "evidence": "signed at the till"}],
        }
        for number in range(start, start + count)
    ]


@benchmark("intake")
def intake(repeat: int) -> list[Measurement]:
    """Items per second of one intake call of new customers, against one by one."""
    from rest_framework.test import APIClient

    from huike.accounts.models import User
    from huike.intake import services

    size = int(os.environ.get("HUIKE_BENCH_INTAKE_ITEMS", "1000"))
    user = User.objects.filter(username=BENCH_USER).first() or User.objects.create_superuser(
        BENCH_USER, f"{BENCH_USER}@example.com", None
    )
    client = APIClient()
    client.force_authenticate(user)

    def post(start: int) -> float:
        began = time.perf_counter()
        response = client.post(
            "/api/v1/intake/", {"items": batch(start, size)}, format="json", secure=True
        )
        seconds = time.perf_counter() - began
        body = response.json()
        if response.status_code != 200 or body.get("created") != size:
            raise RuntimeError(f"intake answered {response.status_code}: {str(body)[:300]}")
        return seconds

    together: list[float] = []
    one_by_one: list[float] = []
    start = 0
    for round_ in range(max(1, min(repeat, 3))):
        together.append(post(start))
        start += size
        with mock.patch.object(services, "_create_together", return_value={}):
            one_by_one.append(post(start))
        start += size
        log(
            f"round {round_ + 1}: {size:,} items together {together[-1]:.2f} s, "
            f"one by one {one_by_one[-1]:.2f} s"
        )
    seconds, baseline = statistics.median(together), statistics.median(one_by_one)
    return [
        Measurement(
            bench=f"intake.new.{size}.items_per_s",
            n=len(together),
            value=round(size / seconds, 1),
            unit="items/s",
            baseline=round(size / baseline, 1),
            ratio=round(baseline / seconds, 2),
            database=connection.vendor,
        ),
        Measurement(
            bench=f"intake.new.{size}.seconds",
            n=len(together),
            value=round(seconds, 2),
            unit="s",
            baseline=round(baseline, 2),
            ratio=round(seconds / baseline, 3),
            database=connection.vendor,
        ),
    ]
