"""Reading the files people import: CSV and TSV in any common encoding, Excel, vCard.

:func:`open_table` opens a file and gives a :class:`Table`: its kind, its encoding, its header
and an iterator over its rows as ``(line_number, {header: text})``. Nothing here writes to the
database; the import engine maps the rows (:mod:`huike.imports.presets`) and stores them.

Guarantees, because files come from anywhere:

- Streaming. A text file is read in 1 MiB chunks and split into lines as it is read; the
  first row is yielded before the rest of the file is read, whatever its size. Excel sheets
  are read by :mod:`huike.imports.sheets` (in memory up to about 200,000 rows, streamed
  above); vCards card by card (:mod:`huike.imports.vcard`).
- Only :class:`ReadError` escapes, with a translated message that names the line: a wrong or
  undetectable encoding, a misplaced or unclosed quotation mark, binary data (NUL bytes) in a
  text file, a type that is not accepted, an empty file, a header without usable columns, a
  cell longer than 10,000 characters, a row with more than 500 cells, a corrupt workbook.
- Cells are strings and keep their text as it is: formulas (``=HYPERLINK(…)``) and HTML stay
  text, to be shown escaped; neutralising them on output is the job of whoever displays or
  exports them. Excel numbers that are whole are written without ``.0`` and never in
  scientific notation (a mobile number typed as a number stays ``13800138000``); dates become
  ISO ``YYYY-MM-DD``.

Encodings (:func:`detect_encoding`), in this order:

1. a byte-order mark: UTF-8 (``utf-8-sig``), UTF-32 LE or BE, UTF-16 LE or BE (Excel's
   "Unicode text");
2. UTF-16 without a mark, when every other byte of the sample is NUL;
3. strict UTF-8 (pure ASCII is UTF-8), or UTF-8 with a few bytes that are not (one line saved
   in another encoding: that line is reported rather than the whole file read wrongly);
4. GB 18030 (a superset of GBK and GB 2312: Excel's CSV on simplified-Chinese Windows) when
   the sample decodes and looks like Chinese, or Big5 (Excel on traditional-Chinese Windows)
   when that reads as more common traditional characters than GB 18030 reads as common
   simplified ones;
5. charset-normalizer's best guess (single-byte code pages), except that among the Latin ones,
   which it often cannot tell apart, Windows-1252 (Western Europe, Outlook) wins when it reads
   as plausible Western text.

Content decides over the name where it is unambiguous: a workbook (.xls or .xlsx) is read as one
whatever it is called, text named .xls (what many web applications export) is read as text, and
a web page or an Excel 2003 XML file is refused with advice instead of being read as rows.

The sample is the first 64 KiB, plus 64 KiB from the middle and the end of a large file, so a
file whose first rows are plain ASCII is still recognised. An explicit ``encoding=`` wins.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

__all__ = [
    "KINDS",
    "MAX_CELLS",
    "MAX_CELL_CHARS",
    "ReadError",
    "Skipped",
    "Table",
    "detect_encoding",
    "open_table",
    "unique_header",
]

MAX_CELL_CHARS = 10_000
MAX_CELLS = 500
SAMPLE_BYTES = 64 * 1024
CHUNK_BYTES = 1024 * 1024
# A physical line longer than this cannot hold a valid row (500 cells of 10,000 characters,
# 4 bytes each): the file has no line breaks, or is not text.
MAX_LINE_BYTES = MAX_CELLS * MAX_CELL_CHARS * 4
DELIMITERS = ("\t", ",", ";", "|")
KINDS = ("csv", "tsv", "xlsx", "xls", "vcard")
# Extension → what to read it as; check_upload's names for the same types.
_EXTENSIONS = {
    "csv": "text",
    "tsv": "text",
    "txt": "text",
    "vcf": "vcard",
    "xlsx": "xlsx",
    "xls": "xls",
}
_UPLOAD_TYPES = tuple(_EXTENSIONS)
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"))
# What makes a cell empty besides white space: DOS's end-of-file mark (Ctrl-Z), which old
# programs write after the last line.
_NOTHING = {0x1A: None}
# A carriage return that ends a line on its own, in a file whose lines end with \n (lines pasted
# from an old Mac file); not the first of \r\r\n, which some converters write.
_LONE_CR = re.compile(r"\r(?![\r\n])")
_LONE_CR_BYTES = re.compile(rb"\r(?![\r\n])")


class ReadError(Exception):
    """A file that cannot be read, with a translated message for the person importing it.

    ``line`` is the line (or sheet row) where the problem was found, when there is one;
    ``code`` is stable for programs: ``encoding``, ``quotes``, ``binary``, ``type``,
    ``empty``, ``header``, ``too_long``, ``too_many_cells``, ``too_large``, ``sheet``,
    ``corrupt``, ``resume``.
    """

    def __init__(self, problem: str, *, code: str, line: int | None = None) -> None:
        self.problem = problem
        self.code = code
        self.line = line
        self.message = (
            _("Line {line}: {problem}").format(line=line, problem=problem)
            if line is not None
            else problem
        )
        super().__init__(self.message)


@dataclass(frozen=True)
class Skipped:
    """A record that could not be read and was left out (a broken vCard), with its text."""

    line: int
    message: str
    raw: str


# ---------------------------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------------------------


def _decodes(data: bytes, encoding: str) -> str | None:
    """``data`` decoded, tolerating a character cut at the end; ``None`` when it does not."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=False)
    except (UnicodeDecodeError, LookupError):
        return None


def _han(text: str) -> list[str]:
    return [char for char in text if "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"]


def _share(chars: list[str], test: Callable[[str], bool]) -> float:
    return sum(1 for char in chars if test(char)) / len(chars) if chars else 0.0


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _common_big5(char: str) -> bool:
    """A character of Big5's frequently used block (lead bytes A4–C6)."""
    try:
        lead = char.encode("big5")[0]
    except UnicodeEncodeError:
        return False
    return 0xA4 <= lead <= 0xC6


def _looks_like_text(text: str) -> bool:
    """No private-use or unassigned characters: what a wrong 2-byte decoding produces."""
    return not any(unicodedata.category(char) in ("Co", "Cn") for char in text if ord(char) > 127)


def _utf16_without_bom(head: bytes) -> str | None:
    sample = head[: SAMPLE_BYTES - SAMPLE_BYTES % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _mostly_utf8(head: bytes) -> bool:
    """UTF-8 text with a few bytes that are not: a file someone edited in another encoding.
    Read as UTF-8, so that the line that does not decode is named instead of the whole file
    being read in a wrong code page."""
    text = head.decode("utf-8", errors="replace")
    wide = sum(1 for char in text if ord(char) > 127 and char != "\ufffd")
    return wide >= 8 and text.count("\ufffd") * 4 <= wide


# charset-normalizer's guesses that are Latin-script single-byte code pages: among them it often
# cannot tell (cp1250 and cp1252 read "Müller" alike, but "Crème" as "Crčme"), so Windows-1252,
# the code page of Western European Windows and Outlook, wins when it reads as plausible text.
_LATIN_CODE_PAGE = re.compile(
    r"^(cp1250|cp1252|cp1254|cp1257|cp437|cp85\d|cp86\d|cp775|latin_1|"
    r"iso8859_(1|2|3|4|9|10|13|14|15|16)|mac_(latin2|roman|iceland|turkish))$"
)
_LETTERS = re.compile(r"[^\W\d_]+")
_IN_WORD = frozenset("’‘'·-")


def _plausible_western(text: str) -> bool:
    """``text`` (decoded as Windows-1252) reads as Western European text: accented letters
    inside words of plain letters, no symbols in the middle of a word (Polish ``Za¿ó³æ``), not
    word after word of nothing but accented letters (Cyrillic ``Èâàí``)."""
    mixed = foreign = 0
    for word in _LETTERS.findall(text):
        accented = sum(1 for char in word if ord(char) > 127)
        if accented == len(word) and len(word) >= 3:
            foreign += 1
        elif accented:
            mixed += 1
    if foreign > mixed:
        return False
    for position in range(1, len(text) - 1):
        char = text[position]
        if (
            ord(char) > 127
            and not char.isalpha()
            and char not in _IN_WORD
            and text[position - 1].isalpha()
            and text[position + 1].isalpha()
        ):
            return False
    return True


def _western(head: bytes, guess: str | None) -> bool:
    if guess is not None and not _LATIN_CODE_PAGE.match(guess):
        return False
    text = _decodes(head, "cp1252")
    return text is not None and _plausible_western(text)


def detect_encoding(head: bytes) -> str:
    """The encoding of a text file whose sample is ``head`` (see the module's docstring for the
    order). Returns a Python codec name: ``utf-8-sig``, ``utf-16-le``, ``utf-16-be``,
    ``utf-8``, ``gb18030``, ``big5``, ``cp950`` or charset-normalizer's guess; ``utf-8`` when
    nothing fits (the reader then reports the first line that does not decode).
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF32_LE):
        return "utf-32-le"
    if head.startswith(codecs.BOM_UTF32_BE):
        return "utf-32-be"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    if b"\x00" in head:
        wide = _utf16_without_bom(head)
        if wide and _decodes(head[: len(head) - len(head) % 2], wide) is not None:
            return wide
    if _decodes(head, "utf-8") is not None:
        return "utf-8"
    if _mostly_utf8(head):
        return "utf-8"
    gb = _decodes(head, "gb18030")
    big5_name = "big5"
    big5 = _decodes(head, "big5")
    if big5 is None:
        big5_name, big5 = "cp950", _decodes(head, "cp950")
    gb_score = _share(_han(gb), _in_gb2312) if gb is not None and _looks_like_text(gb) else -1.0
    big5_score = (
        _share(_han(big5), _common_big5) if big5 is not None and _looks_like_text(big5) else -1.0
    )
    if big5_score > gb_score and big5_score >= 0.8:
        return big5_name
    if gb is not None and gb_score >= 0.8:
        return "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    guess = str(best.encoding) if best is not None and best.encoding else None
    if _western(head, guess):
        return "cp1252"
    if guess is not None:
        return guess
    if gb is not None and gb_score >= 0:
        return "gb18030"
    return "utf-8"


@dataclass(frozen=True)
class _Codec:
    """How to decode a file: the codec, bytes to skip (a BOM), and whether it is 2-byte wide."""

    name: str  # as reported: "utf-8-sig", "gb18030" …
    codec: str  # what decodes each line: "utf-8", "utf-16-le" …
    skip: int
    wide: bool


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def _wide_codec(
    encoding: str, canonical: str, head: bytes, family: str, boms: tuple[bytes, bytes]
) -> _Codec:
    """UTF-16 or UTF-32 (``family``): the byte order of the mark, else the one named, else
    little-endian."""
    little, big = f"{family}-le", f"{family}-be"
    if head.startswith(boms[0]) and canonical != big:
        return _Codec(encoding, little, len(boms[0]), wide=True)
    if head.startswith(boms[1]) and canonical != little:
        return _Codec(encoding, big, len(boms[1]), wide=True)
    return _Codec(encoding, big if canonical == big else little, 0, wide=True)


def _plan(encoding: str, head: bytes) -> _Codec:
    try:
        canonical = codecs.lookup(encoding).name
    except LookupError:
        raise ReadError(
            _("“{encoding}” is not an encoding this server knows.").format(encoding=encoding),
            code="encoding",
        ) from None
    if canonical in ("utf-8", "utf-8-sig"):
        skip = 3 if head.startswith(codecs.BOM_UTF8) else 0
        return _Codec(encoding, "utf-8", skip, wide=False)
    for family, boms in (("utf-16", _UTF16_BOMS), ("utf-32", _UTF32_BOMS)):
        if canonical.startswith(family):
            return _wide_codec(encoding, canonical, head, family, boms)
    if canonical == "utf-7":
        raise ReadError(
            _("Files in {encoding} cannot be read; save the file as UTF-8.").format(
                encoding=encoding
            ),
            code="encoding",
        )
    return _Codec(encoding, canonical, 0, wide=False)


# ---------------------------------------------------------------------------------------------
# Lines
# ---------------------------------------------------------------------------------------------


def _binary(line: int) -> ReadError:
    return ReadError(
        _(
            "this line contains binary data (NUL bytes): the file is not text. Save it again "
            "as CSV or as an Excel workbook."
        ),
        code="binary",
        line=line,
    )


def _undecodable(line: int, codec: _Codec) -> ReadError:
    return ReadError(
        _(
            "this line is not valid {encoding} text. Choose the file's encoding "
            "(UTF-8, GB18030, Big5, UTF-16) and import it again."
        ).format(encoding=codec.name),
        code="encoding",
        line=line,
    )


class _Lines:
    """The physical lines of a text file from byte ``start``, as they are read.

    Yields ``bytes`` (``raw=True``, in the file's encoding; UTF-16 is re-encoded as UTF-8) or
    ``str``. After each yielded line, ``line`` is its number and ``offset`` the byte offset
    just after it, so a reader knows where the row it just finished ends.
    """

    def __init__(
        self,
        file: IO[bytes],
        codec: _Codec,
        *,
        start: int,
        line: int,
        separator: str,
        raw: bool = False,
    ) -> None:
        self.file = file
        self.codec = codec
        self.offset = start
        self.line = line
        self.separator = separator
        self.raw = raw

    def __iter__(self) -> Iterator[Any]:
        self.file.seek(self.offset)
        return self._wide() if self.codec.wide else self._narrow()

    def _narrow(self) -> Iterator[Any]:
        # GB 18030, Big5 and UTF-8 never use the byte 0x0A (or 0x0D) inside a character, so
        # splitting bytes at line breaks is safe and gives exact line numbers for errors.
        separator = self.separator.encode("ascii")
        codec = self.codec.codec
        lone_cr = self.separator == "\n"
        pending = b""
        while True:
            chunk = self.file.read(CHUNK_BYTES)
            if not chunk:
                break
            parts = (pending + chunk).split(separator)
            pending = parts.pop()
            if len(pending) > MAX_LINE_BYTES:
                raise self._too_long()
            for part in parts:
                if lone_cr and part.find(b"\r", 0, len(part) - 1) >= 0:
                    yield from self._narrow_pieces(part + separator, codec)
                else:
                    yield self._narrow_line(part + separator, codec)
        if pending:
            if lone_cr and b"\r" in pending:
                yield from self._narrow_pieces(pending, codec)
            else:
                yield self._narrow_line(pending, codec)

    def _narrow_pieces(self, data: bytes, codec: str) -> Iterator[Any]:
        start = 0
        for found in _LONE_CR_BYTES.finditer(data):
            yield self._narrow_line(data[start : found.end()], codec)
            start = found.end()
        if start < len(data):
            yield self._narrow_line(data[start:], codec)

    def _narrow_line(self, data: bytes, codec: str) -> Any:
        self.line += 1
        self.offset += len(data)
        if b"\x00" in data:
            raise _binary(self.line)
        if self.raw:
            return data
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            raise _undecodable(self.line, self.codec) from None

    def _wide(self) -> Iterator[Any]:
        decoder = codecs.getincrementaldecoder(self.codec.codec)()
        pending = ""
        while True:
            chunk = self.file.read(CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                raise _undecodable(self.line + 1 + pending.count("\n"), self.codec) from None
            parts = (pending + text).split(self.separator)
            pending = parts.pop()
            if len(pending) > MAX_LINE_BYTES // 2:
                raise self._too_long()
            for part in parts:
                yield from self._wide_pieces(part + self.separator)
            if not chunk:
                break
        if pending:
            yield from self._wide_pieces(pending)

    def _wide_pieces(self, text: str) -> Iterator[Any]:
        if self.separator != "\n" or "\r" not in text[:-1] or not _LONE_CR.search(text):
            yield self._wide_line(text)
            return
        start = 0
        for found in _LONE_CR.finditer(text):
            yield self._wide_line(text[start : found.end()])
            start = found.end()
        if start < len(text):
            yield self._wide_line(text[start:])

    def _wide_line(self, text: str) -> Any:
        self.line += 1
        self.offset += len(text.encode(self.codec.codec, "surrogatepass"))
        if "\x00" in text:
            raise _binary(self.line)
        return text.encode("utf-8", "surrogatepass") if self.raw else text

    def _too_long(self) -> ReadError:
        return ReadError(
            _(
                "this line is longer than any row can be: the file has no line breaks or is "
                "not a text file."
            ),
            code="too_long",
            line=self.line + 1,
        )


def _separator(text: str) -> str:
    """``\\r`` for files from old Macs (no ``\\n`` at all), else ``\\n``."""
    return "\r" if "\n" not in text and "\r" in text else "\n"


# ---------------------------------------------------------------------------------------------
# Header and cells
# ---------------------------------------------------------------------------------------------


def _column(position: int) -> str:
    """The key of a cell without a header: not translated, so remembered mappings hold."""
    return f"Column {position}"


def unique_header(cells: list[str]) -> list[str]:
    """Header cells stripped (a BOM and zero-width characters removed), blanks named
    ``Column 3``, duplicates numbered: ``Phone``, ``Phone (2)``, ``Phone (3)``."""
    header: list[str] = []
    seen: set[str] = set()
    for position, cell in enumerate(cells, start=1):
        name = " ".join(str(cell).translate(_INVISIBLE).split()) or _column(position)
        candidate, count = name, 1
        while candidate in seen:
            count += 1
            candidate = f"{name} ({count})"
        seen.add(candidate)
        header.append(candidate)
    return header


def _blank(cell: str) -> bool:
    if not cell:
        return True
    text = cell.strip()
    return not text or (text[0] == "\x1a" and not text.translate(_NOTHING).strip())


def blank_row(cells: list[str]) -> bool:
    for cell in cells:
        if cell and not _blank(cell):
            return False
    return True


def trim(cells: list[str]) -> list[str]:
    """``cells`` without the empty cells at its end (in place): a spreadsheet that once had
    something far to the right writes every row that wide."""
    while cells and _blank(cells[-1]):
        cells.pop()
    return cells


def check_cells(cells: list[str], line: int) -> None:
    if len(cells) > MAX_CELLS:
        raise ReadError(
            _("this row has {count} cells; at most {limit} are read.").format(
                count=len(cells), limit=MAX_CELLS
            ),
            code="too_many_cells",
            line=line,
        )
    if cells and max(map(len, cells)) > MAX_CELL_CHARS:
        raise ReadError(
            _("a cell of this row is longer than {limit} characters.").format(
                limit=f"{MAX_CELL_CHARS:,}"
            ),
            code="too_long",
            line=line,
        )


def as_row(header: list[str], cells: list[str]) -> dict[str, str]:
    width = len(header)
    if len(cells) == width:
        return dict(zip(header, cells, strict=True))
    row = dict(zip(header, cells, strict=False))
    if len(cells) < width:
        for name in header[len(cells) :]:
            row[name] = ""
    else:
        for position in range(width, len(cells)):
            if cells[position].strip():
                row[_column(position + 1)] = cells[position]
    return row


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


class Table:
    """An opened file: ``kind``, ``encoding`` (text files), ``header``, and its rows.

    ``rows()`` yields ``(line_number, {header: text})``, skipping empty rows; after each row,
    ``checkpoint`` is a token that ``rows(resume=token)`` continues from (the row after it),
    so an import that stopped resumes without reading the file again from the start.
    Records that cannot be read but do not stop the file (a broken vCard) go to ``on_skip``,
    or else to ``skipped`` (the first 1,000; ``skipped_count`` counts them all).
    Close the table (or use it as a context manager) when it opened the file itself.
    """

    kind: str = ""
    encoding: str = ""
    header: list[str]
    sheets: list[str]
    sheet: str = ""

    def __init__(self, file: IO[bytes], size: int, owns_file: bool) -> None:
        self._file = file
        self._size = size
        self._owns_file = owns_file
        self.header = []
        self.sheets = []
        self.skipped: list[Skipped] = []
        self.skipped_count = 0
        self.checkpoint = ""
        self.rows_read = 0

    def rows(
        self, resume: str | None = None, on_skip: Callable[[Skipped], None] | None = None
    ) -> Iterator[tuple[int, dict[str, str]]]:
        raise NotImplementedError  # pragma: no cover

    def progress(self) -> float:
        """The share of the file read so far, 0.0 to 1.0."""
        raise NotImplementedError  # pragma: no cover

    def total_estimate(self) -> int | None:
        """The likely number of rows: exact for Excel, from the bytes read so far for text
        (``None`` before the first row)."""
        share = self.progress()
        if not self.rows_read or share <= 0:
            return None
        return max(self.rows_read, round(self.rows_read / share))

    def _skip(self, problem: Skipped, on_skip: Callable[[Skipped], None] | None) -> None:
        self.skipped_count += 1
        if on_skip is not None:
            on_skip(problem)
        elif len(self.skipped) < 1000:
            self.skipped.append(problem)

    def close(self) -> None:
        if self._owns_file:
            self._file.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def resume_point(resume: str) -> tuple[int, int]:
    try:
        offset, line = (int(part) for part in resume.split(":"))
    except ValueError:
        raise ReadError(_("The saved position in this file is not valid."), code="resume") from None
    if offset < 0 or line < 0:
        raise ReadError(_("The saved position in this file is not valid."), code="resume")
    return offset, line


class TextTable(Table):
    """A CSV or TSV file (any delimiter among tab, comma, semicolon and vertical bar)."""

    def __init__(
        self,
        file: IO[bytes],
        size: int,
        owns_file: bool,
        *,
        codec: _Codec,
        extension: str,
        sample: str,
    ) -> None:
        super().__init__(file, size, owns_file)
        self.encoding = codec.name
        self._codec = codec
        self._newline = _separator(sample)
        lines = _Lines(file, codec, start=codec.skip, line=0, separator=self._newline)
        iterator = iter(lines)
        first = self._first_line(iterator)
        if first is None:
            raise ReadError(_("The file has no rows."), code="empty")
        hint = first.strip().lower()
        if len(hint) == 5 and hint.startswith("sep="):  # Excel's "sep=;" first line
            self.delimiter = first.strip()[4]
            start, line = lines.offset, lines.line
        else:
            self.delimiter = self._sniff(first, extension)
            start, line = lines.offset - self._length(first), lines.line - 1
        self.kind = "tsv" if self.delimiter == "\t" else "csv"
        self._header_start = (start, line)
        self.header, self._data_start = self._read_header(start, line)

    def _length(self, text: str) -> int:
        return len(text.encode(self._codec.codec, "surrogatepass"))

    @staticmethod
    def _first_line(lines: Iterator[str]) -> str | None:
        for text in lines:
            if text.translate(_INVISIBLE).translate(_NOTHING).strip():
                return text
        return None

    @staticmethod
    def _sniff(line: str, extension: str) -> str:
        """The delimiter used most in ``line`` outside quotes; tab first for ``.tsv``."""
        counts = dict.fromkeys(DELIMITERS, 0)
        quoted = False
        for char in line:
            if char == '"':
                quoted = not quoted
            elif not quoted and char in counts:
                counts[char] += 1
        if extension == "tsv" and counts["\t"]:
            return "\t"
        best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
        return best if counts[best] else ","

    def _reader(self, offset: int, line: int) -> tuple[_Lines, Any]:
        lines = _Lines(self._file, self._codec, start=offset, line=line, separator=self._newline)
        reader = csv.reader(
            iter(lines), delimiter=self.delimiter, strict=True, skipinitialspace=True
        )
        return lines, reader

    def _cells(self, lines: _Lines, reader: Any) -> tuple[int, list[str]] | None:
        start = lines.line + 1
        try:
            return start, next(reader)
        except StopIteration:
            return None
        except csv.Error as error:
            detail = str(error)
            if "field larger than field limit" in detail:
                raise ReadError(
                    _(
                        "a cell of this row is longer than {limit} characters, or a quotation "
                        "mark that opens a cell is never closed."
                    ).format(limit=f"{MAX_CELL_CHARS:,}"),
                    code="too_long",
                    line=start,
                ) from None
            raise ReadError(
                _(
                    "a quotation mark is misplaced or never closed in the row that starts on "
                    "this line ({detail})."
                ).format(detail=_csv_problem(detail)),
                code="quotes",
                line=start,
            ) from None

    def _read_header(self, offset: int, line: int) -> tuple[list[str], tuple[int, int]]:
        lines, reader = self._reader(offset, line)
        while True:
            found = self._cells(lines, reader)
            if found is None:
                raise ReadError(_("The file has no rows."), code="empty")
            start, cells = found
            if not blank_row(cells):
                check_cells(trim(cells), start)
                header = unique_header(cells)
                if all(name.startswith("Column ") for name in header):
                    raise ReadError(
                        _("the header row has no column names."), code="header", line=start
                    )
                return header, (lines.offset, lines.line)

    def rows(
        self, resume: str | None = None, on_skip: Callable[[Skipped], None] | None = None
    ) -> Iterator[tuple[int, dict[str, str]]]:
        offset, line = resume_point(resume) if resume else self._data_start
        lines, reader = self._reader(offset, line)
        self._lines = lines
        header = self.header
        while True:
            found = self._cells(lines, reader)
            if found is None:
                return
            start, cells = found
            if not cells or blank_row(cells):
                continue
            check_cells(trim(cells), start)
            self.rows_read += 1
            self.checkpoint = f"{lines.offset}:{lines.line}"
            yield start, as_row(header, cells)

    def progress(self) -> float:
        lines = getattr(self, "_lines", None)
        if lines is None or self._size <= 0:
            return 0.0
        return min(1.0, lines.offset / self._size)


def _csv_problem(detail: str) -> str:
    """Python's csv message in words people read, in their language."""
    if "unexpected end of data" in detail:
        return _("the file ends inside a quoted cell")
    if "expected after" in detail:
        return _("there is text after the quotation mark that closes a cell")
    if "new-line character seen in unquoted field" in detail:
        return _("a line break inside a cell that is not quoted")
    return detail


class VCardTable(Table):
    """A vCard file (2.1, 3.0, 4.0), one row per card; see :mod:`huike.imports.vcard`."""

    def __init__(
        self, file: IO[bytes], size: int, owns_file: bool, *, codec: _Codec, sample: str
    ) -> None:
        from huike.imports import vcard

        super().__init__(file, size, owns_file)
        self.kind = "vcard"
        self.encoding = codec.name
        self._codec = codec
        self._newline = _separator(sample)
        self._vcard = vcard
        counts = vcard.count_properties(self._lines(codec.skip, 0))
        if not counts.cards:
            raise ReadError(_("The file holds no vCard (BEGIN:VCARD … END:VCARD)."), code="empty")
        self.header = vcard.row_header(counts)
        self._data_start = (codec.skip, 0)

    def _lines(self, offset: int, line: int) -> _Lines:
        return _Lines(
            self._file, self._codec, start=offset, line=line, separator=self._newline, raw=True
        )

    def rows(
        self, resume: str | None = None, on_skip: Callable[[Skipped], None] | None = None
    ) -> Iterator[tuple[int, dict[str, str]]]:
        offset, line = resume_point(resume) if resume else self._data_start
        lines = self._lines(offset, line)
        self._lines_read = lines
        encoding = "utf-8" if self._codec.wide else self._codec.codec
        numbered = ((lines.line, data) for data in lines)
        for start, card in self._vcard.iter_cards(numbered, encoding):
            if isinstance(card, Skipped):
                self._skip(card, on_skip)
                continue
            row = dict.fromkeys(self.header, "") | self._vcard.card_row(card)
            self.rows_read += 1
            self.checkpoint = f"{lines.offset}:{lines.line}"
            yield start, row

    def progress(self) -> float:
        lines = getattr(self, "_lines_read", None)
        if lines is None or self._size <= 0:
            return 0.0
        return min(1.0, lines.offset / self._size)


# ---------------------------------------------------------------------------------------------
# Opening
# ---------------------------------------------------------------------------------------------


class _Named(io.RawIOBase):
    """A view of a binary file under the name it was uploaded with, for ``check_upload``."""

    def __init__(self, file: IO[bytes], name: str, size: int) -> None:
        self._wrapped = file
        self.name = name
        self.size = size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._wrapped.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._wrapped.seek(offset, whence)

    def tell(self) -> int:
        return self._wrapped.tell()


def _size_of(file: IO[bytes]) -> int:
    try:
        return os.fstat(file.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        size = getattr(file, "size", None)
        if isinstance(size, int):
            return size
        position = file.tell()
        end = file.seek(0, io.SEEK_END)
        file.seek(position)
        return end


def _sample(file: IO[bytes], size: int) -> bytes:
    """The first 64 KiB, and for a large file 64 KiB from its middle and its end, each cut to
    start on a line of its own (line starts are character boundaries in every 1-byte-based
    encoding read here)."""
    file.seek(0)
    head = file.read(SAMPLE_BYTES)
    if size <= 3 * SAMPLE_BYTES or head.startswith(_WIDE_BOMS) or b"\x00" in head:
        return head
    parts = [head[: head.rfind(b"\n") + 1] or head]
    for start in (size // 2, max(size - SAMPLE_BYTES, 0)):
        file.seek(start)
        data = file.read(SAMPLE_BYTES)
        first, last = data.find(b"\n"), data.rfind(b"\n")
        if 0 <= first < last:
            parts.append(data[first + 1 : last + 1])
    return b"".join(parts)


def _extension(name: str) -> str:
    stem, dot, extension = name.replace("\\", "/").rsplit("/", 1)[-1].rpartition(".")
    return extension.lower() if dot and stem else ""


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _workbook_kind(file: IO[bytes], head: bytes) -> str | None:
    """``xls`` for an OLE2 compound file, ``xlsx`` for a ZIP archive of an Office document,
    whatever the file's name; else ``None``."""
    if head.startswith(_OLE2):
        return "xls"
    if not head.startswith(b"PK\x03\x04"):
        return None
    import zipfile

    try:
        with zipfile.ZipFile(file) as archive:
            return "xlsx" if "[Content_Types].xml" in archive.namelist() else None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        file.seek(0)


_MARKUP = re.compile(
    rb"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|table|meta|"
    rb"\?mso-application|workbook)\b",
    re.IGNORECASE | re.DOTALL,
)


def _refuse_markup(head: bytes) -> None:
    """Refuse a web page or an "XML Spreadsheet 2003" (what web applications often save as
    .xls, and what a download that went wrong holds) with advice, instead of reading its tags
    as rows."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head[2 : 2 + 4096].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", "ignore")
        start = text.encode("utf-8", "ignore")
    else:
        start = head[:4096]
    found = _MARKUP.match(start.lstrip(b"\xef\xbb\xbf \r\n\t"))
    if found is None:
        return
    if found.group(1).lower() in (b"?mso-application", b"workbook"):
        raise ReadError(
            _(
                "This file is an XML spreadsheet (Excel 2003 XML), which cannot be imported. "
                "Open it in Excel or WPS, save it as an Excel workbook (.xlsx) or as CSV, and "
                "import that."
            ),
            code="type",
        )
    raise ReadError(
        _(
            "This file is a web page (HTML), not a spreadsheet, although its name says so. "
            "Open it in Excel or WPS, save it as an Excel workbook (.xlsx) or as CSV, and "
            "import that."
        ),
        code="type",
    )


def _check(file: IO[bytes], name: str, size: int, max_bytes: int | None, reader: str) -> None:
    """Reuse the upload checks (size, empty, accepted types, Office magic bytes)."""
    from huike.core.uploads import check_upload

    try:
        check_upload(_Named(file, name, size), allowed=_UPLOAD_TYPES, max_bytes=max_bytes)
    except ValidationError as error:
        # Text files are judged here instead, with more encodings and clearer messages.
        if not (error.code == "content" and reader in ("text", "vcard")):
            raise ReadError(error.messages[0], code=error.code or "type") from None
    finally:
        file.seek(0)


def open_table(
    path_or_file: str | os.PathLike[str] | IO[bytes],
    *,
    name: str,
    encoding: str | None = None,
    sheet: str | None = None,
    max_bytes: int | None = None,
) -> Table:
    """Open an import file and read its header; raise :class:`ReadError` when it cannot be read.

    ``path_or_file`` is a path or a seekable binary file; ``name`` is the name the person gave
    the file (its extension says the type: .csv, .tsv, .txt, .vcf, .xlsx, .xls; the content
    must agree). ``encoding`` overrides detection for text files; ``sheet`` picks a worksheet
    (default: the first visible one). ``max_bytes`` defaults to ``settings.UPLOAD_MAX_BYTES``;
    the command line passes a larger limit.
    """
    path: Path | None = None
    if isinstance(path_or_file, str | os.PathLike):
        path = Path(path_or_file)
        try:
            file: IO[bytes] = path.open("rb")
        except OSError as error:
            raise ReadError(
                _("The file cannot be opened: {reason}.").format(reason=error.strerror),
                code="type",
            ) from None
        owns_file = True
    else:
        file, owns_file = path_or_file, False
    try:
        return _open(file, owns_file, path, name, encoding, sheet, max_bytes)
    except BaseException:
        if owns_file:
            file.close()
        raise


def _open(
    file: IO[bytes],
    owns_file: bool,
    path: Path | None,
    name: str,
    encoding: str | None,
    sheet: str | None,
    max_bytes: int | None,
) -> Table:
    extension = _extension(name)
    reader = _EXTENSIONS.get(extension)
    if reader is None:
        accepted = ", ".join("." + extension for extension in _EXTENSIONS)
        raise ReadError(
            _("Files of this type cannot be imported. Accepted: {types}.").format(types=accepted),
            code="type",
        )
    size = _size_of(file)
    file.seek(0)
    head = file.read(SAMPLE_BYTES)
    file.seek(0)
    checked_name = name
    workbook = _workbook_kind(file, head)
    if workbook is not None and reader != "vcard" and workbook != reader:
        # a workbook under another name: an .xlsx saved as .xls, a workbook named .csv. The
        # file is read by its content (calamine goes by a path's extension: give it the file).
        reader, path = workbook, None
        checked_name = f"{name}.{workbook}"
    elif workbook is None and head and reader != "vcard":
        _refuse_markup(head)
        if reader == "xls":
            # text under the old Excel name: what many web applications export as "Excel"
            reader, extension, checked_name = "text", "txt", f"{name}.txt"
    if reader == "text" and head.lstrip(b"\xef\xbb\xbf \r\n\t").upper().startswith(b"BEGIN:VCARD"):
        reader = "vcard"
    if reader in ("text", "vcard") and encoding is None and b"\x00" in head:
        wide = head.startswith(_WIDE_BOMS)
        if not wide and _utf16_without_bom(head) is None:
            raise _binary(head[: head.index(b"\x00")].count(b"\n") + 1)
    _check(file, checked_name, size, max_bytes, reader)
    if reader in ("xlsx", "xls"):
        from huike.imports.sheets import SheetTable

        return SheetTable(file, size, owns_file, kind=reader, path=path, sheet=sheet)
    sample = _sample(file, size)
    codec = _plan(encoding or detect_encoding(sample), head)
    text_sample = (
        codecs.getincrementaldecoder(codec.codec)(errors="replace").decode(sample[codec.skip :])
        if sample
        else ""
    )
    if reader == "vcard" or text_sample.lstrip("\ufeff \r\n\t").upper().startswith("BEGIN:VCARD"):
        return VCardTable(file, size, owns_file, codec=codec, sample=text_sample)
    return TextTable(file, size, owns_file, codec=codec, extension=extension, sample=text_sample)
