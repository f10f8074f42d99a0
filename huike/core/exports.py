"""CSV and Excel export of any table, safe to open in a spreadsheet.

A cell that starts with ``= + - @`` (or a tab/carriage return) would run as a formula in Excel,
WPS or LibreOffice; such cells are prefixed with an apostrophe so they stay text.
"""

from __future__ import annotations

import csv
import datetime
import decimal
from collections.abc import Iterable, Iterator, Sequence
from io import BytesIO
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: Any) -> Any:
    """The value as a spreadsheet should store it: text never starts a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, datetime.date):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: Excel opens UTF-8 with Chinese text correctly only with it
    yield writer.writerow([neutralise(h) for h in header])
    for row in rows:
        yield writer.writerow(
            [
                value.isoformat() if isinstance(value, datetime.date) else value
                for value in (neutralise(v) for v in row)
            ]
        )


def _attachment(filename: str) -> str:
    """A download's Content-Disposition; RFC 6266's ``filename*`` carries Chinese names."""
    return content_disposition_header(as_attachment=True, filename=filename) or "attachment"


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """Stream rows as a UTF-8 CSV download (memory stays flat for any number of rows)."""
    response = StreamingHttpResponse(_csv_lines(header, rows), content_type="text/csv")
    response["Content-Disposition"] = _attachment(filename + ".csv")
    return response


def xlsx_bytes(
    header: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Export"
) -> bytes:
    """An .xlsx workbook of the rows, written in constant memory, every cell neutralised."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Export")
    sheet.append([neutralise(h) for h in header])
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never let openpyxl guess a formula
            cells.append(cell)
        sheet.append(cells)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    response = HttpResponse(
        xlsx_bytes(header, rows, title=filename),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = _attachment(filename + ".xlsx")
    return response
