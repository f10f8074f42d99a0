"""Generic list views, seen through the user list: exports, pages, and a flat query count."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from huike.accounts.models import User
from huike.accounts.tests.factories import TeamFactory

USERS = "/accounts/users/"
FORMULA = '=HYPERLINK("http://x")'

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)
    return client


def _csv_rows(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _xlsx_cells(response: Any) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.active.iter_rows()]


def test_csv_export_neutralises_a_formula_in_a_display_name(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    make_user("salesperson", username="mallory", display_name=FORMULA)

    response = admin_client.get(USERS, {"export": "csv"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="users.csv"'
    rows = _csv_rows(response)
    header = rows[0]
    mallory = next(row for row in rows if "mallory" in row)
    assert mallory[header.index("Display name")] == "'" + FORMULA
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_xlsx_export_stores_a_formula_in_a_display_name_as_text(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    make_user("salesperson", username="mallory", display_name=FORMULA)

    response = admin_client.get(USERS, {"export": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="users.xlsx"'
    rows = _xlsx_cells(response)
    header = [cell.value for cell in rows[0]]
    mallory = next(row for row in rows if any(cell.value == "mallory" for cell in row))
    cell = mallory[header.index("Display name")]
    assert cell.value == "'" + FORMULA
    assert cell.data_type == "s"
    assert all(c.data_type != "f" for row in rows for c in row)


def test_exports_contain_every_filtered_row_not_only_the_current_page(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    for index in range(30):
        make_user("salesperson", username=f"sales{index:02d}")
    make_user("auditor", username="outsider")

    response = admin_client.get(USERS, {"export": "csv", "q": "sales", "per_page": "25"})

    usernames = [row[0] for row in _csv_rows(response)[1:]]
    assert usernames == [f"sales{index:02d}" for index in range(30)]


def test_exports_follow_the_requested_sort_order(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    for name in ("amy", "bob", "cai"):
        make_user("salesperson", username=name)

    response = admin_client.get(USERS, {"export": "csv", "sort": "-username"})

    usernames = [row[0] for row in _csv_rows(response)[1:]]
    assert usernames == sorted(usernames, reverse=True)


def test_exports_need_the_permission_to_view_the_list(
    client: Client, make_user: Callable[..., User]
) -> None:
    client.force_login(make_user("salesperson"))

    response = client.get(USERS, {"export": "csv"})

    assert response.status_code == 403


def _users_with_roles_and_teams(make_user: Callable[..., User], count: int) -> None:
    for index in range(count):
        make_user("salesperson", team=TeamFactory.create(), username=f"n{count}-{index:02d}")


def _list_query_count(client: Client, query: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response: Any = client.get(USERS, query)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "query", [{}, {"export": "csv"}, {"export": "xlsx"}], ids=["page", "csv", "xlsx"]
)
def test_the_user_list_query_count_does_not_grow_with_the_number_of_users(
    admin_client: Client, make_user: Callable[..., User], query: dict[str, str]
) -> None:
    _users_with_roles_and_teams(make_user, 5)
    with_five = _list_query_count(admin_client, query)

    _users_with_roles_and_teams(make_user, 25)
    with_thirty = _list_query_count(admin_client, query)

    assert with_thirty == with_five


def test_the_user_list_pages_with_cursors(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    for index in range(30):
        make_user("salesperson", username=f"u{index:02d}")

    first = admin_client.get(USERS, {"per_page": 25})
    page = first.context["page"]
    second = admin_client.get(USERS, {"per_page": 25, "cursor": page.next_cursor})

    first_names = [user.username for user in page.rows]
    second_names = [user.username for user in second.context["page"].rows]
    assert len(first_names) == 25
    assert sorted(first_names + second_names) == sorted(
        User.objects.values_list("username", flat=True)
    )
    assert not set(first_names) & set(second_names)
    assert second.context["page"].next_cursor is None


def test_a_tampered_cursor_in_the_address_shows_the_first_page(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    # Regression: a cursor with a forged sort value made the list answer 500.
    make_user("salesperson", username="amy")
    forged = "eyJ2IjoxLCJwayI6Inh4In0"  # {"v":1,"pk":"xx"}

    response = admin_client.get(USERS, {"cursor": forged})

    assert response.status_code == 200
    assert response.context["page"].is_first


def test_an_unknown_sort_or_page_size_falls_back_to_the_defaults(
    admin_client: Client,
) -> None:
    response = admin_client.get(USERS, {"sort": "password", "per_page": "lots"})

    assert response.status_code == 200
    assert response.context["sort"] == "username"
    assert response.context["per_page"] == 50
