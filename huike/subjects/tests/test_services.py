"""The request workflow, the access export and erasure, as services."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from huike.accounts.models import User
from huike.core import crypto
from huike.core.models import AccessLog, ChangeLog
from huike.core.services import log_access
from huike.parties import selectors as party_selectors
from huike.parties import services as party_services
from huike.parties.models import GoldenValue, Observation, Party, Relationship, SearchKey
from huike.parties.tests.factories import organisation, person
from huike.subjects import exporting, providers, services, suppression
from huike.subjects.models import SubjectRequest, SuppressionEntry
from huike.subjects.tests.helpers import (
    EMAIL,
    FORMULA,
    MOBILE,
    MOBILE_E164,
    RESIDENT_ID,
    unzip,
    verified_request,
    zhang,
)

pytestmark = pytest.mark.django_db


def party_log(party: Party) -> Any:
    return ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Party), object_id=str(party.pk)
    )


# --- the workflow ------------------------------------------------------------------------------


def test_a_request_is_due_15_days_after_it_was_received(dpo: User) -> None:
    received = timezone.now() - datetime.timedelta(days=2)

    request = services.open_request(
        actor=dpo, kind="access", requester_name="张三", received_at=received
    )

    assert request.status == "received"
    assert request.due_at == received + datetime.timedelta(days=15)
    assert request.limit_at == received + datetime.timedelta(days=30)
    entry = ChangeLog.objects.get(object_id=str(request.pk), action="create")
    assert "张三" not in json.dumps(entry.changes, ensure_ascii=False) + entry.object_repr


def test_the_due_period_follows_the_setting(dpo: User, settings: Any) -> None:
    settings.DSR_DUE_DAYS = 10
    request = services.open_request(actor=dpo, kind="erasure", requester_name="李四")
    assert request.due_at - request.received_at == datetime.timedelta(days=10)


def test_overdue_and_due_soon_requests_are_told_apart(dpo: User) -> None:
    now = timezone.now()
    overdue = services.open_request(
        actor=dpo, kind="access", requester_name="a", received_at=now - datetime.timedelta(days=16)
    )
    soon = services.open_request(
        actor=dpo, kind="access", requester_name="b", received_at=now - datetime.timedelta(days=13)
    )
    later = services.open_request(actor=dpo, kind="access", requester_name="c")
    closed = services.open_request(
        actor=dpo, kind="access", requester_name="d", received_at=now - datetime.timedelta(days=20)
    )
    services.refuse(closed, actor=dpo, reason="Not a customer of ours")

    assert list(SubjectRequest.objects.overdue()) == [overdue]
    assert list(SubjectRequest.objects.due_soon()) == [soon]
    assert overdue.is_overdue and not overdue.is_due_soon
    assert soon.is_due_soon and not soon.is_overdue
    assert not later.is_overdue and not later.is_due_soon
    closed.refresh_from_db()
    assert not closed.is_overdue


def test_refusing_needs_a_reason(dpo: User) -> None:
    request = services.open_request(actor=dpo, kind="erasure", requester_name="张三")

    with pytest.raises(ValidationError) as refused:
        services.refuse(request, actor=dpo, reason="   ")
    assert "refusal_reason" in refused.value.message_dict
    request.refresh_from_db()
    assert request.status == "received"

    services.refuse(request, actor=dpo, reason="The identity could not be confirmed.")
    request.refresh_from_db()
    assert request.status == "refused"
    assert request.refusal_reason == "The identity could not be confirmed."
    assert request.closed_at is not None
    with pytest.raises(ValidationError):
        services.refuse(request, actor=dpo, reason="again")


def test_identity_is_verified_with_a_method_and_evidence_before_anything_else(dpo: User) -> None:
    party = zhang(dpo)
    request = services.open_request(actor=dpo, kind="access", requester_name="张三", party=party)

    with pytest.raises(ValidationError):
        services.fulfil_access(request, actor=dpo)
    with pytest.raises(ValidationError):
        services.start(request, actor=dpo)
    with pytest.raises(ValidationError) as missing:
        services.verify_identity(request, actor=dpo, method="document", evidence="")
    assert "identity_evidence" in missing.value.message_dict

    services.verify_identity(request, actor=dpo, method="callback", evidence="Called back")
    services.start(request, actor=dpo)
    request.refresh_from_db()
    assert request.status == "in_progress"
    assert request.verified_by == dpo and request.handled_by == dpo
    assert request.identity_method == "callback"


def test_a_request_without_a_customer_is_closed_saying_nothing_is_held(dpo: User) -> None:
    request = services.open_request(actor=dpo, kind="access", requester_name="王五")
    services.verify_identity(request, actor=dpo, method="email", evidence="Reply from address")

    with pytest.raises(ValidationError):
        services.fulfil(request, actor=dpo, note="")
    services.fulfil(request, actor=dpo, note="Huike holds nothing about 王五.")
    request.refresh_from_db()
    assert request.status == "fulfilled"
    assert "holds nothing" in request.notes


# --- access ----------------------------------------------------------------------------------


def test_the_access_export_holds_everything_about_the_person(
    dpo: User, make_user: Callable[..., User]
) -> None:
    # given a customer with values from two sources, a tie to a company and a read in the log
    mei = make_user("salesperson", username="mei")
    party = zhang(mei)
    party_services.update_party(party, actor=mei, notes=FORMULA)
    party_services.record_observations(
        party,
        {"mobile": "13900139000"},
        actor=None,
        provenance=party_services.Provenance(source="import:outlook", source_ref="row 7"),
    )
    company = organisation("杭州云汇科技有限公司")
    party_services.save_relationship(
        Relationship(),
        actor=mei,
        from_party=party,
        to_party=company,
        kind="employment",
        title="采购经理",
    )
    log_access(actor=mei, action="reveal", obj=party, fields=["resident_id"], reason="visit")
    request = verified_request(party, dpo)

    # when the DPO fulfils the access request
    files = unzip(services.fulfil_access(request, actor=dpo))

    # then the zip has the golden record, every value with its source, ties and the logs
    document = files["subject.json"]
    sections = document["sections"]
    assert document["customer"] == party.pk and document["request"] == request.pk
    assert sections["customer"][0]["name"] == "张三"
    golden = {row["attribute"]: row for row in sections["golden_record"]}
    assert golden["resident_id"]["value"] == RESIDENT_ID  # opened for the person themself
    assert golden["email"]["value"] == EMAIL.lower()
    mobiles = [row for row in sections["observations"] if row["attribute"] == "mobile"]
    assert {(row["value"], row["source"]) for row in mobiles} == {
        (MOBILE_E164, "manual"),
        ("+8613900139000", "import:outlook"),
    }
    assert {row["collected_by"] for row in mobiles} == {"mei", "system"}
    assert sections["relationships"][0]["other_customer"] == "杭州云汇科技有限公司"
    assert sections["relationships"][0]["title"] == "采购经理"
    reads = [row for row in sections["access_log"] if row["reason"] == "visit"]
    assert reads and reads[0]["by"] == "mei"
    assert sections["change_log"]
    assert {"customer.csv", "observations.csv", "access_log.csv"} <= set(files)
    # and formula-like text stays text in the spreadsheet files
    header, row = files["customer.csv"][0], files["customer.csv"][1]
    assert row[header.index("notes")] == "'" + FORMULA
    # and the export is kept as the request's result, the request fulfilled and logged
    request.refresh_from_db()
    assert request.status == "fulfilled"
    assert exporting.stored_path(request.result_file) is not None
    entry = AccessLog.objects.filter(action="subject_access").get()
    assert entry.actor == dpo and entry.object_id == str(party.pk)
    assert "resident_id" in entry.fields
    assert entry.reason == f"request #{request.pk}"


def test_a_sealed_value_is_opened_for_the_export() -> None:
    sealed = crypto.seal(json.dumps("11010519491231002X"), "resident_id")
    assert providers.plain_value("resident_id", sealed) == "11010519491231002X"
    assert providers.plain_value("passport_number", sealed) == providers.UNREADABLE
    assert providers.plain_value("mobile", "+8613800138000") == "+8613800138000"


def test_other_apps_add_sections_to_the_export(
    dpo: User, temporary_provider: Callable[..., Any]
) -> None:
    party = zhang(dpo)
    temporary_provider(
        "orders", export=lambda p: [{"number": "SO-1", "amount": "=1+2", "customer": p.pk}]
    )
    files = unzip(services.export_subject(party, actor=dpo))
    assert files["subject.json"]["sections"]["orders"][0]["number"] == "SO-1"
    assert files["orders.csv"][1][1] == "'=1+2"


# --- erasure ---------------------------------------------------------------------------------


def test_erasure_anonymises_the_customer_and_leaves_a_tombstone(
    dpo: User, make_user: Callable[..., User]
) -> None:
    # given 张三 with contact points, a tag, notes, a tie and history
    mei = make_user("salesperson", username="mei")
    party = zhang(mei)
    party_services.update_party(party, actor=mei, notes="喜欢龙井", stage="customer")
    company = organisation("杭州云汇科技有限公司", actor=mei)
    party_services.save_relationship(
        Relationship(),
        actor=mei,
        from_party=party,
        to_party=company,
        kind="employment",
        title="采购经理",
        note="张三 decides on tea",
    )
    log_access(actor=mei, action="reveal", obj=party, fields=["resident_id"])
    request = verified_request(party, dpo, kind="erasure")

    # when the DPO erases him
    services.erase_for_request(request, actor=dpo)

    # then the record is anonymised
    party.refresh_from_db()
    assert party.name == f"Erased customer #{party.pk}"
    assert party.golden == {} and party.notes == "" and party.pinyin == ""
    assert party.erased_at is not None and party.processing_restricted
    assert not Observation.objects.filter(party=party).exists()
    assert not GoldenValue.objects.filter(party=party).exists()
    assert not SearchKey.objects.filter(party=party).exists()
    # and search finds nothing by the old name or phone
    assert not party_selectors.search_parties(dpo, "张三").exists()
    assert not party_selectors.search_parties(dpo, MOBILE).exists()
    assert not party_selectors.search_parties(dpo, "8000").exists()
    # and the tie stays without what it said about the person
    tie = Relationship.objects.get(from_party=party)
    assert (tie.title, tie.note) == ("", "")
    # and the change log keeps its rows but no longer names him, except the tombstone
    everything = json.dumps(
        list(ChangeLog.objects.values("object_repr", "message", "changes")), ensure_ascii=False
    )
    assert "张三" not in everything and "喜欢龙井" not in everything
    assert "采购经理" not in json.dumps(list(party_log(party).values("changes")))
    tombstone = party_log(party).filter(action="delete").get()
    assert tombstone.message == f"erased under request #{request.pk}"
    assert tombstone.actor == dpo
    assert party_log(company).exists()
    # and the access log keeps who read him, without his name, plus the erasure
    assert not AccessLog.objects.filter(object_repr__contains="张三").exists()
    assert AccessLog.objects.filter(action="reveal", object_id=str(party.pk)).exists()
    erasure = AccessLog.objects.get(action="erasure")
    assert erasure.object_id == str(party.pk) and "mobile" in erasure.fields
    # and the request is fulfilled
    request.refresh_from_db()
    assert request.status == "fulfilled"


def test_an_erased_persons_contact_points_are_suppressed_as_digests(dpo: User) -> None:
    party = zhang(dpo, attributes={"phone": "010-6552 9988"})
    request = verified_request(party, dpo, kind="erasure")

    services.erase_for_request(request, actor=dpo)

    entries = list(SuppressionEntry.objects.all())
    assert sorted(entry.kind for entry in entries) == ["email", "id", "phone", "phone"]
    for entry in entries:
        assert entry.digest.startswith("bi:") and entry.request == request
    stored = json.dumps(list(SuppressionEntry.objects.values()), default=str).lower()
    for plain in ("13800138000", "zhang.san", "65529988", "11010519491231002x"):
        assert plain not in stored
    # the same numbers in other formats are recognised
    assert suppression.is_suppressed({"mobile": "+86 138 0013 8000"}) == ["mobile"]
    assert suppression.is_suppressed({"phone": "13800138000", "fax": "13900000000"}) == ["phone"]
    assert suppression.is_suppressed({"email": "ZHANG.SAN@example.COM"}) == ["email"]
    assert suppression.is_suppressed({"resident_id": "110105 19491231 002x"}) == ["resident_id"]
    assert suppression.is_suppressed({"mobile": "13900139000", "notes": "13800138000"}) == []
    assert suppression.suppressed_kinds("0086 138-0013-8000") == ["phone"]
    assert suppression.suppressed_kinds("13900139000") == []


def test_retention_erasure_does_not_suppress(dpo: User) -> None:
    party = zhang(dpo)
    services.erase(party, actor=None, reason="retention", suppress=False, channel="job")
    assert not SuppressionEntry.objects.exists()
    assert party_log(party).filter(action="delete", message="erased: retention").exists()


def test_erasure_waits_when_a_provider_holds_the_records(
    dpo: User, temporary_provider: Callable[..., Any]
) -> None:
    party = zhang(dpo)
    temporary_provider("tickets", hold=lambda p: "1 complaint still open")
    request = verified_request(party, dpo, kind="erasure")

    with pytest.raises(services.ErasureBlocked) as blocked:
        services.erase_for_request(request, actor=dpo)

    assert blocked.value.reasons == ["tickets: 1 complaint still open"]
    party.refresh_from_db()
    assert party.erased_at is None and party.name == "张三"
    assert party.processing_restricted  # restricted instead
    assert Observation.objects.filter(party=party).exists()
    assert not SuppressionEntry.objects.exists()
    request.refresh_from_db()
    assert request.is_open and "1 complaint still open" in request.notes
    assert AccessLog.objects.filter(action="restriction", object_id=str(party.pk)).exists()


def test_records_kept_by_law_are_de_personalised_not_deleted(
    dpo: User, temporary_provider: Callable[..., Any]
) -> None:
    party = zhang(dpo)
    calls: list[tuple[int, Any]] = []

    def depersonalise(p: Party, actor: Any) -> dict[str, Any]:
        calls.append((p.pk, actor))
        return {"orders": 3}

    temporary_provider(
        "orders", erase=depersonalise, kept="Tax law: kept 10 years", count=lambda p: 3
    )
    plan = services.erasure_plan(party)
    orders = next(section for section in plan.sections if section.name == "orders")
    assert (orders.count, orders.kept, orders.reason) == (3, True, "Tax law: kept 10 years")
    observations = next(section for section in plan.sections if section.name == "observations")
    assert not observations.kept and observations.count == 4  # name, mobile, e-mail, ID
    assert plan.contacts == {"phone": 1, "email": 1, "id": 1}

    summary = services.erase(party, actor=dpo, reason="test")

    assert calls == [(party.pk, dpo)]
    assert summary["orders"] == {"orders": 3}
    assert summary["observations"] == {"observations": 4}


def test_a_customer_is_erased_only_once(dpo: User) -> None:
    party = zhang(dpo)
    services.erase(party, actor=dpo, reason="asked")
    with pytest.raises(ValidationError):
        services.erase(party, actor=dpo, reason="asked again")


def test_erasure_deletes_earlier_exports_of_the_person(
    dpo: User, django_capture_on_commit_callbacks: Any
) -> None:
    party = zhang(dpo)
    access = verified_request(party, dpo)
    services.fulfil_access(access, actor=dpo)
    access.refresh_from_db()
    path = exporting.stored_path(access.result_file)
    assert path is not None and path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.erase(party, actor=dpo, reason="asked")

    access.refresh_from_db()
    assert access.result_file == ""
    assert not path.exists()


def test_suppression_is_released_with_a_reason_when_the_person_comes_back(dpo: User) -> None:
    party = zhang(dpo)
    services.erase(party, actor=dpo, reason="asked")
    entries = list(suppression.entries_for("+86 13800138000"))
    assert len(entries) == 1

    with pytest.raises(ValidationError):
        suppression.release_suppression(entries, actor=dpo, reason="")
    assert suppression.release_suppression(entries, actor=dpo, reason="Customer again") == 1

    assert suppression.is_suppressed({"mobile": MOBILE}) == []
    entry = SuppressionEntry.objects.get(kind="phone")
    assert entry.released_by == dpo and entry.release_reason == "Customer again"
    assert ChangeLog.objects.filter(
        object_id=str(entry.pk), message="released from the suppression list"
    ).exists()
    # erased again later: the number goes back on the list
    again = person("张三", attributes={"mobile": MOBILE})
    services.erase(again, actor=dpo, reason="asked again")
    assert suppression.is_suppressed({"mobile": MOBILE}) == ["mobile"]


def test_a_correction_is_recorded_as_a_manual_observation(dpo: User) -> None:
    party = zhang(dpo)
    request = verified_request(party, dpo, kind="correction")

    services.correct(request, {"email": "zs@example.com"}, actor=dpo)

    party.refresh_from_db()
    assert party.golden["email"] == "zs@example.com"
    latest = Observation.objects.filter(party=party, attribute__code="email").first()
    assert latest is not None and latest.note == f"correction under request #{request.pk}"
    with pytest.raises(ValidationError):
        services.correct(request, {"email": "not an address"}, actor=dpo)
    services.fulfil(request, actor=dpo, note="E-mail corrected")
    request.refresh_from_db()
    assert request.status == "fulfilled"


def test_a_restriction_request_restricts_and_is_fulfilled(dpo: User) -> None:
    party = zhang(dpo)
    request = verified_request(party, dpo, kind="restriction")

    services.restrict_for_request(request, actor=dpo)

    party.refresh_from_db()
    request.refresh_from_db()
    assert party.processing_restricted
    assert request.status == "fulfilled"
    assert AccessLog.objects.filter(action="restriction", reason=f"request #{request.pk}").exists()
    services.lift_restriction(party, actor=dpo, reason="Dispute settled")
    party.refresh_from_db()
    assert not party.processing_restricted


def test_erasure_of_a_person_keeps_other_peoples_history(dpo: User) -> None:
    # given two customers with the same name, one erased
    erased = person("王芳", attributes={"mobile": "13700137000"})
    other = person("王芳", attributes={"mobile": "13600136000"})
    services.erase(erased, actor=dpo, reason="asked")
    other.refresh_from_db()
    assert other.name == "王芳"
    assert party_selectors.search_parties(dpo, "王芳").get() == other
    assert party_log(other).get(action="create").object_repr == "王芳"


def test_a_request_is_received_neither_in_the_future_nor_ages_ago(dpo: User) -> None:
    for when in (timezone.now() + datetime.timedelta(days=1), timezone.now().replace(year=2000)):
        with pytest.raises(ValidationError) as refused:
            services.open_request(actor=dpo, kind="access", requester_name="张三", received_at=when)
        assert "received_at" in refused.value.message_dict
    assert not SubjectRequest.objects.exists()
