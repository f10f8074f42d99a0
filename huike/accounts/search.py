from __future__ import annotations

from typing import Any

from django.db.models import Q

from huike.core.search import SearchHit


def search_users(user: Any, query: str) -> list[SearchHit]:
    """Users by name, username or email, for those who may see users."""
    from huike.accounts.models import User

    if not user.has_perm("accounts.view_user"):
        return []
    matches = User.objects.filter(
        Q(username__icontains=query)
        | Q(display_name__icontains=query)
        | Q(first_name__icontains=query)
        | Q(last_name__icontains=query)
        | Q(email__icontains=query)
    ).select_related("role")[:10]
    return [
        SearchHit(title=str(m), url=m.get_absolute_url(), subtitle=str(m.role or ""))
        for m in matches
    ]
