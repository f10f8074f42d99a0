"""A streaming reader for large .xlsx worksheets.

python-calamine is fast, but it loads a whole worksheet into memory: about 1 KB per row of ten
cells, so Excel's largest sheet (1,048,576 rows) would need more than a gigabyte. For a sheet
whose XML is larger than :data:`STREAM_ABOVE_BYTES`, :mod:`huike.imports.reading` uses this
reader instead: the sheet's XML is decompressed and parsed with expat as it is read, so memory
holds one chunk and the shared strings, never the sheet.

Cells come back as calamine gives them (``str``, ``float``, ``bool``, ``datetime``), so both
readers produce the same rows. What is read: shared and inline strings (without phonetic
guides), numbers, booleans, formula results (never formulas; errors such as ``#N/A`` are
empty), and dates by their number format, built-in (including the Chinese and Japanese ones,
27–36 and 50–58) or custom, in the 1900 or 1904 date system. Numbers whose format is zeros only
(``00000``) keep the leading zeros people see (``01234``); a workbook with such formats is read
with this reader whatever its size.
"""

from __future__ import annotations

import datetime
import posixpath
import re
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

__all__ = ["STREAM_ABOVE_BYTES", "SheetInfo", "XlsxError", "XlsxStream"]

STREAM_ABOVE_BYTES = 128 * 1024 * 1024
CHUNK = 1024 * 1024
MAX_COLUMNS = 16_384  # Excel's last column, XFD
# Shared strings are held in memory; a workbook whose strings exceed this is refused.
MAX_SHARED_CHARS = 200_000_000
_CJK_DATE_FORMATS = frozenset(range(27, 37)) | frozenset(range(50, 59))
# A number format of zeros only ("00000", "00000000000"): leading zeros that people see (postcodes,
# landlines such as 01065529988 typed as numbers) and that the number itself has lost.
_ZEROS = re.compile(r"0{2,30}")
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHARED_STRINGS = ("xl/sharedStrings.xml", "xl/SharedStrings.xml")
# What a damaged archive or part can raise while it is read.
_DAMAGE = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    KeyError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


class XlsxError(Exception):
    """The workbook's structure cannot be read (a missing part, broken XML)."""


@dataclass(frozen=True)
class SheetInfo:
    name: str
    visible: bool
    path: str
    size: int  # bytes of XML, uncompressed


def _local(name: str) -> str:
    """``row`` from ``http://…/main row`` (expat's namespaced names) or ``x:row``."""
    return name.rsplit(" ", 1)[-1].rsplit(":", 1)[-1]


def _parse(stream: IO[bytes], start: Any, end: Any = None, data: Any = None) -> None:
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if data is not None:
        parser.CharacterDataHandler = data
    try:
        while chunk := stream.read(CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (xml.parsers.expat.ExpatError, *_DAMAGE) as error:
        raise XlsxError(str(error)) from None


def _column(reference: str) -> int:
    """0 for ``A1``, 27 for ``AB7``; -1 when the reference has no letters."""
    number = 0
    for char in reference:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            number = number * 26 + ord(char) - 96
        else:
            break
    return number - 1


class XlsxStream:
    """An .xlsx workbook whose sheets are read as a stream of rows."""

    def __init__(self, file: IO[bytes] | str) -> None:
        try:
            self.zip = zipfile.ZipFile(file)
            self._names = set(self.zip.namelist())
            self.sheets = self._sheets()
        except _DAMAGE as error:
            raise XlsxError(str(error)) from None
        self._date_styles: set[int] | None = None
        self._padded: dict[int, int] = {}
        self._strings: list[str] | None = None
        self.bytes_read = 0  # of the sheet being read, uncompressed

    def _open(self, name: str) -> IO[bytes]:
        return self.zip.open(name)

    def _sheets(self) -> list[SheetInfo]:
        targets: dict[str, str] = {}

        def relation(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "Relationship" and "Id" in attrs:
                targets[attrs["Id"]] = attrs.get("Target", "")

        rels = "xl/_rels/workbook.xml.rels"
        if rels in self._names:
            with self._open(rels) as stream:
                _parse(stream, relation)
        sheets: list[SheetInfo] = []
        self.date1904 = False

        def workbook(name: str, attrs: dict[str, str]) -> None:
            local = _local(name)
            if local == "workbookPr":
                self.date1904 = attrs.get("date1904", "0").lower() in ("1", "true")
            elif local == "sheet":
                rid = attrs.get(_NS_REL + " id", "")
                target = targets.get(rid, "")
                path = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join("xl", target))
                )
                if path in self._names:
                    size = self.zip.getinfo(path).file_size
                    visible = attrs.get("state", "visible") == "visible"
                    sheets.append(SheetInfo(attrs.get("name", ""), visible, path, size))

        with self._open("xl/workbook.xml") as stream:
            _parse(stream, workbook)
        return sheets

    def _styles(self) -> set[int]:
        """The indexes of cell formats (``s=`` on a cell) that show a date or time."""
        if self._date_styles is not None:
            return self._date_styles
        custom: dict[int, str] = {}
        formats: list[int] = []
        inside = {"cellXfs": False}

        def start(name: str, attrs: dict[str, str]) -> None:
            local = _local(name)
            if local == "numFmt":
                try:
                    custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
                except ValueError:
                    pass
            elif local == "cellXfs":
                inside["cellXfs"] = True
            elif local == "xf" and inside["cellXfs"]:
                try:
                    formats.append(int(attrs.get("numFmtId", "0")))
                except ValueError:
                    formats.append(0)

        def end(name: str) -> None:
            if _local(name) == "cellXfs":
                inside["cellXfs"] = False

        if "xl/styles.xml" in self._names:
            with self._open("xl/styles.xml") as stream:
                _parse(stream, start, end)

        def is_date(number_format: int) -> bool:
            if number_format in custom:
                return bool(is_date_format(custom[number_format]))
            if number_format in _CJK_DATE_FORMATS:
                return True
            builtin = BUILTIN_FORMATS.get(number_format)
            return bool(builtin and is_date_format(builtin))

        self._date_styles = {index for index, fmt in enumerate(formats) if is_date(fmt)}
        for index, number_format in enumerate(formats):
            code = custom.get(number_format, "").split(";", 1)[0]
            if _ZEROS.fullmatch(code):
                self._padded[index] = len(code)
        return self._date_styles

    def pads_numbers(self) -> bool:
        """Whether a cell format shows numbers with leading zeros (``00000``), which only this
        reader applies (python-calamine gives the bare number)."""
        try:
            self._styles()
        except (XlsxError, *_DAMAGE):
            return False
        return bool(self._padded)

    def _shared_strings(self) -> list[str]:
        if self._strings is not None:
            return self._strings
        strings: list[str] = []
        state = {"text": False, "phonetic": 0, "size": 0}
        parts: list[str] = []

        def start(name: str, attrs: dict[str, str]) -> None:
            local = _local(name)
            if local == "si":
                parts.clear()
            elif local == "rPh":
                state["phonetic"] += 1
            elif local == "t" and not state["phonetic"]:
                state["text"] = True

        def end(name: str) -> None:
            local = _local(name)
            if local == "si":
                text = "".join(parts)
                state["size"] += len(text)
                if state["size"] > MAX_SHARED_CHARS:
                    raise XlsxError("shared strings too large")
                strings.append(text)
            elif local == "rPh":
                state["phonetic"] -= 1
            elif local == "t":
                state["text"] = False

        def data(text: str) -> None:
            if state["text"]:
                parts.append(text)

        name = next((path for path in _SHARED_STRINGS if path in self._names), None)
        if name is not None:
            with self._open(name) as stream:
                _parse(stream, start, end, data)
        self._strings = strings
        return strings

    def rows(self, sheet: SheetInfo) -> Iterator[tuple[int, list[Any]]]:
        """``(row_number, cells)`` for each row written in the sheet's XML, in order."""
        try:
            strings = self._shared_strings()
            dates = self._styles()
        except _DAMAGE as error:
            raise XlsxError(str(error)) from None
        handler = _SheetHandler(strings, dates, self.date1904, self._padded)
        parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.data
        self.bytes_read = 0
        try:  # opening the part reads its header, which may be damaged too
            with self._open(sheet.path) as stream:
                while chunk := stream.read(CHUNK):
                    self.bytes_read += len(chunk)
                    parser.Parse(chunk, False)
                    yield from handler.ready
                    handler.ready.clear()
                parser.Parse(b"", True)
        except (xml.parsers.expat.ExpatError, *_DAMAGE) as error:
            raise XlsxError(str(error)) from None
        yield from handler.ready

    def close(self) -> None:
        self.zip.close()


def _iso_date(text: str) -> Any:
    """A cell of type ``d`` (an ISO 8601 date, time or both) as calamine gives it."""
    value = text.strip()
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        try:
            return datetime.time.fromisoformat(value)
        except ValueError:
            return text
    return moment.replace(tzinfo=None)


class _SheetHandler:
    """expat callbacks that collect the rows of a worksheet as they are parsed."""

    def __init__(
        self,
        strings: list[str],
        dates: set[int],
        date1904: bool,
        padded: dict[int, int] | None = None,
    ) -> None:
        self.strings = strings
        self.dates = dates
        self.padded = padded or {}
        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        self.ready: list[tuple[int, list[Any]]] = []
        self.row: dict[int, Any] = {}
        self.number = 0
        self.next_column = 0
        self.first_column = 0
        self.column = 0
        self.type = "n"
        self.style = 0
        self.capture = False
        self.phonetic = 0
        self.text: list[str] = []
        self.names: dict[str, str] = {}
        self.columns: dict[str, int] = {}

    def _name(self, name: str) -> str:
        local = self.names.get(name)
        if local is None:
            local = self.names[name] = _local(name)
        return local

    def _column(self, reference: str) -> int:
        letters = reference.rstrip("0123456789")
        column = self.columns.get(letters)
        if column is None:
            column = _column(letters) if letters else -1
            if column >= MAX_COLUMNS:
                raise XlsxError("column out of range")
            if len(self.columns) < 20_000:
                self.columns[letters] = column
        return column

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = self._name(name)
        if local == "c":
            column = self._column(attrs.get("r", ""))
            self.column = column if column >= 0 else self.next_column
            self.type = attrs.get("t", "n")
            style = attrs.get("s")
            self.style = int(style) if style and style.isdigit() else 0
            self.text.clear()
        elif local in ("v", "t"):
            self.capture = not self.phonetic
        elif local == "row":
            number = attrs.get("r", "")
            self.number = int(number) if number.isdigit() else self.number + 1
            self.next_column = 0
            self.row.clear()
        elif local == "rPh":
            self.phonetic += 1
        elif local == "dimension":
            # the used range ("B3:F20"): rows start at its first column, as calamine's do
            self.first_column = max(0, _column(attrs.get("ref", "")))

    def end(self, name: str) -> None:
        local = self._name(name)
        if local in ("v", "t"):
            self.capture = False
        elif local == "c":
            if self.text:
                self.row[self.column] = self._value("".join(self.text))
            self.next_column = self.column + 1
            if self.next_column >= MAX_COLUMNS:
                raise XlsxError("column out of range")
        elif local == "row":
            row = self.row
            width = max(row) + 1 if row else 0
            if row and min(row) < self.first_column:
                # a used range ("dimension") that leaves out written cells is wrong: rows
                # start where the cells do, never dropping any
                self.first_column = min(row)
            cells = [row.get(index, "") for index in range(self.first_column, width)]
            self.ready.append((self.number, cells))
        elif local == "rPh":
            self.phonetic -= 1

    def data(self, chunk: str) -> None:
        if self.capture:
            self.text.append(chunk)

    def _value(self, text: str) -> Any:
        kind = self.type
        if kind == "s":
            try:
                return self.strings[int(text)]
            except (ValueError, IndexError):
                return ""
        if kind == "e":
            return ""  # #N/A, #REF!…: empty, as calamine reads them
        if kind == "d":
            return _iso_date(text)
        if kind in ("inlineStr", "str"):
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        try:
            number = float(text)
        except ValueError:
            return text
        if self.style in self.dates:
            try:
                return from_excel(number, self.epoch)
            except (ValueError, OverflowError):
                return number
        width = self.padded.get(self.style)
        if width and number.is_integer() and 0 <= number < 1e21:
            return str(int(number)).zfill(width)
        return number
