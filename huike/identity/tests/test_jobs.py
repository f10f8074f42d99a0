"""Searches for duplicates (``huike.identity.jobs``) and their background tasks: what they
compare, what they queue, automatic merges, cancel, failure, pause, one search at a time."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from huike.accounts.models import Role, Team, User
from huike.identity import bulk, jobs, tasks
from huike.identity.models import DedupeJob, MatchCandidate, Merge
from huike.identity.tests.test_views import twins
from huike.ops.services import pause, resume
from huike.parties.models import Party
from huike.parties.tests.factories import person

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


@pytest.fixture
def lin(make_user: MakeUser) -> User:
    return make_user("manager", username="lin", team=Team.objects.create(name="East"))


def run(actor: User, **options: Any) -> DedupeJob:
    job = jobs.create_job(actor=actor, **options)
    return jobs.run_dedupe(job.pk)


def test_a_search_queues_the_likely_duplicates_it_finds(lin: User) -> None:
    a, b = twins(lin)
    person("李娜", owner=lin, team=lin.team, attributes={"mobile": "13900000001"})

    job = run(lin)

    assert job.status == DedupeJob.Status.DONE
    assert (job.total, job.done, job.found, job.merged) == (3, 3, 1, 0)
    assert job.pairs >= 1
    assert job.finished_at is not None and job.started_at is not None
    assert job.stats["records"] == 3
    assert job.stats["queued"] == 1
    assert "heartbeat" not in job.stats
    candidate = MatchCandidate.objects.get()
    assert (candidate.party_a_id, candidate.party_b_id) == (a.pk, b.pk)
    assert (candidate.found_by, candidate.job_id, candidate.status) == ("job", job.pk, "open")


def test_a_search_compares_only_the_customers_its_starter_sees(
    lin: User, make_user: MakeUser
) -> None:
    stranger = make_user("salesperson", username="stranger")
    twins(stranger)  # outside lin's team

    job = run(lin)

    assert job.total == 0
    assert MatchCandidate.objects.count() == 0


def test_a_search_compares_only_the_segment(lin: User) -> None:
    kept = twins(lin)
    left_out = twins(lin, name="王芳", mobile="13911112222")
    Party.objects.filter(pk__in=[p.pk for p in kept]).update(stage=Party.Stage.CUSTOMER)

    job = run(lin, segment="stage=customer")

    assert job.total == 2
    assert MatchCandidate.objects.filter(party_a=kept[0]).exists()
    assert not MatchCandidate.objects.filter(party_a=left_out[0]).exists()


def test_a_search_leaves_out_restricted_and_erased_customers(lin: User) -> None:
    a, _b = twins(lin)
    Party.objects.filter(pk=a.pk).update(processing_restricted=True)

    job = run(lin)

    assert job.total == 1
    assert MatchCandidate.objects.count() == 0


def test_a_pair_found_again_keeps_its_review(lin: User) -> None:
    twins(lin)
    run(lin)
    MatchCandidate.objects.update(status=MatchCandidate.Status.NOT_DUPLICATE)

    job = run(lin)

    assert job.found == 1  # found again …
    assert MatchCandidate.objects.get().status == "not_duplicate"  # … but not reopened


def test_auto_merge_merges_the_pairs_at_or_above_the_threshold(lin: User, settings: Any) -> None:
    # given a sure pair and a pair only "maybe" the same
    sure = twins(lin)
    maybe = (
        person("李娜", owner=lin, team=lin.team, attributes={"mobile": "13900000001"}),
        person("李娜", owner=lin, team=lin.team, attributes={"mobile": "13700000002"}),
    )
    settings.IDENTITY_MAYBE = 0.01  # so the weak pair is queued too
    first = run(lin)
    scores = dict(MatchCandidate.objects.values_list("party_a", "score"))
    assert scores[sure[0].pk] > scores[maybe[0].pk]
    settings.IDENTITY_AUTO_MERGE = (scores[sure[0].pk] + scores[maybe[0].pk]) / 2
    assert first.merged == 0

    # when a search merges automatically
    job = run(lin, auto_merge=True)

    # then the sure pair is one customer, the other pair still waits for review
    assert job.merged == 1 and job.stats["merged"] == 1
    merge = Merge.objects.get()
    assert merge.automatic and merge.merged_by == lin
    assert {merge.survivor_id, merge.merged_id} == {p.pk for p in sure}
    assert MatchCandidate.objects.get(party_a=maybe[0]).status == "open"


def test_cancelling_a_running_search_stops_it(lin: User) -> None:
    twins(lin)
    job = jobs.create_job(actor=lin)

    def cancel_once_started(current: DedupeJob) -> None:
        if current.status != DedupeJob.Status.CANCELLED:
            DedupeJob.objects.filter(pk=current.pk).update(cancel_requested=True)

    done = jobs.run_dedupe(job.pk, echo=cancel_once_started)

    assert done.status == DedupeJob.Status.CANCELLED
    assert done.finished_at is not None


def test_stop_cancels_a_search_run_from_the_command_line(lin: User) -> None:
    twins(lin)
    job = jobs.create_job(actor=lin)

    done = jobs.run_dedupe(job.pk, stop=lambda: True)

    assert done.status == DedupeJob.Status.CANCELLED
    assert MatchCandidate.objects.count() == 0


def test_a_search_cancelled_before_it_started_never_runs(lin: User) -> None:
    job = jobs.create_job(actor=lin)
    jobs.cancel(job, actor=lin)

    done = jobs.run_dedupe(job.pk)

    assert done.status == DedupeJob.Status.CANCELLED
    assert done.started_at is None


def test_cancelling_a_finished_search_is_refused(lin: User) -> None:
    job = run(lin)

    with pytest.raises(ValidationError):
        jobs.cancel(job, actor=lin)


def test_an_unexpected_error_fails_the_search_without_raising(
    lin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = jobs.create_job(actor=lin)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "find_pairs", broken)
    done = jobs.run_dedupe(job.pk)

    assert done.status == DedupeJob.Status.FAILED
    assert f"#{job.pk}" in done.error
    assert "disk full" not in done.error  # details go to the log, not to the page


def test_a_segment_no_longer_valid_fails_the_search_with_the_reason(lin: User) -> None:
    job = jobs.create_job(actor=lin)
    DedupeJob.objects.filter(pk=job.pk).update(segment="owner=nobody-of-that-name")

    done = jobs.run_dedupe(job.pk)

    assert done.status == DedupeJob.Status.FAILED
    assert "not valid" in done.error


def test_the_task_does_nothing_while_huike_is_paused(lin: User) -> None:
    job = jobs.create_job(actor=lin)
    pause("restored copy")

    tasks.dedupe.call_local(job.pk)

    job.refresh_from_db()
    assert job.status == DedupeJob.Status.PENDING


def test_a_pause_during_a_search_leaves_it_waiting_and_resume_runs_it(lin: User) -> None:
    # given a search that sees Huike paused while it runs
    twins(lin)
    job = jobs.create_job(actor=lin)

    def pause_once_started(current: DedupeJob) -> None:
        if current.status == DedupeJob.Status.RUNNING:
            pause("maintenance")

    waiting = jobs.run_dedupe(job.pk, echo=pause_once_started)
    assert waiting.status == DedupeJob.Status.PENDING

    # when Huike resumes and the periodic task finds the search waiting
    resume(actor=None)
    DedupeJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    assert tasks.resume_dedupes.call_local() == 1

    # then it ran to its end
    job.refresh_from_db()
    assert job.status == DedupeJob.Status.DONE
    assert job.found == 1


def test_the_command_line_search_ignores_the_pause(lin: User) -> None:
    twins(lin)
    pause("restored copy")
    job = jobs.create_job(actor=lin)

    done = jobs.run_dedupe(job.pk, pausable=False)

    assert done.status == DedupeJob.Status.DONE


def test_one_search_at_a_time(lin: User) -> None:
    jobs.create_job(actor=lin)

    with pytest.raises(ValidationError, match="already under way"):
        jobs.create_job(actor=lin)


def test_a_search_whose_worker_stopped_is_failed_and_no_longer_blocks(lin: User) -> None:
    stuck = jobs.create_job(actor=lin)
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    DedupeJob.objects.filter(pk=stuck.pk).update(
        status="running", started_at=long_ago, stats={"heartbeat": long_ago.isoformat()}
    )

    fresh = jobs.create_job(actor=lin)

    stuck.refresh_from_db()
    assert stuck.status == DedupeJob.Status.FAILED
    assert fresh.status == DedupeJob.Status.PENDING


def test_a_running_search_with_a_recent_heartbeat_still_blocks(lin: User) -> None:
    busy = jobs.create_job(actor=lin)
    DedupeJob.objects.filter(pk=busy.pk).update(
        status="running", started_at=timezone.now(), stats={"heartbeat": timezone.now().isoformat()}
    )

    with pytest.raises(ValidationError):
        jobs.create_job(actor=lin)


def test_starting_takes_the_permission_and_auto_merge_the_merge_permission(
    make_user: MakeUser,
) -> None:
    searcher = Role.objects.create(code="searcher", name="Searcher", record_scope="all")
    searcher.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="identity", codename__in=["add_dedupejob", "view_dedupejob"]
        )
    )

    with pytest.raises(PermissionDenied):
        jobs.create_job(actor=make_user("salesperson"))
    with pytest.raises(PermissionDenied):
        jobs.create_job(actor=make_user("searcher"), auto_merge=True)
    assert jobs.create_job(actor=make_user("searcher")).auto_merge is False


def test_start_dedupe_hands_the_search_to_the_worker_on_commit(
    lin: User, django_capture_on_commit_callbacks: Any
) -> None:
    twins(lin)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = jobs.start_dedupe(actor=lin)

    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == DedupeJob.Status.DONE
    assert job.found == 1
