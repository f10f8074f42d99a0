"""Who may reach each duplicate page and endpoint (the permission matrix: see
``huike.core.testing.matrix``).

A pair belongs to whoever may see both of its customers: the probe pair is two records of the
owner's customer "甄探针", both holding a mobile number (personal) and a resident ID number
(sensitive), which the side-by-side comparison shows as each reader may see them. A merge
belongs to whoever may see its surviving customer; a search to the user who started it.
"""

from __future__ import annotations

from typing import Any

from huike.accounts.models import User
from huike.core.testing.matrix import MOBILE, PROBE_NAME, RESIDENT_ID, PermissionMatrix, Route
from huike.identity import matching, services
from huike.identity.models import DedupeJob, MatchCandidate, Merge
from huike.parties.models import Party
from huike.parties.tests.factories import person

VIEW_CANDIDATE = "identity.view_matchcandidate"
MERGE = "identity.merge_parties"
VIEW_JOB = "identity.view_dedupejob"
ADD_JOB = "identity.add_dedupejob"
CHANGE_JOB = "identity.change_dedupejob"
VIEW_MERGE = "identity.view_merge"
BOTH = (MOBILE, RESIDENT_ID)
SEGMENT = f"q={PROBE_NAME}"


def probe_party(owner: User) -> Party:
    return person(
        PROBE_NAME,
        actor=None,
        owner=owner,
        team=owner.team,
        attributes={"mobile": MOBILE, "resident_id": RESIDENT_ID},
    )


def probe_pair(owner: User) -> MatchCandidate:
    """Two records of the owner's customer, queued as a likely duplicate."""
    a, b = probe_party(owner), probe_party(owner)
    features = matching.load_features([a.pk, b.pk])
    score = matching.compare(features[a.pk], features[b.pk])
    services.queue_candidates([(a.pk, b.pk, score)], found_by="job")
    return MatchCandidate.objects.get(party_a=a, party_b=b)


def probe_merge(owner: User) -> Merge:
    """The probe pair, merged (by the system) into its first customer."""
    pair = probe_pair(owner)
    return services.merge_candidate(pair, actor=None, survivor=pair.party_a)


def probe_job(owner: User) -> DedupeJob:
    """A search the owner started, still waiting for the worker."""
    return DedupeJob.objects.create(created_by=owner, segment=SEGMENT)


def status_of(candidate: MatchCandidate) -> str | None:
    """The pair's status (``None`` once a merge took it away with its customer)."""
    return MatchCandidate.objects.filter(pk=candidate.pk).values_list("status", flat=True).first()


def undone(merge: Merge) -> bool:
    return Merge.objects.filter(pk=merge.pk, unmerged_at__isnull=False).exists()


def names(_obj: Any) -> str:
    return PROBE_NAME


def segment_of(_job: DedupeJob) -> str:
    return SEGMENT


def keep_first(candidate: MatchCandidate) -> dict[str, Any]:
    return {"survivor": candidate.party_a_id}


def both_customers(candidate: MatchCandidate) -> dict[str, Any]:
    return {"survivor": candidate.party_a_id, "merged": candidate.party_b_id}


class TestIdentityMatrix(PermissionMatrix):
    routes = [
        # The queue, its export, and merging in bulk (a confirmation step, then the merge).
        Route(
            "identity:candidates",
            kind="list",
            permission=VIEW_CANDIDATE,
            make_object=probe_pair,
            scoped=True,
            marker=names,
        ),
        Route(
            "identity:candidates",
            kind="export",
            variant="csv",
            query={"export": "csv"},
            permission=VIEW_CANDIDATE,
            make_object=probe_pair,
            scoped=True,
            marker=names,
        ),
        Route(
            "identity:candidates_bulk",
            kind="page",
            permission=MERGE,
            make_object=probe_pair,
            query={"min_percent": "50"},
        ),
        Route(
            "identity:candidates_bulk",
            kind="bulk",
            method="POST",
            permission=MERGE,
            make_object=probe_pair,
            scoped=True,
            data={"min_percent": "50", "confirm": "1"},
            effect=status_of,
            ok=(302,),
        ),
        # One pair: its page (the values side by side), merge, not a duplicate.
        Route(
            "identity:candidate",
            kind="detail",
            permission=VIEW_CANDIDATE,
            make_object=probe_pair,
            scoped=True,
            shows=BOTH,
        ),
        Route(
            "identity:candidate_merge",
            kind="action",
            method="POST",
            permission=MERGE,
            make_object=probe_pair,
            scoped=True,
            data=keep_first,
            effect=status_of,
            ok=(302,),
        ),
        Route(
            "identity:candidate_not_duplicate",
            kind="action",
            method="POST",
            permission=MERGE,
            make_object=probe_pair,
            scoped=True,
            effect=status_of,
            ok=(302,),
        ),
        # Searches for duplicates: the list, starting one, its page, its progress, stopping it.
        Route(
            "identity:dedupejobs",
            kind="list",
            permission=VIEW_JOB,
            make_object=probe_job,
            scoped=True,
            marker=segment_of,
        ),
        Route(
            "identity:dedupejobs",
            kind="export",
            variant="csv",
            query={"export": "csv"},
            permission=VIEW_JOB,
            make_object=probe_job,
            scoped=True,
            marker=segment_of,
        ),
        Route("identity:dedupejob_add", kind="page", permission=ADD_JOB),
        Route(
            "identity:dedupejob_add",
            kind="create",
            method="POST",
            permission=ADD_JOB,
            model=DedupeJob,
            data={"segment": ""},
            ok=(302,),
        ),
        Route(
            "identity:dedupejob",
            kind="detail",
            permission=VIEW_JOB,
            make_object=probe_job,
            scoped=True,
        ),
        Route(
            "identity:dedupejob_progress",
            kind="detail",
            permission=VIEW_JOB,
            make_object=probe_job,
            scoped=True,
            headers={"HTTP_HX_REQUEST": "true"},
        ),
        Route(
            "identity:dedupejob_cancel",
            kind="action",
            method="POST",
            permission=CHANGE_JOB,
            make_object=probe_job,
            scoped=True,
            ok=(302,),
        ),
        # Merges: the list, its export, one merge, and its undo.
        Route(
            "identity:merges",
            kind="list",
            permission=VIEW_MERGE,
            make_object=probe_merge,
            scoped=True,
            marker=names,
        ),
        Route(
            "identity:merges",
            kind="export",
            variant="csv",
            query={"export": "csv"},
            permission=VIEW_MERGE,
            make_object=probe_merge,
            scoped=True,
            marker=names,
        ),
        Route(
            "identity:merge",
            kind="detail",
            permission=VIEW_MERGE,
            make_object=probe_merge,
            scoped=True,
        ),
        Route(
            "identity:merge_unmerge",
            kind="action",
            method="POST",
            permission=MERGE,
            make_object=probe_merge,
            scoped=True,
            effect=undone,
            ok=(302,),
        ),
        # The API: pairs.
        Route(
            "api:duplicate-list",
            kind="list",
            permission=VIEW_CANDIDATE,
            make_object=probe_pair,
            scoped=True,
            marker=names,
        ),
        Route(
            "api:duplicate-detail",
            kind="detail",
            permission=VIEW_CANDIDATE,
            make_object=probe_pair,
            scoped=True,
            shows=BOTH,
        ),
        Route(
            "api:duplicate-merge",
            kind="action",
            method="POST",
            permission=MERGE,
            make_object=probe_pair,
            scoped=True,
            data=keep_first,
            effect=status_of,
            ok=(201,),
        ),
        Route(
            "api:duplicate-not-duplicate",
            kind="action",
            method="POST",
            permission=MERGE,
            make_object=probe_pair,
            scoped=True,
            effect=status_of,
        ),
        Route(
            "api:duplicate-bulk-merge",
            kind="bulk",
            method="POST",
            permission=MERGE,
            make_object=probe_pair,
            scoped=True,
            data={"min_score": 0.5},
            effect=status_of,
        ),
        # The API: merges.
        Route(
            "api:merge-list",
            kind="list",
            permission=VIEW_MERGE,
            make_object=probe_merge,
            scoped=True,
            marker=names,
        ),
        Route(
            "api:merge-list",
            kind="create",
            method="POST",
            permission=MERGE,
            model=Merge,
            make_object=probe_pair,
            scoped=True,
            data=both_customers,
            ok=(201,),
            out_of_scope_status=(400,),
        ),
        Route(
            "api:merge-detail",
            kind="detail",
            permission=VIEW_MERGE,
            make_object=probe_merge,
            scoped=True,
        ),
        Route(
            "api:merge-unmerge",
            kind="action",
            method="POST",
            permission=MERGE,
            make_object=probe_merge,
            scoped=True,
            effect=undone,
        ),
        # The API: searches.
        Route(
            "api:dedupejob-list",
            kind="list",
            permission=VIEW_JOB,
            make_object=probe_job,
            scoped=True,
            marker=segment_of,
        ),
        Route(
            "api:dedupejob-list",
            kind="create",
            method="POST",
            permission=ADD_JOB,
            model=DedupeJob,
            data={"segment": ""},
            ok=(202,),
        ),
        Route(
            "api:dedupejob-detail",
            kind="detail",
            permission=VIEW_JOB,
            make_object=probe_job,
            scoped=True,
        ),
        Route(
            "api:dedupejob-cancel",
            kind="action",
            method="POST",
            permission=CHANGE_JOB,
            make_object=probe_job,
            scoped=True,
        ),
    ]
