"""Who may reach each page and endpoint of data-subject requests, the suppression list and the
retention rules (the permission matrix: see ``huike.core.testing.matrix``).

No shipped role below "all customers" holds these permissions, so the matrix cannot play "out of
scope"; ``test_views.py`` and ``test_api.py`` prove that a request about a customer outside the
caller's scope answers 404, with a team-scoped role given the permissions.
"""

from __future__ import annotations

from typing import Any

from huike.accounts.models import User
from huike.core.testing.matrix import MOBILE, PROBE_NAME, PROBE_PINYIN, PermissionMatrix, Route
from huike.parties.models import Party
from huike.parties.tests.factories import person
from huike.subjects import retention, services, suppression
from huike.subjects.models import RetentionRule, SubjectRequest, SuppressionEntry

VIEW = "subjects.view_subjectrequest"
ADD = "subjects.add_subjectrequest"
CHANGE = "subjects.change_subjectrequest"
EXPORT = "subjects.export_subject"
ERASE = "subjects.erase_party"
VIEW_SUPPRESSION = "subjects.view_suppressionentry"
CHANGE_SUPPRESSION = "subjects.change_suppressionentry"


def customer(owner: User) -> Party:
    return person(PROBE_NAME, owner=owner, team=owner.team, attributes={"mobile": MOBILE})


def received(owner: User, kind: str = "access") -> SubjectRequest:
    return services.open_request(
        actor=None, kind=kind, requester_name=PROBE_NAME, party=customer(owner)
    )


def verified(kind: str) -> Any:
    def make(owner: User) -> SubjectRequest:
        return services.verify_identity(
            received(owner, kind), actor=None, method="document", evidence="ID card seen"
        )

    return make


def exported(owner: User) -> SubjectRequest:
    request = verified("access")(owner)
    services.fulfil_access(request, actor=None)
    request.refresh_from_db()
    return request


def suppressed(_owner: User) -> SuppressionEntry:
    suppression.suppress([("phone", "+8613800138000")], actor=None)
    return SuppressionEntry.objects.get()


def released_at(entry: SuppressionEntry) -> Any:
    return SuppressionEntry.objects.get(pk=entry.pk).released_at


def rule(_owner: User) -> RetentionRule:
    return retention.save_rule(
        RetentionRule(),
        actor=None,
        name="Matrix rule",
        purpose="",
        stages=["prospect"],
        inactivity_days=365,
        action="anonymise",
        is_active=True,
    )


def no_pk(_obj: Any) -> dict[str, Any]:
    return {}


REQUEST_FORM = {"kind": "access", "channel": "email", "requester_name": PROBE_NAME}
RULE_FORM = {
    "name": "Matrix rule",
    "stages": ["prospect"],
    "inactivity_days": "400",
    "action": "anonymise",
    "is_active": "on",
}
VERIFY_FORM = {"method": "document", "evidence": "ID card seen"}


class TestSubjectsMatrix(PermissionMatrix):
    routes = [
        # The request queue and its export.
        Route(
            "subjects:subjectrequest_list",
            kind="list",
            permission=VIEW,
            make_object=received,
            marker=lambda request: f"#{request.pk}<",
        ),
        Route(
            "subjects:subjectrequest_list",
            kind="export",
            permission=VIEW,
            make_object=received,
            query={"export": "csv"},
            marker=lambda request: PROBE_NAME,
            variant="csv",
        ),
        Route("subjects:subjectrequest_add", kind="create", permission=ADD),
        Route(
            "subjects:subjectrequest_add",
            kind="create",
            method="POST",
            permission=ADD,
            model=SubjectRequest,
            data=REQUEST_FORM,
            ok=(302,),
        ),
        Route(
            "subjects:party_choices",
            kind="search",
            permission=ADD,
            make_object=customer,
            query={"customer": PROBE_PINYIN},
        ),
        # One request and its workflow.
        Route("subjects:subjectrequest", kind="detail", permission=VIEW, make_object=received),
        Route(
            "subjects:subjectrequest_verify",
            kind="action",
            method="POST",
            permission=CHANGE,
            make_object=received,
            data=VERIFY_FORM,
            ok=(302,),
        ),
        Route(
            "subjects:subjectrequest_start",
            kind="action",
            method="POST",
            permission=CHANGE,
            make_object=verified("access"),
            ok=(302,),
        ),
        Route(
            "subjects:subjectrequest_refuse",
            kind="action",
            method="POST",
            permission=CHANGE,
            make_object=received,
            data={"reason": "Not our customer"},
            ok=(302,),
        ),
        Route(
            "subjects:subjectrequest_fulfil",
            kind="action",
            method="POST",
            permission=EXPORT,
            make_object=verified("access"),
            ok=(302,),
        ),
        Route(
            "subjects:subjectrequest_restrict",
            kind="action",
            method="POST",
            permission=CHANGE,
            make_object=verified("restriction"),
            ok=(302,),
        ),
        Route(
            "subjects:subjectrequest_correct",
            kind="action",
            method="POST",
            permission=CHANGE,
            make_object=verified("correction"),
            data={"attribute": "email", "value": "matrix@example.com"},
            ok=(302,),
        ),
        Route(
            "subjects:subjectrequest_erase",
            kind="detail",
            permission=ERASE,
            make_object=verified("erasure"),
        ),
        Route(
            "subjects:subjectrequest_erase",
            kind="action",
            method="POST",
            permission=ERASE,
            make_object=verified("erasure"),
            data={"confirm": "on"},
            ok=(302,),
        ),
        Route(
            "subjects:subjectrequest_download",
            kind="detail",
            permission=EXPORT,
            make_object=exported,
        ),
        # The suppression list.
        Route(
            "subjects:suppressionentry_list",
            kind="list",
            permission=VIEW_SUPPRESSION,
            make_object=suppressed,
            marker=lambda entry: entry.digest[3:15],
        ),
        Route(
            "subjects:suppressionentry_list",
            kind="export",
            permission=VIEW_SUPPRESSION,
            make_object=suppressed,
            query={"export": "csv"},
            marker=lambda entry: entry.digest,
            variant="csv",
        ),
        Route(
            "subjects:suppression_check",
            kind="search",
            method="POST",
            permission=VIEW_SUPPRESSION,
            data={"value": MOBILE},
        ),
        Route(
            "subjects:suppression_release",
            kind="action",
            method="POST",
            permission=CHANGE_SUPPRESSION,
            make_object=suppressed,
            url_kwargs=no_pk,
            data={"value": MOBILE, "reason": "The person asked to be recorded again"},
            effect=released_at,
            ok=(302,),
        ),
        # Retention rules.
        Route(
            "subjects:retentionrule_list",
            kind="list",
            permission="subjects.view_retentionrule",
            make_object=rule,
            marker=lambda obj: obj.name,
        ),
        Route("subjects:retentionrule_add", kind="create", permission="subjects.add_retentionrule"),
        Route(
            "subjects:retentionrule_add",
            kind="create",
            method="POST",
            permission="subjects.add_retentionrule",
            model=RetentionRule,
            data=RULE_FORM,
            ok=(302,),
        ),
        Route(
            "subjects:retentionrule_edit",
            kind="update",
            permission="subjects.change_retentionrule",
            make_object=rule,
        ),
        Route(
            "subjects:retentionrule_edit",
            kind="update",
            method="POST",
            permission="subjects.change_retentionrule",
            make_object=rule,
            data={**RULE_FORM, "inactivity_days": "500"},
            ok=(302,),
        ),
        Route(
            "subjects:retention_preview",
            kind="action",
            method="POST",
            permission="subjects.view_retentionrule",
            ok=(302,),
        ),
        # The API.
        Route(
            "api:subject-request-list",
            kind="list",
            permission=VIEW,
            make_object=received,
            marker=lambda request: PROBE_NAME,
        ),
        Route(
            "api:subject-request-list",
            kind="create",
            method="POST",
            permission=ADD,
            model=SubjectRequest,
            data=REQUEST_FORM,
            ok=(201,),
        ),
        Route("api:subject-request-detail", kind="detail", permission=VIEW, make_object=received),
        Route(
            "api:subject-request-verify",
            kind="action",
            method="POST",
            permission=CHANGE,
            make_object=received,
            data=VERIFY_FORM,
        ),
        Route(
            "api:subject-request-start",
            kind="action",
            method="POST",
            permission=CHANGE,
            make_object=verified("access"),
        ),
        Route(
            "api:subject-request-refuse",
            kind="action",
            method="POST",
            permission=CHANGE,
            make_object=received,
            data={"reason": "Not our customer"},
        ),
        Route(
            "api:subject-request-fulfil",
            kind="action",
            method="POST",
            permission=EXPORT,
            make_object=verified("access"),
        ),
        Route(
            "api:subject-request-restrict",
            kind="action",
            method="POST",
            permission=CHANGE,
            make_object=verified("restriction"),
        ),
        Route(
            "api:subject-request-erase",
            kind="action",
            method="POST",
            permission=ERASE,
            make_object=verified("erasure"),
        ),
        Route(
            "api:subject-request-download",
            kind="detail",
            permission=EXPORT,
            make_object=exported,
        ),
        Route(
            "api:suppression-check",
            kind="search",
            permission=VIEW_SUPPRESSION,
            query={"value": MOBILE},
        ),
        Route(
            "api:suppression-check",
            kind="search",
            method="POST",
            permission=VIEW_SUPPRESSION,
            data={"value": MOBILE},
        ),
    ]
