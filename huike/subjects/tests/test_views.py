"""The DPO's pages: the queue, a request's workflow, erasure, the suppression list, retention."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huike.accounts.models import User
from huike.accounts.tests.factories import TeamFactory
from huike.core.models import AccessLog, ChangeLog
from huike.core.services import log_access
from huike.parties import selectors as party_selectors
from huike.parties.models import Observation, Party
from huike.parties.tests.factories import person
from huike.subjects import services, suppression
from huike.subjects.models import RetentionRule, SubjectRequest, SuppressionEntry
from huike.subjects.tests.conftest import grant
from huike.subjects.tests.helpers import MOBILE, RESIDENT_ID, unzip, verified_request, zhang

pytestmark = pytest.mark.django_db

QUEUE = "/privacy/requests/"
SUPPRESSIONS = "/privacy/requests/suppressions/"


def html(response: Any) -> str:
    return str(response.content.decode())


def page(request: SubjectRequest, action: str = "") -> str:
    return f"{QUEUE}{request.pk}/{action + '/' if action else ''}"


def received(days_ago: float, **kwargs: Any) -> SubjectRequest:
    kwargs.setdefault("kind", "access")
    kwargs.setdefault("requester_name", "someone")
    return services.open_request(
        actor=None, received_at=timezone.now() - datetime.timedelta(days=days_ago), **kwargs
    )


# --- end to end ------------------------------------------------------------------------------


def test_a_dpo_fulfils_an_access_request_end_to_end(
    dpo_client: Client, dpo: User, make_user: Callable[..., User]
) -> None:
    # given 张三, recorded by a salesperson who once revealed his ID number
    mei = make_user("salesperson", username="mei")
    party = zhang(mei)
    log_access(actor=mei, action="reveal", obj=party, fields=["resident_id"], reason="contract")

    # when the DPO records his request, finding him by phone number in another format
    response = dpo_client.post(
        f"{QUEUE}add/",
        {
            "kind": "access",
            "channel": "email",
            "requester_name": "张三",
            "requester_contact": "zs@example.com",
            "customer": "+86 138 0013 8000",
        },
    )
    request = SubjectRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == page(request)
    assert request.party == party and request.status == "received"

    # and verifies his identity, starts and fulfils it
    detail = html(dpo_client.get(page(request)))
    assert "Verify the requester" in detail and 'id="refuse-form"' in detail
    assert (
        dpo_client.post(
            page(request, "verify"), {"method": "document", "evidence": "ID card, last 4 002X"}
        ).status_code
        == 302
    )
    assert dpo_client.post(page(request, "start")).status_code == 302
    assert "Make the export" in html(dpo_client.get(page(request)))
    assert dpo_client.post(page(request, "fulfil")).status_code == 302

    # then the request is fulfilled and the page offers the zip
    request.refresh_from_db()
    assert request.status == "fulfilled" and request.handled_by == dpo
    assert page(request, "download") in html(dpo_client.get(page(request)))
    download = dpo_client.get(page(request, "download"))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"].startswith("attachment;")
    files = unzip(b"".join(download.streaming_content))  # type: ignore[attr-defined]
    sections = files["subject.json"]["sections"]
    assert sections["customer"][0]["name"] == "张三"
    golden = {row["attribute"]: row["value"] for row in sections["golden_record"]}
    assert golden["mobile"] == "+8613800138000" and golden["resident_id"] == RESIDENT_ID
    sources = {
        (row["attribute"], row["source"], row["collected_by"]) for row in sections["observations"]
    }
    assert ("mobile", "manual", "mei") in sources
    assert any(row["reason"] == "contract" for row in sections["access_log"])
    # and every export and download is in the access log
    assert AccessLog.objects.filter(action="subject_access", actor=dpo).count() == 2


def test_a_dpo_fulfils_an_erasure_request_end_to_end(
    dpo_client: Client, dpo: User, make_user: Callable[..., User]
) -> None:
    mei = make_user("salesperson", username="mei")
    party = zhang(mei)
    request = services.open_request(
        actor=dpo, kind="erasure", requester_name="张三", requester_contact=MOBILE
    )

    # the customer is matched while verifying, by ticking one of the search results
    assert (
        dpo_client.post(
            page(request, "verify"),
            {"method": "callback", "evidence": "Called the mobile on record", "party": party.pk},
        ).status_code
        == 302
    )
    request.refresh_from_db()
    assert request.party == party

    # the confirmation shows what goes and what stays
    confirmation = dpo_client.get(page(request, "erase"))
    text = html(confirmation)
    assert confirmation.status_code == 200
    assert "Values and their sources" in text and "deleted" in text
    assert "kept, de-personalised" in text and "Phone numbers: 1" in text
    assert "13800138000" not in text

    # unconfirmed: nothing happens
    assert dpo_client.post(page(request, "erase"), {}).status_code == 400
    party.refresh_from_db()
    assert party.erased_at is None

    response = dpo_client.post(page(request, "erase"), {"confirm": "on"})

    assert response.status_code == 302
    party.refresh_from_db()
    request.refresh_from_db()
    assert request.status == "fulfilled"
    assert party.erased_at is not None and party.name == f"Erased customer #{party.pk}"
    assert not Observation.objects.filter(party=party).exists()
    assert not party_selectors.search_parties(dpo, "张三").exists()
    assert not party_selectors.search_parties(dpo, "138 0013 8000").exists()
    assert ChangeLog.objects.filter(
        object_id=str(party.pk), action="delete", message=f"erased under request #{request.pk}"
    ).exists()
    assert not ChangeLog.objects.filter(object_repr__contains="张三").exists()
    assert suppression.is_suppressed({"mobile": "+86 138 0013 8000"}) == ["mobile"]
    stored = json.dumps(list(SuppressionEntry.objects.values("digest")))
    assert "13800138000" not in stored
    # the person's page now reads as the erased customer
    assert "Erased customer" in html(dpo_client.get(page(request)))


def test_an_erasure_that_is_not_yet_possible_restricts_instead(
    dpo_client: Client, dpo: User, temporary_provider: Callable[..., Any]
) -> None:
    party = zhang(dpo)
    request = verified_request(party, dpo, kind="erasure")
    temporary_provider("tickets", hold=lambda p: "complaint #7 open")

    assert "complaint #7 open" in html(dpo_client.get(page(request, "erase")))
    response = dpo_client.post(page(request, "erase"), {"confirm": "on"}, follow=True)

    assert "Erasure is not possible yet" in html(response)
    party.refresh_from_db()
    assert party.processing_restricted and party.erased_at is None


def test_refusing_needs_a_reason_and_keeps_what_was_typed(dpo_client: Client, dpo: User) -> None:
    request = services.open_request(actor=dpo, kind="objection", requester_name="李四")

    response = dpo_client.post(page(request, "refuse"), {"reason": "  "})

    assert response.status_code == 400
    assert "This field is required" in html(response)
    request.refresh_from_db()
    assert request.status == "received"
    response = dpo_client.post(page(request, "refuse"), {"reason": "Not about our processing"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "refused" and request.refusal_reason == "Not about our processing"


def test_verification_without_evidence_is_refused_on_the_page(
    dpo_client: Client, dpo: User
) -> None:
    request = services.open_request(actor=dpo, kind="access", requester_name="李四")
    response = dpo_client.post(page(request, "verify"), {"method": "document", "evidence": ""})
    assert response.status_code == 400
    request.refresh_from_db()
    assert request.status == "received"


def test_an_ambiguous_customer_is_offered_to_choose(dpo_client: Client, dpo: User) -> None:
    one, two = person("王芳"), person("王芳")
    response = dpo_client.post(
        f"{QUEUE}add/",
        {"kind": "access", "channel": "phone", "requester_name": "王芳", "customer": "王芳"},
    )
    assert response.status_code == 400
    text = html(response)
    assert "Several customers match" in text
    assert f'value="{one.pk}"' in text and f'value="{two.pk}"' in text
    assert not SubjectRequest.objects.exists()


def test_the_customer_search_lists_visible_customers(
    client: Client, dpo_client: Client, make_user: Callable[..., User]
) -> None:
    mei = make_user("salesperson", username="mei")
    zhang(mei)
    fragment = html(dpo_client.get(f"{QUEUE}customers/", {"customer": "zhangsan"}))
    assert "张三" in fragment and 'type="radio"' in fragment
    assert "No customer matches" in html(dpo_client.get(f"{QUEUE}customers/", {"customer": "赵六"}))
    client.force_login(mei)  # no request permissions
    assert client.get(f"{QUEUE}customers/", {"customer": "zhangsan"}).status_code == 403


def test_a_correction_request_records_the_corrected_value(dpo_client: Client, dpo: User) -> None:
    party = zhang(dpo)
    request = verified_request(party, dpo, kind="correction")

    bad = dpo_client.post(page(request, "correct"), {"attribute": "email", "value": "nope"})
    assert bad.status_code == 400 and "not a valid e-mail" in html(bad)
    good = dpo_client.post(page(request, "correct"), {"attribute": "email", "value": "a@b.cn"})
    assert good.status_code == 302
    party.refresh_from_db()
    assert party.golden["email"] == "a@b.cn"
    assert dpo_client.post(page(request, "fulfil"), {"note": "Fixed"}).status_code == 302
    request.refresh_from_db()
    assert request.status == "fulfilled"


# --- the queue -------------------------------------------------------------------------------


def test_the_queue_is_sorted_by_due_date_with_badges_and_filters(dpo_client: Client) -> None:
    later = received(1, requester_name="later one")
    received(20, requester_name="overdue one")
    soon = received(13, requester_name="soon one")

    text = html(dpo_client.get(QUEUE))
    assert text.index("overdue one") < text.index("soon one") < text.index("later one")
    assert "Overdue" in text and "Due soon" in text
    assert 'id="subject-requests-due"' in text

    overdue_page = html(dpo_client.get(QUEUE, {"due": "overdue"}))
    assert "overdue one" in overdue_page and "soon one" not in overdue_page
    soon_page = html(dpo_client.get(QUEUE, {"due": "soon"}))
    assert "soon one" in soon_page and "overdue one" not in soon_page
    assert "later one" not in soon_page
    services.refuse(later, actor=None, reason="duplicate")
    received_page = html(dpo_client.get(QUEUE, {"status": "received"}))
    assert "later one" not in received_page and "overdue one" in received_page
    erasures = html(dpo_client.get(QUEUE, {"kind": "erasure"}))
    assert "overdue one" not in erasures
    assert str(soon.pk) in html(dpo_client.get(QUEUE, {"q": str(soon.pk)}))


def test_the_queue_query_count_does_not_grow_with_the_requests(dpo_client: Client) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert dpo_client.get(QUEUE).status_code == 200
        return len(queries)

    for number in range(3):
        received(number, party=person(f"客户{number}"))
    count()  # the first request also reads the session, token and permissions
    few = count()
    for number in range(15):
        received(number, party=person(f"顾客{number}"))
    assert count() == few


def test_the_due_alert_is_ready_for_the_home_page(
    dpo: User, make_user: Callable[..., User]
) -> None:
    received(20, requester_name="late")
    template = Template("{% load subjects %}{% subject_requests_due_alert %}")
    request = RequestFactory().get("/")
    request.user = dpo
    assert "Data-subject requests overdue: 1" in template.render(Context({"request": request}))
    request.user = make_user("salesperson")
    assert template.render(Context({"request": request})).strip() == ""


# --- permissions and scope --------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(client: Client) -> None:
    request = received(1)
    for url in (QUEUE, page(request), page(request, "download"), SUPPRESSIONS):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(page(request, "erase"), {"confirm": "on"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_people_without_the_permissions_are_refused(
    client: Client, make_user: Callable[..., User]
) -> None:
    party = zhang()
    request = verified_request(party, None, kind="erasure")
    client.force_login(make_user("salesperson"))
    for url in (QUEUE, page(request), f"{QUEUE}add/", SUPPRESSIONS, f"{QUEUE}retention/"):
        assert client.get(url).status_code == 403
    assert client.post(page(request, "erase"), {"confirm": "on"}).status_code == 403
    party.refresh_from_db()
    assert party.erased_at is None


def test_a_reader_may_not_erase_or_export(client: Client, make_user: Callable[..., User]) -> None:
    party = zhang()
    erasure = verified_request(party, None, kind="erasure")
    access = verified_request(party, None, kind="access")
    grant("auditor", "view_subjectrequest", "change_subjectrequest")
    client.force_login(make_user("auditor"))

    assert client.get(page(erasure)).status_code == 200
    assert client.get(page(erasure, "erase")).status_code == 403
    assert client.post(page(access, "fulfil")).status_code == 403
    assert client.get(page(access, "download")).status_code == 403
    party.refresh_from_db()
    assert party.erased_at is None


def test_a_request_about_a_customer_out_of_scope_is_not_found(
    client: Client, make_user: Callable[..., User]
) -> None:
    east, west = TeamFactory.create(name="East"), TeamFactory.create(name="West")
    grant("manager", "view_subjectrequest", "change_subjectrequest", "erase_party")
    lead = make_user("manager", team=east)
    theirs = person("西区客户", team=west)
    ours = person("东区客户", team=east)
    hidden = verified_request(theirs, None, kind="erasure")
    shown = verified_request(ours, None, kind="access")
    client.force_login(lead)

    assert client.get(page(hidden)).status_code == 404
    assert client.get(page(hidden, "erase")).status_code == 404
    assert client.post(page(hidden, "refuse"), {"reason": "x"}).status_code == 404
    assert client.get(page(shown)).status_code == 200
    queue = html(client.get(QUEUE))
    assert f"#{shown.pk}" in queue and f"#{hidden.pk}<" not in queue


# --- suppression list -------------------------------------------------------------------------


def test_the_suppression_list_counts_and_checks_without_plaintext(
    dpo_client: Client, dpo: User
) -> None:
    party = zhang(dpo)
    services.erase(party, actor=dpo, reason="asked")

    listing = html(dpo_client.get(SUPPRESSIONS))
    assert "13800138000" not in listing and "zhang.san" not in listing
    assert 'id="suppression-counts"' in listing
    entry = SuppressionEntry.objects.get(kind="phone")
    assert entry.digest[3:15] in listing

    hit = dpo_client.post(f"{SUPPRESSIONS}check/", {"value": "+86 138 0013 8000"})
    assert "Suppressed (Phone)" in html(hit)
    miss = dpo_client.post(
        f"{SUPPRESSIONS}check/", {"value": "13900139000"}, HTTP_HX_REQUEST="true"
    )
    assert "Not suppressed." in html(miss) and "<html" not in html(miss)
    assert "Suppressed (E-mail)" in html(
        dpo_client.post(f"{SUPPRESSIONS}check/", {"value": "ZHANG.SAN@example.com"})
    )


def test_a_suppressed_contact_is_released_with_a_reason(dpo_client: Client, dpo: User) -> None:
    party = zhang(dpo)
    services.erase(party, actor=dpo, reason="asked")

    missing_reason = dpo_client.post(f"{SUPPRESSIONS}release/", {"value": MOBILE, "reason": ""})
    assert missing_reason.status_code == 400
    unknown = dpo_client.post(
        f"{SUPPRESSIONS}release/", {"value": "13900139000", "reason": "came back"}
    )
    assert "not on the suppression list" in html(unknown)
    response = dpo_client.post(
        f"{SUPPRESSIONS}release/", {"value": "138 0013 8000", "reason": "Customer again"}
    )
    assert response.status_code == 302
    assert suppression.is_suppressed({"mobile": MOBILE}) == []
    assert suppression.is_suppressed({"email": "zhang.san@example.com"}) == ["email"]


# --- retention rules --------------------------------------------------------------------------


def test_a_dpo_adds_a_retention_rule_and_previews_it(dpo_client: Client) -> None:
    old = person("旧客")
    Party.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=800),
        updated_at=timezone.now() - datetime.timedelta(days=800),
    )
    too_short = dpo_client.post(
        f"{QUEUE}retention/add/",
        {"name": "Prospects", "stages": ["prospect"], "inactivity_days": 5, "action": "anonymise"},
    )
    assert too_short.status_code == 400
    response = dpo_client.post(
        f"{QUEUE}retention/add/",
        {
            "name": "Prospects",
            "stages": ["prospect"],
            "inactivity_days": 730,
            "action": "anonymise",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule = RetentionRule.objects.get()
    assert rule.stages == ["prospect"]
    assert "Prospects" in html(dpo_client.get(f"{QUEUE}retention/"))
    preview = dpo_client.post(f"{QUEUE}retention/preview/", follow=True)
    assert "Prospects: 1 customers would be anonymised or purged today." in html(preview)
    old.refresh_from_db()
    assert old.erased_at is None
