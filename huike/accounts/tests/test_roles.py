"""Shipped roles: read in each user's language, and upgraded with new default permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.utils import translation

from huike.accounts import roles
from huike.accounts.models import Role

pytestmark = pytest.mark.django_db


def test_a_shipped_role_reads_in_the_users_language_until_renamed() -> None:
    salesperson = Role.objects.get(code="salesperson")
    assert salesperson.name == "Salesperson"  # stored as the source text
    with translation.override("zh-hans"):
        assert str(salesperson) == "销售员"
    with translation.override("en"):
        assert str(salesperson) == "Salesperson"

    salesperson.name = "外勤销售"
    assert str(salesperson) == "外勤销售"


def test_new_default_permissions_reach_existing_roles_but_removed_ones_stay_removed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given an installation whose administrator took a default permission away from auditors
    auditor = Role.objects.get(code="auditor")
    view_team = Permission.objects.get(codename="view_team")
    auditor.permissions.remove(view_team)

    # when a release adds another default permission to the role and migrations run
    spec = {**roles.DEFAULT_ROLES["auditor"]}
    spec["permissions"] = [*spec["permissions"], "accounts.view_apitoken"]
    monkeypatch.setitem(roles.DEFAULT_ROLES, "auditor", spec)
    roles.ensure_default_roles()

    # then the new permission is granted and the removed one is not granted again
    codenames = set(auditor.permissions.values_list("codename", flat=True))
    assert "view_apitoken" in codenames
    assert "view_team" not in codenames
