"""``/api/v1/imports/``: upload a file with the command line's options, follow the job, stop
it, download its rejected rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from huike.accounts.models import User
from huike.imports.models import ImportJob
from huike.parties.models import Observation, Party

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"
URL = "/api/v1/imports/"
GBK_ROWS = (
    "姓名,手机,邮箱\n"
    "张三,13800138000,zs@example.com\n"
    "李四,13900139000,\n"
    '"=HYPERLINK(""http://evil.example"")",12345,bad-email\n'
)
SUMMARY = {
    "job",
    "status",
    "file",
    "format",
    "encoding",
    "preset",
    "dry_run",
    "rows",
    "created",
    "updated",
    "skipped",
    "rejected",
    "duplicates",
}
Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def private_files(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def mei(make_user: Callable[..., User]) -> User:
    return make_user("salesperson", username="mei")


@pytest.fixture
def api(token_client: Callable[[User], APIClient], mei: User) -> APIClient:
    return token_client(mei)


def downloaded(response: Any) -> str:
    """A streamed CSV download as text (the BOM Excel needs removed)."""
    return b"".join(response.streaming_content).decode("utf-8-sig")


def post(client: APIClient, content: bytes, name: str, **fields: Any) -> Any:
    data = {**fields, "file": SimpleUploadedFile(name, content)}
    return client.post(URL, data, format="multipart")


def run(client: APIClient, capture: Capture, content: bytes, name: str, **fields: Any) -> Any:
    """Upload, let the worker run the job (it starts once the upload is committed), and read
    the job again."""
    with capture(execute=True):
        response = post(client, content, name, **fields)
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "pending"  # answered before the worker ran it
    return client.get(f"{URL}{response.json()['job']}/")


def test_an_uploaded_gbk_file_is_imported_and_answers_with_the_cli_summary(
    api: APIClient, mei: User, django_capture_on_commit_callbacks: Capture
) -> None:
    response = run(
        api,
        django_capture_on_commit_callbacks,
        GBK_ROWS.encode("gb18030"),
        "客户.csv",
        source="trade-show",
        consent="service",
        evidence="contracts 2026",
    )

    body = response.json()
    assert SUMMARY <= set(body) and {"progress", "rate", "eta"} <= set(body)
    assert (body["status"], body["file"], body["format"]) == ("done", "客户.csv", "csv")
    assert (body["rows"], body["created"], body["rejected"]) == (3, 2, 1)
    assert body["encoding"] in {"gb18030", "gbk"} and body["progress"] == 1.0
    assert body["rejects"].endswith(f"/api/v1/imports/{body['job']}/rejects/")
    zhang = Party.objects.get(name="张三")
    mobile = Observation.objects.get(party=zhang, attribute__code="mobile")
    assert (mobile.source, mobile.collector) == ("trade-show", mei)
    assert mobile.consent == "service: contracts 2026"

    listed = api.get(URL).json()["results"][0]
    assert {key: listed[key] for key in SUMMARY} == {key: body[key] for key in SUMMARY}


def test_map_overrides_columns_and_a_dry_run_writes_nothing(
    api: APIClient, django_capture_on_commit_callbacks: Capture
) -> None:
    response = run(
        api,
        django_capture_on_commit_callbacks,
        GBK_ROWS.encode("gb18030"),
        "客户.csv",
        map=json.dumps({"邮箱": None, "手机": "-"}),
        dry_run="true",
    )

    body = response.json()
    assert (body["dry_run"], body["created"], body["rejected"]) == (True, 3, 0)
    assert "邮箱" not in body["mapping"] and "手机" not in body["mapping"]  # ignored
    assert not Party.objects.exists()


@pytest.mark.parametrize(
    ("sample", "preset"),
    [("outlook.csv", "outlook"), ("google.csv", "google"), ("android.vcf", "vcard")],
)
def test_outlook_google_and_vcard_files_are_recognised(
    api: APIClient, django_capture_on_commit_callbacks: Capture, sample: str, preset: str
) -> None:
    response = run(api, django_capture_on_commit_callbacks, (SAMPLES / sample).read_bytes(), sample)

    body = response.json()
    assert (body["status"], body["preset"]) == ("done", preset)
    assert body["created"] >= 1


@pytest.mark.parametrize(
    ("fields", "error_key"),
    [
        ({"preset": "lotus_notes"}, "preset"),
        ({"map": "[1, 2]"}, "map"),
        ({"map": json.dumps({"手机": "no_such_field"})}, "map"),
        ({"encoding": "klingon"}, "encoding"),
        ({"consent": "astrology: yes"}, "consent"),
        ({"policy": "merge"}, "policy"),
        ({"phone_region": "XX"}, "phone_region"),
    ],
)
def test_options_that_are_not_valid_are_refused_and_nothing_is_kept(
    api: APIClient, fields: dict[str, str], error_key: str
) -> None:
    response = post(api, GBK_ROWS.encode("gb18030"), "客户.csv", **fields)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and error_key in body["errors"]
    assert not ImportJob.objects.exists()


def test_a_program_renamed_csv_gives_a_failed_job_with_the_reason(
    api: APIClient, django_capture_on_commit_callbacks: Capture
) -> None:
    junk = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00PE\x00\x00" * 100

    response = run(api, django_capture_on_commit_callbacks, junk, "setup.csv")

    body = response.json()
    assert body["status"] == "failed" and "binary" in body["error"]


def test_a_file_too_large_or_of_another_type_is_refused(api: APIClient, settings: Any) -> None:
    wrong = post(api, b"%PDF-1.7", "customers.pdf")
    assert wrong.status_code == 400 and ".csv" in wrong.json()["errors"]["file"][0]

    settings.UPLOAD_MAX_BYTES = 1000
    large = post(api, b"name\n" + b"x" * 5000, "big.csv")
    assert large.status_code == 400 and "too large" in large.json()["errors"]["file"][0]
    assert not ImportJob.objects.exists()


def test_rejected_rows_download_as_csv_with_formulas_neutralised(
    api: APIClient, django_capture_on_commit_callbacks: Capture
) -> None:
    job = run(
        api, django_capture_on_commit_callbacks, GBK_ROWS.encode("gb18030"), "客户.csv"
    ).json()

    response = api.get(f"{URL}{job['job']}/rejects/")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = downloaded(response)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["姓名", "手机", "邮箱", "Problems"]
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example")'
    assert "mobile" in rows[1][-1] or "手机" in rows[1][-1]


def test_a_queued_import_can_be_cancelled(api: APIClient) -> None:
    job = post(api, GBK_ROWS.encode("gb18030"), "客户.csv").json()  # not run: no commit
    assert job["status"] == "pending"

    response = api.post(f"{URL}{job['job']}/cancel/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_requested"]) == (
        "cancelled",
        True,
    )
    again = api.post(f"{URL}{job['job']}/cancel/")
    assert again.status_code == 400


def test_a_retried_upload_with_the_same_idempotency_key_starts_one_job(api: APIClient) -> None:
    first = api.post(
        URL,
        {"file": SimpleUploadedFile("a.csv", GBK_ROWS.encode("gb18030"))},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="upload-1",
    )
    second = api.post(
        URL,
        {"file": SimpleUploadedFile("a.csv", GBK_ROWS.encode("gb18030"))},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="upload-1",
    )

    assert (first.status_code, second.status_code) == (202, 202)
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["job"] == first.json()["job"]
    assert ImportJob.objects.count() == 1


def test_callers_see_their_own_imports_and_all_with_scope_all(
    api: APIClient,
    mei: User,
    admin_user: User,
    make_user: Callable[..., User],
    token_client: Callable[[User], APIClient],
) -> None:
    other = make_user("salesperson", username="lin")
    mine = ImportJob.objects.create(created_by=mei, path="x", original_name="mine.csv")
    theirs = ImportJob.objects.create(created_by=other, path="x", original_name="theirs.csv")

    listed = [job["job"] for job in api.get(URL).json()["results"]]
    everything = [job["job"] for job in token_client(admin_user).get(URL).json()["results"]]

    assert listed == [mine.pk]
    assert set(everything) == {mine.pk, theirs.pk}
    assert api.get(f"{URL}{theirs.pk}/").status_code == 404


def test_the_list_answers_in_a_constant_number_of_queries(api: APIClient, mei: User) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(URL).status_code == 200
        return len(queries)

    ImportJob.objects.create(created_by=mei, path="x", original_name="one.csv")
    api.get(URL)  # the token's "last used" is written once, on the first call
    few = count()
    for n in range(5):
        ImportJob.objects.create(created_by=mei, path="x", original_name=f"{n}.csv", rejected=1)

    assert count() == few


def test_a_role_that_may_not_add_customers_may_not_upload(
    make_user: Callable[..., User], token_client: Callable[[User], APIClient]
) -> None:
    from django.contrib.auth.models import Permission

    from huike.accounts.models import Role

    agent = make_user("service_agent", username="agent")
    role = Role.objects.get(code="service_agent")
    role.permissions.add(
        *Permission.objects.filter(content_type__app_label="imports", codename="add_importjob")
    )

    response = post(token_client(agent), GBK_ROWS.encode("gb18030"), "客户.csv")

    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_phone_region_reads_numbers_without_a_country_code_as_that_countrys(
    api: APIClient, django_capture_on_commit_callbacks: Capture
) -> None:
    rows = b"Name,Phone\nAnna Lee,(425) 555-0100\n"
    body = run(
        api,
        django_capture_on_commit_callbacks,
        rows,
        "us.csv",
        phone_region="us",
        map=json.dumps({"Phone": "phone"}),
    )

    assert (body.json()["created"], body.json()["phone_region"]) == (1, "US")
    assert Party.objects.get(name="Anna Lee").golden["phone"] == "+14255550100"
