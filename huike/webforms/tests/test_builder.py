"""Building forms: the rules the builder keeps, and the builder pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huike.accounts.models import User
from huike.core.models import ChangeLog
from huike.privacy.models import Purpose
from huike.webforms import services
from huike.webforms.models import Submission, WebForm
from huike.webforms.tests.factories import (
    attribute,
    builder_post,
    field_row,
    latest_notice,
    make_form,
    submission,
)

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


def marketer(make_user: MakeUser) -> Client:
    client = Client()
    client.force_login(make_user("marketer", username="ma"))
    return client


# --- The rules -----------------------------------------------------------------------------


def test_a_form_must_ask_for_the_name_as_a_required_field() -> None:
    with pytest.raises(ValidationError, match="must ask for the name"):
        make_form(fields=("email",), required=())
    with pytest.raises(ValidationError, match="must ask for the name"):
        make_form(fields=("name", "email"), required=())


def test_a_field_that_does_not_apply_to_the_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match="does not apply"):
        make_form(fields=("name", "uscc"))


def test_links_files_and_external_ids_cannot_be_asked() -> None:
    with pytest.raises(ValidationError, match="cannot be asked on a public form"):
        make_form(fields=("name", "external_id"))
    with pytest.raises(ValidationError, match="cannot be asked on a public form"):
        make_form(fields=("name", "business_licence"), party_kind="organization")


def test_sensitive_fields_need_a_required_separate_consent() -> None:
    with pytest.raises(ValidationError, match="sensitive information"):
        make_form(fields=("name", "resident_id"))

    form = make_form(
        fields=("name", "resident_id"),
        consents=("sensitive_data",),
        required_consents=("sensitive_data",),
    )
    assert form.fields.count() == 2


def test_a_purpose_not_based_on_consent_is_not_asked() -> None:
    with pytest.raises(ValidationError, match="not based on consent"):
        make_form(consents=("service",))


def test_a_purpose_without_a_published_notice_cannot_be_asked() -> None:
    Purpose.objects.create(code="events", name_zh="活动", name_en="Events")

    with pytest.raises(ValidationError, match="no published notice"):
        make_form(consents=("events",))


def test_embedding_origins_are_scheme_and_host_only() -> None:
    with pytest.raises(ValidationError, match="one origin per line"):
        make_form(allowed_origins="https://www.example.com/page")

    form = make_form(allowed_origins="https://www.example.com/\n\nhttps://www.example.com")
    assert form.origins() == ["https://www.example.com"]


def test_a_redirect_must_be_http_or_https() -> None:
    with pytest.raises(ValidationError):
        make_form(redirect_url="javascript:alert(1)")
    with pytest.raises(ValidationError):
        make_form(redirect_url="ftp://example.com/")


def test_saving_a_form_writes_the_change_log() -> None:
    form = make_form()

    services.save_form(form, actor=None, title_en="Write to us")

    entries = ChangeLog.objects.filter(object_id=str(form.pk), content_type__model="webform")
    assert [entry.action for entry in entries.order_by("id")] == ["create", "update"]
    last = entries.order_by("id").last()
    assert last is not None
    assert last.changes["title_en"] == ["Contact us", "Write to us"]


def test_a_form_people_have_sent_is_kept() -> None:
    form = make_form()
    submission(form, {"name": "张三"})

    with pytest.raises(ValidationError, match="kept as evidence"):
        services.delete_form(form, actor=None)
    assert WebForm.objects.filter(pk=form.pk).exists()


def test_a_form_nobody_sent_can_be_deleted() -> None:
    form = make_form()

    services.delete_form(form, actor=None)

    assert not WebForm.objects.exists()


# --- The builder pages ---------------------------------------------------------------------------


def test_the_builder_starts_a_new_form_with_the_name_and_e_mail(make_user: MakeUser) -> None:
    page = marketer(make_user).get("/forms/add/").content.decode()

    assert f'<option value="{attribute("name").pk}" selected>' in page
    assert f'<option value="{attribute("email").pk}" selected>' in page


def test_a_marketer_builds_a_form_with_fields_and_a_consent_box(make_user: MakeUser) -> None:
    client = marketer(make_user)
    notice = latest_notice("marketing")

    response = client.post(
        "/forms/add/",
        builder_post(
            [
                field_row("name", required=True, order=1, label_zh="您的姓名"),
                field_row("mobile", order=2, label_en="Mobile phone"),
                {"attribute": "", "order": "100"},  # an empty row adds nothing
            ],
            [{"purpose": str(Purpose.objects.get(code="marketing").pk), "order": "1"}],
        ),
    )

    assert response.status_code == 302
    form = WebForm.objects.get(slug="fair")
    assert response["Location"] == form.get_absolute_url()
    assert form.created_by is not None and form.created_by.username == "ma"
    fields = list(form.fields.select_related("attribute"))
    assert [field.attribute.code for field in fields] == ["name", "mobile"]
    assert fields[0].required and fields[0].label_in("zh-hans") == "您的姓名"
    assert fields[1].label_in("en") == "Mobile phone"
    assert fields[1].label_in("zh-hans") == attribute("mobile").label_zh
    consent = form.consents.get()
    assert consent.notice_shown() == notice


def test_the_builder_shows_the_rules_it_refuses(make_user: MakeUser) -> None:
    client = marketer(make_user)

    response = client.post("/forms/add/", builder_post([field_row("email", order=1)]))

    assert response.status_code == 400
    assert "The form must ask for the name, as a required field." in response.content.decode()
    assert not WebForm.objects.exists()


def test_the_builder_changes_removes_and_adds_fields(make_user: MakeUser) -> None:
    form = make_form(slug="fair", fields=("name", "email", "mobile"))
    name, email, mobile = form.fields.order_by("order")
    client = marketer(make_user)

    response = client.post(
        f"/forms/{form.pk}/edit/",
        builder_post(
            [
                {**field_row("name", required=True, order=1), "id": str(name.pk)},
                {**field_row("email", required=True, order=2), "id": str(email.pk)},
                {**field_row("mobile", order=3), "id": str(mobile.pk), "DELETE": "on"},
                field_row("wechat", order=4),
            ],
            title_en="Sign up",
        ),
    )

    assert response.status_code == 302, response.content.decode()[-2000:]
    form.refresh_from_db()
    assert form.title_en == "Sign up"
    assert [(f.attribute.code, f.required) for f in form.fields.order_by("order")] == [
        ("name", True),
        ("email", True),
        ("wechat", False),
    ]
    assert not form.consents.exists()


def test_the_form_page_shows_the_address_and_both_snippets(make_user: MakeUser) -> None:
    form = make_form(allowed_origins="https://www.example.com")
    submission(form, {"name": "张三"})
    client = marketer(make_user)

    page = client.get(form.get_absolute_url()).content.decode()

    assert "http://testserver/f/contact/" in page
    assert "&lt;iframe src=&quot;http://testserver/f/contact/embed/&quot;" in page
    action = "action=&quot;http://testserver/f/contact/&quot;"
    assert "&lt;form method=&quot;post&quot; " + action in page
    assert "name=&quot;hk_lang&quot; value=&quot;zh-hans&quot;" in page
    assert "name=&quot;hk_lang&quot; value=&quot;en&quot;" in page
    assert "name=&quot;homepage_url&quot;" in page
    assert latest_notice("marketing").text_zh in page
    assert "张三" in page  # the recent submissions


def test_the_plain_html_snippet_has_no_script_and_posts_to_the_public_address() -> None:
    from huike.webforms import selectors

    form = make_form()

    snippets = selectors.snippets(form, "https://crm.example.com", [("en", "English")])

    html = snippets.html["en"]
    assert '<form method="post" action="https://crm.example.com/f/contact/"' in html
    assert "<script" not in html and "style=" not in html
    assert '<p hidden><label>Leave this field empty <input type="text" name="homepage_url"' in html
    assert 'name="consent_marketing"' in html
    assert latest_notice("marketing").text_en in html
    assert snippets.iframe.startswith('<iframe src="https://crm.example.com/f/contact/embed/"')


def test_the_form_list_query_count_does_not_grow_with_the_number_of_forms(
    make_user: MakeUser,
) -> None:
    client = marketer(make_user)
    make_form("f0")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/forms/").status_code == 200
    for number in range(1, 8):
        submission(make_form(f"f{number}"), {"name": f"客户{number}"})

    with CaptureQueriesContext(connection) as many:
        assert client.get("/forms/").status_code == 200

    assert len(many) == len(few)


def test_the_submission_list_query_count_does_not_grow_with_the_number_of_rows(
    make_user: MakeUser,
) -> None:
    client = marketer(make_user)
    form = make_form()
    submission(form, {"name": "客户0", "mobile": "13800138000"}, ("marketing",))
    with CaptureQueriesContext(connection) as few:
        assert client.get("/forms/submissions/").status_code == 200
    for number in range(1, 8):
        submission(form, {"name": f"客户{number}", "email": f"c{number}@example.com"})

    with CaptureQueriesContext(connection) as many:
        assert client.get("/forms/submissions/").status_code == 200

    assert len(many) == len(few)
    assert Submission.objects.count() == 8
