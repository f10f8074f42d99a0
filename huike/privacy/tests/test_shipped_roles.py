"""The shipped roles hold the privacy permissions their work needs, from the first migration."""

from __future__ import annotations

import pytest

from huike.accounts.models import Role
from huike.privacy.tests.factories import SHIPPED_ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", sorted(SHIPPED_ROLE_PERMISSIONS))
def test_a_shipped_role_holds_its_privacy_permissions(code: str) -> None:
    held = {
        f"{app}.{codename}"
        for app, codename in Role.objects.get(code=code)
        .permissions.filter(content_type__app_label="privacy")
        .values_list("content_type__app_label", "codename")
    }
    assert held >= set(SHIPPED_ROLE_PERMISSIONS[code])
