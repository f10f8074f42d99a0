"""Privacy pages: the consent panel, the ledger, purposes and notices, impact assessments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huike.accounts.models import User
from huike.parties.models import AttributeDefinition, Party
from huike.parties.tests.factories import person
from huike.privacy.models import ConsentNotice, ConsentRecord, ImpactAssessment, PartyConsent
from huike.privacy.tests.factories import (
    ALL_PRIVACY,
    RECORD_CONSENT,
    allow,
    grant,
    notice,
    purpose,
    withdraw,
)

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
HTMX = {"HX-Request": "true"}
LEDGER = "/privacy/consents/"


def panel_url(party: Party) -> str:
    return f"/privacy/customers/{party.pk}/consents/"


def html(response: Any) -> str:
    return str(response.content.decode())


@pytest.fixture
def mei(make_user: MakeUser) -> User:
    """A salesperson who may record consent for her own customers."""
    return allow(make_user("salesperson", username="mei"), *RECORD_CONSENT)


@pytest.fixture
def mei_client(client: Client, mei: User) -> Client:
    client.force_login(mei)
    return client


@pytest.fixture
def dpo_client(client: Client, make_user: MakeUser) -> Client:
    client.force_login(allow(make_user("data_protection_officer", username="dpo"), *ALL_PRIVACY))
    return client


# --- Sign-in, permission and scope --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/privacy/customers/1/consents/",
        LEDGER,
        "/privacy/purposes/",
        "/privacy/processing-records/",
        "/privacy/assessments/",
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_panel_needs_the_permission_to_view_consents(
    client: Client, make_user: MakeUser
) -> None:
    analyst = make_user("analyst")  # reads every customer, holds no privacy permission
    zhang = person("张三")
    client.force_login(analyst)

    assert client.get(panel_url(zhang)).status_code == 403
    assert client.get(LEDGER).status_code == 403


def test_recording_and_withdrawing_need_the_permission_to_add_consents(
    client: Client, make_user: MakeUser
) -> None:
    marketer = allow(make_user("marketer"), "privacy.view_consentrecord")
    zhang = person("张三")
    grant(zhang, "marketing")
    client.force_login(marketer)

    assert client.get(panel_url(zhang)).status_code == 200
    withdrawal = client.post(panel_url(zhang) + "marketing/withdraw/", headers=HTMX)
    recording = client.post(
        panel_url(zhang) + "record/", {"purpose": "profiling", "channel": "phone"}, headers=HTMX
    )

    assert (withdrawal.status_code, recording.status_code) == (403, 403)
    assert ConsentRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "suffix"), [("get", ""), ("post", "record/"), ("post", "marketing/withdraw/")]
)
def test_a_customer_out_of_scope_answers_404(
    mei_client: Client, make_user: MakeUser, method: str, suffix: str
) -> None:
    theirs = person("李四", owner=make_user("salesperson"))
    grant(theirs, "marketing")

    response = getattr(mei_client, method)(
        panel_url(theirs) + suffix, {"purpose": "profiling", "channel": "phone"}
    )

    assert response.status_code == 404
    assert ConsentRecord.objects.count() == 1


def test_a_ledger_entry_of_a_customer_out_of_scope_answers_404(
    mei_client: Client, make_user: MakeUser
) -> None:
    record = grant(person("李四", owner=make_user("salesperson")), "marketing")

    assert mei_client.get(f"{LEDGER}{record.pk}/").status_code == 404


# --- The consent panel ------------------------------------------------------------------------


def test_the_loader_fetches_the_panel_when_the_customer_page_loads(rf: Any, mei: User) -> None:
    zhang = person("张三", owner=mei)
    request = rf.get("/")
    request.user = mei

    loader = render_to_string(
        "privacy/_party_consents_loader.html", {"object": zhang}, request=request
    )

    assert f'hx-get="{panel_url(zhang)}"' in loader
    assert 'hx-trigger="load"' in loader


def test_the_panel_shows_each_purpose_with_its_current_state(mei_client: Client, mei: User) -> None:
    zhang = person("张三", owner=mei)
    grant(zhang, "marketing")
    withdraw(zhang, "profiling")

    page = html(mei_client.get(panel_url(zhang), headers=HTMX))

    assert 'id="consent-marketing"' in page
    assert "notice v1" in page
    assert page.count("Withdraw</button>") == 1  # only the granted purpose
    assert "Withdrawn" in page
    assert "Not asked" in page
    assert 'id="consent-service"' not in page  # contract: no consent to record
    assert "hx-confirm" in page
    assert f'href="{LEDGER}?party={zhang.pk}"' in page


def test_withdrawing_is_one_click_and_refreshes_the_panel(mei_client: Client, mei: User) -> None:
    zhang = person("张三", owner=mei)
    grant(zhang, "marketing")

    response = mei_client.post(panel_url(zhang) + "marketing/withdraw/", headers=HTMX)

    assert response.status_code == 200
    assert "Consent to “Marketing” withdrawn." in html(response)
    current = PartyConsent.objects.get(party=zhang, purpose__code="marketing")
    assert current.granted is False
    assert current.record.collected_by == mei
    assert current.record.channel == "manual"


def test_withdrawing_without_htmx_goes_back_to_the_customer(mei_client: Client, mei: User) -> None:
    zhang = person("张三", owner=mei)
    grant(zhang, "marketing")

    response = mei_client.post(panel_url(zhang) + "marketing/withdraw/")

    assert response.status_code == 302
    assert response["Location"] == zhang.get_absolute_url()
    assert not PartyConsent.objects.get(party=zhang).granted


def test_recording_consent_from_the_panel(mei_client: Client, mei: User) -> None:
    zhang = person("张三", owner=mei)

    response = mei_client.post(
        panel_url(zhang) + "record/",
        {
            "purpose": "marketing",
            "notice": notice("marketing").pk,
            "channel": "in_store",
            "evidence": "登记表 17",
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    record = ConsentRecord.objects.get(party=zhang)
    assert (record.purpose.code, record.status, record.channel) == (
        "marketing",
        "granted",
        "in_store",
    )
    assert record.notice_text
    assert "Withdraw</button>" in html(response)


def test_a_refused_consent_shows_why_and_records_nothing(mei_client: Client, mei: User) -> None:
    zhang = person("张三", owner=mei)

    response = mei_client.post(
        panel_url(zhang) + "record/",
        {"purpose": "sensitive_data", "channel": "phone", "evidence": ""},
        headers=HTMX,
    )

    assert response.status_code == 200  # htmx swaps only successful answers
    page = html(response)
    assert "Separate consent needs the notice the person was shown." in page
    assert "Separate consent needs evidence" in page
    assert not ConsentRecord.objects.exists()


# --- The ledger ---------------------------------------------------------------------------------


def test_the_ledger_lists_only_customers_in_scope(
    mei_client: Client, mei: User, make_user: MakeUser
) -> None:
    grant(person("张三", owner=mei), "marketing")
    grant(person("李四", owner=make_user("salesperson")), "marketing")

    page = html(mei_client.get(LEDGER))

    assert "张三" in page
    assert "李四" not in page


def test_the_ledger_filters_by_customer_purpose_status_and_date(dpo_client: Client) -> None:
    zhang, li = person("张三"), person("李四")
    grant(zhang, "marketing", days_ago=10)
    withdraw(zhang, "marketing", days_ago=1)
    grant(li, "profiling", days_ago=5)

    def rows(**query: str) -> int:
        response = dpo_client.get(LEDGER, query)
        assert response.status_code == 200
        return len(response.context["page"].rows)

    assert rows() == 3
    assert rows(party=str(zhang.pk)) == 2
    assert rows(q="李四") == 1
    assert rows(purpose="marketing", status="withdrawn") == 1
    assert rows(status="granted") == 2
    assert rows(channel="phone") == 1
    day = timezone.localdate(ConsentRecord.objects.get(party=li).occurred_at).isoformat()
    assert rows(occurred_after=day, occurred_before=day) == 1


def test_evidence_is_escaped_on_every_page(dpo_client: Client) -> None:
    zhang = person("张三")
    record = grant(zhang, "marketing", evidence="<script>alert('x')</script>")

    for path in (LEDGER, f"{LEDGER}{record.pk}/"):
        page = html(dpo_client.get(path))
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert" in page


def test_the_ledger_entry_shows_the_exact_notice_text(dpo_client: Client) -> None:
    record = grant(person("张三"), "marketing")

    page = html(dpo_client.get(f"{LEDGER}{record.pk}/"))

    assert record.notice_text[:30] in page
    assert "/edit/" not in page  # the ledger cannot be edited


def _ledger_query_count(client: Client, query: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response: Any = client.get(LEDGER, query)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("query", [{}, {"export": "csv"}], ids=["page", "csv"])
def test_the_ledger_query_count_does_not_grow_with_the_number_of_rows(
    dpo_client: Client, query: dict[str, str]
) -> None:
    for index in range(3):
        grant(person(f"客户{index}"), "marketing")
    _ledger_query_count(dpo_client, query)  # warm the per-process caches (content types…)
    few = _ledger_query_count(dpo_client, query)
    for index in range(12):
        grant(person(f"顾客{index}"), "profiling")

    assert _ledger_query_count(dpo_client, query) == few


# --- Purposes, notices, assessments --------------------------------------------------------------


def test_purposes_list_and_detail(dpo_client: Client) -> None:
    marketing = purpose("marketing")

    listing = html(dpo_client.get("/privacy/purposes/"))
    detail = html(dpo_client.get(marketing.get_absolute_url()))

    assert "Marketing" in listing and "Sharing with third parties" in listing
    assert "Version 1" in detail
    assert f"/privacy/purposes/{marketing.pk}/notices/add/" in detail


def test_adding_a_purpose_through_the_form(dpo_client: Client) -> None:
    mobile = AttributeDefinition.objects.get(code="mobile")

    response = dpo_client.post(
        "/privacy/purposes/add/",
        {
            "code": "surveys",
            "name_zh": "满意度调查",
            "name_en": "Satisfaction surveys",
            "legal_basis": "consent",
            "retention_days": "90",
            "recipients": "Survey team",
            "attributes": [mobile.pk],
            "order": "60",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    surveys = purpose("surveys")
    assert list(surveys.attributes.all()) == [mobile]


def test_editing_a_purpose_keeps_its_code(dpo_client: Client) -> None:
    marketing = purpose("marketing")

    response = dpo_client.post(
        f"/privacy/purposes/{marketing.pk}/edit/",
        {
            "code": "ads",
            "name_zh": marketing.name_zh,
            "name_en": "Marketing messages",
            "legal_basis": "consent",
            "retention_days": "30",
            "attributes": list(marketing.attributes.values_list("pk", flat=True)),
            "order": "20",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    marketing.refresh_from_db()
    assert (marketing.code, marketing.name_en) == ("marketing", "Marketing messages")


def test_a_purpose_needs_the_permission_to_change(client: Client, make_user: MakeUser) -> None:
    client.force_login(allow(make_user("marketer"), "privacy.view_purpose"))

    assert client.get("/privacy/purposes/").status_code == 200
    assert client.get("/privacy/purposes/add/").status_code == 403


def test_adding_a_new_notice_version(dpo_client: Client) -> None:
    marketing = purpose("marketing")

    response = dpo_client.post(
        f"/privacy/purposes/{marketing.pk}/notices/add/",
        {"text_zh": "第二版", "text_en": "Second version", "published_at": "2026-01-01T09:00"},
    )

    assert response.status_code == 302
    assert response["Location"] == marketing.get_absolute_url()
    assert notice("marketing").text_en == "Second version"
    assert notice("marketing").version == 2


def test_a_used_notice_cannot_be_edited_on_its_page(dpo_client: Client) -> None:
    grant(person("张三"), "marketing")
    used = notice("marketing")

    page = html(dpo_client.get(used.get_absolute_url()))
    response = dpo_client.post(
        f"/privacy/notices/{used.pk}/edit/",
        {"text_zh": "改", "text_en": "Changed", "published_at": "2026-01-01T09:00"},
    )

    assert f"/privacy/notices/{used.pk}/edit/" not in page
    assert response.status_code == 400
    assert ConsentNotice.objects.get(pk=used.pk).text_en != "Changed"


def test_adding_an_impact_assessment(dpo_client: Client) -> None:
    health = AttributeDefinition.objects.get(code="health")

    form = dpo_client.get(f"/privacy/assessments/add/?attribute={health.pk}")
    response = dpo_client.post(
        "/privacy/assessments/add/",
        {
            "title": "Health information in care plans",
            "purposes": [purpose("sensitive_data").pk],
            "attributes": [health.pk],
            "risk_level": "high",
            "measures": "Encrypted, masked, access logged",
            "conclusion": "Acceptable with the measures",
            "assessed_at": "2026-01-10",
            "review_due": "2027-01-10",
            "document_reference": "DPIA-2026-01",
        },
    )

    assert form.status_code == 200
    assert response.status_code == 302
    assessment = ImpactAssessment.objects.get()
    assert list(assessment.attributes.all()) == [health]
    assert "Health information" in html(dpo_client.get("/privacy/assessments/"))
    assert "Health" in html(dpo_client.get(assessment.get_absolute_url()))


def test_the_assessment_form_offers_only_sensitive_fields(dpo_client: Client) -> None:
    form = dpo_client.get("/privacy/assessments/add/").context["form"]

    offered = set(form.fields["attributes"].queryset.values_list("sensitivity", flat=True))

    assert offered == {"sensitive"}


def test_the_privacy_menu_follows_permissions(client: Client, make_user: MakeUser) -> None:
    analyst = make_user("analyst")
    client.force_login(analyst)
    assert 'id="privacy-menu"' not in html(client.get("/"))

    allow(analyst, "privacy.view_consentrecord")
    page = html(client.get("/"))
    assert 'id="privacy-menu"' in page
    assert LEDGER in page
    assert "/privacy/processing-records/" not in page


def test_the_panel_says_when_consents_are_not_used(mei_client: Client, mei: User) -> None:
    zhang = person("张三", owner=mei)
    grant(zhang, "marketing")
    assert 'id="consents-not-used"' not in html(mei_client.get(panel_url(zhang)))

    Party.objects.filter(pk=zhang.pk).update(processing_restricted=True)

    assert 'id="consents-not-used"' in html(mei_client.get(panel_url(zhang)))
