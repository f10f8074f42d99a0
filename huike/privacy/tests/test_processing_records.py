"""The records of processing are generated from the purpose and profile-field registries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from huike.accounts.models import User
from huike.parties.models import AttributeDefinition
from huike.parties.tests.factories import custom_definition
from huike.privacy import selectors, services
from huike.privacy.models import ImpactAssessment
from huike.privacy.tests.factories import ALL_PRIVACY, allow, purpose

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
PAGE = "/privacy/processing-records/"


def html(response: Any) -> str:
    return str(response.content.decode())


@pytest.fixture
def dpo_client(client: Client, make_user: MakeUser) -> Client:
    client.force_login(allow(make_user("data_protection_officer"), *ALL_PRIVACY))
    return client


def section(page: str, element_id: str, end: str = "</section>") -> str:
    """The HTML of the element with ``element_id``, up to the next ``end`` tag."""
    start = page.index(f'id="{element_id}"')
    return page[start : page.index(end, start)]


def row(page: str, code: str) -> str:
    return section(page, f"sensitive-{code}", "</tr>")


def without_purpose(page: str) -> str:
    if 'id="fields-without-purpose"' not in page:
        return ""
    return section(page, "fields-without-purpose", "</ul>")


def test_the_page_needs_the_permission_to_view_purposes(
    client: Client, make_user: MakeUser
) -> None:
    client.force_login(make_user("analyst"))

    assert client.get(PAGE).status_code == 403


def test_each_purpose_states_what_why_basis_retention_and_recipients(dpo_client: Client) -> None:
    page = html(dpo_client.get(PAGE))

    marketing = section(page, "purpose-marketing")
    assert "Sending offers" in marketing
    assert "Consent" in marketing
    assert "30 day(s)" in marketing
    assert "providers that send text messages" in marketing
    assert "Mobile" in marketing
    service = section(page, "purpose-service")
    assert "Contract with the person" in service
    assert "1,095 day(s)" in service


def test_collected_fields_are_grouped_by_sensitivity(dpo_client: Client) -> None:
    records = selectors.processing_records()

    by_code = {r.purpose.code: r for r in records.purposes}
    groups = {g.sensitivity: g for g in by_code["sensitive_data"].groups}
    assert set(groups) == {"sensitive"}
    assert "health" in {a.code for a in groups["sensitive"].attributes}
    service_groups = [g.sensitivity for g in by_code["service"].groups]
    assert service_groups == ["personal", "public"]


def test_a_new_profile_field_appears_once_a_purpose_collects_it(dpo_client: Client) -> None:
    # Given an administrator adds a field
    custom_definition("loyalty_card", "text", label_en="Loyalty card number")
    page = html(dpo_client.get(PAGE))
    # Then it is listed as collected without a purpose
    assert "Loyalty card number" in without_purpose(page)
    assert "Loyalty card number" not in section(page, "purpose-marketing")

    # When the marketing purpose lists it
    marketing = purpose("marketing")
    loyalty = AttributeDefinition.objects.get(code="loyalty_card")
    services.save_purpose(marketing, actor=None, attributes=[*marketing.attributes.all(), loyalty])

    # Then the records say marketing collects it
    page = html(dpo_client.get(PAGE))
    assert "Loyalty card number" in section(page, "purpose-marketing")
    assert "Loyalty card number" not in without_purpose(page)


def test_sensitive_fields_without_an_assessment_are_flagged(dpo_client: Client) -> None:
    page = html(dpo_client.get(PAGE))
    health = AttributeDefinition.objects.get(code="health")

    health_row = row(page, "health")
    assert "No impact assessment" in health_row
    assert f"/privacy/assessments/add/?attribute={health.pk}" in health_row
    sensitive_count = AttributeDefinition.objects.filter(sensitivity="sensitive").count()
    warning = f"Sensitive profile fields without an impact assessment: {sensitive_count}."
    assert warning in page

    # When a new sensitive field is added, it is flagged too
    custom_definition("religion", "text", label_en="Religion", sensitivity="sensitive")
    page = html(dpo_client.get(PAGE))
    assert "No impact assessment" in row(page, "religion")
    assert f"without an impact assessment: {sensitive_count + 1}." in page


def test_an_assessment_is_linked_from_its_sensitive_field(dpo_client: Client) -> None:
    health = AttributeDefinition.objects.get(code="health")
    assessment = services.save_assessment(
        ImpactAssessment(),
        actor=None,
        title="Health data in care plans",
        attributes=[health],
        purposes=[purpose("sensitive_data")],
    )

    page = html(dpo_client.get(PAGE))

    health_row = row(page, "health")
    assert "No impact assessment" not in health_row
    assert assessment.get_absolute_url() in health_row
    assert "Health data in care plans" in section(page, "purpose-sensitive_data")
    assert "No impact assessment" in row(page, "resident_id")


def test_retired_purposes_and_fields_are_left_out(dpo_client: Client) -> None:
    services.save_purpose(purpose("profiling"), actor=None, is_active=False)
    AttributeDefinition.objects.filter(code="hobbies").update(is_active=False)

    page = html(dpo_client.get(PAGE))

    assert 'id="purpose-profiling"' not in page
    assert "Hobbies" not in page
