"""Retention: personal information is kept only as long as a purpose needs it.

Policies come from this app's ``RetentionRule`` rows (edited by the DPO) and from other apps
through ``registry.register_retention_policies``. For each policy, customers that are inactive
for its period — no change to the record, no activity any provider reports (interactions,
orders, consents) — and without a live consent for its purpose are anonymised (the same erasure
a person can ask for, without the suppression list: they may come back) or purged (the row
deleted too, when nothing else needs it). Customers that are restricted, already erased, on hold
or with an open data-subject request are never touched.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.db.models.deletion import RestrictedError
from django.utils import timezone

from huike.core.models import AccessLog
from huike.core.services import diff, record_change, snapshot
from huike.parties.models import Party
from huike.subjects import exporting, registry, services
from huike.subjects.models import RetentionRule, SubjectRequest

ACCESS_LOG_MINIMUM_DAYS = 180
REMOVED = "—"  # what a minimised request's requester is called


@dataclass
class RetentionResult:
    policy: str
    matched: int = 0
    anonymised: int = 0
    purged: int = 0
    held: int = 0
    party_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "matched": self.matched,
            "anonymised": self.anonymised,
            "purged": self.purged,
            "held": self.held,
        }


RULE_FIELDS = ("name", "purpose", "stages", "inactivity_days", "action", "is_active")


@transaction.atomic
def save_rule(rule: RetentionRule, *, actor: Any, **values: Any) -> RetentionRule:
    """Add or change a retention rule (the change log keeps every version)."""
    creating = rule.pk is None
    before = {} if creating else snapshot(rule, RULE_FIELDS)
    for key, value in values.items():
        if key not in RULE_FIELDS:
            raise ValueError(f"unknown field: {key}")
        setattr(rule, key, value)
    rule.full_clean()
    rule.save()
    record_change(
        rule,
        actor=actor,
        action="create" if creating else "update",
        changes=diff(before, snapshot(rule, RULE_FIELDS)),
    )
    return rule


def as_policy(rule: RetentionRule) -> registry.RetentionPolicy:
    return registry.RetentionPolicy(
        name=rule.name,
        inactivity_days=rule.inactivity_days,
        action=rule.action,
        purpose=rule.purpose,
        stages=tuple(rule.stages or ()),
        rule_id=rule.pk,
    )


def policies() -> list[registry.RetentionPolicy]:
    rules = [as_policy(rule) for rule in RetentionRule.objects.filter(is_active=True)]
    return rules + registry.retention_policies()


def candidates(
    policy: registry.RetentionPolicy, *, now: datetime.datetime | None = None
) -> QuerySet[Party]:
    """The customers ``policy`` applies to at ``now`` (before holds are asked)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=policy.inactivity_days)
    parties = Party.objects.filter(
        erased_at__isnull=True,
        processing_restricted=False,
        updated_at__lt=cutoff,
        created_at__lt=cutoff,
    )
    if policy.stages:
        parties = parties.filter(stage__in=list(policy.stages))
    open_requests = SubjectRequest.objects.open().filter(party__isnull=False)
    parties = parties.exclude(pk__in=open_requests.values("party_id"))
    for provider in registry.providers():
        if provider.active is not None:
            parties = parties.exclude(pk__in=_ids(provider.active(cutoff)))
        if provider.consenting is not None:
            parties = parties.exclude(pk__in=_ids(provider.consenting(policy.purpose)))
    return parties.order_by("pk")


def _ids(found: Any) -> Any:
    """A provider's answer as ``pk__in`` takes it: a queryset as it is (a subquery), anything
    else as a list (a generator could be read only once)."""
    return found if isinstance(found, QuerySet) else list(found)


def purge(party: Party, *, actor: Any, reason: str) -> bool:
    """Erase ``party`` and delete its row; True if the row went (False: anonymised only,
    because records that must be kept still point at it)."""
    services.erase(party, actor=actor, reason=reason, suppress=False, channel="job")
    try:
        with transaction.atomic():
            party.refresh_from_db()
            record_change(party, actor=actor, action="delete", message="purged: " + reason[:190])
            party.delete()
    except (ProtectedError, RestrictedError):
        return False
    return True


def apply_policy(
    policy: registry.RetentionPolicy,
    *,
    now: datetime.datetime | None = None,
    dry_run: bool = False,
    actor: Any = None,
) -> RetentionResult:
    """Anonymise or purge every customer ``policy`` applies to (or, with ``dry_run``, count
    them)."""
    result = RetentionResult(policy=policy.name)
    reason = f"retention rule “{policy.name}” ({policy.inactivity_days} days)"
    for party in candidates(policy, now=now).iterator(chunk_size=500):
        result.matched += 1
        if services.holds(party):
            result.held += 1
            continue
        result.party_ids.append(party.pk)
        if dry_run:
            continue
        try:
            if policy.action == RetentionRule.Action.PURGE:
                if purge(party, actor=actor, reason=reason):
                    result.purged += 1
                else:
                    result.anonymised += 1
            else:
                services.erase(party, actor=actor, reason=reason, suppress=False, channel="job")
                result.anonymised += 1
        except ValidationError:  # erased or held in between: the next run looks again
            result.held += 1
    if policy.rule_id is not None and not dry_run:
        RetentionRule.objects.filter(pk=policy.rule_id).update(
            last_run_at=now or timezone.now(),
            last_run_count=result.anonymised + result.purged,
        )
    return result


def apply_retention(
    *, now: datetime.datetime | None = None, dry_run: bool = False, actor: Any = None
) -> list[RetentionResult]:
    """Apply every active policy, in turn."""
    return [apply_policy(policy, now=now, dry_run=dry_run, actor=actor) for policy in policies()]


def access_log_retention_days() -> int:
    """``ACCESS_LOG_RETENTION_DAYS`` (365 by default), never less than 180."""
    days = int(getattr(settings, "ACCESS_LOG_RETENTION_DAYS", 365))
    return max(days, ACCESS_LOG_MINIMUM_DAYS)


def purge_access_log(*, now: datetime.datetime | None = None) -> int:
    """Delete access-log rows older than the retention period; returns how many."""
    before = (now or timezone.now()) - datetime.timedelta(days=access_log_retention_days())
    return AccessLog.objects.purge_expired(before)


def minimise_closed_requests(*, now: datetime.datetime | None = None) -> int:
    """Closed requests older than ``DSR_REQUEST_KEEP_DAYS`` (3 years) keep what proves they
    were handled (kind, dates, status, who handled them) but lose what identifies the person:
    the requester's name and contact, the request text and the identity evidence."""
    days = int(getattr(settings, "DSR_REQUEST_KEEP_DAYS", 3 * 365))
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    old = SubjectRequest.objects.filter(closed_at__lt=cutoff).exclude(requester_name=REMOVED)
    return old.update(
        requester_name=REMOVED, requester_contact="", description="", identity_evidence=""
    )


def purge_exports(*, now: datetime.datetime | None = None) -> int:
    """Delete request results (access exports) made more than ``DSR_EXPORT_KEEP_DAYS`` (30)
    days ago: the person had time to download them, and copies should not linger."""
    days = int(getattr(settings, "DSR_EXPORT_KEEP_DAYS", 30))
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    old = SubjectRequest.objects.exclude(result_file="").filter(result_created_at__lt=cutoff)
    removed = 0
    for request in old:
        exporting.remove(request.result_file)
        SubjectRequest.objects.filter(pk=request.pk).update(result_file="")
        removed += 1
    return removed
