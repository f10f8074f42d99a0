"""Every write of the privacy app: consent grants and withdrawals, purposes, notices, impact
assessments. Each runs in one transaction and writes its own change-log row."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huike.core.services import diff, record_change, record_changes, snapshot
from huike.parties.models import AttributeDefinition, Party
from huike.privacy.models import (
    Channel,
    ConsentNotice,
    ConsentRecord,
    ConsentStatus,
    ImpactAssessment,
    PartyConsent,
    Purpose,
)

PURPOSE_FIELDS = (
    "code",
    "name_zh",
    "name_en",
    "description_zh",
    "description_en",
    "legal_basis",
    "requires_separate_consent",
    "retention_days",
    "recipients",
    "order",
    "is_active",
)
NOTICE_FIELDS = ("text_zh", "text_en", "published_at")
ASSESSMENT_FIELDS = (
    "title",
    "risk_level",
    "measures",
    "conclusion",
    "assessed_at",
    "review_due",
    "assessor",
    "document_reference",
)
# A consent "given" a little ahead of the server's clock is a clock difference, not the future.
CLOCK_SKEW = datetime.timedelta(minutes=5)
SENSITIVE = AttributeDefinition.Sensitivity.SENSITIVE


def _language(language: str | None) -> str:
    return (language or translation.get_language() or settings.LANGUAGE_CODE).lower()


def _check_time(occurred_at: datetime.datetime) -> None:
    if timezone.is_naive(occurred_at):
        raise ValidationError({"occurred_at": [_("Give the time with its time zone.")]})
    if occurred_at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"occurred_at": [_("Consent cannot be recorded for the future.")]})


def _refresh_current(party: Party, purpose: Purpose) -> PartyConsent:
    """Rewrite the current state of (party, purpose) from the ledger's latest row."""
    latest = (
        ConsentRecord.objects.filter(party=party, purpose=purpose)
        .order_by("-occurred_at", "-id")
        .first()
    )
    assert latest is not None
    current, _created = PartyConsent.objects.update_or_create(
        party=party,
        purpose=purpose,
        defaults={"granted": latest.granted, "since": latest.occurred_at, "record": latest},
    )
    return current


def _append(
    party: Party,
    purpose: Purpose,
    *,
    status: str,
    actor: Any,
    channel: str,
    evidence: str,
    occurred_at: datetime.datetime | None,
    notice: ConsentNotice | None = None,
    language: str | None = None,
) -> ConsentRecord:
    if channel not in Channel.values:
        raise ValidationError(
            {"channel": [_("Unknown channel “{channel}”.").format(channel=channel)]}
        )
    occurred_at = occurred_at or timezone.now()
    _check_time(occurred_at)
    # One writer at a time per customer, so "latest row" and the current state agree.
    Party.objects.select_for_update().filter(pk=party.pk).first()
    before = PartyConsent.objects.filter(party=party, purpose=purpose).first()
    shown = _language(language)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    record = ConsentRecord.objects.create(
        party=party,
        purpose=purpose,
        status=status,
        notice=notice,
        notice_version=notice.version if notice else None,
        notice_language=shown if notice else "",
        notice_text=notice.text_in(shown) if notice else "",
        channel=channel,
        evidence=evidence.strip(),
        collected_by=actor if is_user else None,
        collected_by_name=(actor.get_username() if is_user else "system")[:150],
        occurred_at=occurred_at,
    )
    current = _refresh_current(party, purpose)
    label = f"consent.{purpose.code}"
    state = {True: ConsentStatus.GRANTED.value, False: ConsentStatus.WITHDRAWN.value}
    record_change(
        party,
        actor=actor,
        action="action",
        changes={label: [state[before.granted] if before else None, state[current.granted]]},
        message=f"consent {status}: {purpose.code} ({channel})",
    )
    return record


def _grant_errors(
    purpose: Purpose, notice: ConsentNotice | None, evidence: str, when: datetime.datetime
) -> dict[str, list[str]]:
    """Why consent to ``purpose`` cannot be granted as given (empty: it can)."""
    errors: dict[str, list[str]] = {}
    if not purpose.needs_consent:
        errors["purpose"] = [
            _("“{purpose}” is not based on consent ({basis}); there is nothing to grant.").format(
                purpose=purpose, basis=purpose.get_legal_basis_display()
            )
        ]
    elif not purpose.is_active:
        errors["purpose"] = [
            _("“{purpose}” is retired; consent to it can no longer be given.").format(
                purpose=purpose
            )
        ]
    if notice is not None:
        if notice.purpose_id != purpose.pk:
            errors["notice"] = [_("This notice belongs to another purpose.")]
        elif notice.published_at > when:
            errors["notice"] = [_("This notice was not yet shown when the consent was given.")]
    if purpose.requires_separate_consent:
        if notice is None:
            errors.setdefault("notice", []).append(
                _("Separate consent needs the notice the person was shown.")
            )
        if not evidence.strip():
            errors["evidence"] = [_("Separate consent needs evidence: say what proves it.")]
    return errors


@dataclass(frozen=True)
class FirstGrant:
    """A consent given by a customer just created (who has no ledger row yet)."""

    party: Party
    purpose: Purpose
    notice: ConsentNotice | None
    evidence: str
    occurred_at: datetime.datetime
    language: str | None = None


@transaction.atomic
def grant_first(grants: list[FirstGrant], *, actor: Any, channel: str) -> list[ConsentRecord]:
    """:func:`grant` for many customers created in the same transaction (an intake call's new
    customers): the same checks, the same ledger rows, current states and change-log rows, in
    three multi-row inserts. Raises ValidationError, writing nothing, if any grant is refused;
    the records come back in the order of ``grants``."""
    if channel not in Channel.values:
        raise ValidationError(
            {"channel": [_("Unknown channel “{channel}”.").format(channel=channel)]}
        )
    for given in grants:
        _check_time(given.occurred_at)
        errors = _grant_errors(given.purpose, given.notice, given.evidence, given.occurred_at)
        if errors:
            raise ValidationError(errors)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    records = []
    for given in grants:
        shown = _language(given.language)
        notice = given.notice
        records.append(
            ConsentRecord(
                party=given.party,
                purpose=given.purpose,
                status=ConsentStatus.GRANTED,
                notice=notice,
                notice_version=notice.version if notice else None,
                notice_language=shown if notice else "",
                notice_text=notice.text_in(shown) if notice else "",
                channel=channel,
                evidence=given.evidence.strip(),
                collected_by=actor if is_user else None,
                collected_by_name=(actor.get_username() if is_user else "system")[:150],
                occurred_at=given.occurred_at,
            )
        )
    records = ConsentRecord.objects.bulk_create(records)
    latest: dict[tuple[int, int], ConsentRecord] = {}
    for record in records:  # a purpose given twice: the later-dated row is the current state
        key = (record.party_id, record.purpose_id)
        if key not in latest or (record.occurred_at, record.pk) > (
            latest[key].occurred_at,
            latest[key].pk,
        ):
            latest[key] = record
    PartyConsent.objects.bulk_create(
        PartyConsent(
            party_id=party, purpose_id=purpose, granted=True, since=r.occurred_at, record=r
        )
        for (party, purpose), r in latest.items()
    )
    granted = ConsentStatus.GRANTED.value
    record_changes(
        [
            (
                given.party,
                {f"consent.{given.purpose.code}": [None, granted]},
                f"consent {granted}: {given.purpose.code} ({channel})",
            )
            for given in grants
        ],
        actor=actor,
        action="action",
    )
    return records


@transaction.atomic
def grant(
    party: Party,
    purpose: Purpose,
    *,
    actor: Any,
    notice: ConsentNotice | None = None,
    channel: str,
    evidence: str = "",
    occurred_at: datetime.datetime | None = None,
    language: str | None = None,
) -> ConsentRecord:
    """Record that ``party`` consented to ``purpose`` and make it the current state (unless a
    later-dated row exists).

    Guarantees: one ledger row per call, never a grant for any other purpose (consent to a
    sensitive-data or sharing purpose is only ever its own explicit record); ``notice`` belongs to
    ``purpose`` and was published by ``occurred_at``; its text in ``language`` (default: the
    active language) is copied into the row. A purpose needing separate consent requires the
    notice and evidence.
    """
    errors = _grant_errors(purpose, notice, evidence, occurred_at or timezone.now())
    if errors:
        raise ValidationError(errors)
    return _append(
        party,
        purpose,
        status=ConsentStatus.GRANTED,
        actor=actor,
        channel=channel,
        evidence=evidence,
        occurred_at=occurred_at,
        notice=notice,
        language=language,
    )


@transaction.atomic
def withdraw(
    party: Party,
    purpose: Purpose,
    *,
    actor: Any,
    channel: str,
    evidence: str = "",
    occurred_at: datetime.datetime | None = None,
) -> ConsentRecord:
    """Record that ``party`` withdrew consent to ``purpose`` (or objected before ever giving it).

    From the commit on, ``selectors.consenting()`` leaves the customer out, so segments, exports
    and jobs that select through it stop using the customer for this purpose. Always possible,
    also for a retired purpose; it withdraws this purpose only.
    """
    if not purpose.needs_consent:
        raise ValidationError(
            {
                "purpose": [
                    _(
                        "“{purpose}” is not based on consent ({basis}); there is nothing to "
                        "withdraw."
                    ).format(purpose=purpose, basis=purpose.get_legal_basis_display())
                ]
            }
        )
    return _append(
        party,
        purpose,
        status=ConsentStatus.WITHDRAWN,
        actor=actor,
        channel=channel,
        evidence=evidence,
        occurred_at=occurred_at,
    )


@transaction.atomic
def save_purpose(
    purpose: Purpose,
    *,
    actor: Any,
    attributes: Iterable[AttributeDefinition] | None = None,
    **values: Any,
) -> Purpose:
    """Add or change a purpose of the registry (retire it rather than delete it).

    Its code never changes once created (filters, the API and the ledger rely on it), and a
    consent-based purpose that collects sensitive profile fields needs separate consent.
    """
    creating = purpose.pk is None
    before = {} if creating else _purpose_snapshot(purpose)
    if not creating and values.get("code", purpose.code) != purpose.code:
        raise ValidationError({"code": [_("The code of a purpose cannot change.")]})
    for key, value in values.items():
        if key not in PURPOSE_FIELDS:
            raise ValueError(f"unknown field: {key}")
        setattr(purpose, key, value)
    purpose.full_clean()
    if attributes is not None:
        collected = list(attributes)
    else:
        collected = [] if creating else list(purpose.attributes.all())
    sensitive = [a.label for a in collected if a.sensitivity == SENSITIVE]
    if sensitive and purpose.needs_consent and not purpose.requires_separate_consent:
        raise ValidationError(
            {
                "requires_separate_consent": [
                    _(
                        "It collects sensitive information ({fields}): its consent must be "
                        "separate."
                    ).format(fields=", ".join(sensitive))
                ]
            }
        )
    purpose.save()
    if attributes is not None:
        purpose.attributes.set(collected)
    record_change(
        purpose,
        actor=actor,
        action="create" if creating else "update",
        changes=diff(before, _purpose_snapshot(purpose)),
    )
    return purpose


def _purpose_snapshot(purpose: Purpose) -> dict[str, Any]:
    return {**snapshot(purpose, PURPOSE_FIELDS), "attributes": _codes(purpose)}


def _codes(obj: Purpose | ImpactAssessment) -> list[str]:
    return sorted(obj.attributes.values_list("code", flat=True))


@transaction.atomic
def save_notice(notice: ConsentNotice, *, actor: Any, **values: Any) -> ConsentNotice:
    """Add a new version of a purpose's consent notice, or correct one nobody was shown yet.

    A notice that a consent record points at is never changed: publish a new version instead.
    The new version's number is the purpose's highest plus one.
    """
    creating = notice.pk is None
    if not creating and notice.records.exists():
        raise ValidationError(
            _("Consent was already recorded with this notice: add a new version instead.")
        )
    before = {} if creating else snapshot(notice, NOTICE_FIELDS)
    for key, value in values.items():
        if key not in NOTICE_FIELDS:
            raise ValueError(f"unknown field: {key}")
        setattr(notice, key, value)
    if not (notice.text_zh.strip() or notice.text_en.strip()):
        raise ValidationError(_("Write the notice in Chinese, English or both."))
    if creating:
        Purpose.objects.select_for_update().filter(pk=notice.purpose_id).first()
        highest = ConsentNotice.objects.filter(purpose=notice.purpose_id).aggregate(
            v=Max("version")
        )["v"]
        notice.version = (highest or 0) + 1
    notice.full_clean()
    notice.save()
    record_change(
        notice,
        actor=actor,
        action="create" if creating else "update",
        changes=diff(before, snapshot(notice, ("version", *NOTICE_FIELDS))),
    )
    return notice


@transaction.atomic
def save_assessment(
    assessment: ImpactAssessment,
    *,
    actor: Any,
    purposes: Iterable[Purpose] | None = None,
    attributes: Iterable[AttributeDefinition] | None = None,
    **values: Any,
) -> ImpactAssessment:
    """Add or change an impact assessment; it covers sensitive profile fields only."""
    creating = assessment.pk is None
    before = (
        {}
        if creating
        else {
            **snapshot(assessment, ASSESSMENT_FIELDS),
            "purposes": sorted(assessment.purposes.values_list("code", flat=True)),
            "attributes": _codes(assessment),
        }
    )
    for key, value in values.items():
        if key not in ASSESSMENT_FIELDS:
            raise ValueError(f"unknown field: {key}")
        setattr(assessment, key, value)
    chosen = list(attributes) if attributes is not None else None
    if chosen is not None:
        ordinary = [a.label for a in chosen if a.sensitivity != SENSITIVE]
        if ordinary:
            raise ValidationError(
                {
                    "attributes": [
                        _("Only sensitive profile fields belong here: {fields}.").format(
                            fields=", ".join(ordinary)
                        )
                    ]
                }
            )
    if assessment.review_due and assessment.review_due < assessment.assessed_at:
        raise ValidationError(
            {"review_due": [_("The review cannot be due before the assessment.")]}
        )
    assessment.full_clean()
    assessment.save()
    if purposes is not None:
        assessment.purposes.set(list(purposes))
    if chosen is not None:
        assessment.attributes.set(chosen)
    record_change(
        assessment,
        actor=actor,
        action="create" if creating else "update",
        changes=diff(
            before,
            {
                **snapshot(assessment, ASSESSMENT_FIELDS),
                "purposes": sorted(assessment.purposes.values_list("code", flat=True)),
                "attributes": _codes(assessment),
            },
        ),
    )
    return assessment
