"""Uploaded files are checked by size, name and content before anything parses them; downloads
are always attachments."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import override_settings

from huike.core.uploads import check_upload, safe_filename, serve_download

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
CSV = "姓名,手机\n张三,13800138000\n".encode()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.exe", "MZ")
    return buffer.getvalue()


def refusal(name: str, content: bytes, **kwargs: object) -> str:
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(name, content), **kwargs)  # type: ignore[arg-type]
    return refused.value.messages[0]


@pytest.mark.parametrize(
    ("name", "content", "kind", "encoding"),
    [
        ("customers.csv", CSV, "csv", "utf-8-sig"),
        ("customers.csv", b"\xef\xbb\xbf" + CSV, "csv", "utf-8-sig"),
        ("客户.csv", "姓名,手机\n张三,13800138000\n".encode("gb18030"), "csv", "gb18030"),
        ("customers.txt", "\ufeff姓名\t手机\n".encode("utf-16"), "txt", "utf-16"),
        ("customers.tsv", b"name\tphone\nMei\t1380\n", "tsv", "utf-8-sig"),
        ("cards.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Mei\r\nEND:VCARD\r\n", "vcf", "utf-8-sig"),
        ("book.xlsx", xlsx_bytes(), "xlsx", ""),
        ("old.XLS", OLE2 + b"\x00" * 504, "xls", ""),
    ],
)
def test_genuine_files_pass_and_report_their_type(
    name: str, content: bytes, kind: str, encoding: str
) -> None:
    checked = check_upload(upload(name, content))

    assert checked.kind == kind
    assert checked.size == len(content)
    assert checked.encoding == encoding
    assert checked.name == name


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("customers.csv", ELF),  # a program renamed
        ("customers.csv", xlsx_bytes()),  # a workbook renamed to .csv
        ("customers.txt", b"text\x00with a NUL"),
        ("customers.xlsx", CSV),  # text renamed to .xlsx
        ("customers.xlsx", plain_zip()),  # a ZIP that is no workbook
        ("customers.xls", xlsx_bytes()),
        ("cards.vcf", b"FN:Mei\r\n"),
        ("customers.csv", b"\x80\x81 not text at all \xff"),
    ],
)
def test_content_that_does_not_match_the_name_is_refused(name: str, content: bytes) -> None:
    assert "does not match its name" in refusal(name, content)


@pytest.mark.parametrize("name", ["run.exe", "page.html", "image.svg", "customers", "x.csv.exe"])
def test_types_that_are_not_accepted_are_refused_by_name(name: str) -> None:
    assert "not accepted" in refusal(name, CSV)


def test_the_accepted_types_can_be_narrowed() -> None:
    assert "Accepted: .vcf" in refusal("customers.csv", CSV, allowed=("vcf",))


def test_files_over_the_size_limit_are_refused_before_they_are_read() -> None:
    class Unreadable(SimpleUploadedFile):
        def read(self, *args: object) -> bytes:
            raise AssertionError("the file was read")

    big = Unreadable("customers.csv", b"")
    big.size = 2_000_000

    with pytest.raises(ValidationError) as refused:
        check_upload(big, max_bytes=1_000_000)

    assert "too large" in refused.value.messages[0]


@override_settings(UPLOAD_MAX_BYTES=10)
def test_the_size_limit_comes_from_the_settings() -> None:
    assert "too large" in refusal("customers.csv", CSV)


def test_an_empty_file_is_refused() -> None:
    assert "empty" in refusal("customers.csv", b"")


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("..\\..\\Windows\\system.ini.csv", "system.ini.csv"),
        ("C:\\Users\\mei\\Desktop\\客户.xlsx", "客户.xlsx"),
        ("/var/lib/huike/keys.json", "keys.json"),
        ("a\x00b\r\n.csv", "ab.csv"),
        ("report\u202egpj.csv", "reportgpj.csv"),  # right-to-left override hides a name
        ("....csv", "csv"),
        ("..", "upload"),
        ("", "upload"),
        (".env", "env"),
        ("x" * 300 + ".csv", "x" * 146 + ".csv"),
    ],
)
def test_file_names_lose_folders_control_characters_and_dots(given: str, safe: str) -> None:
    assert safe_filename(given) == safe


def test_a_path_trick_in_the_name_does_not_survive_the_check() -> None:
    checked = check_upload(upload("../../../tmp/customers.csv", CSV))

    assert checked.name == "customers.csv"


def test_downloads_are_attachments_that_browsers_do_not_sniff(tmp_path: Path) -> None:
    stored = tmp_path / "export-1.csv"
    stored.write_bytes(CSV)

    response = serve_download(stored, "../客户 export.csv")

    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%AE%A2%E6%88%B7%20export.csv" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].startswith("text/csv")
    assert b"".join(response.streaming_content) == CSV  # type: ignore[arg-type]
    response.file_to_stream.close()  # type: ignore[union-attr]


def test_active_content_is_never_served_as_such(tmp_path: Path) -> None:
    stored = tmp_path / "upload.bin"
    stored.write_bytes(b"<svg onload=alert(1)>")

    response = serve_download(stored, "picture.svg")

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    response.file_to_stream.close()  # type: ignore[union-attr]


def test_a_download_outside_its_folder_is_not_found(tmp_path: Path) -> None:
    inside = tmp_path / "exports"
    inside.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")

    with pytest.raises(Http404):
        serve_download(inside / ".." / "secret.txt", "secret.txt", root=inside)
    with pytest.raises(Http404):
        serve_download(inside / "missing.csv", "missing.csv", root=inside)
