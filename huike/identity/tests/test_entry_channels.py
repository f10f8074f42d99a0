"""The intake API and web forms never refuse a likely duplicate: they create the customer and
queue the pair for review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from huike.accounts.models import User
from huike.identity.models import MatchCandidate
from huike.parties.models import Party
from huike.parties.tests.factories import person
from huike.webforms import services as webforms
from huike.webforms.tests.factories import make_form

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
TokenClient = Callable[[User], APIClient]
INTAKE = "/api/v1/intake/"


@pytest.fixture
def mei(make_user: MakeUser) -> User:
    return make_user("salesperson", username="mei")


@pytest.fixture
def zhang(make_user: MakeUser) -> Party:
    """张三 on file, owned by a colleague of whom mei sees nothing."""
    return person("张三", owner=make_user("salesperson"), attributes={"mobile": "13800138000"})


def intake(client: APIClient, body: Any) -> dict[str, Any]:
    response = client.post(INTAKE, body, format="json")
    assert response.status_code == 200, response.content
    return dict(response.json())


def the_pair() -> tuple[int, int, str]:
    pair = MatchCandidate.objects.get()
    return pair.party_a_id, pair.party_b_id, pair.found_by


# --- Intake API --------------------------------------------------------------------------------


def test_an_intake_item_like_a_customer_on_file_is_created_and_queued(
    token_client: TokenClient, mei: User, zhang: Party
) -> None:
    body = intake(token_client(mei), {"name": "张三", "attributes": {"mobile": "13800138001"}})

    [result] = body["results"]
    assert result["status"] == "created"
    assert the_pair() == (zhang.pk, result["party"], "entry")
    assert MatchCandidate.objects.get().status == "open"


def test_an_intake_item_added_to_a_customer_by_an_exact_key_queues_nothing(
    token_client: TokenClient, mei: User
) -> None:
    mine = person("张三", owner=mei, attributes={"mobile": "13800138000"})

    body = intake(token_client(mei), {"name": "张三", "attributes": {"mobile": "13800138000"}})

    assert body["results"][0] == body["results"][0] | {"status": "updated", "party": mine.pk}
    assert not MatchCandidate.objects.exists()


def test_an_intake_item_unlike_anyone_queues_nothing(
    token_client: TokenClient, mei: User, zhang: Party
) -> None:
    body = intake(token_client(mei), {"name": "李四", "attributes": {"mobile": "13900139000"}})

    assert body["results"][0]["status"] == "created"
    assert not MatchCandidate.objects.exists()


def test_items_of_one_call_are_compared_with_the_ones_before_them(
    token_client: TokenClient, mei: User
) -> None:
    body = intake(
        token_client(mei),
        {
            "items": [
                {"name": "赵六", "attributes": {"mobile": "13600136000"}},
                {"name": "赵六", "attributes": {"mobile": "13600136001"}},
            ]
        },
    )

    first, second = (result["party"] for result in body["results"])
    assert the_pair() == (first, second, "entry")


# --- Web forms ----------------------------------------------------------------------------------


def test_a_web_form_submission_like_a_customer_on_file_is_created_and_queued(
    zhang: Party,
) -> None:
    form = make_form(consents=())

    submission = webforms.submit(
        form, values={"name": "张三", "mobile": "13800138001"}, ticked=[], language="en"
    )

    assert submission.party is not None and submission.party.pk != zhang.pk
    assert the_pair() == (zhang.pk, submission.party.pk, "entry")


def test_a_confirmed_double_opt_in_submission_is_queued_when_it_is_recorded(
    zhang: Party,
) -> None:
    form = make_form(consents=(), required=("name", "email"), double_opt_in=True)
    pending = webforms.submit(
        form,
        values={"name": "张三", "mobile": "13800138001", "email": "zs@example.com"},
        ticked=[],
        language="en",
    )
    assert not MatchCandidate.objects.exists()  # nothing recorded before the link is clicked

    confirmed = webforms.confirm(pending.confirm_token)  # type: ignore[attr-defined]

    assert confirmed.party is not None
    assert the_pair() == (zhang.pk, confirmed.party.pk, "entry")


def test_an_unconfirmed_web_form_submission_matching_by_mobile_is_created_and_queued(
    zhang: Party,
) -> None:
    """Knowing 张三's mobile proves nothing: the submission does not write to his record."""
    form = make_form(consents=())

    submission = webforms.submit(
        form, values={"name": "张三", "mobile": "13800138000"}, ticked=[], language="en"
    )

    assert submission.party is not None and submission.party.pk != zhang.pk
    assert the_pair() == (zhang.pk, submission.party.pk, "entry")
