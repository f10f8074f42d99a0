"""Reads of the request queue: what is due, for the queue and the home page's alert."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from huike.subjects.models import DUE_SOON_DAYS, SubjectRequest


def due_requests(user: Any, now: datetime.datetime | None = None) -> QuerySet[SubjectRequest]:
    """Open requests the user may see that are overdue or due within three days."""
    now = now or timezone.now()
    return (
        SubjectRequest.objects.visible_to(user)
        .open()
        .filter(due_at__lt=now + datetime.timedelta(days=DUE_SOON_DAYS))
        .select_related("party")
        .order_by("due_at", "pk")
    )


def due_alert_context(user: Any, limit: int = 5) -> dict[str, Any]:
    """What ``subjects/_due_alert.html`` needs: the first requests due, and how many are
    overdue or due soon. Empty for users who may not see requests."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm(
        "subjects.view_subjectrequest"
    ):
        return {
            "subject_requests_due": [],
            "subject_requests_overdue": 0,
            "subject_requests_due_soon": 0,
        }
    now = timezone.now()
    due = list(due_requests(user, now)[: limit + 1])
    visible = SubjectRequest.objects.visible_to(user)
    return {
        "subject_requests_due": due[:limit],
        "subject_requests_more": len(due) > limit,
        "subject_requests_overdue": visible.overdue(now).count(),
        "subject_requests_due_soon": visible.due_soon(now).count(),
    }
