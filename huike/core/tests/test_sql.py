"""``select_in``: the plain-SQL batch lookup imports and duplicate checks use."""

from __future__ import annotations

import pytest

from huike.core import sql
from huike.parties.models import SearchKey
from huike.parties.tests.factories import person

pytestmark = pytest.mark.django_db


def test_it_finds_every_value_across_chunks_and_honours_the_other_conditions() -> None:
    party = person("张三")
    SearchKey.objects.bulk_create(
        [SearchKey(party=party, kind="code", value=f"K{i:04d}") for i in range(1200)]
        + [SearchKey(party=party, kind="email", value="K0001")]
    )
    wanted = [f"K{i:04d}" for i in range(0, 1200, 2)] + ["nobody"]

    rows = list(sql.select_in(SearchKey, "value", "value", wanted, where={"kind": "code"}))
    either = list(
        sql.select_in(SearchKey, "kind", "value", ["K0001"], where={"kind": {"code", "email"}})
    )

    assert sorted(value for (value,) in rows) == wanted[:-1]  # 600 values, two chunks of 500
    assert sorted(kind for (kind,) in either) == ["code", "email"]
    assert list(sql.select_in(SearchKey, "value", "value", [])) == []
