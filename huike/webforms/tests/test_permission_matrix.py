"""Who may reach each web-form page and endpoint (see ``huike.core.testing.matrix``).

Forms are configuration, like purposes: not scoped to a record owner. Submissions follow the
record scope of the customer they became, but the shipped roles reading them (marketer,
data-protection officer, auditor) all see every customer, so the scope is tested in
``test_api.py`` with a salesperson given the permission. The visitors' pages are public.
"""

from __future__ import annotations

from typing import Any

from django.core import mail

from huike.accounts.models import User
from huike.core.testing.matrix import MOBILE, PROBE_NAME, PermissionMatrix, Route
from huike.webforms import services
from huike.webforms.models import Submission, WebForm
from huike.webforms.tests.factories import builder_post, field_row, make_form, post_data

VIEW_FORM = "webforms.view_webform"
VIEW_SUBMISSION = "webforms.view_submission"
FORM_NAME = "Matrix form"


def a_form(_owner: User) -> WebForm:
    return make_form("matrix", name=FORM_NAME)


def a_submission(_owner: User) -> Submission:
    form = WebForm.objects.filter(slug="matrix").first() or make_form("matrix", name=FORM_NAME)
    return services.submit(
        form,
        values={"name": PROBE_NAME, "mobile": MOBILE},
        ticked=["marketing"],
        language="en",
    )


def a_form_sent(owner: User) -> WebForm:
    """A form somebody sent: its page lists the recent submissions."""
    return a_submission(owner).form


def a_pending_submission(_owner: User) -> str:
    """The token of the confirmation link of a submission waiting for it."""
    form = make_form("matrix", name=FORM_NAME, required=("name", "email"), double_opt_in=True)
    submission = services.submit(
        form,
        values={"name": PROBE_NAME, "email": "probe@example.com"},
        ticked=[],
        language="en",
    )
    mail.outbox = []
    return str(submission.confirm_token)  # type: ignore[attr-defined]


def new_form_post(_obj: Any) -> dict[str, Any]:
    return builder_post([field_row("name", required=True, order=1)])


def edit_form_post(form: WebForm) -> dict[str, Any]:
    return builder_post(
        [field_row("name", required=True, order=1)], slug=form.slug, title_en="Renamed"
    )


def visitor_post(form: WebForm) -> dict[str, Any]:
    return post_data(form, {"name": PROBE_NAME})


def slug_of(form: WebForm) -> dict[str, Any]:
    return {"slug": form.slug}


def confirm_kwargs(token: str) -> dict[str, Any]:
    return {"slug": "matrix", "token": token}


class TestWebFormsMatrix(PermissionMatrix):
    routes = [
        # The forms and the builder.
        Route(
            "webforms:webform_list",
            kind="list",
            permission=VIEW_FORM,
            make_object=a_form,
            marker=lambda form: form.slug,
        ),
        Route(
            "webforms:webform_list",
            kind="export",
            variant="csv",
            query={"export": "csv"},
            permission=VIEW_FORM,
            make_object=a_form,
            marker=lambda form: form.slug,
        ),
        Route("webforms:webform", kind="detail", permission=VIEW_FORM, make_object=a_form),
        Route(
            "webforms:webform",
            kind="detail",
            variant="with submissions",
            permission=VIEW_FORM,
            make_object=a_form_sent,
            shows=(MOBILE,),
        ),
        Route("webforms:webform_add", kind="create", permission="webforms.add_webform"),
        Route(
            "webforms:webform_add",
            kind="create",
            method="POST",
            permission="webforms.add_webform",
            model=WebForm,
            data=new_form_post,
            ok=(302,),
        ),
        Route(
            "webforms:webform_edit",
            kind="update",
            permission="webforms.change_webform",
            make_object=a_form,
        ),
        Route(
            "webforms:webform_edit",
            kind="update",
            method="POST",
            permission="webforms.change_webform",
            make_object=a_form,
            data=edit_form_post,
            ok=(302,),
        ),
        Route(
            "webforms:webform_delete",
            kind="delete",
            permission="webforms.delete_webform",
            make_object=a_form,
        ),
        Route(
            "webforms:webform_delete",
            kind="delete",
            method="POST",
            permission="webforms.delete_webform",
            make_object=a_form,
            ok=(302,),
        ),
        # Submissions.
        Route(
            "webforms:submission_list",
            kind="list",
            permission=VIEW_SUBMISSION,
            make_object=a_submission,
            marker=lambda submission: FORM_NAME,
            shows=(MOBILE,),
        ),
        Route(
            "webforms:submission_list",
            kind="export",
            variant="csv",
            query={"export": "csv"},
            permission=VIEW_SUBMISSION,
            make_object=a_submission,
            marker=lambda submission: FORM_NAME,
            shows=(MOBILE,),
        ),
        Route(
            "webforms:submission",
            kind="detail",
            permission=VIEW_SUBMISSION,
            make_object=a_submission,
            shows=(MOBILE,),
        ),
        # The visitors' pages: open to anyone.
        Route("public_form:page", public=True, make_object=a_form, url_kwargs=slug_of),
        Route(
            "public_form:page",
            method="POST",
            public=True,
            make_object=a_form,
            url_kwargs=slug_of,
            data=visitor_post,
        ),
        Route("public_form:embed", public=True, make_object=a_form, url_kwargs=slug_of),
        Route(
            "public_form:embed",
            method="POST",
            public=True,
            make_object=a_form,
            url_kwargs=slug_of,
            data=visitor_post,
        ),
        Route(
            "public_form:confirm",
            public=True,
            make_object=a_pending_submission,
            url_kwargs=confirm_kwargs,
        ),
        Route(
            "public_form:confirm",
            method="POST",
            public=True,
            make_object=a_pending_submission,
            url_kwargs=confirm_kwargs,
        ),
        # API (read only).
        Route(
            "api:webform-list",
            kind="list",
            permission=VIEW_FORM,
            make_object=a_form,
            marker=lambda form: form.slug,
        ),
        Route("api:webform-detail", kind="detail", permission=VIEW_FORM, make_object=a_form),
        Route(
            "api:webformsubmission-list",
            kind="list",
            permission=VIEW_SUBMISSION,
            make_object=a_submission,
            marker=lambda submission: "matrix",
            shows=(MOBILE,),
        ),
        Route(
            "api:webformsubmission-detail",
            kind="detail",
            permission=VIEW_SUBMISSION,
            make_object=a_submission,
            shows=(MOBILE,),
        ),
    ]
