"""The consent ledger, its current state, the gate ``consenting()`` and the registry services."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from huike.accounts.models import User
from huike.core.models import AppendOnlyError, ChangeLog
from huike.parties.models import AttributeDefinition, Party
from huike.parties.tests.factories import custom_definition, person
from huike.privacy import selectors, services
from huike.privacy.models import ConsentNotice, ConsentRecord, PartyConsent
from huike.privacy.tests.factories import PurposeFactory, grant, notice, purpose, withdraw

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


def everyone() -> list[Party]:
    return list(Party.objects.all())


def consenting_names(code: str) -> set[str]:
    return {p.name for p in selectors.consenting(Party.objects.all(), code)}


# --- The ledger ----------------------------------------------------------------------------------


def test_a_grant_writes_a_ledger_row_with_the_notice_text_shown(make_user: MakeUser) -> None:
    mei = make_user("salesperson", username="mei")
    zhang = person("张三", owner=mei)

    with translation.override("zh-hans"):
        record = services.grant(
            zhang,
            purpose("marketing"),
            actor=mei,
            notice=notice("marketing"),
            channel="in_store",
            evidence="门店登记表 0042",
        )

    record.refresh_from_db()
    assert record.status == "granted"
    assert record.notice_version == 1
    assert record.notice_language == "zh-hans"
    assert record.notice_text == notice("marketing").text_zh
    assert record.channel == "in_store"
    assert record.evidence == "门店登记表 0042"
    assert record.collected_by == mei
    assert record.collected_by_name == "mei"
    current = PartyConsent.objects.get(party=zhang, purpose__code="marketing")
    assert current.granted is True
    assert current.record == record


def test_the_notice_text_is_copied_in_the_language_asked_for(make_user: MakeUser) -> None:
    zhang = person("张三")

    record = services.grant(
        zhang,
        purpose("marketing"),
        actor=None,
        notice=notice("marketing"),
        channel="api",
        language="en",
    )

    assert record.notice_language == "en"
    assert record.notice_text == notice("marketing").text_en
    assert record.collected_by is None
    assert record.collected_by_name == "system"


def test_grant_and_withdrawal_write_the_change_log_of_the_customer(make_user: MakeUser) -> None:
    mei = make_user("salesperson", username="mei")
    zhang = person("张三", owner=mei)

    grant(zhang, "marketing", actor=mei)
    withdraw(zhang, "marketing", actor=mei)

    entries = ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Party),
        object_id=str(zhang.pk),
        message__startswith="consent",
    ).order_by("id")
    assert [e.changes for e in entries] == [
        {"consent.marketing": [None, "granted"]},
        {"consent.marketing": ["granted", "withdrawn"]},
    ]
    assert all(e.actor == mei for e in entries)


def test_the_latest_row_is_the_current_state() -> None:
    zhang = person("张三")

    grant(zhang, "marketing", days_ago=3)
    withdraw(zhang, "marketing", days_ago=2)
    assert PartyConsent.objects.get(party=zhang).granted is False

    grant(zhang, "marketing", days_ago=1)
    assert PartyConsent.objects.get(party=zhang).granted is True
    assert ConsentRecord.objects.filter(party=zhang).count() == 3


def test_a_grant_entered_late_does_not_undo_a_later_withdrawal() -> None:
    # Given a withdrawal by phone yesterday
    zhang = person("张三")
    withdraw(zhang, "marketing", days_ago=1)

    # When a paper form signed last week is typed in today
    grant(zhang, "marketing", days_ago=7)

    # Then the withdrawal still stands: it happened later
    current = PartyConsent.objects.get(party=zhang)
    assert current.granted is False
    assert consenting_names("marketing") == set()


def test_a_withdrawal_without_an_earlier_grant_records_an_objection() -> None:
    zhang = person("张三")

    withdraw(zhang, "marketing")

    assert selectors.withdrawn(Party.objects.all(), "marketing").get() == zhang
    assert consenting_names("marketing") == set()


def test_the_ledger_is_append_only() -> None:
    zhang = person("张三")
    record = grant(zhang, "marketing")

    record.evidence = "changed afterwards"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(pk=record.pk).update(status="withdrawn")
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.all().delete()
    record.refresh_from_db()
    assert record.evidence == "signed form 42"


def test_consent_cannot_be_recorded_for_the_future() -> None:
    zhang = person("张三")

    with pytest.raises(ValidationError) as refused:
        services.grant(
            zhang,
            purpose("marketing"),
            actor=None,
            channel="api",
            occurred_at=timezone.now() + datetime.timedelta(days=1),
        )

    assert "occurred_at" in refused.value.message_dict
    assert not ConsentRecord.objects.exists()


def test_an_unknown_channel_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        services.grant(person("张三"), purpose("marketing"), actor=None, channel="pigeon")

    assert "channel" in refused.value.message_dict


# --- Separate consent ----------------------------------------------------------------------------


def test_consent_to_marketing_never_implies_consent_to_sensitive_data_or_sharing() -> None:
    zhang = person("张三")

    grant(zhang, "marketing")
    grant(zhang, "profiling")

    assert consenting_names("marketing") == {"张三"}
    assert consenting_names("sensitive_data") == set()
    assert consenting_names("sharing") == set()
    assert not PartyConsent.objects.filter(party=zhang, purpose__code="sensitive_data").exists()


def test_separate_consent_needs_its_notice_and_evidence() -> None:
    zhang = person("张三")

    with pytest.raises(ValidationError) as refused:
        services.grant(zhang, purpose("sensitive_data"), actor=None, channel="paper")

    assert set(refused.value.message_dict) == {"notice", "evidence"}
    assert not ConsentRecord.objects.exists()

    grant(zhang, "sensitive_data", evidence="signed consent form, file 2026/17")
    assert consenting_names("sensitive_data") == {"张三"}


def test_a_notice_of_another_purpose_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        services.grant(
            person("张三"),
            purpose("sensitive_data"),
            actor=None,
            notice=notice("marketing"),
            channel="paper",
            evidence="form",
        )

    assert refused.value.message_dict["notice"] == ["This notice belongs to another purpose."]


def test_a_notice_published_after_the_consent_is_refused() -> None:
    later = services.save_notice(
        ConsentNotice(purpose=purpose("marketing")),
        actor=None,
        text_en="New wording",
        published_at=timezone.now(),
    )

    with pytest.raises(ValidationError) as refused:
        services.grant(
            person("张三"),
            purpose("marketing"),
            actor=None,
            notice=later,
            channel="web_form",
            occurred_at=timezone.now() - datetime.timedelta(days=30),
        )

    assert "notice" in refused.value.message_dict


def test_a_purpose_not_based_on_consent_takes_no_grant() -> None:
    with pytest.raises(ValidationError) as refused:
        services.grant(person("张三"), purpose("service"), actor=None, channel="manual")

    assert "purpose" in refused.value.message_dict


# --- The gate -----------------------------------------------------------------------------------


def test_consenting_keeps_only_customers_with_a_current_grant() -> None:
    zhang, li, wang = person("张三"), person("李四"), person("王五")
    grant(zhang, "marketing")
    grant(li, "marketing")
    withdraw(li, "marketing")
    grant(wang, "profiling")

    assert consenting_names("marketing") == {"张三"}
    assert {p.name for p in selectors.withdrawn(Party.objects.all(), "marketing")} == {"李四"}


def test_consenting_leaves_out_restricted_and_erased_customers() -> None:
    zhang, li, wang = person("张三"), person("李四"), person("王五")
    for party in (zhang, li, wang):
        grant(party, "marketing")

    Party.objects.filter(pk=li.pk).update(processing_restricted=True)
    Party.objects.filter(pk=wang.pk).update(erased_at=timezone.now())

    assert consenting_names("marketing") == {"张三"}
    assert selectors.has_consent(zhang, "marketing")
    assert not selectors.has_consent(li, "marketing")


def test_consenting_to_an_unknown_or_retired_purpose_keeps_nobody() -> None:
    zhang = person("张三")
    grant(zhang, "marketing")

    assert consenting_names("no-such-purpose") == set()
    marketing = purpose("marketing")
    services.save_purpose(marketing, actor=None, is_active=False)
    assert consenting_names("marketing") == set()


def test_consenting_narrows_the_queryset_it_is_given(make_user: MakeUser) -> None:
    mei = make_user("salesperson")
    mine, theirs = person("张三", owner=mei), person("李四")
    grant(mine, "marketing")
    grant(theirs, "marketing")

    visible = selectors.consenting(Party.objects.visible_to(mei), "marketing")

    assert list(visible) == [mine]


def test_a_retired_purpose_can_still_be_withdrawn_but_not_granted() -> None:
    zhang = person("张三")
    grant(zhang, "marketing")
    services.save_purpose(purpose("marketing"), actor=None, is_active=False)

    with pytest.raises(ValidationError):
        grant(zhang, "marketing")
    withdraw(zhang, "marketing")

    assert PartyConsent.objects.get(party=zhang).granted is False


# --- Registry -----------------------------------------------------------------------------------


def test_a_new_notice_gets_the_next_version() -> None:
    marketing = purpose("marketing")

    second = services.save_notice(
        ConsentNotice(purpose=marketing), actor=None, text_zh="新的文字", text_en=""
    )

    assert second.version == 2
    assert notice("marketing") == second


def test_a_notice_that_was_used_cannot_change() -> None:
    grant(person("张三"), "marketing")
    used = notice("marketing")

    with pytest.raises(ValidationError):
        services.save_notice(used, actor=None, text_en="Rewritten after the fact")

    used.refresh_from_db()
    assert "Rewritten" not in used.text_en


def test_an_unused_notice_can_be_corrected() -> None:
    marketing = purpose("marketing")
    draft = services.save_notice(ConsentNotice(purpose=marketing), actor=None, text_en="Tpyo")

    services.save_notice(draft, actor=None, text_en="Typo fixed")

    draft.refresh_from_db()
    assert (draft.version, draft.text_en) == (2, "Typo fixed")


def test_a_notice_needs_some_text() -> None:
    with pytest.raises(ValidationError):
        services.save_notice(
            ConsentNotice(purpose=purpose("marketing")), actor=None, text_zh=" ", text_en=""
        )


def test_the_code_of_a_purpose_cannot_change() -> None:
    with pytest.raises(ValidationError) as refused:
        services.save_purpose(purpose("marketing"), actor=None, code="ads")

    assert "code" in refused.value.message_dict


def test_a_consent_purpose_collecting_sensitive_fields_needs_separate_consent() -> None:
    health = AttributeDefinition.objects.get(code="health")
    ordinary = PurposeFactory.create(requires_separate_consent=False)

    with pytest.raises(ValidationError) as refused:
        services.save_purpose(ordinary, actor=None, attributes=[health])

    assert "requires_separate_consent" in refused.value.message_dict
    services.save_purpose(ordinary, actor=None, attributes=[health], requires_separate_consent=True)
    assert list(ordinary.attributes.all()) == [health]


def test_saving_a_purpose_logs_the_change_including_its_fields() -> None:
    marketing = purpose("marketing")
    hobby = custom_definition("fishing_spot", "text")

    services.save_purpose(
        marketing,
        actor=None,
        attributes=[*marketing.attributes.all(), hobby],
        retention_days=60,
    )

    entry = ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(marketing), object_id=str(marketing.pk)
    ).latest("id")
    assert entry.changes["retention_days"] == [30, 60]
    assert "fishing_spot" in entry.changes["attributes"][1]


def test_an_impact_assessment_covers_sensitive_fields_only(make_user: MakeUser) -> None:
    from huike.privacy.models import ImpactAssessment

    dpo = make_user("data_protection_officer")
    mobile = AttributeDefinition.objects.get(code="mobile")
    health = AttributeDefinition.objects.get(code="health")

    with pytest.raises(ValidationError) as refused:
        services.save_assessment(
            ImpactAssessment(), actor=dpo, title="Health data", attributes=[mobile, health]
        )
    assert "attributes" in refused.value.message_dict

    assessment = services.save_assessment(
        ImpactAssessment(),
        actor=dpo,
        title="Health data",
        attributes=[health],
        purposes=[purpose("sensitive_data")],
        assessor=dpo,
    )
    assert list(assessment.attributes.all()) == [health]
    assert list(ImpactAssessment.objects.filter(attributes=health)) == [assessment]


def test_a_review_cannot_be_due_before_the_assessment() -> None:
    from huike.privacy.models import ImpactAssessment

    with pytest.raises(ValidationError) as refused:
        services.save_assessment(
            ImpactAssessment(),
            actor=None,
            title="Late",
            assessed_at=datetime.date(2026, 3, 1),
            review_due=datetime.date(2026, 2, 1),
        )

    assert "review_due" in refused.value.message_dict


def test_the_shipped_purposes_and_notices() -> None:
    codes = {p.code: p for p in selectors.consent_purposes()}

    assert set(codes) == {"marketing", "profiling", "sharing", "sensitive_data"}
    assert codes["sensitive_data"].requires_separate_consent
    assert codes["sharing"].requires_separate_consent
    assert not codes["marketing"].requires_separate_consent
    assert purpose("service").legal_basis == "contract"
    assert all(notice(code).version == 1 for code in codes)
    sensitive = set(
        AttributeDefinition.objects.filter(sensitivity="sensitive").values_list("code", flat=True)
    )
    assert set(purpose("sensitive_data").attributes.values_list("code", flat=True)) == sensitive
    assert not purpose("marketing").attributes.filter(sensitivity="sensitive").exists()


def test_deleting_a_customer_takes_its_consents_along() -> None:
    from huike.parties import services as party_services

    zhang, li = person("张三"), person("李四")
    grant(zhang, "marketing")
    withdraw(zhang, "marketing")
    grant(li, "marketing")

    party_services.delete_party(zhang, actor=None)

    assert list(ConsentRecord.objects.values_list("party__name", flat=True)) == ["李四"]
    assert PartyConsent.objects.get().party == li
