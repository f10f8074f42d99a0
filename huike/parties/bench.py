"""Benchmarks of the customer record at 10k, 100k and 1M parties (ARCHITECTURE.md §7).

``parties_search``, ``parties_list`` and ``parties_360`` measure pages through the test client as
a signed-in administrator (record scope "all"): server time is the time of ``client.get``
in-process. Each page is compared with a primary-key fetch of the rows it returned, measured
in the same run: ``list(Party.objects.filter(pk__in=ids))``.

- ``parties_search.<kind>.<n>``: the customer list searched (``/customers/?q=``), ``…_api``
  the API (``/api/v1/parties/?q=``) and ``…_box`` the global search box (``/search/?q=``), for
  pinyin initials (``zs`` and initials of generated names), the last four digits of a mobile,
  and the trade name of a generated company (``华为``-style);
- ``parties_list.three_filters.<n>``: ``/customers/?stage=customer&region=<province>&owner=…``;
- ``parties_360.page.<n>``: ``/customers/<id>/``.

Every measurement also has a ``.sql`` twin: the page's own queries, captured once and replayed
(executed and fetched) alone — how much of the page is the database.

Sizes come from ``HUIKE_BENCH_SIZES`` (default ``10000``, so ``make bench`` stays quick):
``HUIKE_BENCH_SIZES=10000,100000,1000000 huike bench parties_search parties_list parties_360``.
A population is expensive, so the three benchmarks share one: the first of them to run builds
each size in turn (growing the previous population: the population of 10k is the first 10k of
the population of 100k) and measures all three at that size; the others report what it
measured.
"""

from __future__ import annotations

import gc
import itertools
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from huike.ops.bench import Measurement, benchmark, compare, timed

SIZES_ENV = "HUIKE_BENCH_SIZES"
DEFAULT_SIZES = (10_000,)
SEED = 2026
QUERIES_PER_KIND = 20  # different queries per measurement, cycled through the samples
PAGES_360 = 50
DETAIL_LINK = re.compile(r'href="/customers/(\d+)/"')
HAN = re.compile(r"[\u3400-\u9fff]")
# Provinces of the three-filter list (Guangdong, Zhejiang, Jiangsu…), cycled with the owners.
LIST_PROVINCES = ("440000", "330000", "320000", "370000", "110000", "310000", "510000")


def bench_sizes() -> list[int]:
    raw = os.environ.get(SIZES_ENV, "")
    sizes = sorted({int(part.replace("_", "")) for part in raw.split(",") if part.strip()})
    return sizes or list(DEFAULT_SIZES)


def log(message: str) -> None:
    print(f"[parties bench] {message}", file=sys.stderr, flush=True)


@dataclass
class Case:
    """One page to measure, cycled over several URLs, each with the ids it returns."""

    name: str
    urls: list[str]
    ids: list[list[int]] = field(default_factory=list)
    queries: list[list[tuple[str, Any]]] = field(default_factory=list)


@dataclass
class Session:
    """One run of the three benchmarks over every size (see the module docstring)."""

    sizes: list[int]
    repeat: int
    results: dict[str, list[Measurement]] = field(default_factory=dict)
    first_party_id: int | None = None

    def valid(self, sizes: list[int], repeat: int) -> bool:
        from huike.parties.models import Party

        return (
            (sizes, repeat) == (self.sizes, self.repeat)
            and self.first_party_id is not None
            and Party.objects.filter(pk=self.first_party_id).exists()
        )

    def run(self) -> None:
        from huike.parties import population

        refs = population.References.load()
        built = 0
        for size in self.sizes:
            log(f"building the population: parties {built:,} to {size:,}")
            started = time.perf_counter()
            result = population.populate(
                size - built,
                seed=SEED,
                start=built,
                refs=refs,
                source="bench",
                progress=_progress,
            )
            if self.first_party_id is None:
                self.first_party_id = result.first_id
            built = size
            population.analyze()  # PostgreSQL: VACUUM ANALYZE, as autovacuum would soon
            log(f"population of {size:,} ready in {time.perf_counter() - started:.0f} s")
            self.measure(size, refs)

    def measure(self, size: int, refs: Any) -> None:
        from huike.accounts.models import Role, User
        from huike.parties import population

        admin = User.objects.filter(username="bench-parties-admin").first()
        if admin is None:
            admin = User.objects.create(
                username="bench-parties-admin", role=Role.objects.get(code="administrator")
            )
        client = _client(admin)
        assert self.first_party_id is not None
        cases = _cases(size, refs, self.first_party_id)
        # What generating left behind (name caches…) would slow the garbage collector, and with
        # it the pages measured next; a web process has none of it.
        population.clear_caches()
        gc.collect()
        with override_settings(DEBUG=False, SECURE_SSL_REDIRECT=False):
            for group, case in cases:
                if not case.urls:  # a tiny population may lack, say, companies
                    continue
                _prepare(client, case)
                measured, replayed, baseline = _measure(client, case, self.repeat)
                lines = compare(f"{case.name}.{size}", measured, baseline)
                lines += compare(f"{case.name}.{size}.sql", replayed, baseline)
                self.results.setdefault(group, []).extend(lines)
                for line in lines:
                    log(line.as_json())


def _progress(progress: Any) -> None:
    step = max(progress.total // 20, 1)
    if progress.done % step < 2000 or progress.done == progress.total:
        rate = progress.done / progress.seconds if progress.seconds else 0
        log(
            f"  {progress.done:,}/{progress.total:,} parties, {progress.seconds:.0f} s, "
            f"{rate:,.0f}/s"
        )


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _cases(size: int, refs: Any, first_id: int) -> list[tuple[str, Case]]:
    """The URLs of each measurement, drawn from the population of ``size`` (deterministic)."""
    from huike.parties import population, text
    from huike.parties.models import Party

    rng = random.Random(size)
    sample = sorted(rng.sample(range(size), min(size, 4000)))
    specs = [population.generate(SEED, index, refs) for index in sample]
    values = [{code: value for code, value, _text in spec.values} for spec in specs]
    han_people = [s.name for s in specs if s.kind == Party.Kind.PERSON and HAN.match(s.name)]
    # "zs", then initials of generated names (张伟 → zw): common and rare ones alike.
    initials = sorted({text.pinyin_keys(name)[1][0][:2] for name in han_people} - {"zs"})
    initials = ["zs", *rng.sample(initials, min(len(initials), QUERIES_PER_KIND - 1))]
    phones = [str(v["mobile"])[-4:] for v in values if "mobile" in v][:QUERIES_PER_KIND]
    # The trade name a Chinese company is known by, "华为"-style (its name may start with a city).
    brands = [
        str(v["short_name"])
        for spec, v in zip(specs, values, strict=True)
        if spec.kind == Party.Kind.ORGANIZATION and HAN.match(str(v.get("short_name", "")))
    ]
    companies = list(dict.fromkeys(brands))[:QUERIES_PER_KIND]
    owners = [owner.username for owner in refs.owners]
    lists = [
        {"stage": "customer", "region": LIST_PROVINCES[i % len(LIST_PROVINCES)], "owner": owner}
        for i, owner in enumerate(owners[:QUERIES_PER_KIND])
    ]
    pages = [first_id + index for index in sorted(rng.sample(range(size), min(size, PAGES_360)))]
    cases: list[tuple[str, Case]] = []
    for name, queries in (("initials", initials), ("phone", phones), ("company", companies)):
        for suffix, path in (
            ("", "/customers/"),
            ("_api", "/api/v1/parties/"),
            ("_box", "/search/"),
        ):
            urls = [f"{path}?{urlencode({'q': query})}" for query in queries]
            cases.append(("search", Case(f"parties_search.{name}{suffix}", urls)))
    cases.append(
        ("list", Case("parties_list.three_filters", [f"/customers/?{urlencode(q)}" for q in lists]))
    )
    cases.append(("360", Case("parties_360.page", [f"/customers/{pk}/" for pk in pages])))
    return cases


class _Recorder:
    """Collects (sql, params) of every query run while active."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, Any]] = []

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.queries.append((sql, params))
        return execute(sql, params, many, context)


def _prepare(client: Any, case: Case) -> None:
    """Fetch each URL once: check it, note the ids it shows and the queries it runs."""
    for url in case.urls:
        recorder = _Recorder()
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(recorder):
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
        assert not counts, f"{url} counts rows: {counts}"
        if url.startswith("/api/"):
            ids = [row["id"] for row in response.json()["results"]]
        elif url.startswith("/customers/") and "?" not in url:
            ids = [int(url.strip("/").split("/")[-1])]
        else:
            ids = list(
                dict.fromkeys(int(pk) for pk in DETAIL_LINK.findall(response.content.decode()))
            )
        if not ids:
            log(f"warning: {url} shows no customer")
        case.ids.append(ids)
        case.queries.append(recorder.queries)
    rows = sum(len(ids) for ids in case.ids) / len(case.ids)
    queries = sum(len(q) for q in case.queries) / len(case.queries)
    log(f"{case.name}: {len(case.urls)} URLs, {rows:.1f} rows and {queries:.1f} queries per page")


def _replay(queries: list[tuple[str, Any]]) -> None:
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            cursor.fetchall()


def _measure(client: Any, case: Case, repeat: int) -> tuple[list[float], list[float], list[float]]:
    from huike.parties.models import Party

    def cycle(items: list[Any]) -> Iterator[Any]:
        return itertools.cycle(items)

    urls, ids, queries = cycle(case.urls), cycle(case.ids), cycle(case.queries)
    measured = timed(lambda: client.get(next(urls)), repeat)
    replayed = timed(lambda: _replay(next(queries)), repeat)
    baseline = timed(lambda: list(Party.objects.filter(pk__in=next(ids))), repeat)
    return measured, replayed, baseline


_session: Session | None = None


def _results(group: str, repeat: int) -> list[Measurement]:
    global _session
    sizes = bench_sizes()
    if _session is None or not _session.valid(sizes, repeat):
        _session = Session(sizes=sizes, repeat=repeat)
        _session.run()
    return _session.results.get(group, [])


@benchmark("parties_search")
def parties_search(repeat: int) -> list[Measurement]:
    """Search by pinyin initials, phone suffix and company name: list, API and search box."""
    return _results("search", repeat)


@benchmark("parties_list")
def parties_list(repeat: int) -> list[Measurement]:
    """The customer list with three filters (stage, province, owner), first page."""
    return _results("list", repeat)


@benchmark("parties_360")
def parties_360(repeat: int) -> list[Measurement]:
    """The customer 360° page."""
    return _results("360", repeat)
