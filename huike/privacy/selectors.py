"""Reads of the privacy app, above all the one gate for using customers for a purpose.

``consenting(parties, "marketing")`` is how segments, campaigns, exports and background jobs pick
the customers they may use for a consent-based purpose: a withdrawal recorded by
``services.withdraw`` takes effect in every one of them at its commit, because they all select
through this function rather than reading the ledger themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from huike.parties.models import AttributeDefinition, Party
from huike.privacy.models import (
    ConsentRecord,
    ImpactAssessment,
    LegalBasis,
    PartyConsent,
    Purpose,
)


def consenting(parties: QuerySet[Party], purpose_code: str) -> QuerySet[Party]:
    """The parties of ``parties`` that may be used for the purpose ``purpose_code`` now.

    Keeps only parties whose current consent to that (active) purpose is granted, whose
    processing is not restricted and who were not erased. An unknown or retired purpose keeps
    nobody. Pass a queryset already scoped with ``visible_to(user)`` where a person is asking.
    """
    granted = PartyConsent.objects.filter(
        purpose__code=purpose_code, purpose__is_active=True, granted=True
    ).values("party_id")
    return parties.filter(pk__in=granted, processing_restricted=False, erased_at__isnull=True)


def withdrawn(parties: QuerySet[Party], purpose_code: str) -> QuerySet[Party]:
    """The parties of ``parties`` whose latest word on ``purpose_code`` is a withdrawal (or an
    objection recorded before any consent)."""
    refused = PartyConsent.objects.filter(purpose__code=purpose_code, granted=False).values(
        "party_id"
    )
    return parties.filter(pk__in=refused)


def has_consent(party: Party, purpose_code: str) -> bool:
    """Whether one party may be used for ``purpose_code`` now (``consenting`` for one row)."""
    return consenting(Party.objects.filter(pk=party.pk), purpose_code).exists()


def consent_purposes() -> QuerySet[Purpose]:
    """Active purposes that take consent, in display order."""
    return Purpose.objects.filter(is_active=True, legal_basis=LegalBasis.CONSENT)


def purpose_choices() -> list[tuple[str, str]]:
    """(code, name) of the purposes a customer list can be narrowed to."""
    return [(p.code, p.name) for p in consent_purposes()]


@dataclass
class ConsentLine:
    """One purpose on a customer's consent panel."""

    purpose: Purpose
    current: PartyConsent | None

    @property
    def granted(self) -> bool:
        return self.current is not None and self.current.granted


def party_consents(party: Party) -> list[ConsentLine]:
    """Every consent-based purpose with the customer's current state (None: never asked).

    Purposes retired since still show while the customer has a state for them.
    """
    current = {
        c.purpose_id: c
        for c in PartyConsent.objects.filter(party=party).select_related(
            "record", "record__notice", "purpose"
        )
    }
    purposes = Purpose.objects.filter(legal_basis=LegalBasis.CONSENT).order_by("order", "code")
    return [
        ConsentLine(purpose=p, current=current.get(p.pk))
        for p in purposes
        if p.is_active or p.pk in current
    ]


def ledger(party: Party, purpose: Purpose | None = None) -> QuerySet[ConsentRecord]:
    """The ledger rows of one customer (and purpose), newest first."""
    rows = ConsentRecord.objects.filter(party=party).select_related("purpose", "notice")
    return rows.filter(purpose=purpose) if purpose is not None else rows


@dataclass
class SensitivityGroup:
    sensitivity: str
    label: str
    attributes: list[AttributeDefinition]


@dataclass
class ProcessingRecord:
    """One purpose as the records of processing describe it."""

    purpose: Purpose
    groups: list[SensitivityGroup]
    assessments: list[ImpactAssessment]


@dataclass
class SensitiveField:
    attribute: AttributeDefinition
    assessments: list[ImpactAssessment]
    purposes: list[Purpose]


@dataclass
class ProcessingRecords:
    purposes: list[ProcessingRecord]
    sensitive: list[SensitiveField]
    without_purpose: list[AttributeDefinition]

    @property
    def unassessed(self) -> list[SensitiveField]:
        return [field for field in self.sensitive if not field.assessments]


def processing_records() -> ProcessingRecords:
    """The records of processing (PIPL art. 54–56, GDPR art. 30), generated from the purpose
    registry and the profile-field registry: for each active purpose what is collected (grouped
    by sensitivity), why, on which basis, for how long and who receives it; every sensitive
    field with its impact assessments; and active fields that no purpose states a reason for.
    """
    sensitivities = AttributeDefinition.Sensitivity
    purposes = list(
        Purpose.objects.filter(is_active=True).prefetch_related("attributes", "assessments")
    )
    attributes = list(AttributeDefinition.objects.filter(is_active=True))
    assessments = list(ImpactAssessment.objects.prefetch_related("attributes", "purposes"))
    records = []
    for purpose in purposes:
        collected = [a for a in purpose.attributes.all() if a.is_active]
        groups = [
            SensitivityGroup(
                sensitivity=value,
                label=str(label),
                attributes=sorted(
                    (a for a in collected if a.sensitivity == value), key=_attribute_order
                ),
            )
            for value, label in reversed(sensitivities.choices)
        ]
        records.append(
            ProcessingRecord(
                purpose=purpose,
                groups=[g for g in groups if g.attributes],
                assessments=list(purpose.assessments.all()),
            )
        )
    by_attribute: dict[int, list[ImpactAssessment]] = {}
    for assessment in assessments:
        for attribute in assessment.attributes.all():
            by_attribute.setdefault(attribute.pk, []).append(assessment)
    purposes_of: dict[int, list[Purpose]] = {}
    for purpose in purposes:
        for attribute in purpose.attributes.all():
            purposes_of.setdefault(attribute.pk, []).append(purpose)
    sensitive = [
        SensitiveField(
            attribute=a,
            assessments=by_attribute.get(a.pk, []),
            purposes=purposes_of.get(a.pk, []),
        )
        for a in sorted(attributes, key=_attribute_order)
        if a.sensitivity == sensitivities.SENSITIVE
    ]
    without_purpose = [a for a in attributes if a.pk not in purposes_of]
    return ProcessingRecords(
        purposes=records,
        sensitive=sensitive,
        without_purpose=sorted(without_purpose, key=_attribute_order),
    )


def _attribute_order(attribute: AttributeDefinition) -> tuple[str, int, str]:
    return (attribute.section, attribute.order, attribute.code)
