"""Reading import files: encodings, delimiters, Excel cells, streaming, and every kind of junk."""

from __future__ import annotations

import codecs
import datetime
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huike.imports import xlsx
from huike.imports.reading import (
    MAX_CELL_CHARS,
    MAX_LINE_BYTES,
    ReadError,
    Table,
    detect_encoding,
    open_table,
    unique_header,
)

SAMPLES = Path(__file__).parent / "samples"


def read(data: bytes, name: str = "customers.csv", **options: object) -> tuple[Table, list]:
    table = open_table(io.BytesIO(data), name=name, **options)  # type: ignore[arg-type]
    return table, list(table.rows())


def read_error(data: bytes, name: str = "customers.csv", **options: object) -> ReadError:
    with pytest.raises(ReadError) as caught:
        read(data, name, **options)
    return caught.value


# ---------------------------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------------------------


def test_utf8_without_bom_is_read_as_utf8():
    table, rows = read("姓名,手机\n张三,13800138000\n".encode())
    assert table.encoding == "utf-8"
    assert table.header == ["姓名", "手机"]
    assert rows == [(2, {"姓名": "张三", "手机": "13800138000"})]


def test_utf8_bom_is_removed_from_the_first_header_cell():
    table, rows = read(codecs.BOM_UTF8 + b"Name,Email\nZhang,z@example.com\n")
    assert table.encoding == "utf-8-sig"
    assert table.header == ["Name", "Email"]
    assert rows[0][1]["Name"] == "Zhang"


def test_gbk_csv_with_chinese_headers_is_detected_as_gb18030():
    with open_table(SAMPLES / "customers_gbk.csv", name="customers_gbk.csv") as table:
        rows = list(table.rows())
    assert table.encoding == "gb18030"
    assert table.header[:3] == ["客户名称", "手机号码", "电子邮箱"]
    assert rows[0][1]["单位"] == "示例贸易有限公司"


def test_big5_traditional_chinese_is_detected():
    text = (
        "客戶名稱,電話,地址\n張三,0912345678,臺北市信義路五段7號\n陳大文,0223456789,高雄市苓雅區\n"
    )
    table, rows = read(text.encode("big5"))
    assert table.encoding in ("big5", "cp950")
    assert table.header == ["客戶名稱", "電話", "地址"]
    assert rows[1][1]["客戶名稱"] == "陳大文"


def test_excel_unicode_text_is_utf16_tab_separated():
    with open_table(SAMPLES / "excel_unicode.txt", name="excel_unicode.txt") as table:
        rows = list(table.rows())
    assert (table.kind, table.encoding) == ("tsv", "utf-16-le")
    assert table.header == ["姓名", "手机", "邮箱"]
    assert rows == [
        (2, {"姓名": "张三", "手机": "13800138000", "邮箱": "zhangsan@example.cn"}),
        (3, {"姓名": "李四", "手机": "13900139000", "邮箱": ""}),
    ]


def test_utf16_big_endian_with_bom():
    data = codecs.BOM_UTF16_BE + "Name\tPhone\r\nZhang\t138\r\n".encode("utf-16-be")
    table, rows = read(data, name="x.txt")
    assert table.encoding == "utf-16-be"
    assert rows == [(2, {"Name": "Zhang", "Phone": "138"})]


def test_explicit_encoding_overrides_detection():
    data = "Name\nCafé\n".encode("cp1252")
    table, rows = read(data, encoding="cp1252")
    assert rows[0][1]["Name"] == "Café"
    assert table.encoding == "cp1252"


def test_wrong_explicit_encoding_names_the_line():
    data = b"Name\nZhang\nLi\n" + "王五\n".encode("gbk")
    error = read_error(data, encoding="utf-8")
    assert (error.code, error.line) == ("encoding", 4)
    assert "Line 4" in str(error)


def test_unknown_encoding_name_is_refused():
    assert read_error(b"a\nb\n", encoding="klingon").code == "encoding"


def test_chinese_after_the_sampled_part_still_names_its_line():
    # Given a file whose Chinese text sits where the detection sample does not look
    ascii_line = b"zhang,13800138000,zhang@example.com\n"
    before = ascii_line * 3000  # ~105 KiB: past the first 64 KiB sample
    after = ascii_line * 6000
    data = b"name,mobile,email\n" + before + "王五,1,w@example.com\n".encode("gbk") + after
    # When it is read, then the first line that is not UTF-8 is named
    error = read_error(data)
    assert (error.code, error.line) == ("encoding", 3002)


def test_chinese_in_the_middle_of_a_large_file_is_found_by_the_sample():
    ascii_line = b"zhang,13800138000,zhang@example.com\n"
    middle = "王五,13900139000,w@example.com\n".encode("gbk") * 4000
    data = b"name,mobile,email\n" + ascii_line * 4000 + middle + ascii_line * 4000
    table, rows = read(data)
    assert table.encoding == "gb18030"
    assert rows[4000][1]["name"] == "王五"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"", "utf-8"),
        (b"plain ascii", "utf-8"),
        (codecs.BOM_UTF8 + b"x", "utf-8-sig"),
        (codecs.BOM_UTF16_LE + "x".encode("utf-16-le"), "utf-16-le"),
        ("姓名,电话\n张三".encode("gb18030"), "gb18030"),
        ("姓名,电话,地址\n张三,123,北京市朝阳区".encode()[:-1], "utf-8"),  # cut character
        ("name,phone\nzhang,123\n".encode("utf-16-le"), "utf-16-le"),  # no BOM
    ],
)
def test_detect_encoding(head, expected):
    assert detect_encoding(head) == expected


def test_detect_encoding_falls_back_to_charset_normalizer_for_western_text():
    text = "Nom,Société,Adresse\nDupont,Électricité Générale,Rue de l'Église\n" * 20
    encoding = detect_encoding(text.encode("cp1252"))
    assert encoding not in ("utf-8", "gb18030", "big5")
    assert text.encode("cp1252").decode(encoding) == text


# ---------------------------------------------------------------------------------------------
# Delimiters, header, rows
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"a;b;c\n1;2;3\n", "csv"),
        (b"a|b|c\n1|2|3\n", "csv"),
        (b"a\tb\tc\n1\t2\t3\n", "tsv"),
        (b"a,b,c\n1,2,3\n", "csv"),
        (b"sep=;\na;b;c\n1;2;3\n", "csv"),
    ],
)
def test_delimiter_is_sniffed(data, kind):
    table, rows = read(data)
    assert table.kind == kind
    assert table.header == ["a", "b", "c"]
    assert [row for _line, row in rows] == [{"a": "1", "b": "2", "c": "3"}]


def test_delimiters_inside_quotes_do_not_count():
    table, rows = read(b'"Name, full";Phone\n"Zhang, San";138\n')
    assert table.header == ["Name, full", "Phone"]
    assert rows[0][1] == {"Name, full": "Zhang, San", "Phone": "138"}


def test_tsv_extension_prefers_tab():
    table, _rows = read(b"a,b\tc\n1,2\t3\n", name="x.tsv")
    assert table.header == ["a,b", "c"]


def test_header_is_cleaned_and_made_unique():
    assert unique_header(["\ufeff Name ", "Phone", "Phone", "", "Phone", "a\u200bb"]) == [
        "Name",
        "Phone",
        "Phone (2)",
        "Column 4",
        "Phone (3)",
        "ab",
    ]


def test_empty_rows_are_skipped_and_line_numbers_kept():
    data = b"\n\nName,Phone\n\nZhang,1\n , \n\nLi,2\n"
    _table, rows = read(data)
    assert rows == [(5, {"Name": "Zhang", "Phone": "1"}), (8, {"Name": "Li", "Phone": "2"})]


def test_multiline_cells_keep_the_row_start_line_for_later_rows():
    data = b'Name,Notes\nZhang,"one\ntwo\nthree"\nLi,x\n'
    _table, rows = read(data)
    assert rows == [
        (2, {"Name": "Zhang", "Notes": "one\ntwo\nthree"}),
        (5, {"Name": "Li", "Notes": "x"}),
    ]


def test_short_rows_are_padded_and_extra_cells_kept_under_column_numbers():
    _table, rows = read(b"a,b,c\n1\n1,2,3,4,\n")
    assert rows[0][1] == {"a": "1", "b": "", "c": ""}
    assert rows[1][1] == {"a": "1", "b": "2", "c": "3", "Column 4": "4"}


def test_old_mac_line_endings():
    _table, rows = read(b"Name,Phone\rZhang,1\rLi,2\r")
    assert [line for line, _row in rows] == [2, 3]


def test_formulas_and_script_stay_text():
    with open_table(SAMPLES / "customers_gbk.csv", name="c.csv") as table:
        notes = [row["备注"] for _line, row in table.rows()]
    assert notes == ['=HYPERLINK("http://example.cn")', "<script>alert(1)</script>"]


def test_header_only_file_has_no_rows():
    table, rows = read(b"Name,Phone\r\n")
    assert table.header == ["Name", "Phone"]
    assert rows == []


def test_path_input_is_opened_and_closed():
    table = open_table(str(SAMPLES / "outlook.csv"), name="outlook.csv")
    with table:
        assert table.header[1] == "First Name"
    assert table._file.closed


# ---------------------------------------------------------------------------------------------
# Junk
# ---------------------------------------------------------------------------------------------


def test_unclosed_quote_names_the_line_where_the_row_starts():
    data = b'Name,Notes\nZhang,ok\nLi,"never closed\nWang,x\n'
    error = read_error(data)
    assert (error.code, error.line) == ("quotes", 3)


def test_misplaced_quote_names_its_line():
    error = read_error(b'Name,Notes\nZhang,"ab"c\n')
    assert (error.code, error.line) == ("quotes", 2)
    assert str(error).startswith("Line 2: ")


def test_nul_bytes_are_binary_junk():
    error = read_error(b"Name,Phone\nZhang,1\nLi\x00,2\n")
    assert (error.code, error.line) == ("binary", 3)


def test_binary_file_renamed_csv_is_refused_before_parsing():
    error = read_error(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert error.code == "binary"


def test_nul_bytes_after_the_sample_are_found_on_their_line():
    data = b"a,b\n" + b"1,2\n" * 30000 + b"\x00\x01,2\n"
    error = read_error(data)
    assert (error.code, error.line) == ("binary", 30002)


def test_file_without_line_breaks_stops_early():
    file = CountingFile(b"Name\n" + b"x" * (2 * MAX_LINE_BYTES))
    with pytest.raises(ReadError) as caught:
        list(open_table(file, name="x.csv").rows())
    assert (caught.value.code, caught.value.line) == ("too_long", 2)
    assert file.bytes_read < MAX_LINE_BYTES + 4 * 1024 * 1024


@pytest.mark.parametrize("data", [b"", b"\n\n \r\n", codecs.BOM_UTF8])
def test_empty_files_are_refused(data):
    assert read_error(data).code == "empty"


def test_header_without_column_names_is_refused():
    error = read_error("\u200b,\ufeff,\u200b\n1,2,3\n".encode())
    assert (error.code, error.line) == ("header", 1)


def test_a_row_of_empty_cells_is_an_empty_row_not_a_header():
    table, rows = read(b",,,\nName,Phone\nZhang,1\n")
    assert table.header == ["Name", "Phone"]
    assert rows == [(3, {"Name": "Zhang", "Phone": "1"})]


@pytest.mark.parametrize("name", ["customers.pdf", "customers", "customers.docx", "x.ods"])
def test_unsupported_types_are_refused(name):
    assert read_error(b"Name\nZhang\n", name=name).code == "type"


def test_text_renamed_xlsx_is_refused():
    assert read_error(b"Name\nZhang\n", name="customers.xlsx").code == "content"


def test_too_large_file_is_refused():
    assert read_error(b"Name\nZhang\n" * 100, max_bytes=50).code == "too_large"


def test_cell_longer_than_the_limit_names_the_line():
    data = b"Name,Notes\nZhang,ok\nLi," + b"x" * (MAX_CELL_CHARS + 1) + b"\n"
    error = read_error(data)
    assert (error.code, error.line) == ("too_long", 3)


def test_cell_at_the_limit_is_read():
    _table, rows = read(b"Name\n" + b"x" * MAX_CELL_CHARS + b"\n")
    assert len(rows[0][1]["Name"]) == MAX_CELL_CHARS


def test_huge_quoted_cell_is_reported_not_loaded():
    data = b'Name,Notes\nZhang,"' + b"x" * 200_000 + b'"\n'
    error = read_error(data)
    assert (error.code, error.line) == ("too_long", 2)


def test_row_with_too_many_cells_names_the_line():
    data = b"a,b\n1,2\n" + b"x," * 501 + b"\n"
    error = read_error(data)
    assert (error.code, error.line) == ("too_many_cells", 3)


NAMES = ["x.csv", "x.tsv", "x.txt", "x.vcf", "x.xlsx", "x.xls"]


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.binary(max_size=3000), name=st.sampled_from(NAMES))
def test_random_bytes_never_crash_the_reader(data, name):
    try:
        table = open_table(io.BytesIO(data), name=name)
        for _line, row in table.rows():
            assert all(isinstance(value, str) for value in row.values())
        table.total_estimate()
    except ReadError as error:
        assert error.message


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    text=st.text(alphabet=st.sampled_from(list('ab,;\t|"\r\n 张三=<>\x00')), max_size=400),
    encoding=st.sampled_from(["utf-8", "gb18030", "utf-16"]),
)
def test_random_delimited_text_never_crashes_the_reader(text, encoding):
    try:
        _table, rows = read(text.encode(encoding), name="x.csv")
    except ReadError as error:
        assert error.message
    else:
        assert all(isinstance(line, int) for line, _row in rows)


@pytest.fixture(params=["calamine", "stream"])
def backend(request, monkeypatch):
    """Each .xlsx test runs with calamine and with the streaming reader for large sheets."""
    if request.param == "stream":
        monkeypatch.setattr(xlsx, "STREAM_ABOVE_BYTES", -1)
    return request.param


def xlsx_bytes(rows: list[list[object]], title: str = "Customers") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# One workbook for every example: openpyxl stamps the save time into it, and a size that changes
# between examples makes Hypothesis' draws inconsistent.
DAMAGE_BASE = xlsx_bytes([["Name", "Mobile"], ["Zhang", 13800138000]])


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_damaged_workbooks_never_crash_the_reader(backend, data):
    original = bytearray(DAMAGE_BASE)
    for _ in range(data.draw(st.integers(1, 20))):
        position = data.draw(st.integers(0, len(original) - 1))
        original[position] = data.draw(st.integers(0, 255))
    try:
        _table, rows = read(bytes(original), name="x.xlsx")
    except ReadError as error:
        assert error.message
    else:
        assert all(isinstance(row, dict) for _line, row in rows)


# ---------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------


def test_xlsx_numbers_dates_and_long_digit_strings_are_text_as_people_see_them(backend):
    data = xlsx_bytes(
        [
            ["Name", "Mobile", "Born", "Points", "ID", "Big", "Active", "Seen at"],
            [
                "张三",
                13800138000,
                datetime.date(1990, 5, 30),
                12.5,
                "110105194912310021",
                1e20,
                True,
                datetime.datetime(2024, 3, 1, 9, 30),
            ],
        ]
    )
    table, rows = read(data, name="customers.xlsx")
    assert table.kind == "xlsx"
    assert rows == [
        (
            2,
            {
                "Name": "张三",
                "Mobile": "13800138000",
                "Born": "1990-05-30",
                "Points": "12.5",
                "ID": "110105194912310021",
                "Big": "100000000000000000000",
                "Active": "TRUE",
                "Seen at": "2024-03-01 09:30:00",
            },
        )
    ]


def test_xlsx_formula_is_never_evaluated_or_kept_as_code(backend):
    _table, rows = read(xlsx_bytes([["Name", "Calc"], ["Zhang", "=1+1"]]), name="x.xlsx")
    assert rows[0][1]["Calc"] in ("", "2")


def test_xlsx_header_below_blank_rows_and_hidden_sheets_are_skipped(backend):
    workbook = openpyxl.Workbook()
    hidden = workbook.active
    hidden.title = "Lists"
    hidden["A1"] = "lookup"
    hidden.sheet_state = "hidden"
    sheet = workbook.create_sheet("Customers")
    sheet["B3"], sheet["C3"] = "Name", "Mobile"
    sheet["B4"], sheet["C4"] = "Zhang", "138"
    sheet["B6"] = "Li"
    buffer = io.BytesIO()
    workbook.save(buffer)
    table, rows = read(buffer.getvalue(), name="x.xlsx")
    assert table.sheets == ["Customers"]
    assert table.sheet == "Customers"
    assert rows == [(4, {"Name": "Zhang", "Mobile": "138"}), (6, {"Name": "Li", "Mobile": ""})]
    if backend == "calamine":
        assert table.total_estimate() == 3
    else:
        assert table.total_estimate() == 2  # from the bytes read: the two rows read


def test_xlsx_sheet_can_be_chosen_and_a_missing_sheet_is_named(backend):
    workbook = openpyxl.Workbook()
    workbook.active.append(["First"])
    second = workbook.create_sheet("第二页")
    second.append(["Name"])
    second.append(["Zhang"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    _table, rows = read(data, name="x.xlsx", sheet="第二页")
    assert rows == [(2, {"Name": "Zhang"})]
    error = read_error(data, name="x.xlsx", sheet="Missing")
    assert error.code == "sheet"
    assert "第二页" in error.message


def test_empty_xlsx_sheet_is_refused(backend):
    assert read_error(xlsx_bytes([]), name="x.xlsx").code == "empty"


def test_corrupt_xlsx_is_a_read_error(backend):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<not really>")
    assert read_error(buffer.getvalue(), name="x.xlsx").code == "corrupt"


def test_xls_sample_is_read():
    # customers.xls was written once with xlwt (the old Excel format cannot be written with
    # the project's own dependencies).
    with open_table(SAMPLES / "customers.xls", name="customers.xls") as table:
        rows = list(table.rows())
    assert (table.kind, table.sheet) == ("xls", "客户")
    assert rows[0] == (
        2,
        {
            "姓名": "张三",
            "手机": "13800138000",
            "生日": "1990-05-30",
            "积分": "12.5",
            "身份证号": "11010519491231002X",
        },
    )
    assert rows[1][1]["积分"] == "3"


CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def handmade_xlsx(sheet_xml: str, *, date1904: bool = False) -> bytes:
    """A workbook written by hand the way other programs write them: prefixed namespaces,
    shared strings with rich text and phonetic guides, cells without references."""
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<x:workbook xmlns:x="{MAIN}" xmlns:r="{RELS}">'
            f'<x:workbookPr date1904="{int(date1904)}"/><x:sheets>'
            '<x:sheet name="Hidden" sheetId="1" state="hidden" r:id="rId1"/>'
            '<x:sheet name="客户" sheetId="2" r:id="rId2"/></x:sheets></x:workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{RELS}/worksheet" Target="/xl/worksheets/sheet2.xml"/>'
            f'<Relationship Id="rId3" Type="{RELS}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId4" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": (
            f'<styleSheet xmlns="{MAIN}"><numFmts count="1">'
            '<numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
            '</numFmts><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/>'
            '<xf numFmtId="31"/><xf numFmtId="164"/></cellXfs></styleSheet>'
        ),
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{MAIN}"><si><t>姓名</t></si><si><t>手机</t></si>'
            "<si><r><t>张</t></r><r><rPr><b/></rPr><t>三</t></r>"
            "<rPh sb='0' eb='1'><t>zhang</t></rPh></si><si><t>生日</t></si></sst>"
        ),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>',
        "xl/worksheets/sheet2.xml": sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


HANDMADE_SHEET = (
    f'<x:worksheet xmlns:x="{MAIN}"><x:dimension ref="A1:F4"/><x:sheetData>'
    '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c>'
    '<x:c r="C1" t="s"><x:v>3</x:v></x:c><x:c r="D1" t="inlineStr"><x:is><x:t>积分</x:t>'
    '</x:is></x:c><x:c t="inlineStr"><x:is><x:t>有效</x:t></x:is></x:c>'
    '<x:c t="inlineStr"><x:is><x:t>公式</x:t></x:is></x:c></x:row>'
    '<x:row r="3"><x:c r="A3" t="s"><x:v>2</x:v></x:c><x:c r="B3"><x:v>13800138000</x:v></x:c>'
    '<x:c r="C3" s="1"><x:v>33023</x:v></x:c><x:c r="D3"><x:v>12.5</x:v></x:c>'
    '<x:c r="E3" t="b"><x:v>1</x:v></x:c>'
    '<x:c r="F3" t="str"><x:f>A3&amp;"!"</x:f><x:v>张三!</x:v></x:c></x:row>'
    '<x:row r="4"><x:c r="A4" t="inlineStr"><x:is><x:t>李四</x:t></x:is></x:c>'
    '<x:c r="C4" s="3"><x:v>33390</x:v></x:c><x:c r="D4" t="e"><x:v>#N/A</x:v></x:c>'
    "</x:row></x:sheetData></x:worksheet>"
)


def test_handmade_workbook_reads_the_same_with_both_readers(backend):
    table, rows = read(handmade_xlsx(HANDMADE_SHEET), name="x.xlsx")
    assert table.sheets == ["客户"]
    assert table.header == ["姓名", "手机", "生日", "积分", "有效", "公式"]
    assert rows[0] == (
        3,
        {
            "姓名": "张三",
            "手机": "13800138000",
            "生日": "1990-05-30",
            "积分": "12.5",
            "有效": "TRUE",
            "公式": "张三!",
        },
    )
    assert rows[1][0] == 4
    assert rows[1][1]["姓名"] == "李四"
    assert rows[1][1]["生日"] == "1991-06-01"
    assert rows[1][1]["积分"] == ""  # #N/A


def test_streaming_reader_knows_the_1904_date_system_and_chinese_date_formats():
    stream = xlsx.XlsxStream(io.BytesIO(handmade_xlsx(HANDMADE_SHEET, date1904=True)))
    (sheet,) = [info for info in stream.sheets if info.visible]
    rows = dict(stream.rows(sheet))
    assert rows[3][2] == datetime.datetime(1994, 5, 31)
    assert rows[4][2] == datetime.datetime(1995, 6, 2)


def test_large_xlsx_is_streamed_row_by_row(monkeypatch):
    # Given a sheet above the streaming threshold
    monkeypatch.setattr(xlsx, "STREAM_ABOVE_BYTES", 100_000)
    rows: list[list[object]] = [["Name", "Mobile"]]
    rows += [[f"c{n}", 13800000000 + n] for n in range(20_000)]
    table = open_table(io.BytesIO(xlsx_bytes(rows)), name="big.xlsx")
    # When the first row is read, then only the first chunk of the sheet has been parsed
    assert next(table.rows()) == (2, {"Name": "c0", "Mobile": "13800000000"})
    assert getattr(table, "_stream", None) is not None
    assert 0 < table.progress() < 1
    assert sum(1 for _ in table.rows()) == 20_000
    assert table.progress() == 1.0


def test_ole2_junk_named_xls_is_a_read_error():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert read_error(data, name="x.xls").code == "corrupt"


# ---------------------------------------------------------------------------------------------
# Streaming, progress and resuming
# ---------------------------------------------------------------------------------------------


class CountingFile(io.BytesIO):
    """A file that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_large_csv_yields_its_first_row_before_reading_the_rest():
    # Given a generated 20 MB file
    lines = [b"name,mobile,email\n"]
    lines += [b"customer %d,138%08d,c%d@example.com\n" % (n, n, n) for n in range(500_000)]
    file = CountingFile(b"".join(lines))
    size = len(file.getvalue())
    # When the first row is read
    table = open_table(file, name="big.csv")
    before = file.bytes_read
    first = next(table.rows())
    # Then only the samples and the first chunk have been read
    assert first == (2, {"name": "customer 0", "mobile": "13800000000", "email": "c0@example.com"})
    assert file.bytes_read - before <= 1024 * 1024
    assert file.bytes_read < size / 5
    assert 0 < table.progress() < 0.1


def test_progress_and_total_estimate_grow_to_the_real_total():
    data = b"name\n" + b"".join(b"row %d\n" % n for n in range(1000))
    table = open_table(io.BytesIO(data), name="x.csv")
    assert table.total_estimate() is None
    count = sum(1 for _ in table.rows())
    assert count == 1000
    assert table.progress() == 1.0
    assert table.total_estimate() == 1000


def test_rows_resume_after_a_checkpoint():
    data = 'name,notes\n张三,"a\nb"\n李四,x\n\n王五,y\n赵六,z\n'.encode("gb18030")
    table = open_table(io.BytesIO(data), name="x.csv")
    rows = table.rows()
    next(rows)
    next(rows)
    checkpoint = table.checkpoint
    resumed = open_table(io.BytesIO(data), name="x.csv")
    assert [line for line, _row in resumed.rows(resume=checkpoint)] == [6, 7]
    assert [row["name"] for _line, row in resumed.rows(resume=checkpoint)] == ["王五", "赵六"]


def test_utf16_rows_resume_after_a_checkpoint():
    text = "name\tphone\r\n张三\t1\r\n李四\t2\r\n王五\t3\r\n"
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    table = open_table(io.BytesIO(data), name="x.txt")
    rows = table.rows()
    next(rows)
    assert [row["name"] for _line, row in table.rows(resume=table.checkpoint)] == ["李四", "王五"]


def test_xlsx_rows_resume_after_a_checkpoint(backend):
    data = xlsx_bytes([["Name"], ["a"], ["b"], ["c"]])
    table = open_table(io.BytesIO(data), name="x.xlsx")
    rows = table.rows()
    next(rows)
    assert [line for line, _row in table.rows(resume=table.checkpoint)] == [3, 4]


def test_damaged_checkpoint_is_a_read_error():
    table = open_table(io.BytesIO(b"a\n1\n"), name="x.csv")
    with pytest.raises(ReadError):
        list(table.rows(resume="nonsense"))


# ---------------------------------------------------------------------------------------------
# Real-world files: other programs' exports and their quirks
# ---------------------------------------------------------------------------------------------


def test_western_outlook_export_in_cp1252_keeps_its_accents():
    # Given Outlook's export on German Windows: Windows-1252, semicolons, typographic quotes, €
    with open_table(SAMPLES / "rf_outlook_cp1252.csv", name="Kontakte.csv") as table:
        rows = [row for _line, row in table.rows()]
    # Then every letter is read as written (not Windows-1250's "Crčme" or "Nuńez")
    assert table.encoding == "cp1252"
    assert table.header[:2] == ["Vorname", "Nachname"]
    assert [row["Nachname"] for row in rows] == ["Müller", "Crème", "Nuñez"]
    assert rows[0]["Firma"] == "Straßenbau GmbH"
    assert rows[0]["Notizen"] == "„Grüße“ – Preis 5 €"
    assert rows[2]["Notizen"] == "¿Qué?"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Name,Company\nFrançoise,Café Crème\nJosé,Nuñez\n", "cp1252"),
        ("Name,Note\nZhang,“hi” – it’s €5\n", "cp1252"),
        ("Nome,Cidade\nJoão,São Paulo\nInformações,Ação\n", "cp1252"),
        # other scripts and Central European letters are not taken for Windows-1252
        ("Imię,Miasto\nŁukasz,Łódź\nZażółć,Gęślą\n", "cp1250"),
        ("Имя,Город\nИван,Москва\nОльга,Санкт-Петербург\n", "cp1251"),
        ("名前,電話,住所\n山田太郎,03-1234-5678,東京都\n", "shift_jis"),
    ],
)
def test_single_byte_code_pages_are_told_apart(text, encoding):
    detected = detect_encoding(text.encode(encoding))
    assert text.encode(encoding).decode(detected) == text


def test_utf8_with_a_stray_byte_is_utf8_and_names_the_line():
    # Given a UTF-8 file in which one line was saved in another encoding
    data = ("姓名,城市\n" + "张三,北京\n" * 6).encode() + "Müller,Köln\n".encode("latin-1")
    assert detect_encoding(data) == "utf-8"
    # Then that line is named, instead of every Chinese name being read in a wrong code page
    error = read_error(data)
    assert (error.code, error.line) == ("encoding", 8)


@pytest.mark.parametrize("bom", [codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE])
def test_utf32_with_a_byte_order_mark_is_read(bom):
    codec = "utf-32-le" if bom == codecs.BOM_UTF32_LE else "utf-32-be"
    table, rows = read(bom + "姓名\t手机\r\n张三\t138\r\n".encode(codec), name="x.txt")
    assert (table.encoding, table.kind) == (codec, "tsv")
    assert rows == [(2, {"姓名": "张三", "手机": "138"})]


def test_messy_csv_reads_as_people_see_it():
    # Given blank rows before the header, a duplicated and an empty column name, trailing
    # empty columns, a space before a quoted cell, a quoted cell over two lines with doubled
    # quotes, a line ended by a lone \r, extra cells, a row of commas and DOS's Ctrl-Z at the end
    with open_table(SAMPLES / "rf_messy.csv", name="messy.csv") as table:
        rows = list(table.rows())
    assert table.header == ["Name", "Mobile", "Mobile (2)", "Column 4", "Notes"]
    assert rows == [
        (
            4,
            {
                "Name": "Zhang",
                "Mobile": "13800138000",
                "Mobile (2)": "010-65529988",
                "Column 4": "x",
                "Notes": 'two\r\nlines, "quoted"',
            },
        ),
        (6, {"Name": "Li", "Mobile": "13900139000", "Mobile (2)": "", "Column 4": "", "Notes": ""}),
        (
            7,
            {
                "Name": "Wang",
                "Mobile": "13700137000",
                "Mobile (2)": "",
                "Column 4": "",
                "Notes": "",
                "Column 9": "extra",
            },
        ),
    ]


def test_lone_carriage_returns_in_a_utf16_file_end_lines_too():
    text = 'Name\tNotes\r\nZhang\t"a\rb"\r\nLi\tx\rWang\ty\r\n'
    _table, rows = read(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), name="x.txt")
    assert [(line, row["Name"], row["Notes"]) for line, row in rows] == [
        (2, "Zhang", "a\rb"),
        (4, "Li", "x"),
        (5, "Wang", "y"),
    ]


def test_double_carriage_returns_are_one_line_break():
    _table, rows = read(b"Name,Phone\r\r\nZhang,1\r\r\nLi,2\r\r\n")
    assert rows == [(2, {"Name": "Zhang", "Phone": "1"}), (3, {"Name": "Li", "Phone": "2"})]


def test_many_trailing_empty_cells_do_not_count_as_cells():
    # Given rows that a spreadsheet wrote 900 cells wide because of one stray cell
    _table, rows = read(b"Name,Phone" + b"," * 900 + b"\r\nZhang,1" + b"," * 900 + b"\r\n")
    assert rows == [(2, {"Name": "Zhang", "Phone": "1"})]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'Name,Phone\r\nZhang,1\r\n"Li,2\r\n', "the file ends inside a quoted cell"),
        (b'Name,Phone\r\n"Zhang" ,1\r\n', "there is text after the quotation mark"),
    ],
)
def test_broken_quotes_are_explained_in_words(data, problem):
    error = read_error(data)
    assert error.code == "quotes"
    assert problem in error.message
    assert "expected" not in error.message  # not Python's own words


def test_text_exported_by_a_web_application_as_xls_is_read_as_text():
    # Given a GBK tab-separated file named .xls, as many web applications export "Excel"
    with open_table(SAMPLES / "rf_web_export.xls", name="导出.xls") as table:
        rows = list(table.rows())
    assert (table.kind, table.encoding) == ("tsv", "gb18030")
    assert rows == [
        (2, {"姓名": "张三", "手机": "13800138000", "备注": "老客户"}),
        (3, {"姓名": "李四", "手机": "13900139000", "备注": ""}),
    ]


@pytest.mark.parametrize("name", ["customers.xlsx", "customers.csv"])
def test_xls_workbook_under_another_name_is_read_by_its_content(name):
    table, rows = read((SAMPLES / "customers.xls").read_bytes(), name=name)
    assert (table.kind, table.sheet) == ("xls", "客户")
    assert rows[0][1]["手机"] == "13800138000"


@pytest.mark.parametrize("name", ["customers.xls", "customers.csv"])
def test_xlsx_workbook_under_another_name_is_read_by_its_content(name, tmp_path):
    # a path too: python-calamine picks its reader by a path's extension
    path = tmp_path / name
    path.write_bytes(xlsx_bytes([["Name", "Mobile"], ["Zhang", 13800138000]]))
    with open_table(path, name=name) as table:
        rows = list(table.rows())
    assert table.kind == "xlsx"
    assert rows == [(2, {"Name": "Zhang", "Mobile": "13800138000"})]


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"<!DOCTYPE html>\n<html><body><table><tr><td>a</td></tr></table>", "x.xls", "web page"),
        (b'<html xmlns:o="urn:schemas-microsoft-com:office:office">', "x.xls", "web page"),
        (b"<table border=1><tr><th>Name</th></tr></table>", "x.xls", "web page"),
        (b"<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>", "x.csv", "web page"),
        (
            b'<?xml version="1.0"?>\r\n<?mso-application progid="Excel.Sheet"?>\r\n'
            b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
            "x.xls",
            "XML spreadsheet",
        ),
    ],
)
def test_web_pages_and_xml_spreadsheets_are_refused_with_advice(data, name, words):
    error = read_error(data, name=name)
    assert error.code == "type"
    assert words in error.message
    assert ".xlsx" in error.message


def test_a_csv_whose_first_cell_mentions_html_is_still_read():
    _table, rows = read(b"html,Name\r\n<b>x</b>,Zhang\r\n")
    assert rows == [(2, {"html": "<b>x</b>", "Name": "Zhang"})]


def test_xlsx_leading_zeros_of_the_number_format_are_kept():
    # Given a workbook whose first sheet was left empty, a postcode and a landline typed as
    # numbers with formats "00000" and "00000000000", and a stray blank cell in column AHP
    with open_table(SAMPLES / "rf_padded.xlsx", name="客户.xlsx") as table:
        rows = list(table.rows())
    # Then the first sheet with rows is read, as people see it
    assert table.sheet == "客户"
    assert table.header == ["姓名", "邮编", "座机", "生日", "积分", "公式"]
    assert rows == [
        (
            2,
            {
                "姓名": "张三",
                "邮编": "01234",
                "座机": "01065529988",
                "生日": "1990-05-30",
                "积分": "12.5",
                "公式": "",  # openpyxl saves no result with the formula
            },
        )
    ]


def test_xlsx_empty_first_sheet_gives_way_unless_a_sheet_is_chosen(backend):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Sheet1"
    workbook.create_sheet("Data").append(["Name"])
    workbook["Data"].append(["Zhang"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table, rows = read(buffer.getvalue(), name="x.xlsx")
    assert (table.sheet, rows) == ("Data", [(2, {"Name": "Zhang"})])
    assert read_error(buffer.getvalue(), name="x.xlsx", sheet="Sheet1").code == "empty"


def test_xlsx_all_sheets_empty_names_the_first(backend):
    workbook = openpyxl.Workbook()
    workbook.create_sheet("Second")
    buffer = io.BytesIO()
    workbook.save(buffer)
    error = read_error(buffer.getvalue(), name="x.xlsx")
    assert error.code == "empty"
    assert "Sheet" in error.message


def test_xlsx_stray_cell_far_to_the_right_does_not_make_rows_too_wide(backend):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Mobile"])
    sheet.append(["Zhang", 13800138000])
    sheet.cell(row=5, column=700).value = " "
    buffer = io.BytesIO()
    workbook.save(buffer)
    table, rows = read(buffer.getvalue(), name="x.xlsx")
    assert table.header == ["Name", "Mobile"]
    assert rows == [(2, {"Name": "Zhang", "Mobile": "13800138000"})]


def test_streaming_reader_reads_iso_date_cells_and_cells_left_of_a_wrong_used_range(backend):
    sheet = (
        f'<worksheet xmlns="{MAIN}"><dimension ref="B2:C3"/><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Born</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Zhang</t></is></c>'
        '<c r="B2" t="d"><v>1990-05-30T00:00:00</v></c></row></sheetData></worksheet>'
    )
    table, rows = read(handmade_xlsx(sheet), name="x.xlsx")
    assert table.header == ["Name", "Born"]
    assert rows == [(2, {"Name": "Zhang", "Born": "1990-05-30"})]
