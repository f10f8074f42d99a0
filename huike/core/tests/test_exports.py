"""CSV and Excel exports: formulas never run in a spreadsheet, numbers and dates stay typed."""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from huike.core.exports import csv_response, neutralise, xlsx_bytes, xlsx_response

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20"]
DANGEROUS = [
    '=HYPERLINK("http://x")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1",
    "\r=1",
    "\uff1dSUM(1)",  # full-width equals sign, which WPS treats as a formula
    "\uff0b1",
    "\uff0d1",
    "\uff20A1",
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_neutralise_prefixes_text_that_would_start_a_formula_with_an_apostrophe(
    text: str,
) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_neutralise_covers_every_formula_trigger(start: str) -> None:
    assert neutralise(start + "x") == "'" + start + "x"


@pytest.mark.parametrize("text", ["张伟", "a=b", "Sales - East", "", "'quoted", "1+1"])
def test_neutralise_leaves_harmless_text_unchanged(text: str) -> None:
    assert neutralise(text) == text


@pytest.mark.parametrize(
    "value",
    [
        0,
        -5,
        3.25,
        decimal.Decimal("-1234.50"),
        True,
        False,
        datetime.date(2026, 3, 1),
        datetime.datetime(2026, 3, 1, 9, 30),
    ],
)
def test_neutralise_keeps_numbers_booleans_and_dates_typed(value: object) -> None:
    result = neutralise(value)

    assert result == value
    assert type(result) is type(value)


def test_neutralise_turns_none_into_an_empty_cell() -> None:
    assert neutralise(None) == ""


def test_neutralise_turns_other_objects_into_their_text() -> None:
    class Named:
        def __str__(self) -> str:
            return "=cmd|' /C calc'!A0"

    assert neutralise(Named()) == "'=cmd|' /C calc'!A0"


def test_neutralise_shows_aware_datetimes_in_local_time_without_a_zone() -> None:
    moment = datetime.datetime(2026, 3, 1, 1, 0, tzinfo=datetime.UTC)

    with timezone.override(zoneinfo.ZoneInfo("Asia/Shanghai")):
        result = neutralise(moment)

    assert result == datetime.datetime(2026, 3, 1, 9, 0)
    assert result.tzinfo is None


def _csv_text(response: object) -> str:
    return b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]


def test_csv_response_streams_a_utf8_download_with_a_byte_order_mark() -> None:
    response = csv_response("客户", ["姓名", "金额"], iter([["张伟", decimal.Decimal("9.90")]]))

    assert response.streaming
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E5%AE%A2%E6%88%B7.csv"
    text = _csv_text(response)
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [["姓名", "金额"], ["张伟", "9.90"]]


def test_csv_response_neutralises_formulas_in_header_and_cells() -> None:
    rows = [['=HYPERLINK("http://x")', "\uff1d1+1", 5, None, datetime.date(2026, 1, 2)]]

    response = csv_response("export", ["=head", "b", "c", "d", "e"], rows)

    parsed = list(csv.reader(io.StringIO(_csv_text(response)[1:])))
    assert parsed == [
        ["'=head", "b", "c", "d", "e"],
        ['\'=HYPERLINK("http://x")', "'\uff1d1+1", "5", "", "2026-01-02"],
    ]


def test_csv_response_writes_datetimes_as_iso_text() -> None:
    rows = [[datetime.datetime(2026, 1, 2, 3, 4, 5)]]

    parsed = list(csv.reader(io.StringIO(_csv_text(csv_response("x", ["at"], rows))[1:])))

    assert parsed[1] == ["2026-01-02T03:04:05"]


def test_csv_response_reads_rows_lazily() -> None:
    consumed: list[int] = []

    def rows() -> Iterator[list[int]]:
        for number in range(3):
            consumed.append(number)
            yield [number]

    response = csv_response("x", ["n"], rows())

    assert consumed == []  # nothing read until the response is sent
    _csv_text(response)
    assert consumed == [0, 1, 2]


def _sheet_rows(content: bytes) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(content))
    return [list(row) for row in workbook.active.iter_rows()]


def test_xlsx_bytes_stores_formula_like_text_as_strings_not_formulas() -> None:
    content = xlsx_bytes(["=name", "note"], [['=HYPERLINK("http://x")', "\uff20A1"]])

    rows = _sheet_rows(content)
    header, row = rows
    assert [c.value for c in header] == ["'=name", "note"]
    assert [c.value for c in row] == ['\'=HYPERLINK("http://x")', "'\uff20A1"]
    assert all(c.data_type == "s" for c in header + row)


def test_xlsx_bytes_keeps_numbers_booleans_and_dates_typed() -> None:
    day = datetime.date(2026, 3, 1)
    moment = datetime.datetime(2026, 3, 1, 9, 30)

    content = xlsx_bytes(
        ["n", "money", "flag", "day", "at", "none"],
        [[42, decimal.Decimal("1234.5"), True, day, moment, None]],
    )

    row = _sheet_rows(content)[1]
    assert row[0].value == 42
    assert row[0].data_type == "n"
    assert row[1].value == 1234.5
    assert row[1].data_type == "n"
    assert row[2].value is True
    assert row[2].data_type == "b"
    assert row[3].value == datetime.datetime(2026, 3, 1)  # Excel stores dates as datetimes
    assert row[3].is_date
    assert row[4].value == moment
    assert row[4].is_date
    assert row[5].value is None


def test_xlsx_bytes_names_the_sheet_after_the_title_cut_to_excels_limit() -> None:
    content = xlsx_bytes(["a"], [], title="客户" * 20)

    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == [("客户" * 20)[:31]]


def test_xlsx_bytes_names_an_untitled_sheet_export() -> None:
    workbook = load_workbook(io.BytesIO(xlsx_bytes(["a"], [], title="")))

    assert workbook.sheetnames == ["Export"]


def test_xlsx_response_is_an_excel_download() -> None:
    response = xlsx_response("users", ["a"], [["=1"]])

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == 'attachment; filename="users.xlsx"'
    assert _sheet_rows(response.content)[1][0].value == "'=1"


def test_exports_name_chinese_files_in_a_header_browsers_decode() -> None:
    # Regression: a raw non-ASCII filename was sent MIME-encoded (=?utf-8?b?...?=), which
    # browsers show verbatim instead of 用户.xlsx.
    response = xlsx_response("用户", ["a"], [])

    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E7%94%A8%E6%88%B7.xlsx"
