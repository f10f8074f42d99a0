"""Excel workbooks (.xlsx and .xls) as tables of text rows.

python-calamine reads both formats, fast, but holds a whole worksheet in memory (about 1 KB
per row of ten cells). An .xlsx sheet whose XML is larger than ``xlsx.STREAM_ABOVE_BYTES``
(128 MiB, some 200,000 rows) is streamed with :mod:`huike.imports.xlsx` instead, so memory stays
flat up to Excel's 1,048,576 rows; so is a workbook whose number formats add leading zeros
(``00000``), which calamine does not apply. Both give the same cells, turned into text by
:func:`cell_text`. Without a sheet chosen, the first visible sheet that is not empty is read.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from huike.imports.reading import (
    ReadError,
    Skipped,
    Table,
    as_row,
    blank_row,
    check_cells,
    resume_point,
    trim,
    unique_header,
)

__all__ = ["SheetTable", "cell_text"]


def _number_text(value: float) -> str:
    """An Excel number as people see it: 13800138000, 12.5, never 1.38E+10."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = f"{value:.15g}"
    if "e" in text:
        text = format(decimal.Decimal(text), "f")
    return text


def cell_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if value is None:
        return ""
    return str(value)


class SheetTable(Table):
    """One worksheet of an Excel workbook (.xlsx or .xls); see the module's docstring."""

    def __init__(
        self,
        file: IO[bytes],
        size: int,
        owns_file: bool,
        *,
        kind: str,
        path: Path | None,
        sheet: str | None,
    ) -> None:
        super().__init__(file, size, owns_file)
        self.kind = kind
        self._stream: Any = None
        self._stream_sheet: Any = None
        self._workbook: Any = None
        self._sheet_bytes = 0
        self._open_sheet(file, path, sheet)
        first_error: ReadError | None = None
        while True:
            try:
                self.header, self._first_data = self._read_header()
                break
            except ReadError as error:
                # Without a choice, an empty first sheet (a cover page left blank, "Sheet1"
                # of a workbook whose data is on "Sheet2") gives way to the next one.
                if error.code != "empty" or sheet is not None:
                    raise
                first_error = first_error or error
                following = self.sheets[self.sheets.index(self.sheet) + 1 :]
                if not following:
                    raise first_error from None
                self._close_sheet()
                self._open_sheet(file, path, following[0])
        self._done = self._first_data

    def _open_sheet(self, file: IO[bytes], path: Path | None, sheet: str | None) -> None:
        if self.kind == "xlsx":
            self._open_stream(file, path, sheet)
        if self._stream is None:
            self._open_calamine(file, path, sheet)

    def _close_sheet(self) -> None:
        for resource in (self._workbook, self._stream):
            if resource is not None:
                try:
                    resource.close()
                except Exception:  # noqa: S110 - closing a workbook that failed to open
                    pass
        self._workbook = self._stream = self._stream_sheet = None

    def _choose(self, names: list[str], visible: list[str], sheet: str | None) -> str:
        self.sheets = visible or names
        if sheet is not None:
            if sheet not in names:
                raise ReadError(
                    _("The workbook has no sheet “{sheet}”. Its sheets: {sheets}.").format(
                        sheet=sheet, sheets=", ".join(self.sheets)
                    ),
                    code="sheet",
                )
            return sheet
        if not self.sheets:
            raise ReadError(_("The workbook has no worksheet."), code="empty")
        return self.sheets[0]

    def _open_stream(self, file: IO[bytes], path: Path | None, sheet: str | None) -> None:
        from huike.imports import xlsx

        file.seek(0)
        try:
            stream = xlsx.XlsxStream(str(path) if path is not None else file)
        except xlsx.XlsxError:
            return  # calamine reports what is wrong
        names = [info.name for info in stream.sheets]
        self.sheet = self._choose(
            names, [info.name for info in stream.sheets if info.visible], sheet
        )
        info = next(info for info in stream.sheets if info.name == self.sheet)
        if info.size <= xlsx.STREAM_ABOVE_BYTES and not stream.pads_numbers():
            stream.close()
            return
        self._stream, self._stream_sheet = stream, info

    def _open_calamine(self, file: IO[bytes], path: Path | None, sheet: str | None) -> None:
        self._workbook = _calamine(lambda: self._open_workbook(file, path))
        metadata = _calamine(lambda: list(self._workbook.sheets_metadata))
        worksheets = [entry for entry in metadata if "WorkSheet" in str(entry.typ)]
        visible = [entry.name for entry in worksheets if str(entry.visible).endswith("Visible")]
        self.sheet = self._choose(
            [entry.name for entry in metadata],
            visible or [entry.name for entry in worksheets],
            sheet,
        )
        self._sheet = _calamine(lambda: self._workbook.get_sheet_by_name(self.sheet))
        end = _calamine(lambda: self._sheet.end)
        self._height = int(end[0]) + 1 if end else 0  # the last used row's number

    @staticmethod
    def _open_workbook(file: IO[bytes], path: Path | None) -> Any:
        from python_calamine import CalamineWorkbook

        if path is not None:
            return CalamineWorkbook.from_path(str(path))
        file.seek(0)
        return CalamineWorkbook.from_filelike(file)

    def _iter(self) -> Iterator[tuple[int, list[str]]]:
        if self._stream is not None:
            yield from self._iter_stream()
            return
        rows = _calamine(lambda: iter(self._sheet.iter_rows()))
        index = 0
        while True:
            values = _calamine(lambda: next(rows, None))
            if values is None:
                return
            index += 1
            yield index, [cell_text(value) for value in values]

    def _iter_stream(self) -> Iterator[tuple[int, list[str]]]:
        from huike.imports import xlsx

        rows = self._stream.rows(self._stream_sheet)
        while True:
            try:
                found = next(rows, None)
            except xlsx.XlsxError as error:
                raise ReadError(
                    _("The workbook is damaged or not an Excel file ({detail}).").format(
                        detail=error
                    ),
                    code="corrupt",
                ) from None
            if found is None:
                return
            line, values = found
            self._sheet_bytes = self._stream.bytes_read
            yield line, [cell_text(value) for value in values]

    def _read_header(self) -> tuple[list[str], int]:
        for line, cells in self._iter():
            if not blank_row(cells):
                check_cells(trim(cells), line)
                return unique_header(cells), line
        raise ReadError(_("The sheet “{sheet}” is empty.").format(sheet=self.sheet), code="empty")

    def rows(
        self, resume: str | None = None, on_skip: Callable[[Skipped], None] | None = None
    ) -> Iterator[tuple[int, dict[str, str]]]:
        after = self._first_data
        if resume:
            after = max(after, resume_point(resume)[1])
        header = self.header
        for line, cells in self._iter():
            self._done = line
            if line <= after or blank_row(cells):
                continue
            check_cells(trim(cells), line)
            self.rows_read += 1
            self.checkpoint = f"0:{line}"
            yield line, as_row(header, cells)

    def progress(self) -> float:
        if self._stream is not None:
            return min(1.0, self._sheet_bytes / max(1, self._stream_sheet.size))
        total = self._height - self._first_data
        if total <= 0:
            return 1.0
        return min(1.0, max(0, self._done - self._first_data) / total)

    def total_estimate(self) -> int | None:
        if self._stream is not None:
            return super().total_estimate()
        return max(0, self._height - self._first_data)

    def close(self) -> None:
        self._close_sheet()
        super().close()


def _calamine(call: Callable[[], Any]) -> Any:
    """Run a python-calamine call; any failure (including a Rust panic) is a ReadError."""
    try:
        return call()
    except ReadError:
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as error:  # pyo3's PanicException derives from BaseException
        raise ReadError(
            _("The workbook is damaged or not an Excel file ({detail}).").format(
                detail=type(error).__name__
            ),
            code="corrupt",
        ) from None
