"""Re-sealing the customers' sensitive values under the active key after ``huike rotate-keys``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from huike.core import crypto
from huike.parties.models import AttributeDefinition, GoldenValue, Observation, Party

BATCH = 1000
SENSITIVE = AttributeDefinition.Sensitivity.SENSITIVE


def _reseal_rows(model: Any, progress: crypto.Progress | None) -> int:
    """Re-seal ``Observation`` or ``GoldenValue`` rows of sensitive attributes."""
    rows = model.objects.filter(attribute__sensitivity=SENSITIVE)
    total = rows.count()
    changed = done = 0
    last = 0
    active = crypto.ring().active
    while True:
        batch = list(rows.filter(pk__gt=last).select_related("attribute").order_by("pk")[:BATCH])
        if not batch:
            break
        stale = [
            row
            for row in batch
            if crypto.is_sealed(row.value) and crypto.key_id(row.value) != active
        ]
        for row in stale:
            row.value = crypto.reseal(row.value, row.attribute.code)
        with transaction.atomic():
            model.objects.bulk_update(stale, ["value"])
        changed += len(stale)
        done += len(batch)
        last = batch[-1].pk
        if progress:
            progress(str(model._meta.verbose_name_plural), done, total)
    return changed


def _reseal_golden_records(progress: crypto.Progress | None) -> int:
    ids = (
        GoldenValue.objects.filter(attribute__sensitivity=SENSITIVE)
        .values_list("party_id", flat=True)
        .distinct()
        .order_by("party_id")
    )
    party_ids = list(ids)
    codes = set(
        AttributeDefinition.objects.filter(sensitivity=SENSITIVE).values_list("code", flat=True)
    )
    active = crypto.ring().active
    changed = 0
    for start in range(0, len(party_ids), BATCH):
        chunk = list(Party.objects.filter(pk__in=party_ids[start : start + BATCH]))
        dirty = []
        for party in chunk:
            golden = dict(party.golden or {})
            touched = False
            for code in codes & set(golden):
                value = golden[code]
                if crypto.is_sealed(value) and crypto.key_id(value) != active:
                    golden[code] = crypto.reseal(value, code)
                    touched = True
            if touched:
                party.golden = golden
                dirty.append(party)
        with transaction.atomic():
            Party.objects.bulk_update(dirty, ["golden"])
        changed += len(dirty)
        if progress:
            progress(str(Party._meta.verbose_name_plural), start + len(chunk), len(party_ids))
    return changed


def reseal_parties(progress: crypto.Progress | None = None) -> int:
    return (
        _reseal_rows(Observation, progress)
        + _reseal_rows(GoldenValue, progress)
        + _reseal_golden_records(progress)
    )
