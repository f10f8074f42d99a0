"""Helpers for privacy tests: purposes as shipped, notices, permissions, consents.

Consents are recorded through ``services.grant``/``services.withdraw`` (never
``ConsentRecord.objects.create``), so every test ledger row also has its current state and
change-log row.
"""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.contrib.auth.models import Permission
from django.utils import timezone
from factory.django import DjangoModelFactory

from huike.accounts.models import User
from huike.parties.models import Party
from huike.privacy import services
from huike.privacy.models import ConsentNotice, ConsentRecord, ImpactAssessment, Purpose

# What the roles that work with consent are expected to hold (the lead adds them to roles.py).
RECORD_CONSENT = ("privacy.view_consentrecord", "privacy.add_consentrecord")
ALL_PRIVACY = (
    "privacy.view_purpose",
    "privacy.add_purpose",
    "privacy.change_purpose",
    "privacy.view_consentnotice",
    "privacy.add_consentnotice",
    "privacy.change_consentnotice",
    "privacy.view_consentrecord",
    "privacy.add_consentrecord",
    "privacy.view_partyconsent",
    "privacy.view_impactassessment",
    "privacy.add_impactassessment",
    "privacy.change_impactassessment",
)

READ_PRIVACY = tuple(name for name in ALL_PRIVACY if ".view_" in name)
# The privacy permissions each shipped role holds (huike/accounts/roles.py).
SHIPPED_ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "data_protection_officer": ALL_PRIVACY,
    "salesperson": RECORD_CONSENT,
    "service_agent": RECORD_CONSENT,
    "marketer": ("privacy.view_consentrecord", "privacy.view_purpose"),
    "auditor": READ_PRIVACY,
}


def allow(user: User, *names: str) -> User:
    """Give ``user`` these permissions directly ("app.codename")."""
    for name in names:
        app_label, codename = name.split(".", 1)
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def purpose(code: str) -> Purpose:
    """A shipped purpose: service, marketing, profiling, sharing, sensitive_data."""
    return Purpose.objects.get(code=code)


def notice(code: str, version: int | None = None) -> ConsentNotice:
    """A notice of a shipped purpose (the latest when no version is given)."""
    notices = ConsentNotice.objects.filter(purpose__code=code)
    if version is not None:
        return notices.get(version=version)
    latest = notices.order_by("-version").first()
    assert latest is not None
    return latest


def grant(
    party: Party,
    code: str,
    *,
    actor: Any = None,
    evidence: str = "signed form 42",
    days_ago: float = 0,
    channel: str = "web_form",
) -> ConsentRecord:
    """Consent to a shipped purpose, with its latest notice (as a web form records it)."""
    return services.grant(
        party,
        purpose(code),
        actor=actor,
        notice=notice(code),
        channel=channel,
        evidence=evidence,
        occurred_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def withdraw(party: Party, code: str, *, actor: Any = None, days_ago: float = 0) -> ConsentRecord:
    return services.withdraw(
        party,
        purpose(code),
        actor=actor,
        channel="phone",
        occurred_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


class PurposeFactory(DjangoModelFactory[Purpose]):
    class Meta:
        model = Purpose

    code = factory.Sequence(lambda n: f"purpose-{n}")
    name_zh = factory.Sequence(lambda n: f"目的{n}")
    name_en = factory.Sequence(lambda n: f"Purpose {n}")
    legal_basis = "consent"


class ImpactAssessmentFactory(DjangoModelFactory[ImpactAssessment]):
    class Meta:
        model = ImpactAssessment

    title = factory.Sequence(lambda n: f"Assessment {n}")
    risk_level = "medium"
