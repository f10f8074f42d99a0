"""The default attribute template: shipped by migration, coherent, and safe to re-apply."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from huike.parties.attributes import DEFAULT_ATTRIBUTES, SECTIONS, ensure_default_attributes
from huike.parties.models import AttributeDefinition, section_label

BY_CODE = {entry["code"]: entry for entry in DEFAULT_ATTRIBUTES}

# PIPL art. 28 categories of sensitive personal information, and the template codes in each.
PIPL_SENSITIVE = {
    "resident_id": "ID numbers",
    "passport_number": "ID numbers",
    "other_id_number": "ID numbers",
    "bank_account": "financial accounts",
    "health": "health",
    "children": "minors",
}

# Codes other parts of Huike rely on: (validator, data type, applies to).
SYSTEM_CODES = {
    "name": ("", "text", "both"),
    "mobile": ("phone", "text", "person"),
    "phone": ("phone", "text", "both"),
    "email": ("email", "text", "both"),
    "uscc": ("uscc", "text", "organization"),
    "resident_id": ("resident_id", "text", "person"),
    "birth_date": ("", "date", "person"),
    "lunar_birthday": ("", "lunar_date", "person"),
    "external_id": ("", "text", "both"),
    "gender": ("", "choice", "person"),
}

CHOICE_TYPES = {AttributeDefinition.DataType.CHOICE, AttributeDefinition.DataType.MULTI_CHOICE}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.django_db
def test_migrations_create_the_whole_template() -> None:
    stored = set(AttributeDefinition.objects.values_list("code", flat=True))

    assert set(BY_CODE) <= stored
    assert 70 <= len(DEFAULT_ATTRIBUTES) <= 90


def test_codes_are_unique_stable_slugs() -> None:
    codes = [entry["code"] for entry in DEFAULT_ATTRIBUTES]

    assert len(codes) == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", code), code
        assert len(code) <= 60


def test_every_entry_is_a_valid_definition() -> None:
    for entry in DEFAULT_ATTRIBUTES:
        # full_clean checks choices and lengths; uniqueness is checked against the stored rows
        # in the migration test, so it is skipped here.
        AttributeDefinition(**entry).full_clean(validate_unique=False)


def test_sensitive_attributes_are_pipl_sensitive_categories() -> None:
    sensitive = {
        entry["code"]
        for entry in DEFAULT_ATTRIBUTES
        if entry["sensitivity"] == AttributeDefinition.Sensitivity.SENSITIVE
    }

    assert sensitive == set(PIPL_SENSITIVE)


def test_every_choice_has_a_chinese_and_an_english_label() -> None:
    for entry in DEFAULT_ATTRIBUTES:
        if entry["data_type"] not in CHOICE_TYPES:
            assert entry["choices"] == [], entry["code"]
            continue
        values = [choice["value"] for choice in entry["choices"]]
        assert len(values) >= 2, entry["code"]
        assert len(values) == len(set(values)), entry["code"]
        for choice in entry["choices"]:
            assert set(choice) == {"value", "zh", "en"}, entry["code"]
            assert choice["value"] and choice["zh"].strip() and choice["en"].strip()
            assert CJK.search(choice["zh"]), (entry["code"], choice)


def test_every_section_used_is_known_and_every_section_is_used() -> None:
    used = {entry["section"] for entry in DEFAULT_ATTRIBUTES}

    assert used == set(SECTIONS)


def test_orders_step_by_ten_within_each_section() -> None:
    for section in SECTIONS:
        orders = [entry["order"] for entry in DEFAULT_ATTRIBUTES if entry["section"] == section]
        assert orders == list(range(10, 10 * len(orders) + 1, 10)), section


def test_labels_are_given_in_both_languages() -> None:
    for entry in DEFAULT_ATTRIBUTES:
        assert entry["label_zh"].strip() and entry["label_en"].strip(), entry["code"]
        assert CJK.search(entry["label_zh"]), entry["code"]
        assert entry["label_en"].isascii(), entry["code"]
        # Help is optional, but when given it is given in both languages.
        assert bool(entry["help_zh"]) == bool(entry["help_en"]), entry["code"]


def test_section_labels_are_translatable_headings() -> None:
    with translation.override("en"):
        assert section_label("life") == "Life and health"
        assert section_label("no_such_section") == "no_such_section"
    for label in SECTIONS.values():
        assert str(label).strip()


@pytest.mark.django_db
def test_system_codes_exist_with_their_validators() -> None:
    stored = {
        definition.code: definition
        for definition in AttributeDefinition.objects.filter(code__in=SYSTEM_CODES)
    }

    assert set(stored) == set(SYSTEM_CODES)
    for code, (validator, data_type, applies_to) in SYSTEM_CODES.items():
        definition = stored[code]
        assert definition.is_system, code
        assert (definition.validator, definition.data_type, definition.applies_to) == (
            validator,
            data_type,
            applies_to,
        ), code
    assert {e["code"] for e in DEFAULT_ATTRIBUTES if e["is_system"]} == set(SYSTEM_CODES)


def test_freshness_and_survivorship_follow_the_documented_rules() -> None:
    assert BY_CODE["mobile"]["reevaluate_days"] == 365
    assert BY_CODE["mobile"]["survivorship"] == "manual_wins"
    assert BY_CODE["mobile"]["sensitivity"] == "personal"
    assert BY_CODE["uscc"]["reevaluate_days"] == 365
    assert BY_CODE["uscc"]["sensitivity"] == "public"
    assert BY_CODE["resident_id"]["reevaluate_days"] is None
    assert BY_CODE["credit_status"]["reevaluate_days"] == 90
    assert BY_CODE["birth_date"]["reevaluate_days"] is None
    for entry in DEFAULT_ATTRIBUTES:
        if entry["section"] in {"contact", "address"}:
            assert entry["reevaluate_days"] == 365, entry["code"]
        if entry["section"] == "business" and not entry["code"].startswith("credit_"):
            assert entry["reevaluate_days"] == 180, entry["code"]
    for code in ("office_address", "warehouse_address", "home_address", "work_address"):
        assert BY_CODE[code]["survivorship"] == "most_recent", code


@pytest.mark.django_db
def test_ensuring_again_creates_nothing_and_keeps_edits() -> None:
    # Given an administrator relabelled one definition and retired another
    AttributeDefinition.objects.filter(code="mobile").update(label_zh="手机号码")
    AttributeDefinition.objects.filter(code="qq").update(is_active=False)

    # When the template is applied again
    created = ensure_default_attributes(AttributeDefinition)

    # Then nothing is created and the edits stand
    assert created == 0
    assert AttributeDefinition.objects.get(code="mobile").label_zh == "手机号码"
    assert AttributeDefinition.objects.get(code="qq").is_active is False
    assert AttributeDefinition.objects.filter(code="mobile").count() == 1


@pytest.mark.django_db
def test_ensuring_recreates_only_missing_definitions() -> None:
    AttributeDefinition.objects.filter(code__in=["hobbies", "fax"]).delete()
    AttributeDefinition.objects.filter(code="wechat").update(label_en="Weixin")

    assert ensure_default_attributes() == 2
    assert AttributeDefinition.objects.get(code="fax").validator == "phone"
    assert AttributeDefinition.objects.get(code="wechat").label_en == "Weixin"


@pytest.mark.django_db
def test_ensuring_works_with_the_historical_model_of_a_migration() -> None:
    historical = (
        MigrationExecutor(connection)
        .loader.project_state(("parties", "0001_initial"))
        .apps.get_model("parties", "AttributeDefinition")
    )
    AttributeDefinition.objects.filter(code="gender").delete()

    assert ensure_default_attributes(historical) == 1
    gender = AttributeDefinition.objects.get(code="gender")
    assert gender.is_system
    assert [choice["value"] for choice in gender.choices] == ["male", "female"]
