"""Submissions hold personal data: they go into a subject-access export and are deleted with
the customer, while the consent ledger keeps the proof of consent."""

from __future__ import annotations

import pytest

from huike.parties.models import Party
from huike.privacy.models import ConsentRecord
from huike.subjects import exporting, services
from huike.webforms.models import Submission
from huike.webforms.tests.factories import make_form, submission

pytestmark = pytest.mark.django_db


def test_a_subject_access_export_includes_the_submissions() -> None:
    form = make_form()
    submission(form, {"name": "张三", "mobile": "13800138000"}, ("marketing",))
    party = Party.objects.get()

    sections = exporting.collect(party)

    [row] = sections["web_form_submissions"]
    assert row["form"] == "contact"
    assert row["values"]["name"] == "张三"
    assert row["consents"]["marketing"]["checked"] is True


def test_erasing_the_customer_deletes_the_submissions_and_keeps_the_consent_proof() -> None:
    form = make_form()
    submission(form, {"name": "张三", "mobile": "13800138000"}, ("marketing",))
    party = Party.objects.get()

    summary = services.erase(party, actor=None, reason="asked by the person")

    assert not Submission.objects.exists()
    assert summary["web_form_submissions"] == {"submissions": 1}
    assert ConsentRecord.objects.filter(party=party).exists()
