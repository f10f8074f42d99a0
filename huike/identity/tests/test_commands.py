"""``huike dedupe``, ``huike duplicates``, ``huike merge``, ``huike unmerge`` and
``huike not-duplicate``: the contracts scripts rely on (docs/identity.md)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from huike.accounts.models import User
from huike.cli import main
from huike.identity import services
from huike.identity.models import DedupeJob, MatchCandidate, Merge
from huike.identity.tests.test_views import golden, queued, twins
from huike.parties.models import Party
from huike.parties.tests.factories import organisation, person

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
LINE_KEYS = {
    "party_a",
    "party_b",
    "external_id_a",
    "external_id_b",
    "score",
    "decision",
    "status",
}


def run(command: str, *args: str) -> tuple[str, str]:
    """``huike COMMAND ARGS`` in English; returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fails(command: str, *args: str) -> str:
    with pytest.raises(CommandError) as error, translation.override("en"):
        call_command(command, *args, stdout=io.StringIO(), stderr=io.StringIO())
    return str(error.value)


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def boss(make_user: MakeUser) -> User:
    return make_user("administrator", username="boss")


def imported_twins() -> tuple[Party, Party]:
    """One person imported twice, from systems that gave each record an external id."""
    first = person(
        "张伟",
        attributes={"mobile": "13812345678", "email": "zw@example.com", "external_id": "rec-1-org"},
    )
    second = person(
        "张伟",
        attributes={"mobile": "13812345678", "external_id": "rec-1-dup-0"},
    )
    return first, second


# --- huike dedupe -------------------------------------------------------------------------------


def test_dedupe_json_prints_one_line_per_pair_naming_both_external_ids(boss: User) -> None:
    a, b = imported_twins()
    person("李娜", attributes={"mobile": "13900000001"})

    out, _err = run("dedupe", "--json")

    found = lines(out)
    assert len(found) == 1
    line = found[0]
    assert set(line) == LINE_KEYS
    assert (line["party_a"], line["party_b"]) == (a.pk, b.pk)
    assert (line["external_id_a"], line["external_id_b"]) == ("rec-1-org", "rec-1-dup-0")
    assert 0.5 <= line["score"] <= 1 and line["decision"] in ("same", "maybe")
    assert line["status"] == "open"
    assert DedupeJob.objects.get().status == "done"


def test_dedupe_json_lists_pairs_queued_earlier_with_their_status(boss: User) -> None:
    a, b = imported_twins()
    queued(a, b, found_by="import")
    services.mark_not_duplicate(a, b, actor=boss)

    out, _err = run("dedupe", "--json")

    (line,) = lines(out)
    assert line["status"] == "not_duplicate"


def test_dedupe_json_says_null_for_a_missing_external_id(boss: User) -> None:
    twins(None)

    out, _err = run("dedupe", "--json")

    (line,) = lines(out)
    assert line["external_id_a"] is None and line["external_id_b"] is None


def test_dedupe_auto_merge_reports_merged_pairs(boss: User, settings: Any) -> None:
    imported_twins()
    settings.IDENTITY_AUTO_MERGE = 0.5

    out, _err = run("dedupe", "--json", "--auto-merge")

    (line,) = lines(out)
    assert line["status"] == "merged"
    assert line["external_id_b"] == "rec-1-dup-0"  # read before the merge took it away
    assert Merge.objects.get().automatic


def test_dedupe_prints_a_summary_and_no_progress_without_a_terminal(boss: User) -> None:
    twins(None)

    out, err = run("dedupe")

    assert out.startswith("Done: 2 customers compared, 1 likely duplicate pairs found")
    assert err == ""


def test_dedupe_segment_limits_the_customers_compared(boss: User) -> None:
    a, b = twins(None)
    twins(None, name="王芳", mobile="13911112222")
    Party.objects.filter(pk__in=[a.pk, b.pk]).update(stage="customer")

    out, _err = run("dedupe", "--json", "--segment", "stage=customer")

    assert [(line["party_a"], line["party_b"]) for line in lines(out)] == [(a.pk, b.pk)]


def test_dedupe_as_a_user_compares_what_they_see(make_user: MakeUser, boss: User) -> None:
    mine = make_user("manager", username="lin")
    twins(mine)
    twins(None, name="王芳", mobile="13911112222")

    out, _err = run("dedupe", "--json", "--as", "lin")

    assert len(lines(out)) == 1
    assert DedupeJob.objects.get().created_by == mine


def test_dedupe_refuses_bad_filters_users_without_permission_and_a_second_search(
    make_user: MakeUser, boss: User
) -> None:
    make_user("salesperson", username="mei")

    assert "stage" in fails("dedupe", "--segment", "stage=nonsense")
    assert "may not" in fails("dedupe", "--as", "mei")
    DedupeJob.objects.create(created_by=boss)
    assert "already under way" in fails("dedupe")


def test_ctrl_c_stops_the_search_cleanly(boss: User, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a search whose first progress report meets a Ctrl-C
    import signal

    twins(None)
    handlers: dict[int, Any] = {}
    real_signal = signal.signal

    def remember(signum: int, handler: Any) -> Any:
        handlers.setdefault(signum, handler)  # the command's own, not the one it puts back
        return real_signal(signum, handler)

    monkeypatch.setattr(signal, "signal", remember)
    from huike.identity import jobs

    real_run = jobs.run_dedupe

    def interrupted(job_id: int, **kwargs: Any) -> DedupeJob:
        handlers[signal.SIGINT](signal.SIGINT, None)  # the user presses Ctrl-C
        return real_run(job_id, **kwargs)

    monkeypatch.setattr(jobs, "run_dedupe", interrupted)

    # then the search stops, says so, and exits 130
    with pytest.raises(SystemExit) as exit_code:
        run("dedupe")
    assert exit_code.value.code == 130
    assert DedupeJob.objects.get().status == "cancelled"
    assert signal.getsignal(signal.SIGINT) is not handlers[signal.SIGINT]  # put back


def test_the_huike_command_accepts_the_hyphenated_name(
    boss: User, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = imported_twins()
    queued(a, b)

    main(["huike", "not-duplicate", str(a.pk), str(b.pk), "--json"])

    assert json.loads(capsys.readouterr().out)["status"] == "not_duplicate"


# --- huike duplicates ---------------------------------------------------------------------------


def test_duplicates_lists_the_open_pairs_as_json_lines(boss: User) -> None:
    a, b = imported_twins()
    pair = queued(a, b)
    closed = queued(*twins(None, name="王芳", mobile="13911112222"))
    MatchCandidate.objects.filter(pk=closed.pk).update(status="not_duplicate")

    out, _err = run("duplicates", "--json")

    (line,) = lines(out)
    assert line["id"] == pair.pk
    assert LINE_KEYS <= set(line)
    assert (line["external_id_a"], line["external_id_b"]) == ("rec-1-org", "rec-1-dup-0")
    assert line["name_a"] == "张伟" and line["found_by"] == "job"


def test_duplicates_filters_by_status_and_score(boss: User) -> None:
    pair = queued(*twins(None))
    MatchCandidate.objects.filter(pk=pair.pk).update(status="not_duplicate", score=0.8)

    assert lines(run("duplicates", "--json", "--status", "not_duplicate")[0])[0]["id"] == pair.pk
    assert run("duplicates", "--json", "--status", "not_duplicate", "--min-score", "0.9")[0] == ""
    assert "0 to 1" in fails("duplicates", "--min-score", "high")


def test_duplicates_prints_a_table(boss: User) -> None:
    pair = queued(*twins(None))

    out, _err = run("duplicates")

    assert f"#{pair.party_a_id} 张伟  ~  #{pair.party_b_id} 张伟" in out


def test_duplicates_leaves_out_pairs_the_user_may_not_see(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")
    queued(*twins(None))

    assert run("duplicates", "--json", "--as", "mei")[0] == ""


# --- huike merge, unmerge, not-duplicate --------------------------------------------------------


def test_merge_with_a_chosen_value_then_unmerge(boss: User) -> None:
    a, b = twins(None)
    Party.objects.filter(pk=b.pk).update(stage="vip")

    out, _err = run(
        "merge",
        str(a.pk),
        str(b.pk),
        "--choose",
        f"email={b.pk}",
        "--choose",
        f"stage={b.pk}",
        "--json",
    )

    result = json.loads(out)
    merge = Merge.objects.get()
    assert result["merge"] == merge.pk
    assert (result["survivor"], result["merged"]) == (a.pk, b.pk)
    assert result["rows"] == merge.moved_count() > 0
    assert not Party.objects.filter(pk=b.pk).exists()
    a.refresh_from_db()
    assert a.stage == "vip"
    assert golden(a, "email") == "zw@work.example.cn"

    out, _err = run("unmerge", str(merge.pk), "--json")

    assert json.loads(out) == {"merge": merge.pk, "survivor": a.pk, "restored": b.pk}
    assert Party.objects.filter(pk=b.pk).exists()


def test_merge_says_how_to_undo_it(boss: User) -> None:
    a, b = twins(None)

    out, _err = run("merge", str(a.pk), str(b.pk))

    assert f"huike unmerge {Merge.objects.get().pk}" in out


def test_merge_refusals_name_the_problem(boss: User, make_user: MakeUser) -> None:
    a, b = twins(None)
    company = organisation("张伟公司")
    make_user("salesperson", username="mei")

    assert "itself" in fails("merge", str(a.pk), str(a.pk))
    assert "organisation" in fails("merge", str(a.pk), str(company.pk))
    assert "not one of the two" in fails(
        "merge", str(a.pk), str(b.pk), "--choose", f"email={company.pk}"
    )
    assert "CODE=CUSTOMER_ID" in fails("merge", str(a.pk), str(b.pk), "--choose", "email")
    assert "no value" in fails("merge", str(a.pk), str(b.pk), "--choose", f"birth_date={b.pk}")
    assert "may see" in fails("merge", str(a.pk), str(b.pk), "--as", "mei")


def test_unmerge_refusals(boss: User) -> None:
    merge = services.merge_candidate(queued(*twins(None)), actor=boss)
    run("unmerge", str(merge.pk))

    assert "already undone" in fails("unmerge", str(merge.pk))
    assert "No merge 999" in fails("unmerge", "999")


def test_not_duplicate_closes_the_pair(boss: User) -> None:
    a, b = twins(None)

    out, _err = run("not_duplicate", str(b.pk), str(a.pk))

    assert "will not be proposed again" in out
    candidate = MatchCandidate.objects.get()
    assert (candidate.party_a_id, candidate.party_b_id, candidate.status) == (
        a.pk,
        b.pk,
        "not_duplicate",
    )


def test_commands_as_a_user_without_the_permission_are_refused(make_user: MakeUser) -> None:
    make_user("salesperson", username="mei")
    a, b = twins(None)
    Party.objects.update(owner=User.objects.get(username="mei"))

    assert "may not merge" in fails("merge", str(a.pk), str(b.pk), "--as", "mei")
    assert "may not merge" in fails("not_duplicate", str(a.pk), str(b.pk), "--as", "mei")
