"""The consent ledger of the privacy app, through the registry (when that app is installed)."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.utils import timezone

from huike.accounts.models import User
from huike.parties.models import Party
from huike.parties.tests.factories import person
from huike.subjects import registry, retention, services
from huike.subjects.models import RetentionRule
from huike.subjects.tests.helpers import unzip, zhang

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not apps.is_installed("huike.privacy"), reason="the privacy app is not installed"
    ),
]


def grant_marketing(party: Party, actor: User | None) -> None:
    from huike.privacy import services as privacy_services
    from huike.privacy.models import Purpose

    privacy_services.grant(
        party,
        Purpose.objects.get(code="marketing"),
        actor=actor,
        channel="manual",
        evidence="form 7",
    )


def test_consents_are_a_section_of_the_registry() -> None:
    provider = registry.get("consents")
    assert provider is not None and provider.keeps_records


def test_the_export_lists_consents_and_erasure_withdraws_them(dpo: User) -> None:
    from huike.privacy.models import ConsentRecord, PartyConsent

    party = zhang(dpo)
    grant_marketing(party, dpo)

    sections = unzip(services.export_subject(party, actor=dpo))["subject.json"]["sections"]
    assert sections["consents"][0]["status"] == "granted"
    assert sections["consents"][0]["evidence"] == "form 7"

    summary = services.erase(party, actor=dpo, reason="asked")

    assert summary["consents"] == {"consents_withdrawn": 1, "consent_records_kept": 2}
    assert not PartyConsent.objects.filter(party=party, granted=True).exists()
    assert ConsentRecord.objects.filter(party=party).count() == 2  # the ledger is kept


def test_a_live_consent_keeps_a_customer_from_retention(dpo: User) -> None:
    RetentionRule.objects.create(name="Prospects", stages=["prospect"], inactivity_days=365)
    consenting, forgotten = person("同意"), person("没同意")
    grant_marketing(consenting, None)
    when = timezone.now() - datetime.timedelta(days=400)
    Party.objects.filter(pk__in=[consenting.pk, forgotten.pk]).update(
        created_at=when, updated_at=when
    )
    # the consent itself was given long ago too: only its being live keeps the customer
    from django.db import models

    from huike.privacy.models import ConsentRecord

    models.QuerySet.update(ConsentRecord.objects.all(), occurred_at=when)

    [result] = retention.apply_retention(dry_run=True)

    assert result.party_ids == [forgotten.pk]
