"""``/api/v1/web-forms/`` and ``/api/v1/web-forms/submissions/`` (read only)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from huike.accounts.models import User
from huike.core.models import AccessLog
from huike.parties.models import Party
from huike.privacy.tests.factories import allow
from huike.webforms.models import Submission
from huike.webforms.tests.factories import make_form, submission

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
TokenClient = Callable[[User], APIClient]
FORMS = "/api/v1/web-forms/"
SUBMISSIONS = "/api/v1/web-forms/submissions/"


def test_forms_are_listed_with_their_fields_and_consent_boxes(
    token_client: TokenClient, make_user: MakeUser, api_client: APIClient
) -> None:
    form = make_form(required_consents=("marketing",))

    response = token_client(make_user("marketer")).get(FORMS)

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["slug"] == "contact"
    assert row["public_path"] == "/f/contact/"
    assert [field["attribute"] for field in row["fields"]] == ["name", "email", "mobile"]
    assert row["consents"] == [
        {"purpose": "marketing", "notice_version": None, "required": True, "order": 0}
    ]
    assert token_client(make_user("marketer")).get(f"{FORMS}{form.pk}/").status_code == 200
    assert api_client.get(FORMS).status_code == 401
    assert token_client(make_user("salesperson")).get(FORMS).status_code == 403


def test_submissions_show_values_as_the_reader_may_see_them(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    form = make_form()
    submission(form, {"name": "张三", "mobile": "13800138000"}, ("marketing",))

    full = token_client(make_user("administrator")).get(SUBMISSIONS).json()["results"][0]
    masked = token_client(make_user("marketer")).get(SUBMISSIONS).json()["results"][0]

    assert full["form"] == "contact"
    assert full["status"] == "received"
    assert full["data"]["name"] == "张三"
    assert "13800138000" in full["data"]["mobile"].replace(" ", "")
    assert masked["data"]["mobile"] == "138****8000"
    assert masked["consents"][0]["purpose"] == "marketing"
    assert masked["consents"][0]["checked"] is True
    assert masked["consents"][0]["text"].startswith("I agree")


def test_sensitive_values_read_in_full_through_the_api_are_logged(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    form = make_form(
        fields=("name", "resident_id"),
        consents=("sensitive_data",),
        required_consents=("sensitive_data",),
    )
    submission(form, {"name": "张三", "resident_id": "11010519491231002X"}, ("sensitive_data",))
    stored = Submission.objects.get().data["resident_id"]
    assert str(stored).startswith("enc:")  # sealed at rest

    response = token_client(make_user("administrator")).get(SUBMISSIONS)

    assert response.json()["results"][0]["data"]["resident_id"] == "11010519491231002X"
    entry = AccessLog.objects.get(action=AccessLog.Action.READ)
    assert entry.fields == ["resident_id"]
    assert entry.channel == "api"


def test_submissions_follow_the_readers_record_scope(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    # given a salesperson allowed to read submissions, owning the customers her form creates
    mei = allow(make_user("salesperson", username="mei"), "webforms.view_submission")
    submission(make_form(owner=mei), {"name": "张三", "email": "zhang@example.com"})
    submission(make_form("other"), {"name": "李四", "email": "li@example.com"})
    mine = Party.objects.get(name="张三", owner=mei)

    rows = token_client(mei).get(SUBMISSIONS).json()["results"]

    assert [row["party"] for row in rows] == [mine.pk]
    other = Submission.objects.exclude(party=mine).get()
    assert token_client(mei).get(f"{SUBMISSIONS}{other.pk}/").status_code == 404


def test_submissions_filter_by_form_and_status(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    submission(make_form(), {"name": "张三"})
    submission(make_form("other"), {"name": "李四"})
    client = token_client(make_user("marketer"))

    by_form = client.get(SUBMISSIONS, {"form": "other"}).json()["results"]
    by_status = client.get(SUBMISSIONS, {"status": "pending_confirmation"}).json()["results"]

    assert [row["data"]["name"] for row in by_form] == ["李*"]
    assert by_status == []


def test_the_submission_list_query_count_does_not_grow(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    client = token_client(make_user("marketer"))
    form = make_form()
    submission(form, {"name": "客户0", "mobile": "13800138000"}, ("marketing",))
    client.get(SUBMISSIONS)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert client.get(SUBMISSIONS).status_code == 200
    for number in range(1, 8):
        submission(form, {"name": f"客户{number}"}, ("marketing",))

    with CaptureQueriesContext(connection) as many:
        assert client.get(SUBMISSIONS).status_code == 200

    assert len(many) == len(few)


def test_the_form_list_query_count_does_not_grow(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    client = token_client(make_user("marketer"))
    make_form("f0")
    client.get(FORMS)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert client.get(FORMS).status_code == 200
    for number in range(1, 8):
        make_form(f"f{number}")

    with CaptureQueriesContext(connection) as many:
        assert client.get(FORMS).status_code == 200

    assert len(many) == len(few)
