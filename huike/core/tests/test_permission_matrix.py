"""Who may reach the home page, the global search, the audit trails and the API's own
description (the permission matrix: see ``huike.core.testing.matrix``)."""

from __future__ import annotations

from huike.accounts.models import User
from huike.core.models import AccessLog, ChangeLog
from huike.core.services import log_access
from huike.core.testing.matrix import MOBILE, PROBE_PINYIN, PermissionMatrix, Route
from huike.parties import services
from huike.parties.models import Observation
from huike.parties.tests.test_permission_matrix import name, probe, probe_with_history


def mobile_change(owner: User) -> ChangeLog:
    """A change-log row whose before and after are the probe's mobile numbers."""
    party = probe_with_history(owner)
    older = Observation.objects.filter(party=party, attribute__code="mobile").order_by("pk")[0]
    services.use_observation(party, older, actor=None)
    return ChangeLog.objects.filter(object_id=str(party.pk)).latest("pk")


def reveal_entry(owner: User) -> AccessLog:
    return log_access(
        actor=owner,
        action=AccessLog.Action.REVEAL,
        obj=probe(owner),
        fields=["resident_id"],
        reason="Matrix probe reason",
    )


def row_id(row: ChangeLog | AccessLog) -> str:
    return f'"id": {row.pk},'


class TestCoreMatrix(PermissionMatrix):
    routes = [
        Route("home"),
        # Any signed-in user may search; each provider answers only with what the user may
        # open, so without parties.view_party the probe customer is simply not found.
        Route(
            "search",
            kind="search",
            permission="parties.view_party",
            refused=200,
            query={"q": PROBE_PINYIN},
            make_object=probe,
            scoped=True,
            marker=name,
            shows=(MOBILE,),
        ),
        # The audit trails.
        Route(
            "core:changelog_list",
            kind="list",
            permission="core.view_changelog",
            make_object=mobile_change,
        ),
        Route(
            "core:accesslog_list",
            kind="list",
            permission="core.view_accesslog",
            make_object=reveal_entry,
            marker=lambda entry: entry.reason,
        ),
        Route(
            "core:accesslog_list",
            kind="export",
            variant="csv",
            query={"export": "csv"},
            permission="core.view_accesslog",
            make_object=reveal_entry,
            marker=lambda entry: entry.reason,
        ),
        Route(
            "api:changelog-list",
            kind="list",
            permission="core.view_changelog",
            make_object=mobile_change,
            marker=row_id,
            shows=(MOBILE,),
        ),
        Route(
            "api:changelog-detail",
            kind="detail",
            permission="core.view_changelog",
            make_object=mobile_change,
            shows=(MOBILE,),
        ),
        Route(
            "api:accesslog-list",
            kind="list",
            permission="core.view_accesslog",
            make_object=reveal_entry,
            marker=row_id,
        ),
        Route(
            "api:accesslog-detail",
            kind="detail",
            permission="core.view_accesslog",
            make_object=reveal_entry,
        ),
        # The API's description is public, so integrators can read it before they hold a token.
        Route("api:schema", public=True),
        Route("api:docs", public=True),
        Route("api:redoc", public=True),
    ]
