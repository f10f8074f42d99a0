"""Who may reach each page and endpoint of imports (the permission matrix: see
``huike.core.testing.matrix``).

A job belongs to the user who started it: a salesperson (record scope "own") plays
"permitted", and another salesperson is out of scope. The job page, the mapping step and the
rejected rows show the cells of a file: a probe row holds a mobile number (personal) and a
resident ID number (sensitive), which roles reading them masked must not receive in full.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from huike.accounts.models import User
from huike.core.testing.matrix import MOBILE, PROBE_NAME, RESIDENT_ID, PermissionMatrix, Route
from huike.imports import services
from huike.imports.models import ImportJob, ImportProblem
from huike.privacy.models import Purpose

VIEW = "imports.view_importjob"
ADD = "imports.add_importjob"
CHANGE = "imports.change_importjob"
HEADER = ["姓名", "手机", "身份证号"]
PROBE_FILE = f"姓名,手机,身份证号\n{PROBE_NAME},{MOBILE},{RESIDENT_ID}\n".encode()


@pytest.fixture(autouse=True)
def private_files(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def draft(owner: User) -> ImportJob:
    """An uploaded file whose columns are still to be mapped."""
    job = services.start_job(
        SimpleUploadedFile(f"{PROBE_NAME}.csv", PROBE_FILE), actor=owner, consent="service"
    )
    services.inspect(job)
    return job


def queued(owner: User) -> ImportJob:
    job = draft(owner)
    ImportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now())
    job.refresh_from_db()
    return job


def with_rejects(owner: User) -> ImportJob:
    """A finished job with one rejected row (no name) holding the probe values. (Made
    directly: an auditor, who may read imports but not start them, owns one too.)"""
    job = ImportJob.objects.create(
        created_by=owner,
        path="/nonexistent/probe.csv",
        original_name=f"{PROBE_NAME}.csv",
        digest="0" * 64,
        header=HEADER,
        mapping={"姓名": "name", "手机": "mobile:phone", "身份证号": "resident_id"},
        status=ImportJob.Status.DONE,
        queued_at=timezone.now(),
        rows_done=1,
        rejected=1,
    )
    ImportProblem.objects.create(
        job=job,
        kind=ImportProblem.Kind.REJECTED,
        line=2,
        data=[["姓名", ""], ["手机", MOBILE], ["身份证号", RESIDENT_ID]],
        errors={"name": ["A customer needs a name."]},
    )
    return job


def dry_run(owner: User) -> ImportJob:
    job = with_rejects(owner)
    ImportJob.objects.filter(pk=job.pk).update(dry_run=True)
    job.refresh_from_db()
    return job


def upload_form(_obj: Any) -> dict[str, Any]:
    return {
        "purpose": Purpose.objects.get(code="service").pk,
        "policy": "update",
        "file": SimpleUploadedFile(f"{PROBE_NAME}.csv", PROBE_FILE),
    }


MAPPING_FORM = {
    "target_0": "name",
    "target_1": "mobile",
    "transform_1": "phone",
    "target_2": "resident_id",
    "action": "dry_run",
}


def jobs(_obj: Any) -> int:
    return ImportJob.objects.count()


def name_of(job: ImportJob) -> str:
    return job.original_name


class TestImportsMatrix(PermissionMatrix):
    routes = [
        # The list of imports, and its export.
        Route(
            "imports:importjob_list",
            kind="list",
            permission=VIEW,
            make_object=draft,
            scoped=True,
            marker=name_of,
        ),
        Route(
            "imports:importjob_list",
            kind="export",
            variant="csv",
            query={"export": "csv"},
            permission=VIEW,
            make_object=draft,
            scoped=True,
            marker=name_of,
        ),
        # Step 1: upload.
        Route("imports:importjob_add", kind="create", permission=ADD),
        Route(
            "imports:importjob_add",
            kind="create",
            method="POST",
            permission=ADD,
            model=ImportJob,
            data=upload_form,
            ok=(302,),
        ),
        # Step 2: map the columns, with a preview of the rows as they will be stored.
        Route(
            "imports:importjob_mapping",
            kind="detail",
            permission=ADD,
            make_object=draft,
            scoped=True,
            shows=(MOBILE, RESIDENT_ID),
        ),
        Route(
            "imports:importjob_mapping",
            kind="action",
            method="POST",
            permission=ADD,
            make_object=draft,
            scoped=True,
            data=MAPPING_FORM,
            ok=(302,),
        ),
        # The job: its page, its progress panel, stopping it, importing a dry run for real,
        # and its rejected rows.
        Route(
            "imports:importjob",
            kind="detail",
            permission=VIEW,
            make_object=with_rejects,
            scoped=True,
            shows=(MOBILE, RESIDENT_ID),
        ),
        Route(
            "imports:importjob_progress",
            kind="detail",
            permission=VIEW,
            make_object=queued,
            scoped=True,
            headers={"HTTP_HX_REQUEST": "true"},
        ),
        Route(
            "imports:importjob_cancel",
            kind="action",
            method="POST",
            permission=CHANGE,
            make_object=queued,
            scoped=True,
            ok=(302,),
        ),
        Route(
            "imports:importjob_run",
            kind="action",
            method="POST",
            permission=ADD,
            make_object=dry_run,
            scoped=True,
            effect=jobs,
            ok=(302,),
        ),
        Route(
            "imports:importjob_rejects",
            kind="detail",
            permission=VIEW,
            make_object=with_rejects,
            scoped=True,
            shows=(MOBILE, RESIDENT_ID),
        ),
        # The API.
        Route(
            "api:import-list",
            kind="list",
            permission=VIEW,
            make_object=draft,
            scoped=True,
            marker=name_of,
        ),
        # An upload is multipart; the matrix sends JSON, which this endpoint does not take
        # (415, nothing created). test_api.py uploads files.
        Route(
            "api:import-list",
            kind="create",
            method="POST",
            permission=ADD,
            model=ImportJob,
            data={"policy": "update"},
            ok=(415,),
        ),
        Route(
            "api:import-detail",
            kind="detail",
            permission=VIEW,
            make_object=with_rejects,
            scoped=True,
        ),
        Route(
            "api:import-cancel",
            kind="action",
            method="POST",
            permission=CHANGE,
            make_object=queued,
            scoped=True,
        ),
        Route(
            "api:import-rejects",
            kind="detail",
            permission=VIEW,
            make_object=with_rejects,
            scoped=True,
            shows=(MOBILE, RESIDENT_ID),
        ),
    ]
