"""The duplicate pages: the queue, one pair side by side with its merge, "not a duplicate",
merging in bulk, searches for duplicates with their progress, the merges and their undo, and
what the customer page shows about duplicates."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huike.accounts.models import Team, User
from huike.identity import jobs, matching, services
from huike.identity.models import DedupeJob, MatchCandidate, Merge
from huike.parties.models import GoldenValue, Observation, Party
from huike.parties.tests.factories import observe, person

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


# --- helpers shared by the app's other tests ----------------------------------------------------


def twins(owner: User | None, name: str = "张伟", **values: Any) -> tuple[Party, Party]:
    """Two records of one person: same name and mobile, different e-mail addresses."""
    team = owner.team if owner is not None else None
    mobile = values.pop("mobile", "13812345678")
    first = person(
        name,
        actor=None,
        owner=owner,
        team=team,
        attributes={"mobile": mobile, "email": "zhangwei@example.com", **values},
    )
    second = person(
        name,
        actor=None,
        owner=owner,
        team=team,
        attributes={"mobile": mobile, "email": "zw@work.example.cn", **values},
    )
    return first, second


def queued(a: Party, b: Party, *, found_by: str = "job") -> MatchCandidate:
    """The pair as the matcher scores it, put in the queue."""
    features = matching.load_features([a.pk, b.pk])
    score = matching.compare(features[a.pk], features[b.pk])
    services.queue_candidates([(a.pk, b.pk, score)], found_by=found_by)
    low, high = sorted((a.pk, b.pk))
    return MatchCandidate.objects.get(party_a_id=low, party_b_id=high)


def golden(party: Party, code: str) -> Any:
    return GoldenValue.objects.get(party=party, attribute__code=code).value


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def east() -> Team:
    return Team.objects.create(name="East")


@pytest.fixture
def lin(make_user: MakeUser, east: Team) -> User:
    """A manager: reviews and merges the team's duplicates."""
    return make_user("manager", username="lin", team=east)


@pytest.fixture
def web(client: Client, lin: User) -> Client:
    client.force_login(lin)
    return client


@pytest.fixture
def pair(lin: User) -> MatchCandidate:
    a, b = twins(lin)
    return queued(a, b)


def text(response: Any) -> str:
    return response.content.decode()


# --- the queue ----------------------------------------------------------------------------------


def test_the_queue_lists_open_pairs_surest_first_with_names_score_and_reasons(
    web: Client, lin: User
) -> None:
    # given a sure pair and a weaker one (same name, different phones and e-mails)
    sure = queued(*twins(lin))
    weak = queued(
        person("李娜", owner=lin, team=lin.team, attributes={"mobile": "13900000001"}),
        person("李娜", owner=lin, team=lin.team, attributes={"mobile": "13700000002"}),
    )
    assert sure.score > weak.score

    response = web.get(reverse("identity:candidates"))

    assert response.status_code == 200
    page = text(response)
    rows = re.findall(r'data-candidate="(\d+)"', page)
    assert rows == [str(sure.pk), str(weak.pk)]
    assert f'href="{sure.party_a.get_absolute_url()}"' in page
    assert f'href="{sure.party_b.get_absolute_url()}"' in page
    assert f'data-score="{round(sure.score * 100)}"' in page
    assert "Phone: the same" in page  # a top reason, in words
    assert reverse("identity:candidate", args=[sure.pk]) in page


def test_the_queue_shows_open_pairs_unless_another_status_is_chosen(
    web: Client, pair: MatchCandidate
) -> None:
    MatchCandidate.objects.filter(pk=pair.pk).update(status=MatchCandidate.Status.NOT_DUPLICATE)

    default = text(web.get(reverse("identity:candidates")))
    chosen = text(web.get(reverse("identity:candidates"), {"status": "not_duplicate"}))
    everything = text(web.get(reverse("identity:candidates"), {"status": ""}))

    assert f'data-candidate="{pair.pk}"' not in default
    assert f'data-candidate="{pair.pk}"' in chosen
    assert f'data-candidate="{pair.pk}"' in everything


def test_the_queue_filters_by_minimum_score_and_found_by(web: Client, pair: MatchCandidate) -> None:
    above = text(web.get(reverse("identity:candidates"), {"min_score": "0.5"}))
    above_it = text(web.get(reverse("identity:candidates"), {"min_score": "1"}))
    by_import = text(web.get(reverse("identity:candidates"), {"found_by": "import"}))

    assert f'data-candidate="{pair.pk}"' in above
    assert f'data-candidate="{pair.pk}"' not in above_it
    assert f'data-candidate="{pair.pk}"' not in by_import


def test_a_pair_with_a_customer_out_of_scope_is_not_listed_nor_reachable(
    client: Client, make_user: MakeUser, lin: User
) -> None:
    # given a pair of lin's customer and another salesperson's
    sales = make_user("salesperson", username="sales")
    mine = person("张伟", owner=sales, attributes={"mobile": "13812345678"})
    theirs = person("张伟", owner=lin, attributes={"mobile": "13812345678"})
    candidate = queued(mine, theirs)
    client.force_login(sales)

    listing = client.get(reverse("identity:candidates"))
    page = client.get(reverse("identity:candidate", args=[candidate.pk]))

    assert f'data-candidate="{candidate.pk}"' not in text(listing)
    assert page.status_code == 404


def test_the_queue_costs_the_same_number_of_queries_for_many_pairs(web: Client, lin: User) -> None:
    queued(*twins(lin))
    with CaptureQueriesContext(connection) as few:
        web.get(reverse("identity:candidates"))
    for name in ("王芳", "刘洋", "陈静"):
        queued(*twins(lin, name=name, mobile=f"1391234{len(name)}{ord(name[0]) % 1000:03d}"))
    with CaptureQueriesContext(connection) as many:
        web.get(reverse("identity:candidates"))
    assert len(many) == len(few)


# --- one pair -----------------------------------------------------------------------------------


def test_the_review_page_shows_both_customers_side_by_side_with_the_explanation(
    web: Client, pair: MatchCandidate
) -> None:
    response = web.get(reverse("identity:candidate", args=[pair.pk]))

    assert response.status_code == 200
    page = text(response)
    assert 'id="party-a"' in page and 'id="party-b"' in page
    assert "zhangwei@example.com" in page and "zw@work.example.cn" in page
    # the e-mails differ: one radio each, survivorship's pick checked
    radios = re.findall(r'<input[^>]*name="attr\.email"[^>]*>', page)
    assert len(radios) == 2
    assert sum("checked" in radio for radio in radios) == 1
    # the explanation names what agreed and how much it counted
    assert 'id="explanation-table"' in page
    assert "Phone: the same" in page
    assert re.search(r"\+\d+(\.\d)?", page)
    assert 'id="merge"' in page and 'id="not-duplicate"' in page


def test_a_salesperson_reads_the_pair_without_the_merge_form(
    client: Client, make_user: MakeUser
) -> None:
    sales = make_user("salesperson", username="sales")
    candidate = queued(*twins(sales))
    client.force_login(sales)

    page = text(client.get(reverse("identity:candidate", args=[candidate.pk])))

    assert 'id="comparison"' in page
    assert 'id="merge"' not in page
    refused = client.post(reverse("identity:candidate_merge", args=[candidate.pk]))
    assert refused.status_code == 403


def test_merging_with_a_value_chosen_from_the_customer_that_goes(
    web: Client, pair: MatchCandidate
) -> None:
    # given the review page, where survivorship keeps one e-mail by default (the newest, B's)
    # and A's e-mail is made the newest, so B's is the one to choose by hand
    a, b = pair.party_a, pair.party_b
    observe(a, {"email": "zhangwei@example.com"})
    email_b = Observation.objects.get(party=b, attribute__code="email")
    page = text(web.get(reverse("identity:candidate", args=[pair.pk])))
    assert re.search(rf'value="{email_b.pk}"[^>]*id="attr.email-b"(?! checked)>', page)

    # when the reviewer keeps customer A but takes B's e-mail
    response = web.post(
        reverse("identity:candidate_merge", args=[pair.pk]),
        {"survivor": a.pk, "attr.email": email_b.pk},
    )

    # then A holds B's e-mail, B is gone, and the page goes to A
    assert response.status_code == 302
    assert response["Location"] == a.get_absolute_url()
    assert not Party.objects.filter(pk=b.pk).exists()
    assert golden(a, "email") == "zw@work.example.cn"
    merge = Merge.objects.get()
    assert merge.survivor_id == a.pk and merge.merged_id == b.pk
    assert merge.choices == {"email": email_b.pk}


def test_merging_with_the_default_values_keeps_survivorships_picks(
    web: Client, pair: MatchCandidate
) -> None:
    a, b = pair.party_a, pair.party_b
    observe(a, {"email": "zhangwei@example.com"})  # now the newest e-mail
    email_a = GoldenValue.objects.get(party=a, attribute__code="email").observation_id

    web.post(
        reverse("identity:candidate_merge", args=[pair.pk]),
        {"survivor": b.pk, "attr.email": email_a},
    )

    assert golden(b, "email") == "zhangwei@example.com"
    assert Merge.objects.get().choices == {}  # nothing chosen against the default


def test_merging_keeps_the_other_customer_when_chosen(web: Client, pair: MatchCandidate) -> None:
    a, b = pair.party_a, pair.party_b

    web.post(reverse("identity:candidate_merge", args=[pair.pk]), {"survivor": b.pk})

    assert Party.objects.filter(pk=b.pk).exists()
    assert not Party.objects.filter(pk=a.pk).exists()


def test_merging_without_a_survivor_changes_nothing(web: Client, pair: MatchCandidate) -> None:
    response = web.post(reverse("identity:candidate_merge", args=[pair.pk]), {"survivor": "x"})

    assert response.status_code == 302
    assert response["Location"] == pair.get_absolute_url()
    assert Party.objects.filter(pk__in=[pair.party_a_id, pair.party_b_id]).count() == 2


def test_a_field_chosen_from_the_customer_that_goes_is_kept(
    web: Client, make_user: MakeUser, lin: User, pair: MatchCandidate
) -> None:
    a, b = pair.party_a, pair.party_b
    Party.objects.filter(pk=b.pk).update(stage=Party.Stage.VIP)

    web.post(
        reverse("identity:candidate_merge", args=[pair.pk]),
        {"survivor": a.pk, "field.stage": b.pk},
    )

    a.refresh_from_db()
    assert a.stage == Party.Stage.VIP


def test_not_a_duplicate_closes_the_pair_for_good(web: Client, pair: MatchCandidate) -> None:
    response = web.post(reverse("identity:candidate_not_duplicate", args=[pair.pk]))

    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == MatchCandidate.Status.NOT_DUPLICATE
    # found again later, it is not reopened
    queued(pair.party_a, pair.party_b)
    pair.refresh_from_db()
    assert pair.status == MatchCandidate.Status.NOT_DUPLICATE


def test_not_a_duplicate_goes_on_to_the_next_pair(web: Client, lin: User) -> None:
    first = queued(*twins(lin))
    second = queued(*twins(lin, name="王芳", mobile="13911112222"))
    reviewed, following = sorted((first, second), key=lambda c: (-c.score, c.pk))

    response = web.post(reverse("identity:candidate_not_duplicate", args=[reviewed.pk]))

    assert response["Location"] == following.get_absolute_url()


# --- merging in bulk ----------------------------------------------------------------------------


def test_bulk_merge_asks_for_confirmation_then_merges_pairs_at_or_above_the_score(
    web: Client, lin: User
) -> None:
    # given a sure pair and a weak one
    sure = queued(*twins(lin))
    weak = queued(
        person("李娜", owner=lin, team=lin.team, attributes={"mobile": "13900000001"}),
        person("李娜", owner=lin, team=lin.team, attributes={"mobile": "13700000002"}),
    )
    cut = round(sure.score * 100) - 1
    assert weak.score * 100 < cut

    # the confirmation step says how many and changes nothing
    confirm = web.get(reverse("identity:candidates_bulk"), {"min_percent": cut})
    assert confirm.status_code == 200
    page = text(confirm)
    assert 'id="bulk-confirm"' in page
    assert f'data-candidate="{sure.pk}"' in page
    assert f'data-candidate="{weak.pk}"' not in page
    assert Merge.objects.count() == 0

    # confirmed: only the sure pair is merged
    done = web.post(reverse("identity:candidates_bulk"), {"min_percent": cut, "confirm": "1"})
    assert done.status_code == 302
    assert Merge.objects.count() == 1
    assert MatchCandidate.objects.filter(pk=weak.pk, status="open").exists()


def test_bulk_merge_below_the_maybe_threshold_is_refused(web: Client) -> None:
    response = web.get(reverse("identity:candidates_bulk"), {"min_percent": "10"})

    assert response.status_code == 400
    assert 'id="bulk-confirm"' not in text(response)


def test_bulk_merge_without_confirmation_merges_nothing(web: Client, pair: MatchCandidate) -> None:
    response = web.post(reverse("identity:candidates_bulk"), {"min_percent": "60"})

    assert response.status_code == 200
    assert Merge.objects.count() == 0


# --- searches -----------------------------------------------------------------------------------


def test_starting_a_search_runs_it_and_shows_its_progress(
    web: Client, lin: User, django_capture_on_commit_callbacks: Any
) -> None:
    a, b = twins(lin)

    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(reverse("identity:dedupejob_add"), {"segment": ""})

    job = DedupeJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    assert job.status == DedupeJob.Status.DONE
    assert job.found == 1
    assert MatchCandidate.objects.filter(party_a=a, party_b=b, job=job).exists()
    page = text(web.get(job.get_absolute_url()))
    assert 'data-status="done"' in page
    assert 'data-count="found">1<' in page
    assert 'hx-trigger="every 1s"' not in page  # finished: no more polling
    assert 'id="review-found"' in page


def test_a_running_search_polls_its_progress_every_second(web: Client, lin: User) -> None:
    job = jobs.start_dedupe(actor=lin)  # not committed: the worker has not taken it
    DedupeJob.objects.filter(pk=job.pk).update(status="running", total=200, done=50)

    page = text(web.get(job.get_absolute_url()))
    panel = web.get(reverse("identity:dedupejob_progress", args=[job.pk]), {"running": "1"})

    assert 'hx-trigger="every 1s"' in page
    assert 'value="25"' in page
    assert panel.status_code == 200
    assert "HX-Refresh" not in panel
    assert 'id="cancel-search"' in text(panel)


def test_the_progress_panel_reloads_the_page_when_the_search_has_finished(
    web: Client, lin: User
) -> None:
    job = jobs.start_dedupe(actor=lin)
    DedupeJob.objects.filter(pk=job.pk).update(status="done")

    panel = web.get(reverse("identity:dedupejob_progress", args=[job.pk]), {"running": "1"})

    assert panel["HX-Refresh"] == "true"


def test_cancelling_a_waiting_search_stops_it_at_once(web: Client, lin: User) -> None:
    job = jobs.start_dedupe(actor=lin)

    response = web.post(reverse("identity:dedupejob_cancel", args=[job.pk]))

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == DedupeJob.Status.CANCELLED


def test_a_second_search_is_refused_while_one_runs(web: Client, lin: User) -> None:
    jobs.start_dedupe(actor=lin)

    response = web.post(reverse("identity:dedupejob_add"), {"segment": ""})

    assert response.status_code == 400
    assert "already under way" in text(response)
    assert DedupeJob.objects.count() == 1


def test_a_search_with_filters_that_are_not_valid_is_refused(web: Client) -> None:
    response = web.post(reverse("identity:dedupejob_add"), {"segment": "stage=nonsense"})

    assert response.status_code == 400
    assert DedupeJob.objects.count() == 0


def test_the_search_list_offers_the_form_with_the_customer_lists_filters(web: Client) -> None:
    page = text(web.get(reverse("identity:dedupejobs"), {"segment": "stage=customer"}))

    assert 'id="start-search-form"' in page
    assert 'value="stage=customer"' in page
    assert 'name="auto_merge"' in page  # a manager may merge


def test_a_salesperson_may_not_start_searches(client: Client, make_user: MakeUser) -> None:
    client.force_login(make_user("salesperson"))

    assert client.get(reverse("identity:dedupejobs")).status_code == 403
    assert client.post(reverse("identity:dedupejob_add"), {}).status_code == 403


# --- merges and unmerge -------------------------------------------------------------------------


def test_the_merge_page_says_what_moved_and_unmerge_brings_both_back(
    web: Client, lin: User, pair: MatchCandidate
) -> None:
    a, b = pair.party_a, pair.party_b
    merge = services.merge_candidate(pair, actor=lin, survivor=a)

    listing = text(web.get(reverse("identity:merges")))
    page = text(web.get(merge.get_absolute_url()))

    assert f'data-merge="{merge.pk}"' in listing
    assert 'id="moved-table"' in page
    assert 'data-kind="parties.observation.party"' in page
    assert 'id="unmerge"' in page

    response = web.post(reverse("identity:merge_unmerge", args=[merge.pk]))

    assert response.status_code == 302
    assert Party.objects.filter(pk__in=[a.pk, b.pk]).count() == 2
    merge.refresh_from_db()
    assert merge.undone
    after = text(web.get(merge.get_absolute_url()))
    assert 'id="restored-link"' in after
    assert 'id="unmerge"' not in after


def test_unmerging_twice_is_refused_with_a_message(
    web: Client, lin: User, pair: MatchCandidate
) -> None:
    merge = services.merge_candidate(pair, actor=lin)
    services.unmerge(merge, actor=lin)

    response = web.post(reverse("identity:merge_unmerge", args=[merge.pk]), follow=True)

    assert response.status_code == 200
    assert 'class="alert alert-danger' in text(response)


@pytest.mark.parametrize("url_name", ["identity:merges", "identity:dedupejobs"])
def test_the_merge_and_search_lists_cost_the_same_number_of_queries_for_many_rows(
    web: Client, lin: User, url_name: str
) -> None:
    def add_rows(mobiles: list[str]) -> None:
        for mobile in mobiles:
            services.merge_candidate(queued(*twins(lin, mobile=mobile)), actor=lin)
            DedupeJob.objects.create(created_by=lin, status="done")

    add_rows(["13911110001"])
    with CaptureQueriesContext(connection) as few:
        web.get(reverse(url_name))
    add_rows(["13911110002", "13911110003", "13911110004"])
    with CaptureQueriesContext(connection) as many:
        web.get(reverse(url_name))
    assert len(many) == len(few)


# --- the customer page --------------------------------------------------------------------------


def test_the_customer_page_lists_its_possible_duplicates(web: Client, pair: MatchCandidate) -> None:
    page = text(web.get(pair.party_a.get_absolute_url()))

    assert 'id="possible-duplicates"' in page
    assert pair.get_absolute_url() in page
    assert pair.party_b.get_absolute_url() in page


def test_the_customer_page_says_what_was_merged_into_it(
    web: Client, lin: User, pair: MatchCandidate
) -> None:
    merge = services.merge_candidate(pair, actor=lin, survivor=pair.party_a)

    page = text(web.get(pair.party_a.get_absolute_url()))

    assert 'id="merged-from"' in page
    assert merge.get_absolute_url() in page


def test_the_page_of_a_merged_customer_redirects_to_the_survivor(
    web: Client, lin: User, pair: MatchCandidate
) -> None:
    a, b = pair.party_a, pair.party_b
    services.merge_candidate(pair, actor=lin, survivor=a)

    response = web.get(reverse("parties:party", args=[b.pk]))

    assert response.status_code == 302
    assert response["Location"] == a.get_absolute_url()


def test_the_page_of_a_merged_customer_stays_404_when_the_survivor_is_out_of_scope(
    client: Client, make_user: MakeUser, lin: User, pair: MatchCandidate
) -> None:
    b = pair.party_b
    services.merge_candidate(pair, actor=lin, survivor=pair.party_a)
    client.force_login(make_user("salesperson", username="stranger"))

    response = client.get(reverse("parties:party", args=[b.pk]))

    assert response.status_code == 404


def test_an_id_that_never_existed_stays_404(web: Client) -> None:
    assert web.get(reverse("parties:party", args=[999_999])).status_code == 404


def test_the_customer_list_links_to_a_search_of_its_own_segment(
    web: Client, make_user: MakeUser, client: Client
) -> None:
    page = text(web.get(reverse("parties:party_list") + "?stage=customer"))
    link = reverse("identity:dedupejob_add") + "?segment=stage%3Dcustomer"
    assert link.replace("&", "&amp;") in page or link in page
    form = text(web.get(link))
    assert 'value="stage=customer"' in form

    client.force_login(make_user("salesperson"))
    assert reverse("identity:dedupejob_add") not in text(client.get(reverse("parties:party_list")))
