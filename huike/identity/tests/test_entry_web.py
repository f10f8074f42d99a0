"""The "new customer" form checks for duplicates: warn, add to the one on file, or create anyway."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from huike.accounts.models import Role, User
from huike.identity.models import MatchCandidate
from huike.parties.models import Observation, Party
from huike.parties.tests.factories import person

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
ADD = "/customers/add/?kind=person"


def form_data(**values: Any) -> dict[str, Any]:
    """What the person form posts: the name, a mobile typed with spaces, and ``values``."""
    data: dict[str, Any] = {
        "kind": "person",
        "name": "张三",
        "stage": "prospect",
        "attr_mobile": "138 0013 8000",
    }
    data.update(values)
    return data


def html(response: Any) -> str:
    return str(response.content.decode())


@pytest.fixture
def mei(make_user: MakeUser) -> User:
    return make_user("salesperson", username="mei")


@pytest.fixture
def mei_client(client: Client, mei: User) -> Client:
    client.force_login(mei)
    return client


@pytest.fixture
def zhang(mei: User) -> Party:
    """Mei's customer 张三, with the mobile the form is about to be given again."""
    return person("张三", owner=mei, attributes={"mobile": "13800138000"})


def test_a_customer_like_one_on_file_is_not_saved_and_the_look_alike_is_shown(
    mei_client: Client, zhang: Party
) -> None:
    response = mei_client.post(ADD, form_data(attr_email="zs@example.com"))

    assert response.status_code == 200
    assert Party.objects.count() == 1
    [shown] = response.context["duplicates"]
    assert shown["party"] == zhang
    assert shown["decision"] == "same"
    assert 90 <= shown["percent"] <= 100
    assert "Phone: the same" in shown["reasons"]
    assert "Name: the same" in shown["reasons"]
    content = html(response)
    assert "This customer may already be on file" in content
    # the name opens the customer in a new tab; nothing typed is lost
    assert re.search(
        rf'<a class="fw-semibold" href="/customers/{zhang.pk}/" target="_blank" rel="noopener">'
        r"张三</a>",
        content,
    )
    assert f"Confidence: {shown['percent']}%" in content
    assert 'value="138 0013 8000"' in content
    assert 'value="zs@example.com"' in content
    assert f'name="add_to" value="{zhang.pk}"' in content
    assert 'name="create_anyway" value="1"' in content
    assert not MatchCandidate.objects.exists()


def test_pressing_enter_in_the_warned_form_saves_and_checks_again_rather_than_adding(
    mei_client: Client, zhang: Party
) -> None:
    content = html(mei_client.post(ADD, form_data()))

    form = content[content.index('<form method="post" novalidate id="party-form">') :]
    first_button = re.search(r"<button[^>]*>", form)
    assert first_button is not None
    assert 'type="submit"' in first_button.group(0)
    assert "name=" not in first_button.group(0)  # implicit submission posts no action


def test_a_name_alone_is_not_enough_to_warn(mei_client: Client, mei: User) -> None:
    person("张三", owner=mei, attributes={"mobile": "13900139000"})

    response = mei_client.post(ADD, form_data(attr_mobile=""))

    assert response.status_code == 302
    assert Party.objects.count() == 2
    assert not MatchCandidate.objects.exists()


def test_creating_anyway_saves_the_new_customer_and_queues_the_pair_for_review(
    mei_client: Client, zhang: Party, mei: User
) -> None:
    response = mei_client.post(ADD, form_data(create_anyway="1"))

    created = Party.objects.exclude(pk=zhang.pk).get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{created.pk}/"
    assert created.owner == mei
    pair = MatchCandidate.objects.get()
    assert (pair.party_a_id, pair.party_b_id) == (zhang.pk, created.pk)
    assert pair.found_by == MatchCandidate.FoundBy.ENTRY
    assert pair.status == MatchCandidate.Status.OPEN
    assert pair.decision == "same"
    assert pair.score >= 0.9


def test_adding_the_details_records_what_was_typed_on_the_customer_on_file(
    mei_client: Client, zhang: Party, mei: User
) -> None:
    response = mei_client.post(
        ADD, form_data(name="张叁", attr_email="ZS@example.com", add_to=str(zhang.pk))
    )

    assert response.status_code == 302
    assert response["Location"] == f"/customers/{zhang.pk}/"
    assert Party.objects.count() == 1
    zhang.refresh_from_db()
    assert zhang.golden["email"] == "zs@example.com"
    assert zhang.name == "张三"  # the customer on file keeps its name
    email = Observation.objects.get(party=zhang, attribute__code="email")
    assert (email.source, email.collector) == ("manual", mei)
    assert not MatchCandidate.objects.exists()


def test_a_user_who_may_not_change_the_customer_on_file_is_offered_open_only(
    client: Client, make_user: MakeUser, mei: User, zhang: Party
) -> None:
    # given a role that may add customers but not change them, seeing every customer
    clerk = Role.objects.create(code="clerk", name="Clerk", record_scope="all")
    clerk.permissions.set(
        Permission.objects.filter(
            content_type__app_label="parties", codename__in=["add_party", "view_party"]
        )
    )
    client.force_login(make_user("clerk", username="clerk"))

    warned = client.post(ADD, form_data())
    added = client.post(ADD, form_data(attr_email="zs@example.com", add_to=str(zhang.pk)))

    assert warned.status_code == 200
    assert [row["can_add"] for row in warned.context["duplicates"]] == [False]
    assert 'name="add_to"' not in html(warned)
    assert f'href="/customers/{zhang.pk}/"' in html(warned)
    assert added.status_code == 403
    assert not Observation.objects.filter(party=zhang, attribute__code="email").exists()


def test_adding_to_a_customer_out_of_scope_answers_404_and_records_nothing(
    mei_client: Client, make_user: MakeUser
) -> None:
    theirs = person("张三", owner=make_user("salesperson"), attributes={"mobile": "13800138000"})

    response = mei_client.post(ADD, form_data(attr_email="zs@example.com", add_to=str(theirs.pk)))

    assert response.status_code == 404
    assert not Observation.objects.filter(party=theirs, attribute__code="email").exists()
    assert Party.objects.count() == 1


def test_a_look_alike_the_user_may_not_see_is_not_shown_but_is_queued(
    mei_client: Client, make_user: MakeUser, mei: User
) -> None:
    theirs = person("张三", owner=make_user("salesperson"), attributes={"mobile": "13800138000"})

    response = mei_client.post(ADD, form_data())

    assert response.status_code == 302
    created = Party.objects.get(owner=mei)
    assert "张三" in created.name
    pair = MatchCandidate.objects.get()
    assert {pair.party_a_id, pair.party_b_id} == {theirs.pk, created.pk}
    assert pair.found_by == MatchCandidate.FoundBy.ENTRY


def test_a_wrong_value_is_reported_before_any_duplicate_warning(
    mei_client: Client, zhang: Party
) -> None:
    response = mei_client.post(ADD, form_data(attr_email="not-an-address"))

    assert response.status_code == 400
    assert "attr_email" in response.context["form"].errors
    assert "duplicates" not in response.context
    assert Party.objects.count() == 1


def test_editing_a_customer_is_not_checked_for_duplicates(
    mei_client: Client, zhang: Party, mei: User
) -> None:
    other = person("张三", owner=mei)

    response = mei_client.post(
        f"/customers/{other.pk}/edit/",
        form_data(version="1", attr_mobile="13800138000"),
    )

    assert response.status_code == 302
    assert not MatchCandidate.objects.exists()


def test_a_contact_on_the_suppression_list_is_refused_rather_than_warned_about(
    mei_client: Client, zhang: Party
) -> None:
    from huike.subjects.suppression import contact_points, suppress

    suppress(contact_points(zhang), actor=None)

    response = mei_client.post(ADD, form_data(create_anyway=""))

    assert response.status_code == 400
    assert "suppression list" in response.context["form"].errors["attr_mobile"][0]
    assert "duplicates" not in response.context
