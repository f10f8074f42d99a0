"""Permissions come from the user's role (plus Django groups, which stay usable)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    """ModelBackend that also grants the permissions of the user's role.

    Inactive users get nothing, so disabling a user takes effect on their next request.
    """

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_huike_role_perm_cache"):
            perms = set(super().get_group_permissions(user_obj, obj))
            role = getattr(user_obj, "role", None)
            if role is not None:
                if role.is_admin:
                    queryset = Permission.objects.all()
                else:
                    queryset = role.permissions.all()
                perms |= {
                    f"{ct}.{name}"
                    for ct, name in queryset.values_list("content_type__app_label", "codename")
                }
            user_obj._huike_role_perm_cache = perms
        return user_obj._huike_role_perm_cache
