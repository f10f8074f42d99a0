"""The import page: upload → map the columns (preview) → dry run or import → the job page with
its progress, problems and rejected rows; and the background task that runs each job."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huike.accounts.models import User
from huike.imports import engine, services, tasks
from huike.imports.models import ImportJob, ImportMapping, ImportProblem
from huike.parties.models import Observation, Party
from huike.parties.tests.factories import person

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"
GBK_ROWS = (
    "姓名,手机,邮箱,微信\n"
    "张三,13800138000,zs@example.com,zs_wx\n"
    "李四,13900139000,,\n"
    "王五,12345,bad-email,\n"
)
Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def private_files(settings: Any, tmp_path: Path) -> Path:
    """Uploads go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def mei(make_user: Callable[..., User]) -> User:
    return make_user("salesperson", username="mei")


@pytest.fixture
def web(client: Client, mei: User) -> Client:
    client.force_login(mei)
    return client


def upload(
    client: Client, content: bytes, name: str, *, purpose: str = "service", **options: str
) -> Any:
    data: dict[str, Any] = {
        "purpose": _purpose_pk(purpose),
        "policy": "update",
        **options,
        "file": SimpleUploadedFile(name, content),  # last, as on the page
    }
    return client.post(reverse("imports:importjob_add"), data)


def _purpose_pk(code: str) -> int | str:
    from huike.privacy.models import Purpose

    found = Purpose.objects.filter(code=code).first()
    return found.pk if found else ""


def latest() -> ImportJob:
    return ImportJob.objects.latest("pk")


def mapping_form(client: Client, job: ImportJob) -> dict[str, str]:
    """The mapping step's fields as the page pre-selects them."""
    page = client.get(reverse("imports:importjob_mapping", args=[job.pk]))
    assert page.status_code == 200
    form = page.context["form"]
    return {name: form[name].value() or "" for name in form.fields}


def confirm(
    client: Client,
    job: ImportJob,
    capture: Capture,
    action: str = "import",
    changes: dict[str, str] | None = None,
) -> ImportJob:
    """Post the mapping step (as pre-selected, with ``changes``) and run what it queues."""
    fields = {**mapping_form(client, job), **(changes or {}), "action": action}
    with capture(execute=True):
        response = client.post(reverse("imports:importjob_mapping", args=[job.pk]), fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    job.refresh_from_db()
    return job


def position(job: ImportJob, column: str) -> int:
    return job.header.index(column)


def downloaded(response: Any) -> str:
    """A streamed CSV download as text (the BOM Excel needs removed)."""
    return b"".join(response.streaming_content).decode("utf-8-sig")


# --- Upload and mapping -----------------------------------------------------------------------


def test_an_upload_is_kept_under_a_random_name_and_goes_to_the_mapping_step(
    web: Client, private_files: Path, mei: User
) -> None:
    response = upload(web, GBK_ROWS.encode("gb18030"), "../../客户.csv", source="展会")

    job = latest()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:importjob_mapping", args=[job.pk])
    stored = Path(job.path)
    assert stored.parent == (private_files / "private" / "imports").resolve()
    assert "客户" not in stored.name and ".." not in job.path
    assert stored.stat().st_mode & 0o077 == 0  # owner-only
    assert job.original_name == "客户.csv"
    assert job.digest == engine.file_digest(stored)
    assert (job.created_by, job.source, job.consent) == (mei, "import:展会", "service")
    assert job.is_draft and job.header == ["姓名", "手机", "邮箱", "微信"]
    assert job.encoding in {"gb18030", "gbk"}


def test_the_mapping_step_suggests_attributes_from_chinese_headers_and_previews_rows(
    web: Client,
) -> None:
    upload(web, GBK_ROWS.encode("gb18030"), "客户.csv")
    job = latest()

    page = web.get(reverse("imports:importjob_mapping", args=[job.pk]))

    assert page.status_code == 200
    fields = page.context["form"]
    assert fields[f"target_{position(job, '姓名')}"].value() == "name"
    assert fields[f"target_{position(job, '手机')}"].value() == "mobile"
    assert fields[f"transform_{position(job, '手机')}"].value() == "phone"
    preview = page.context["preview"]
    assert [row.line for row in preview.rows] == [2, 3, 4]
    first = {cell.code: cell.text for cell in preview.rows[0].cells}
    assert first["name"] == "张三" and "8000" in first["mobile"]
    assert preview.rows[0].ok and not preview.rows[2].ok  # 王五: a bad phone and e-mail
    text = page.content.decode()
    assert "preview-table" in text and "张三" in text


def test_a_changed_choice_updates_only_the_preview_for_htmx(web: Client) -> None:
    upload(web, GBK_ROWS.encode("gb18030"), "客户.csv")
    job = latest()
    fields = {**mapping_form(web, job), f"target_{position(job, '手机')}": ""}

    response = web.post(
        reverse("imports:importjob_mapping", args=[job.pk]),
        {**fields, "action": "preview"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<div class="card" id="preview"')
    assert 'data-code="mobile"' not in text  # the phone column is ignored now
    job.refresh_from_db()
    assert job.is_draft  # a preview queues nothing


def test_an_unknown_attribute_is_refused_on_the_mapping_step(web: Client) -> None:
    upload(web, GBK_ROWS.encode("gb18030"), "客户.csv")
    job = latest()
    fields = {**mapping_form(web, job), "target_0": "no_such_field", "action": "import"}

    response = web.post(reverse("imports:importjob_mapping", args=[job.pk]), fields)

    assert response.status_code == 400
    job.refresh_from_db()
    assert job.is_draft


def test_consent_based_purposes_need_evidence(web: Client) -> None:
    response = upload(web, GBK_ROWS.encode("gb18030"), "客户.csv", purpose="marketing")

    assert response.status_code == 400
    assert "evidence" in response.context["form"].errors
    assert not ImportJob.objects.exists()


# --- Importing --------------------------------------------------------------------------------


def test_a_gbk_csv_with_chinese_headers_is_imported_from_the_page(
    web: Client, mei: User, django_capture_on_commit_callbacks: Capture
) -> None:
    upload(web, GBK_ROWS.encode("gb18030"), "客户.csv", source="展会")
    job = confirm(web, latest(), django_capture_on_commit_callbacks)

    assert job.status == ImportJob.Status.DONE
    assert (job.rows_done, job.created, job.rejected) == (3, 2, 1)
    zhang = Party.objects.get(name="张三")
    assert zhang.golden["mobile"] == "+8613800138000"
    mobile = Observation.objects.get(party=zhang, attribute__code="mobile")
    assert (mobile.source, mobile.collector) == ("import:展会", mei)
    assert mobile.source_ref.startswith("客户.csv#2")
    page = web.get(job.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-status="done"' in text and 'data-count="created">2<' in text
    assert 'value="100"' in text  # the progress bar is full
    assert 'data-line="4"' in text  # 王五, rejected, with the reasons
    assert reverse("imports:importjob_rejects", args=[job.pk]) in text


@pytest.mark.parametrize(
    ("sample", "preset", "name"),
    [
        ("outlook.csv", "outlook", None),
        ("google.csv", "google", "San Zhang"),
        ("customers_gbk.csv", "", "张三"),
        ("apple.vcf", "vcard", "Example Trading Ltd."),
    ],
)
def test_exports_of_outlook_google_excel_and_phones_import_from_the_page(
    web: Client,
    django_capture_on_commit_callbacks: Capture,
    sample: str,
    preset: str,
    name: str | None,
) -> None:
    upload(web, (SAMPLES / sample).read_bytes(), sample)
    job = latest()
    page = web.get(reverse("imports:importjob_mapping", args=[job.pk]))
    assert page.context["preview"].preset == preset

    job = confirm(web, job, django_capture_on_commit_callbacks)

    assert job.status == ImportJob.Status.DONE, job.error
    assert job.created >= 1
    assert job.created + job.rejected + job.skipped == job.rows_done
    if name:
        assert Party.objects.filter(name=name).exists()


def test_a_dry_run_writes_nothing_and_can_then_be_imported(
    web: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    upload(web, GBK_ROWS.encode("gb18030"), "客户.csv")
    job = confirm(web, latest(), django_capture_on_commit_callbacks, action="dry_run")

    assert (job.status, job.dry_run, job.created, job.rejected) == ("done", True, 2, 1)
    assert not Party.objects.exists()
    page = web.get(job.get_absolute_url()).content.decode()
    assert "import-checked" in page and "Would be created" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(reverse("imports:importjob_run", args=[job.pk]))
    real = latest()
    assert response["Location"] == real.get_absolute_url()
    assert (real.dry_run, real.status, real.created, real.path) == (False, "done", 2, job.path)
    assert Party.objects.count() == 2


def test_rejected_rows_download_fix_and_import_again(
    web: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    upload(web, GBK_ROWS.encode("gb18030"), "客户.csv")
    job = confirm(web, latest(), django_capture_on_commit_callbacks)

    response = web.get(reverse("imports:importjob_rejects", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = downloaded(response)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["姓名", "手机", "邮箱", "微信", "Problems"]
    assert rows[1][0] == "王五" and rows[1][-1]

    rows[1][1], rows[1][2] = "13700137000", ""  # fix the phone, drop the bad e-mail
    fixed = io.StringIO()
    csv.writer(fixed).writerows(row[:-1] for row in rows)
    upload(web, fixed.getvalue().encode("utf-8"), "fixed.csv")
    again = confirm(web, latest(), django_capture_on_commit_callbacks)

    assert (again.created, again.rejected) == (1, 0)
    assert Party.objects.get(name="王五").golden["mobile"] == "+8613700137000"


def test_rows_matching_a_customer_can_be_queued_for_review(
    web: Client, mei: User, django_capture_on_commit_callbacks: Capture
) -> None:
    zhang = person("张三", owner=mei, attributes={"email": "zs@example.com"})
    upload(web, GBK_ROWS.encode("gb18030"), "客户.csv", policy="review")
    job = confirm(web, latest(), django_capture_on_commit_callbacks)

    assert (job.duplicates, job.created) == (1, 1)
    problem = job.problems.get(kind=ImportProblem.Kind.REVIEW)
    assert problem.party == zhang
    page = web.get(job.get_absolute_url()).content.decode()
    assert zhang.get_absolute_url() in page
    assert Party.objects.filter(name="张三").count() == 1


def test_a_customer_outside_the_importers_scope_is_not_matched(
    web: Client, make_user: Callable[..., User], django_capture_on_commit_callbacks: Capture
) -> None:
    other = make_user("salesperson", username="lin")
    theirs = person("张三", owner=other, attributes={"email": "zs@example.com"})
    upload(web, GBK_ROWS.encode("gb18030"), "客户.csv", policy="review")
    job = confirm(web, latest(), django_capture_on_commit_callbacks)

    page = web.get(job.get_absolute_url()).content.decode()

    # Nothing tells the importer that someone else holds this customer: the row creates theirs.
    assert (job.duplicates, job.created) == (0, 2)
    assert theirs.get_absolute_url() not in page
    assert Party.objects.filter(name="张三").count() == 2


def test_the_second_file_from_a_source_gets_the_mapping_chosen_for_the_first(
    web: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    upload(web, GBK_ROWS.encode("gb18030"), "一月.csv", source="展会")
    first = latest()
    wechat = f"target_{position(first, '微信')}"
    assert mapping_form(web, first)[wechat] == "wechat"
    confirm(web, first, django_capture_on_commit_callbacks, changes={wechat: ""})
    assert ImportMapping.objects.get(source="import:展会").mapping["微信"] is None

    upload(web, GBK_ROWS.replace("张三", "赵六").encode("gb18030"), "二月.csv", source="展会")
    second = latest()
    page = web.get(reverse("imports:importjob_mapping", args=[second.pk]))

    assert page.context["form"][wechat].value() == ""  # ignored, as chosen last time
    assert page.context["preview"].remembered
    assert 'id="remembered"' in page.content.decode()
    # another source starts from the suggestions again
    upload(web, GBK_ROWS.encode("gb18030"), "三月.csv", source="网站")
    third = web.get(reverse("imports:importjob_mapping", args=[latest().pk]))
    assert third.context["form"][wechat].value() == "wechat"


# --- Progress and cancelling ------------------------------------------------------------------


def test_the_progress_panel_polls_while_running_and_reloads_the_page_when_done(
    web: Client,
) -> None:
    upload(web, GBK_ROWS.encode("gb18030"), "客户.csv")
    job = latest()
    ImportJob.objects.filter(pk=job.pk).update(status="running", queued_at=job.created_at)
    url = reverse("imports:importjob_progress", args=[job.pk])

    running = web.get(url, {"running": "1"}, HTTP_HX_REQUEST="true")
    assert running.status_code == 200
    assert 'hx-trigger="every 1s"' in running.content.decode()
    assert "HX-Refresh" not in running

    ImportJob.objects.filter(pk=job.pk).update(status="done", progress=1.0)
    done = web.get(url, {"running": "1"}, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    assert 'hx-trigger="every 1s"' not in done.content.decode()


def test_rate_and_time_left_come_from_rows_done_and_the_share_read() -> None:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    job = ImportJob(
        status="running", rows_done=1000, progress=0.25, started_at=now - timedelta(seconds=10)
    )

    figures = services.progress(job, now=now)

    assert (figures.percent, figures.total, figures.rate, figures.eta) == (25, 4000, 100.0, 30)


def test_a_queued_import_is_cancelled_at_once(web: Client) -> None:
    upload(web, GBK_ROWS.encode("gb18030"), "客户.csv")
    job = latest()
    fields = {**mapping_form(web, job), "action": "import"}
    web.post(reverse("imports:importjob_mapping", args=[job.pk]), fields)  # not run: no commit
    job.refresh_from_db()
    assert job.status == "pending" and job.queued_at is not None

    response = web.post(reverse("imports:importjob_cancel", args=[job.pk]))

    job.refresh_from_db()
    assert response.status_code == 302
    assert job.status == ImportJob.Status.CANCELLED
    assert tasks.run_import.call_local(job.pk) == ""  # the worker leaves it alone
    assert not Party.objects.exists()


def test_a_running_import_stops_after_the_batch_in_progress(
    mei: User, private_files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "".join(f"客户{n},1380013{n:04d}\n" for n in range(30))
    job = services.start_job(
        SimpleUploadedFile("many.csv", ("姓名,手机\n" + rows).encode()), actor=mei
    )
    services.inspect(job)
    ImportJob.objects.filter(pk=job.pk).update(queued_at=job.created_at)
    real = services._beat

    def cancel_during_first_batch(current: ImportJob) -> None:
        if current.rows_done == 10 and not current.is_finished:  # "stop" while it runs
            services.cancel(ImportJob.objects.get(pk=current.pk), actor=mei)
        real(current)

    monkeypatch.setattr(services, "_beat", cancel_during_first_batch)
    claimed = services.claim(job.pk)
    assert claimed is not None
    done = services.execute(claimed, batch_size=10)

    assert done.status == ImportJob.Status.CANCELLED
    assert done.rows_done < 30 and Party.objects.count() == done.created


def test_a_cancel_asked_for_while_the_worker_saves_is_not_lost(mei: User) -> None:
    job = ImportJob.objects.create(created_by=mei, path="x", original_name="x.csv", digest="0")
    stale = ImportJob.objects.get(pk=job.pk)  # the worker's copy
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)

    stale.rows_done = 10
    stale.save()

    assert ImportJob.objects.get(pk=job.pk).cancel_requested


# --- Files that cannot be imported ------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "options", "says"),
    [
        (b"\x00\x01\x02binary\x00junk" * 50, "junk.csv", {}, "binary data"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00PE\x00\x00" * 100, "setup.csv", {}, "binary"),
        (b'name,mobile\n"Zhang San,13800138000\n', "quotes.csv", {}, "quotation mark"),
        (GBK_ROWS.encode("gb18030"), "gbk.csv", {"encoding": "utf-8"}, "not valid"),
    ],
    ids=["binary-junk", "exe-renamed-csv", "broken-quotes", "wrong-encoding-override"],
)
def test_a_file_that_cannot_be_read_gives_a_failed_job_with_the_reason(
    web: Client, content: bytes, name: str, options: dict[str, str], says: str
) -> None:
    response = upload(web, content, name, **options)

    job = latest()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == ImportJob.Status.FAILED
    assert says in job.error.lower() or says in job.error
    page = web.get(job.get_absolute_url())
    assert page.status_code == 200
    assert 'id="job-error"' in page.content.decode()


def test_a_file_breaking_down_after_the_preview_fails_the_job_not_the_worker(
    web: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    rows = "".join(f"客户{n},1380013{n:04d}\n" for n in range(20))
    content = ("姓名,手机\n" + rows + '"broken,13800138000\n').encode()
    upload(web, content, "late.csv")

    job = confirm(web, latest(), django_capture_on_commit_callbacks)

    assert job.status == ImportJob.Status.FAILED
    assert "Line 22" in job.error


def test_the_errors_are_in_the_readers_language(
    make_user: Callable[..., User], client: Client
) -> None:
    chinese = make_user("salesperson", username="wang", language="zh-hans")
    client.force_login(chinese)

    upload(client, b"\x00\x01binary" * 50, "junk.csv")

    assert "二进制数据" in latest().error


def test_a_file_too_large_is_refused_before_it_is_stored(
    web: Client, settings: Any, private_files: Path
) -> None:
    settings.UPLOAD_MAX_BYTES = 1000

    response = upload(web, b"name\n" + b"x" * 5000, "big.csv")

    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not any((private_files / "private" / "imports").glob("*"))


def test_a_type_that_is_not_imported_is_refused_with_the_accepted_types(web: Client) -> None:
    response = upload(web, b"%PDF-1.7 ...", "customers.pdf")

    assert response.status_code == 400
    assert ".csv" in " ".join(response.context["form"].errors["file"])
    assert not ImportJob.objects.exists()


# --- What is shown, and how -------------------------------------------------------------------


def test_script_in_a_cell_is_shown_escaped_on_the_job_and_customer_pages(
    web: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    content = ("姓名,手机\n<script>alert(1)</script>,13800138000\n<b onmouseover=x>,12\n").encode()
    upload(web, content, "xss.csv")
    job = confirm(web, latest(), django_capture_on_commit_callbacks)

    job_page = web.get(job.get_absolute_url()).content.decode()
    party = Party.objects.get()
    party_page = web.get(party.get_absolute_url()).content.decode()

    assert job.rejected == 1 and party.name == "<script>alert(1)</script>"
    assert "<b onmouseover" not in job_page and "&lt;b onmouseover=x&gt;" in job_page
    assert "<script>alert(1)" not in party_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in party_page


def test_formulas_in_the_rejected_rows_file_stay_text(
    web: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    content = '姓名,手机,备注\n=HYPERLINK("http://evil.example"),12,@SUM(1)\n'.encode()
    upload(web, content, "formula.csv")
    job = confirm(web, latest(), django_capture_on_commit_callbacks)

    response = web.get(reverse("imports:importjob_rejects", args=[job.pk]))
    rows = list(csv.reader(io.StringIO(downloaded(response))))

    assert rows[1][0] == '\'=HYPERLINK("http://evil.example")'
    assert rows[1][2] == "'@SUM(1)"


def test_values_a_role_may_not_read_are_masked_on_the_page_and_left_out_of_the_file(
    make_user: Callable[..., User], client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    # given an import by a salesperson (sensitive information masked) with an ID number
    seller = make_user("salesperson", username="ren")
    client.force_login(seller)
    content = "手机,身份证号\n13800138000,11010519491231002X\n".encode()
    upload(client, content, "noname.csv")
    job = confirm(client, latest(), django_capture_on_commit_callbacks)
    assert job.rejected == 1  # no name

    page = client.get(job.get_absolute_url()).content.decode()
    rejects = client.get(reverse("imports:importjob_rejects", args=[job.pk]))
    text = downloaded(rejects)

    assert "11010519491231002X" not in page and "1101" in page  # masked
    assert "13800138000" in page  # personal information: read in full by this role
    assert "11010519491231002X" not in text and "13800138000" in text


# --- The background task ----------------------------------------------------------------------


def test_an_unexpected_error_fails_the_job_with_a_message_and_the_worker_goes_on(
    web: Client, django_capture_on_commit_callbacks: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(engine, "run", broken)
    upload(web, GBK_ROWS.encode("gb18030"), "客户.csv")

    job = confirm(web, latest(), django_capture_on_commit_callbacks)

    assert job.status == ImportJob.Status.FAILED
    assert "unexpected error" in job.error and "disk on fire" not in job.error


def test_nothing_runs_while_huike_is_paused_and_the_job_waits_for_the_resume(
    web: Client, django_capture_on_commit_callbacks: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "is_paused", lambda: True)
    upload(web, GBK_ROWS.encode("gb18030"), "客户.csv")
    job = confirm(web, latest(), django_capture_on_commit_callbacks)
    assert job.status == "pending" and not Party.objects.exists()
    assert tasks.resume_imports.call_local() == 0

    monkeypatch.setattr(tasks, "is_paused", lambda: False)
    monkeypatch.setattr(services, "UNCLAIMED", -1)
    assert tasks.resume_imports.call_local() == 1

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and Party.objects.count() == 2


def test_a_job_whose_worker_stopped_is_resumed_after_its_checkpoint(
    web: Client, django_capture_on_commit_callbacks: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload(web, GBK_ROWS.encode("gb18030"), "客户.csv")
    job = latest()
    fields = {**mapping_form(web, job), "action": "import"}
    web.post(reverse("imports:importjob_mapping", args=[job.pk]), fields)  # queued, not run
    # a worker took it, wrote nothing, and died
    ImportJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=job.created_at)

    assert tasks.run_import.call_local(job.pk) == ""  # another worker may still hold it
    monkeypatch.setattr(services, "STALE", -1)
    assert tasks.resume_imports.call_local() == 1

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created == 2


# --- The list ---------------------------------------------------------------------------------


def test_the_list_shows_ones_own_imports_in_a_constant_number_of_queries(
    web: Client, mei: User, make_user: Callable[..., User]
) -> None:
    other = make_user("salesperson", username="lin")
    for owner, name in [(mei, "mine"), (other, "theirs")]:
        ImportJob.objects.create(created_by=owner, path="x", original_name=f"{name}.csv")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert web.get(reverse("imports:importjob_list")).status_code == 200
        return len(queries)

    page = web.get(reverse("imports:importjob_list")).content.decode()
    few = count()
    for n in range(5):
        ImportJob.objects.create(created_by=mei, path="x", original_name=f"more{n}.csv")

    assert "mine.csv" in page and "theirs.csv" not in page
    assert count() == few


def _links(text: str) -> Iterator[str]:
    yield from re.findall(r'href="([^"]+)"', text)


def test_the_navigation_offers_imports_to_those_who_may_see_them(
    web: Client, make_user: Callable[..., User], client: Client
) -> None:
    assert reverse("imports:importjob_list") in _links(web.get("/").content.decode())

    analyst = make_user("analyst", username="ana")
    other = Client()
    other.force_login(analyst)
    assert reverse("imports:importjob_list") not in _links(other.get("/").content.decode())
