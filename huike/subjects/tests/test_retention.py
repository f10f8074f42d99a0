"""Retention rules anonymise or purge inactive customers; the access log expires."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from huike.accounts.models import User
from huike.core.models import AccessLog, ChangeLog
from huike.core.services import log_access
from huike.parties.models import Party
from huike.parties.tests.factories import person
from huike.subjects import exporting, registry, retention, services, tasks
from huike.subjects.models import RetentionRule, SubjectRequest, SuppressionEntry
from huike.subjects.tests.helpers import verified_request, zhang

pytestmark = pytest.mark.django_db

YEAR_AGO = timezone.now() - datetime.timedelta(days=400)


def age(party: Party, when: datetime.datetime = YEAR_AGO) -> Party:
    """Make ``party`` look untouched since ``when``."""
    Party.objects.filter(pk=party.pk).update(created_at=when, updated_at=when)
    party.refresh_from_db()
    return party


@pytest.fixture
def prospects_rule(dpo: User) -> RetentionRule:
    return retention.save_rule(
        RetentionRule(),
        actor=dpo,
        name="Prospects without contact",
        purpose="",
        stages=["prospect"],
        inactivity_days=365,
        action="anonymise",
        is_active=True,
    )


def test_inactive_prospects_without_consent_are_anonymised(prospects_rule: RetentionRule) -> None:
    # given an old prospect, a recent one, an old customer, a restricted and a requested one
    old = age(person("旧客", attributes={"mobile": "13700137000"}))
    recent = person("新客")
    customer = age(person("老主顾", stage="customer"))
    restricted = age(person("受限"))
    Party.objects.filter(pk=restricted.pk).update(processing_restricted=True)
    asked = age(person("提问"))
    services.open_request(actor=None, kind="access", requester_name="提问", party=asked)
    age(asked)

    # when the nightly job runs
    assert tasks.apply_retention_rules.call_local() == 1

    # then only the old prospect is anonymised, without going on the suppression list
    old.refresh_from_db()
    assert old.erased_at is not None and old.name == f"Erased customer #{old.pk}"
    assert not old.observations.exists()
    assert not SuppressionEntry.objects.exists()
    for untouched in (recent, customer, restricted, asked):
        untouched.refresh_from_db()
        assert untouched.erased_at is None
    tombstone = ChangeLog.objects.get(
        content_type=ContentType.objects.get_for_model(Party),
        object_id=str(old.pk),
        action="delete",
    )
    assert tombstone.actor is None and "Prospects without contact" in tombstone.message
    prospects_rule.refresh_from_db()
    assert prospects_rule.last_run_count == 1 and prospects_rule.last_run_at is not None


def test_activity_and_consent_reported_by_other_apps_keep_a_customer(
    prospects_rule: RetentionRule, temporary_provider: Callable[..., Any]
) -> None:
    visited = age(person("拜访过"))
    consenting = age(person("同意了"))
    forgotten = age(person("没联系"))
    temporary_provider("interactions", active=lambda since: [visited.pk])
    temporary_provider(
        "consents_test",
        consenting=lambda purpose: Party.objects.filter(pk=consenting.pk).values("pk"),
    )

    [result] = retention.apply_retention()

    assert result.party_ids == [forgotten.pk]
    assert (result.matched, result.anonymised, result.purged) == (1, 1, 0)


def test_a_hold_keeps_a_customer_from_retention(
    prospects_rule: RetentionRule, temporary_provider: Callable[..., Any]
) -> None:
    party = age(person("有投诉"))
    temporary_provider("tickets", hold=lambda p: "open complaint")

    [result] = retention.apply_retention()

    assert (result.matched, result.held, result.anonymised) == (1, 1, 0)
    party.refresh_from_db()
    assert party.erased_at is None


def test_a_dry_run_changes_nothing(prospects_rule: RetentionRule) -> None:
    party = age(person("旧客"))
    [result] = retention.apply_retention(dry_run=True)
    assert result.party_ids == [party.pk]
    party.refresh_from_db()
    assert party.erased_at is None and party.name == "旧客"


def test_a_purge_rule_deletes_the_row_and_keeps_the_tombstone(dpo: User) -> None:
    retention.save_rule(
        RetentionRule(),
        actor=dpo,
        name="Purge",
        stages=[],
        inactivity_days=730,
        action="purge",
        is_active=True,
        purpose="",
    )
    party = age(person("很久以前"), timezone.now() - datetime.timedelta(days=800))
    pk = party.pk

    [result] = retention.apply_retention()

    assert result.purged == 1
    assert not Party.objects.filter(pk=pk).exists()
    rows = ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Party), object_id=str(pk)
    )
    assert rows.filter(message__startswith="purged: retention rule").exists()
    assert "很久以前" not in str(list(rows.values("object_repr", "message", "changes")))


def test_policies_from_other_apps_are_applied(dpo: User) -> None:
    party = age(person("旧客"))

    def policies() -> list[registry.RetentionPolicy]:
        return [registry.RetentionPolicy(name="Marketing", inactivity_days=180)]

    registry.register_retention_policies(policies)
    try:
        [result] = retention.apply_retention()
    finally:
        registry.unregister_retention_policies(policies)
    assert result.policy == "Marketing" and result.party_ids == [party.pk]


def old_log_entry(days: int) -> AccessLog:
    entry = log_access(actor=None, action="read", reason=f"{days} days ago")
    models.QuerySet.update(
        AccessLog.objects.filter(pk=entry.pk),
        timestamp=timezone.now() - datetime.timedelta(days=days),
    )
    return entry


def test_the_access_log_is_purged_after_its_retention_period(settings: Any) -> None:
    settings.ACCESS_LOG_RETENTION_DAYS = 365
    kept, expired = old_log_entry(300), old_log_entry(400)

    assert tasks.purge_expired_access_log.call_local() == 1

    assert list(AccessLog.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not AccessLog.objects.filter(pk=expired.pk).exists()


def test_the_access_log_is_kept_at_least_180_days(settings: Any) -> None:
    settings.ACCESS_LOG_RETENTION_DAYS = 30
    kept, expired = old_log_entry(100), old_log_entry(200)

    assert retention.purge_access_log() == 1

    assert AccessLog.objects.filter(pk=kept.pk).exists()
    assert not AccessLog.objects.filter(pk=expired.pk).exists()


def test_old_exports_are_deleted(dpo: User) -> None:
    party = zhang(dpo)
    request = verified_request(party, dpo)
    services.fulfil_access(request, actor=dpo)
    request.refresh_from_db()
    path = exporting.stored_path(request.result_file)
    assert path is not None

    assert retention.purge_exports() == 0
    SubjectRequest.objects.filter(pk=request.pk).update(
        result_created_at=timezone.now() - datetime.timedelta(days=31)
    )
    assert tasks.purge_old_subject_exports.call_local() == 1

    assert not path.exists()
    request.refresh_from_db()
    assert request.result_file == ""


def test_closed_requests_lose_the_requesters_details_after_three_years(dpo: User) -> None:
    old = services.open_request(
        actor=dpo, kind="access", requester_name="张三", requester_contact="13800138000"
    )
    services.refuse(old, actor=dpo, reason="Not a customer")
    recent = services.open_request(actor=dpo, kind="access", requester_name="李四")
    services.refuse(recent, actor=dpo, reason="Not a customer")
    SubjectRequest.objects.filter(pk=old.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=3 * 365 + 1)
    )

    assert retention.minimise_closed_requests() == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.requester_name, old.requester_contact) == ("—", "")
    assert old.status == "refused" and old.refusal_reason == "Not a customer"
    assert recent.requester_name == "李四"
