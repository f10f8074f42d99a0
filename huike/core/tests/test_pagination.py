"""Keyset pages: walking cursors visits every row once, in order, both ways."""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huike.accounts.models import User
from huike.core.pagination import KeysetPage, keyset_page

# Few distinct values, so that many rows tie on the sort field and the pk must break the tie.
JOIN_DATES = [
    datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    datetime.datetime(2026, 1, 1, 8, 30, 15, 123456, tzinfo=datetime.UTC),
    datetime.datetime(2026, 6, 30, tzinfo=datetime.UTC),
]
NAMES = ["anna", "bo", "chen"]
ORDERS = [
    "date_joined",
    "-date_joined",
    "display_name",
    "-display_name",
    "username",
    "-username",
    "pk",
    "-pk",
]
DB_EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

rows_strategy = st.lists(
    st.tuples(st.sampled_from(JOIN_DATES), st.sampled_from(NAMES)), max_size=14
)


def _encode(payload: Any) -> str:
    raw = json.dumps(payload).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _create_users(rows: list[tuple[datetime.datetime, str]]) -> None:
    User.objects.bulk_create(
        User(username=f"u{index:02d}", date_joined=joined, display_name=name)
        for index, (joined, name) in enumerate(rows)
    )


def _expected_pks(order: str) -> list[int]:
    field = order.lstrip("-")
    users = list(User.objects.all())
    key = (lambda u: u.pk) if field == "pk" else (lambda u: (getattr(u, field), u.pk))
    return [u.pk for u in sorted(users, key=key, reverse=order.startswith("-"))]


def _pks(page: KeysetPage) -> list[int]:
    return [row.pk for row in page.rows]


def _walk_forward(order: str, size: int) -> list[KeysetPage]:
    pages = [keyset_page(User.objects.all(), order=order, cursor=None, size=size)]
    while pages[-1].next_cursor is not None:
        assert len(pages) <= 20, "next cursors never reached the end"
        cursor = pages[-1].next_cursor
        pages.append(keyset_page(User.objects.all(), order=order, cursor=cursor, size=size))
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("order", ORDERS)
@DB_EXAMPLES
@given(rows=rows_strategy, size=st.integers(min_value=1, max_value=5))
def test_next_cursors_visit_every_row_exactly_once_in_order(
    order: str, rows: list[tuple[datetime.datetime, str]], size: int
) -> None:
    with transaction.atomic():
        _create_users(rows)

        pages = _walk_forward(order, size)

        visited = [pk for page in pages for pk in _pks(page)]
        assert visited == _expected_pks(order)
        assert all(len(page.rows) == size for page in pages[:-1])
        assert pages[0].is_first
        assert pages[0].previous_cursor is None
        assert all(not page.is_first and page.previous_cursor for page in pages[1:])
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("order", ORDERS)
@DB_EXAMPLES
@given(rows=rows_strategy, size=st.integers(min_value=1, max_value=5))
def test_previous_cursors_walk_back_through_the_same_pages(
    order: str, rows: list[tuple[datetime.datetime, str]], size: int
) -> None:
    with transaction.atomic():
        _create_users(rows)
        forward = _walk_forward(order, size)

        backward = [forward[-1]]
        while backward[-1].previous_cursor is not None:
            assert len(backward) <= len(forward), "previous cursors went past the first page"
            cursor = backward[-1].previous_cursor
            backward.append(keyset_page(User.objects.all(), order=order, cursor=cursor, size=size))

        assert [_pks(page) for page in reversed(backward)] == [_pks(page) for page in forward]
        assert backward[-1].is_first
        # From a page reached backwards, "next" leads on to the page after it again.
        for earlier, later in zip(backward[1:], backward, strict=False):
            assert earlier.next_cursor is not None
            again = keyset_page(
                User.objects.all(), order=order, cursor=earlier.next_cursor, size=size
            )
            assert _pks(again) == _pks(later)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_an_empty_list_has_one_page_without_cursors() -> None:
    page = keyset_page(User.objects.all(), order="username", cursor=None, size=10)

    assert page.rows == []
    assert page.next_cursor is None
    assert page.previous_cursor is None
    assert page.is_first


TAMPERED = {
    "not base64": "%%%not-a-cursor%%%",
    "not json": base64.urlsafe_b64encode(b"\xff\xfe{").decode(),
    "json list": _encode([1, 2]),
    "json string": _encode("pk"),
    "no pk": _encode({"v": "2026-01-01T00:00:00+00:00"}),
    "pk null": _encode({"v": "2026-01-01T00:00:00+00:00", "pk": None}),
    "pk text": _encode({"v": "2026-01-01T00:00:00+00:00", "pk": "drop table"}),
    "pk list": _encode({"v": "2026-01-01T00:00:00+00:00", "pk": [1]}),
    "pk out of range": _encode({"v": "2026-01-01T00:00:00+00:00", "pk": 10**30}),
    "value missing": _encode({"pk": 1}),
    "value not a date": _encode({"v": "yesterday", "pk": 1, "dir": "prev"}),
    "value a number": _encode({"v": 5, "pk": 1}),
    "value an object": _encode({"v": {"a": 1}, "pk": 1}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_cursor_yields_the_first_page(
    cursor: str, make_user: Callable[..., User]
) -> None:
    for index, joined in enumerate(JOIN_DATES * 2):
        make_user(username=f"u{index}", date_joined=joined)
    first = keyset_page(User.objects.all(), order="-date_joined", cursor=None, size=2)

    page = keyset_page(User.objects.all(), order="-date_joined", cursor=cursor, size=2)

    assert _pks(page) == _pks(first)
    assert page.is_first
    assert page.previous_cursor is None
    assert page.next_cursor == first.next_cursor


@pytest.mark.django_db
@DB_EXAMPLES
@given(cursor=st.text(max_size=60))
def test_any_garbled_text_as_a_cursor_yields_the_first_page(cursor: str) -> None:
    with transaction.atomic():
        _create_users([(JOIN_DATES[i % 3], NAMES[i % 3]) for i in range(5)])
        first = keyset_page(User.objects.all(), order="date_joined", cursor=None, size=2)

        page = keyset_page(User.objects.all(), order="date_joined", cursor=cursor, size=2)

        assert _pks(page) == _pks(first)
        assert page.is_first
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_cursor_from_another_sort_order_yields_the_first_page(
    make_user: Callable[..., User],
) -> None:
    for index in range(4):
        make_user(username=f"u{index}")
    by_name = keyset_page(User.objects.all(), order="username", cursor=None, size=2)
    first = keyset_page(User.objects.all(), order="date_joined", cursor=None, size=2)

    page = keyset_page(User.objects.all(), order="date_joined", cursor=by_name.next_cursor, size=2)

    assert _pks(page) == _pks(first)
