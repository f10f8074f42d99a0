"""``huike bench imports``: import throughput against the physical floor of the same database.

For each size (``HUIKE_BENCH_IMPORT_SIZES``, default ``10000`` so ``make bench`` stays quick;
the issue's figures are ``100000,1000000``) a CSV of generated contacts with ten columns is
written, then:

1. **import** — ``engine.run`` on a new job: reading, mapping, validation, matching, set-based
   writes of parties, observations, golden values, search keys and change log, checkpoints;
2. **floor** — the same rows written as one party and ten observations each with raw multi-row
   inserts (``executemany`` on SQLite, ``COPY`` on PostgreSQL), with no reading, mapping or
   validation, in transactions of the same size.

Each prints rows per second with the floor as baseline (``ratio`` = import ÷ floor; the target is
at least 0.25, and a million rows in under three minutes), the import's wall time, and the
process's peak resident memory after it. Tables are emptied between the two, so both start from
the same state.
"""

from __future__ import annotations

import csv
import gc
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from huike.imports import engine
from huike.ops.bench import Measurement, benchmark
from huike.parties import population

HEADER = ["姓名", "手机", "邮箱", "性别", "生日", "公司", "职务", "地址", "客户编号", "备注"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅晓东海波宁"
CITIES = ["北京市朝阳区", "上海市浦东新区", "广州市天河区", "深圳市南山区", "杭州市西湖区"]
STREETS = ["建国路", "人民路", "中山路", "解放路", "和平路", "长江路"]
COMPANIES = ["华信科技有限公司", "东方贸易有限公司", "新城建设集团", "远航物流有限公司"]
TITLES = ["总经理", "采购经理", "财务总监", "工程师", "销售主管"]


def sizes() -> list[int]:
    raw = os.environ.get("HUIKE_BENCH_IMPORT_SIZES", "10000")
    return [int(size) for size in raw.split(",") if size.strip()]


def log(message: str) -> None:
    print(f"[imports bench] {message}", file=sys.stderr, flush=True)


def contacts(count: int, seed: int = 7) -> Iterator[list[str]]:
    """``count`` distinct generated contacts, ten columns each (see ``HEADER``)."""
    rng = random.Random(seed)
    for index in range(count):
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        yield [
            name,
            f"13{index % 10}{index:08d}",
            f"user{index}@example.com",
            rng.choice(("男", "女")),
            f"{rng.randint(1950, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            rng.choice(COMPANIES),
            rng.choice(TITLES),
            f"{rng.choice(CITIES)}{rng.choice(STREETS)}{rng.randint(1, 999)}号",
            f"B{index:09d}",
            "展会名单",
        ]


def write_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        out.writerows(contacts(count))


def peak_rss_mb() -> float:
    """The largest resident memory of this process or of a worker it started (MB)."""
    return (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024  # kilobytes on Linux
    )


def empty_tables() -> None:
    """Remove every customer and what hangs off them (fast paths on both databases)."""
    from huike.core.models import ChangeLog
    from huike.imports.models import ImportJob, ImportProblem
    from huike.parties.models import GoldenValue, Observation, Party, SearchKey

    models = [ImportProblem, ImportJob, GoldenValue, SearchKey, Observation, ChangeLog, Party]
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE {} CASCADE".format(", ".join(f'"{t}"' for t in tables)))
            return
        cursor.execute("PRAGMA foreign_keys = OFF")
        for table in tables:
            cursor.execute(f'DELETE FROM "{table}"')  # noqa: S608 (model table names)
        cursor.execute("PRAGMA foreign_keys = ON")


def run_import(path: Path, count: int) -> float:
    """Seconds to import ``path`` through the engine, as ``huike import`` does."""
    from huike.accounts.models import Role, User
    from huike.imports import engine
    from huike.imports.models import ImportJob

    user, _created = User.objects.get_or_create(
        username="bench-imports", defaults={"role": Role.objects.get(code="administrator")}
    )
    job = ImportJob.objects.create(
        created_by=user,
        path=str(path),
        original_name=path.name,
        digest=engine.file_digest(path),
        size=path.stat().st_size,
    )
    began = time.perf_counter()
    last = [began]

    def progress(job: ImportJob) -> None:
        now = time.perf_counter()
        if now - last[0] > 10:
            last[0] = now
            log(f"{job.rows_done:,} of {count:,} rows, {job.rows_done / (now - began):,.0f}/s")

    engine.run(job, progress=progress)
    seconds = time.perf_counter() - began
    assert job.status == "done" and job.created == count, (job.status, job.error, job.summary())
    return seconds


def run_floor(path: Path) -> float:
    """Seconds to write the file's rows as parties and observations with raw bulk inserts."""
    from huike.parties import population
    from huike.parties.models import AttributeDefinition, Observation, Party

    codes = ["name", "mobile", "email", "gender", "birth_date", "employer", "job_title"]
    codes += ["postal_address", "external_id", "notes"]
    attribute_ids = dict(
        AttributeDefinition.objects.filter(code__in=codes).values_list("code", "pk")
    )
    ids = [attribute_ids[code] for code in codes]
    vendor = connection.vendor
    now = timezone.now()
    when = connection.ops.adapt_datetimefield_value(now) if vendor == "sqlite" else now
    party_table = population.Table(
        Party,
        "id kind name golden version pinyin stage notes processing_restricted created_at "
        "updated_at".split(),
    )
    observation_table = population.OBSERVATION
    fixed = ("import", "", None, "system", when, when, "", 1.0, "")
    seconds = 0.0
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        while True:
            rows = [row for _n, row in zip(range(engine.BATCH), reader, strict=False)]
            if not rows:
                break
            began = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                party_ids = population.reserve_ids(cursor, vendor, Party, len(rows))
                observation_ids = iter(
                    population.reserve_ids(cursor, vendor, Observation, len(rows) * len(ids))
                )
                party_table.insert(
                    cursor,
                    vendor,
                    [
                        (pk, "person", row[0], "{}", 1, "", "prospect", "", False, when, when)
                        for pk, row in zip(party_ids, rows, strict=True)
                    ],
                )
                observation_table.insert(
                    cursor,
                    vendor,
                    [
                        (next(observation_ids), pk, attribute, json.dumps(value), value, *fixed)
                        for pk, row in zip(party_ids, rows, strict=True)
                        for attribute, value in zip(ids, row, strict=True)
                    ],
                )
            seconds += time.perf_counter() - began
    return seconds


@benchmark("imports")
def imports(repeat: int) -> list[Measurement]:
    """Import throughput (rows/s) against the raw-insert floor, per size."""
    results: list[Measurement] = []
    vendor = connection.vendor
    with tempfile.TemporaryDirectory(prefix="huike-bench-imports-") as folder:
        for size in sizes():
            path = Path(folder) / f"contacts-{size}.csv"
            write_csv(path, size)
            log(f"{size:,} rows, {path.stat().st_size / 1e6:,.0f} MB: importing")
            empty_tables()
            gc.collect()
            seconds = run_import(path, size)
            rss = peak_rss_mb()
            log(f"imported in {seconds:,.1f} s; floor next")
            empty_tables()
            with population.bulk_load("default", engine.IMPORT_CACHE_KIB):  # as the import
                floor = run_floor(path)
            empty_tables()
            rate, floor_rate = size / seconds, size / floor
            results += [
                Measurement(
                    bench=f"imports.csv.{size}.rows_per_s",
                    n=size,
                    value=round(rate, 1),
                    unit="rows/s",
                    baseline=round(floor_rate, 1),
                    ratio=round(rate / floor_rate, 3),
                    database=vendor,
                ),
                Measurement(
                    bench=f"imports.csv.{size}.seconds",
                    n=size,
                    value=round(seconds, 1),
                    unit="s",
                    baseline=round(floor, 1),
                    ratio=round(seconds / floor, 2),
                    database=vendor,
                ),
                Measurement(
                    bench=f"imports.csv.{size}.peak_rss",
                    n=size,
                    value=round(rss, 1),
                    unit="MB",
                    baseline=1024.0,
                    ratio=round(rss / 1024, 3),
                    database=vendor,
                ),
            ]
            for line in results[-3:]:
                log(line.as_json())
            path.unlink()
    return results
