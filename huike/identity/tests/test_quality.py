"""Quality of duplicate detection, end to end: import a set with known truth (every row its own
customer), search the whole base for duplicates, compare the pairs found with the truth.

The issue's targets at the default "same" threshold: precision ≥ 0.98 and recall ≥ 0.95, on
public data (FEBRL) and on generated Chinese customers. ``huike bench identity`` measures the
same on the larger sets (docs/development/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from django.conf import settings

from huike.identity import bulk, datasets

pytestmark = pytest.mark.django_db

PRECISION, RECALL = 0.98, 0.95


def found_pairs(ids: Mapping[str, int], threshold: float) -> set[tuple[str, str]]:
    external = {pk: ext for ext, pk in ids.items()}
    pairs = set()
    for pair in bulk.find_pairs():
        if pair.score.probability >= threshold:
            a, b = sorted((external[pair.a], external[pair.b]))
            pairs.add((a, b))
    return pairs


def quality(data: datasets.Dataset) -> tuple[float, float, set[tuple[str, str]]]:
    ids = datasets.load(data.rows, fast=False)  # the import pipeline, policy "create"
    assert len(ids) == len(data.rows)
    pairs = found_pairs(ids, settings.IDENTITY_SAME)
    true = pairs & data.truth
    precision = len(true) / len(pairs) if pairs else 0.0
    return precision, len(true) / len(data.truth), data.truth - pairs


def test_febrl1_at_the_default_threshold() -> None:
    precision, recall, missed = quality(datasets.febrl("febrl1"))
    assert precision >= PRECISION
    assert recall >= RECALL, sorted(missed)[:20]


def test_generated_chinese_customers_at_the_default_threshold() -> None:
    data = datasets.chinese(2000, seed=7)
    precision, recall, missed = quality(data)
    assert precision >= PRECISION
    assert recall >= RECALL, [data.pair_labels(a, b) for a, b in sorted(missed)[:20]]
