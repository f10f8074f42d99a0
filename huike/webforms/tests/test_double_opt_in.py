"""Double opt-in: nothing is recorded until the person opens the e-mailed link and confirms."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from huike.ops.models import SystemState
from huike.parties.models import Observation, Party
from huike.privacy.models import ConsentRecord
from huike.subjects import suppression
from huike.webforms import services, tasks
from huike.webforms.models import Submission
from huike.webforms.tests.factories import make_form, post_data

pytestmark = pytest.mark.django_db


def opt_in_form() -> object:
    return make_form(required=("name", "email"), double_opt_in=True)


def send(language: str = "en", email: str = "zhang@example.com") -> str:
    """Fill in the form; returns the confirmation link from the e-mail."""
    form = opt_in_form()
    response = Client().post(
        "/f/contact/",
        post_data(
            form,  # type: ignore[arg-type]
            {"name": "张三", "email": email, "consent_marketing": "on"},
            lang=language,
        ),
    )
    assert response.status_code == 200
    match = re.search(r"http://testserver(/f/contact/confirm/[^\s]+/)", str(mail.outbox[-1].body))
    assert match is not None
    return match.group(1)


def test_the_submission_waits_and_an_e_mail_with_a_link_goes_to_the_address_given() -> None:
    form = opt_in_form()

    response = Client().post(
        "/f/contact/",
        post_data(
            form,  # type: ignore[arg-type]
            {"name": "张三", "email": "zhang@example.com", "consent_marketing": "on"},
        ),
    )

    assert "we have sent you an e-mail" in response.content.decode()
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.PENDING
    assert submission.party is None
    assert not Party.objects.exists()
    assert not ConsentRecord.objects.exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zhang@example.com"]
    assert "/f/contact/confirm/" in mail.outbox[0].body
    token = mail.outbox[0].body.split("/f/contact/confirm/")[1].split("/")[0]
    assert token not in submission.confirm_token_hash  # only its hash is kept


def test_the_e_mail_is_in_the_language_the_form_was_filled_in() -> None:
    send("zh-hans")

    assert mail.outbox[0].subject == "请确认：联系我们"


def test_opening_the_link_shows_a_button_and_records_nothing_yet() -> None:
    link = send()

    response = Client().get(link)

    assert response.status_code == 200
    assert 'id="web-form-confirm"' in response.content.decode()
    assert not Party.objects.exists()


def test_confirming_records_the_values_and_the_consent() -> None:
    link = send()

    response = Client().post(link)

    assert response.status_code == 200
    assert "Thank you, we got it." in response.content.decode()
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.CONFIRMED
    assert submission.confirmed_at is not None
    party = Party.objects.get(name="张三")
    assert submission.party == party
    assert set(Observation.objects.filter(party=party).values_list("source", flat=True)) == {
        "form:contact"
    }
    record = ConsentRecord.objects.get(party=party)
    assert record.purpose.code == "marketing"
    assert record.notice_text == submission.consents["marketing"]["text"]


def test_a_confirmed_e_mail_adds_the_values_to_the_customer_it_names() -> None:
    from huike.parties.tests.factories import person

    zhang = person("张三", attributes={"email": "zhang@example.com"})
    link = send(email="ZHANG@example.com")

    Client().post(link)

    assert Party.objects.count() == 1
    assert Submission.objects.get().party == zhang
    assert Observation.objects.filter(party=zhang, source="form:contact").exists()
    assert ConsentRecord.objects.filter(party=zhang, purpose__code="marketing").exists()


def test_a_link_works_once() -> None:
    link = send()
    Client().post(link)

    again = Client().post(link)

    assert again.status_code == 404
    assert Party.objects.count() == 1
    assert ConsentRecord.objects.count() == 1


def test_an_unknown_link_does_not_work() -> None:
    opt_in_form()

    response = Client().get("/f/contact/confirm/not-a-token/")

    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()


def test_a_link_older_than_the_limit_expires_and_the_values_are_dropped() -> None:
    link = send()
    Submission.objects.update(created_at=timezone.now() - datetime.timedelta(hours=73))

    response = Client().post(link)

    assert response.status_code == 404
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.EXPIRED
    assert submission.data == {}
    assert not Party.objects.exists()


def test_the_worker_closes_unconfirmed_submissions_hourly_unless_paused() -> None:
    send()
    Submission.objects.update(created_at=timezone.now() - datetime.timedelta(hours=80))
    SystemState.objects.update_or_create(
        pk=SystemState.SINGLETON, defaults={"paused_at": timezone.now()}
    )

    assert tasks.expire_unconfirmed_submissions.call_local() == 0
    assert Submission.objects.get().status == Submission.Status.PENDING

    SystemState.objects.filter(pk=SystemState.SINGLETON).update(paused_at=None)
    assert tasks.expire_unconfirmed_submissions.call_local() == 1
    assert Submission.objects.get().status == Submission.Status.EXPIRED
    assert Submission.objects.get().data == {}


def test_a_recent_submission_is_not_expired() -> None:
    send()

    assert services.expire_pending() == 0
    assert Submission.objects.get().status == Submission.Status.PENDING


def test_a_contact_erased_before_confirming_is_rejected_neutrally() -> None:
    link = send()
    suppression.suppress([("email", "zhang@example.com")], actor=None)

    response = Client().post(link)

    assert response.status_code == 400
    assert "We could not accept this form" in response.content.decode()
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.REJECTED
    assert submission.data == {}
    assert not Party.objects.exists()


def test_a_form_with_double_opt_in_needs_a_required_e_mail_field() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        make_form(required=("name",), double_opt_in=True)

    assert "Confirmation by e-mail needs a required e-mail field." in str(caught.value)
