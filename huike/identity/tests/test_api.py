"""The identity API: ``duplicates/`` (the queue, one pair with its comparison, merge, not a
duplicate, bulk merge), ``merges/`` (merge, list, unmerge) and ``dedupe-jobs/`` (start, progress,
cancel), with their refusals in the API's error format."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from huike.accounts.models import Role, Team, User
from huike.identity import services
from huike.identity.models import DedupeJob, MatchCandidate, Merge
from huike.identity.tests.test_views import golden, queued, twins
from huike.parties.models import Observation, Party
from huike.parties.tests.factories import observe, organisation, person

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
Clients = Callable[[User], APIClient]


@pytest.fixture
def lin(make_user: MakeUser) -> User:
    return make_user("manager", username="lin", team=Team.objects.create(name="East"))


@pytest.fixture
def api(token_client: Clients, lin: User) -> APIClient:
    return token_client(lin)


@pytest.fixture
def pair(lin: User) -> MatchCandidate:
    return queued(*twins(lin))


def invalid(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid"
    assert field in body["errors"], body


# --- duplicates/ --------------------------------------------------------------------------------


def test_the_queue_lists_pairs_surest_first_with_both_customers(api: APIClient, lin: User) -> None:
    weak = queued(
        person("李娜", owner=lin, team=lin.team, attributes={"mobile": "13900000001"}),
        person("李娜", owner=lin, team=lin.team, attributes={"mobile": "13700000002"}),
    )
    sure = queued(*twins(lin))

    body = api.get("/api/v1/duplicates/").json()

    assert [row["id"] for row in body["results"]] == [sure.pk, weak.pk]
    row = body["results"][0]
    assert row["party_a"] == {
        "id": sure.party_a_id,
        "name": "张伟",
        "kind": "person",
        "url": sure.party_a.get_absolute_url(),
    }
    assert row["status"] == "open" and row["found_by"] == "job"
    assert row["url"] == sure.get_absolute_url()
    phone = next(part for part in row["explanation"] if part["field"] == "phone")
    assert phone["label"] == "Phone: the same"
    assert phone["agrees"] is True and phone["weight"] > 0


def test_the_queue_filters(api: APIClient, lin: User, pair: MatchCandidate) -> None:
    other = queued(*twins(lin, name="王芳", mobile="13911112222"))
    MatchCandidate.objects.filter(pk=other.pk).update(status="not_duplicate", score=0.7)

    def ids(**query: Any) -> list[int]:
        return [row["id"] for row in api.get("/api/v1/duplicates/", query).json()["results"]]

    assert ids(status="open") == [pair.pk]
    assert ids(status="not_duplicate") == [other.pk]
    assert ids(min_score=0.8) == [pair.pk]
    assert ids(party=other.party_b_id) == [other.pk]
    assert ids(decision="maybe") == ([pair.pk] if pair.decision == "maybe" else [])
    invalid(api.get("/api/v1/duplicates/", {"min_score": 2}), "min_score")


def test_the_queue_leaves_out_pairs_with_a_customer_out_of_scope(
    token_client: Clients, make_user: MakeUser, lin: User
) -> None:
    sales = make_user("salesperson", username="sales")
    mine = person("张伟", owner=sales, attributes={"mobile": "13812345678"})
    theirs = person("张伟", owner=lin, attributes={"mobile": "13812345678"})
    candidate = queued(mine, theirs)
    api = token_client(sales)

    assert api.get("/api/v1/duplicates/").json()["results"] == []
    response = api.get(f"/api/v1/duplicates/{candidate.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_queue_costs_the_same_number_of_queries_for_many_pairs(
    api: APIClient, lin: User
) -> None:
    queued(*twins(lin))
    api.get("/api/v1/duplicates/")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/duplicates/")
    queued(*twins(lin, name="王芳", mobile="13911112222"))
    queued(*twins(lin, name="刘洋", mobile="13933334444"))
    with CaptureQueriesContext(connection) as many:
        api.get("/api/v1/duplicates/")
    assert len(many) == len(few)


@pytest.mark.parametrize("path", ["/api/v1/merges/", "/api/v1/dedupe-jobs/"])
def test_the_merge_and_search_lists_cost_the_same_number_of_queries_for_many_rows(
    api: APIClient, lin: User, path: str
) -> None:
    def add_rows(mobiles: list[str]) -> None:
        for mobile in mobiles:
            services.merge_candidate(queued(*twins(lin, mobile=mobile)), actor=lin)
            DedupeJob.objects.create(created_by=lin, status="done")

    add_rows(["13911110001"])
    api.get(path)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        api.get(path)
    add_rows(["13911110002", "13911110003"])
    with CaptureQueriesContext(connection) as many:
        api.get(path)
    assert len(many) == len(few)


def test_a_pair_holds_the_side_by_side_comparison(api: APIClient, pair: MatchCandidate) -> None:
    body = api.get(f"/api/v1/duplicates/{pair.pk}/").json()

    comparison = body["comparison"]
    rows = {row["code"]: row for row in comparison["attributes"]}
    email = rows["email"]
    assert {email["a"]["text"], email["b"]["text"]} == {
        "zhangwei@example.com",
        "zw@work.example.cn",
    }
    assert email["a"]["observation"] == (
        Observation.objects.get(party=pair.party_a, attribute__code="email").pk
    )
    assert email["default"] in ("a", "b") and email["same"] is False
    assert rows["mobile"]["same"] is True
    assert {row["name"] for row in comparison["party_fields"]} >= {"owner", "stage"}
    assert comparison["survivor"] in (pair.party_a_id, pair.party_b_id)
    assert comparison["counts_a"]["observations"] >= 3


def test_merging_a_pair_with_a_chosen_value(api: APIClient, pair: MatchCandidate) -> None:
    a, b = pair.party_a, pair.party_b
    observe(a, {"email": "zhangwei@example.com"})  # A's e-mail is now the default
    email_b = Observation.objects.get(party=b, attribute__code="email").pk

    response = api.post(
        f"/api/v1/duplicates/{pair.pk}/merge/",
        {"survivor": a.pk, "choices": {"email": email_b}},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["survivor"]["id"] == a.pk and body["merged"] == b.pk
    assert body["choices"] == {"email": email_b}
    assert body["rows"] == sum(body["moved"].values()) > 0
    assert golden(a, "email") == "zw@work.example.cn"
    # the pair went with the merged customer
    assert api.post(f"/api/v1/duplicates/{pair.pk}/merge/", {}, format="json").status_code == 404


def test_merging_a_pair_keeps_the_default_survivor_without_a_choice(
    api: APIClient, pair: MatchCandidate
) -> None:
    response = api.post(f"/api/v1/duplicates/{pair.pk}/merge/", {}, format="json")

    assert response.status_code == 201
    assert Party.objects.filter(pk__in=[pair.party_a_id, pair.party_b_id]).count() == 1


def test_merging_a_pair_refuses_bad_survivors_and_choices(
    api: APIClient, lin: User, pair: MatchCandidate
) -> None:
    stranger = person("王五", owner=lin)
    url = f"/api/v1/duplicates/{pair.pk}/merge/"

    invalid(api.post(url, {"survivor": stranger.pk}, format="json"), "survivor")
    invalid(api.post(url, {"choices": ["email"]}, format="json"), "choices")
    invalid(api.post(url, {"choices": {"email": "x"}}, format="json"), "choices")
    foreign = Observation.objects.filter(party=stranger).first()
    assert foreign is not None
    invalid(api.post(url, {"choices": {"name": foreign.pk}}, format="json"), "name")
    invalid(api.post(url, {"choices": {"nonsense": 1}}, format="json"), "nonsense")
    assert Merge.objects.count() == 0


def test_merging_needs_the_merge_permission(token_client: Clients, make_user: MakeUser) -> None:
    sales = make_user("salesperson", username="sales")
    candidate = queued(*twins(sales))
    api = token_client(sales)

    assert api.get(f"/api/v1/duplicates/{candidate.pk}/").status_code == 200
    response = api.post(f"/api/v1/duplicates/{candidate.pk}/merge/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert api.post(f"/api/v1/duplicates/{candidate.pk}/not-duplicate/").status_code == 403
    assert api.post("/api/v1/duplicates/bulk-merge/", {"min_score": 0.5}).status_code == 403


def test_merging_is_idempotent_with_a_key(api: APIClient, pair: MatchCandidate) -> None:
    url = f"/api/v1/duplicates/{pair.pk}/merge/"

    first = api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="merge-1")
    again = api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="merge-1")

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    assert Merge.objects.count() == 1


def test_not_a_duplicate(api: APIClient, pair: MatchCandidate) -> None:
    response = api.post(f"/api/v1/duplicates/{pair.pk}/not-duplicate/")

    assert response.status_code == 200
    assert response.json()["status"] == "not_duplicate"
    assert response.json()["reviewed_by"] == "lin"
    queued(pair.party_a, pair.party_b)
    assert MatchCandidate.objects.get(pk=pair.pk).status == "not_duplicate"


def test_bulk_merge(api: APIClient, lin: User, pair: MatchCandidate) -> None:
    weak = queued(
        person("李娜", owner=lin, team=lin.team, attributes={"mobile": "13900000001"}),
        person("李娜", owner=lin, team=lin.team, attributes={"mobile": "13700000002"}),
    )
    cut = (pair.score + weak.score) / 2

    response = api.post("/api/v1/duplicates/bulk-merge/", {"min_score": cut}, format="json")

    assert response.status_code == 200
    assert response.json() == {"merged": 1, "min_score": cut}
    assert MatchCandidate.objects.get(pk=weak.pk).status == "open"
    invalid(
        api.post("/api/v1/duplicates/bulk-merge/", {"min_score": 2}, format="json"), "min_score"
    )
    invalid(api.post("/api/v1/duplicates/bulk-merge/", {}, format="json"), "min_score")


# --- merges/ ------------------------------------------------------------------------------------


def test_merging_two_customers_directly_then_unmerging(api: APIClient, lin: User) -> None:
    a, b = twins(lin)
    Party.objects.filter(pk=b.pk).update(stage="vip")

    response = api.post(
        "/api/v1/merges/",
        {"survivor": a.pk, "merged": b.pk, "choices": {"stage": b.pk}},
        format="json",
    )

    assert response.status_code == 201, response.content
    merge_id = response.json()["id"]
    a.refresh_from_db()
    assert a.stage == "vip"
    listed = api.get("/api/v1/merges/").json()["results"]
    assert [row["id"] for row in listed] == [merge_id]
    detail = api.get(f"/api/v1/merges/{merge_id}/").json()
    assert detail["merged_name"] == "张伟" and detail["merged_by"] == "lin"
    assert detail["undone"] is False and detail["automatic"] is False
    assert detail["moved"]["parties.observation.party"] >= 3

    undone = api.post(f"/api/v1/merges/{merge_id}/unmerge/")

    assert undone.status_code == 200, undone.content
    body = undone.json()
    assert body["restored"]["id"] == b.pk and body["survivor"]["id"] == a.pk
    assert body["merge"]["undone"] is True and body["merge"]["unmerged_by"] == "lin"
    assert Party.objects.filter(pk=b.pk).exists()
    invalid(api.post(f"/api/v1/merges/{merge_id}/unmerge/"), "non_field_errors")
    filtered = api.get("/api/v1/merges/", {"undone": "false"}).json()["results"]
    assert filtered == []


def test_merging_directly_refuses(api: APIClient, lin: User, make_user: MakeUser) -> None:
    a, b = twins(lin)
    company = organisation("张伟有限公司", owner=lin, team=lin.team)
    hidden = person("张伟", owner=make_user("salesperson"), attributes={"mobile": "13812345678"})

    invalid(
        api.post("/api/v1/merges/", {"survivor": a.pk, "merged": a.pk}, format="json"), "merged"
    )
    invalid(api.post("/api/v1/merges/", {"survivor": a.pk}, format="json"), "merged")
    invalid(
        api.post("/api/v1/merges/", {"survivor": a.pk, "merged": hidden.pk}, format="json"),
        "merged",
    )
    invalid(
        api.post("/api/v1/merges/", {"survivor": a.pk, "merged": company.pk}, format="json"),
        "non_field_errors",
    )
    assert Merge.objects.count() == 0
    assert Party.objects.filter(pk=b.pk).exists()


def test_a_merge_of_a_customer_out_of_scope_is_not_found(
    token_client: Clients, make_user: MakeUser, lin: User
) -> None:
    merge = services.merge_candidate(queued(*twins(lin)), actor=lin)
    other = make_user("manager", username="other", team=Team.objects.create(name="West"))
    api = token_client(other)

    assert api.get(f"/api/v1/merges/{merge.pk}/").status_code == 404
    assert api.post(f"/api/v1/merges/{merge.pk}/unmerge/").status_code == 404
    assert api.get("/api/v1/merges/").json()["results"] == []


# --- dedupe-jobs/ -------------------------------------------------------------------------------


def test_starting_following_and_cancelling_a_search(
    api: APIClient, lin: User, django_capture_on_commit_callbacks: Any
) -> None:
    twins(lin)

    started = api.post("/api/v1/dedupe-jobs/", {"segment": "", "auto_merge": False}, format="json")

    assert started.status_code == 202, started.content
    job = started.json()
    assert job["status"] == "pending" and job["created_by"] == "lin"
    assert job["url"] == f"/duplicates/searches/{job['id']}/"
    # one at a time
    invalid(api.post("/api/v1/dedupe-jobs/", {}, format="json"), "non_field_errors")
    # cancelled before the worker took it
    cancelled = api.post(f"/api/v1/dedupe-jobs/{job['id']}/cancel/")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    invalid(api.post(f"/api/v1/dedupe-jobs/{job['id']}/cancel/"), "non_field_errors")

    # a new one, run by the worker once committed
    with django_capture_on_commit_callbacks(execute=True):
        second = api.post("/api/v1/dedupe-jobs/", {}, format="json").json()
    done = api.get(f"/api/v1/dedupe-jobs/{second['id']}/").json()
    assert done["status"] == "done" and done["progress"] == 1.0
    assert (done["total"], done["found"]) == (2, 1)
    assert done["stats"]["records"] == 2 and "heartbeat" not in done["stats"]
    assert [row["id"] for row in api.get("/api/v1/dedupe-jobs/").json()["results"]] == [
        second["id"],
        job["id"],
    ]


def test_starting_a_search_refuses_bad_filters(api: APIClient) -> None:
    invalid(
        api.post("/api/v1/dedupe-jobs/", {"segment": "stage=nonsense"}, format="json"), "segment"
    )
    invalid(
        api.post("/api/v1/dedupe-jobs/", {"auto_merge": "perhaps"}, format="json"), "auto_merge"
    )
    assert DedupeJob.objects.count() == 0


def test_auto_merge_needs_the_merge_permission(token_client: Clients, make_user: MakeUser) -> None:
    searcher = Role.objects.create(code="searcher", name="Searcher", record_scope="all")
    searcher.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="identity", codename__in=["add_dedupejob", "view_dedupejob"]
        )
    )
    api = token_client(make_user("searcher"))

    response = api.post("/api/v1/dedupe-jobs/", {"auto_merge": True}, format="json")

    assert response.status_code == 403
    assert DedupeJob.objects.count() == 0
    assert api.post("/api/v1/dedupe-jobs/", {}, format="json").status_code == 202


def test_another_users_search_is_not_found(
    token_client: Clients, make_user: MakeUser, lin: User
) -> None:
    job = DedupeJob.objects.create(created_by=lin)
    api = token_client(make_user("manager", username="other"))

    assert api.get(f"/api/v1/dedupe-jobs/{job.pk}/").status_code == 404
    assert api.post(f"/api/v1/dedupe-jobs/{job.pk}/cancel/").status_code == 404


def test_the_schema_documents_every_identity_operation(api: APIClient) -> None:
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()

    paths = schema["paths"]
    assert set(paths["/api/v1/duplicates/"]) == {"get"}
    assert set(paths["/api/v1/duplicates/{id}/"]) == {"get"}
    for path in (
        "/api/v1/duplicates/{id}/merge/",
        "/api/v1/duplicates/{id}/not-duplicate/",
        "/api/v1/duplicates/bulk-merge/",
        "/api/v1/merges/{id}/unmerge/",
        "/api/v1/dedupe-jobs/{id}/cancel/",
    ):
        assert set(paths[path]) == {"post"}, path
    assert set(paths["/api/v1/merges/"]) == {"get", "post"}
    assert set(paths["/api/v1/dedupe-jobs/"]) == {"get", "post"}
    merge = paths["/api/v1/duplicates/{id}/merge/"]["post"]
    assert "201" in merge["responses"] and "400" in merge["responses"]
    assert "202" in paths["/api/v1/dedupe-jobs/"]["post"]["responses"]
