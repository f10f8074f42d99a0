"""Normalisation, comparison, scoring, blocking and the entry check."""

from __future__ import annotations

import pytest
from django.test import override_settings

from huike.identity import bulk, features, matching
from huike.identity.matching import compare, features_from_values
from huike.identity.normalise import canonical_email, organisation_name, person_name
from huike.parties import services
from huike.parties.models import Party

pytestmark = pytest.mark.django_db

PERSON = Party.Kind.PERSON
ORG = Party.Kind.ORGANIZATION


def person(name: str, **values: str) -> matching.Features:
    return features_from_values(PERSON, {"name": name, **values})


def org(name: str, **values: str) -> matching.Features:
    return features_from_values(ORG, {"name": name, **values})


def level(score: matching.Score, field: str) -> str | None:
    return next((part.level for part in score.parts if part.field == field), None)


class TestNormalisation:
    def test_traditional_and_simplified_names_are_one_name(self) -> None:
        assert person_name("張偉").key == person_name("张伟").key == "张伟"

    def test_pinyin_in_either_order_spells_the_chinese_name(self) -> None:
        han = set(person_name("张小明").spellings)
        assert "zhangxiaoming" in han
        assert "xiaomingzhang" in han
        assert set(person_name("Xiaoming Zhang").spellings) & han
        assert set(person_name("ZHANG Xiaoming").spellings) & han

    def test_latin_names_fold_case_accents_and_order(self) -> None:
        assert person_name("José  GARCÍA").key == person_name("garcia jose").key

    def test_organisation_names_lose_legal_form_and_city(self) -> None:
        assert organisation_name("杭州云汇科技有限公司").key == organisation_name("雲匯科技").key
        assert organisation_name("Acme Co., Ltd.").key == organisation_name("ACME Inc").key

    def test_email_plus_tags_only_where_the_domain_ignores_them(self) -> None:
        assert canonical_email("Wang.Wei+crm@GMail.com") == "wangwei@gmail.com"
        assert canonical_email("wang+crm@googlemail.com") == "wang@gmail.com"
        assert canonical_email("wang+crm@example.cn") == "wang+crm@example.cn"

    def test_phones_are_compared_in_e164(self) -> None:
        assert person("甲", mobile="138 0013 8000").phones == ("+8613800138000",)
        assert person("甲", mobile="+86 13800138000").phones == ("+8613800138000",)

    def test_unreadable_values_are_not_evidence(self) -> None:
        features = person("甲", mobile="not a phone", birth_date="32/13/2020")
        assert not features.phones
        assert not features.birth_date


class TestScores:
    def test_same_person_across_scripts_and_channels_is_the_same(self) -> None:
        a = person("张伟", mobile="13800138000", birth_date="1985-03-04")
        b = person("張偉", mobile="+86 138-0013-8000", birth_date="1985-03-04")
        score = compare(a, b, base_size=100_000)
        assert score.decision == "same"
        assert level(score, "name") == "exact"
        assert level(score, "phone") == "exact"

    def test_pinyin_name_with_the_same_email_is_at_least_maybe(self) -> None:
        a = person("王小红", email="xiaohong.wang@example.com")
        b = person("Xiaohong Wang", email="XIAOHONG.WANG@example.com")
        score = compare(a, b, base_size=100_000)
        assert level(score, "name") == "spelling"
        assert score.decision in ("same", "maybe")

    def test_a_common_name_alone_is_not_a_duplicate(self) -> None:
        a = person("王伟", mobile="13800138000", birth_date="1980-01-01")
        b = person("王伟", mobile="13900139000", birth_date="1992-07-15")
        frequency = {"王伟": 500}

        def count(kind: str, value: str) -> int:
            return frequency.get(value, 1) if kind == "name" else 1

        score = compare(a, b, base_size=1_000_000, frequency=count)
        assert score.decision == "different"
        assert level(score, "birth_date") == "different"

    def test_rare_name_counts_more_than_common_name(self) -> None:
        a, b = person("甄探针"), person("甄探针")
        common = compare(a, b, base_size=100_000, frequency=lambda kind, value: 400)
        rare = compare(a, b, base_size=100_000, frequency=lambda kind, value: 1)
        assert rare.weight > common.weight

    def test_transposed_day_and_month_count_as_evidence(self) -> None:
        a = person("Jane Roe", birth_date="1990-04-07")
        b = person("Jane Roe", birth_date="1990-07-04")
        score = compare(a, b, base_size=50_000)
        assert level(score, "birth_date") == "transposed"
        part = next(p for p in score.parts if p.field == "birth_date")
        assert part.weight > 0

    def test_organisations_with_and_without_suffix_and_same_code(self) -> None:
        a = org("杭州云汇科技有限公司", uscc="91330106MA2K111106")
        b = org("雲匯科技", uscc="91330106MA2K111106")
        score = compare(a, b, base_size=100_000)
        assert score.decision == "same"

    def test_explanation_lists_every_compared_field_with_its_weight(self) -> None:
        a = person("李娜", mobile="13800138000", gender="female")
        b = person("李娜", mobile="13800138001", gender="male")
        score = compare(a, b, base_size=100_000)
        fields = {item["field"]: item for item in score.explanation()}
        assert set(fields) == {"name", "phone", "gender"}
        assert fields["phone"]["level"] == "close"
        assert fields["gender"]["weight"] < 0
        assert all(part.label for part in score.parts)

    @override_settings(IDENTITY_SAME=0.999999, IDENTITY_MAYBE=0.99)
    def test_thresholds_come_from_the_settings(self) -> None:
        a = person("Jane Roe", birth_date="1990-04-07")
        b = person("Jane Roe", birth_date="1990-04-07")
        score = compare(a, b, base_size=50_000)
        assert 0.5 < score.probability < 0.999999
        assert score.decision != "same"


class TestBlocking:
    def test_finds_variants_and_not_strangers(self) -> None:
        records = [
            person("张伟", mobile="13800138000"),
            person("張偉", mobile="13800138000", birth_date="1985-03-04"),
            person("Wei Zhang", email="wei@example.com", birth_date="1985-03-04"),
            person("李娜", mobile="13900139000"),
            person("刘洋", email="liu@example.com"),
        ]
        found = {(p.a, p.b) for p in bulk.search(records, base_size=100_000)}
        assert (0, 1) in found
        assert (1, 2) in found
        assert not {pair for pair in found if 3 in pair or 4 in pair}

    def test_a_key_shared_by_too_many_records_brings_no_pairs(self) -> None:
        shared = "13800138000"
        records = [person(f"客户{i}", phone=shared) for i in range(bulk.MAX_BLOCK + 1)]
        stats: dict = {}
        assert len(bulk.candidate_pairs(records, stats)) == 0
        assert stats["blocks_skipped"] >= 1


class TestEntryCheck:
    def test_candidates_for_finds_a_stored_customer_by_its_variants(self, admin_user) -> None:
        stored = services.create_party(
            actor=admin_user,
            kind=PERSON,
            name="欧阳娜娜",
            attributes={"mobile": "13800138000", "birth_date": "1990-04-07"},
        )
        services.create_party(actor=admin_user, kind=PERSON, name="李四")
        found = matching.candidates_for(
            PERSON, {"name": "歐陽娜娜", "mobile": "+86 138 0013 8000"}, user=admin_user
        )
        assert [candidate.party.pk for candidate in found] == [stored.pk]
        assert found[0].score.decision == "same"
        assert matching.candidates_for(PERSON, {"name": "王五"}, user=admin_user) == []

    def test_an_old_phone_still_identifies(self, admin_user) -> None:
        stored = services.create_party(
            actor=admin_user, kind=PERSON, name="赵敏", attributes={"mobile": "13800138000"}
        )
        services.update_party(stored, actor=admin_user, attributes={"mobile": "13900139000"})
        found = matching.candidates_for(PERSON, {"name": "赵敏", "mobile": "13800138000"})
        assert [candidate.party.pk for candidate in found] == [stored.pk]

    def test_candidates_outside_the_users_scope_are_not_shown(self, admin_user, make_user) -> None:
        services.create_party(
            actor=admin_user, kind=PERSON, name="钱七", attributes={"mobile": "13800138000"}
        )
        salesperson = make_user("salesperson")
        values = {"name": "钱七", "mobile": "13800138000"}
        assert matching.candidates_for(PERSON, values, user=salesperson) == []
        assert len(matching.candidates_for(PERSON, values)) == 1

    def test_sensitive_identifiers_match_on_their_blind_index(self, admin_user) -> None:
        stored = services.create_party(
            actor=admin_user,
            kind=PERSON,
            name="孙八",
            attributes={"resident_id": "11010519491231002X"},
        )
        many = matching.candidates_for_many(
            [(PERSON, {"name": "孫八", "resident_id": "11010519491231002x"}), (PERSON, {})]
        )
        assert [pk for pk, _score in many[0]] == [stored.pk]
        assert next(p for p in many[0][0][1].parts if p.field == "identifier").level == "exact"
        assert many[1] == []


def test_regions_agree_by_administrative_division() -> None:
    def at(region: str) -> matching.Features:
        return features.build(kind=PERSON, name="周杰", values={}, region=region)

    county = "CN/330000/330100/330106"
    same = compare(at(county), at(county), base_size=100_000)
    province = compare(at(county), at("CN/330000/330200"), base_size=100_000)
    elsewhere = compare(at(county), at("CN/440000/440300"), base_size=100_000)
    assert [level(s, "region") for s in (same, province, elsewhere)] == [
        "exact",
        "partial",
        "different",
    ]
    assert same.weight > province.weight > elsewhere.weight
    assert level(compare(at("CN"), at("CN"), base_size=100_000), "region") is None


def test_a_full_registered_company_name_counts_more_than_its_core() -> None:
    name = "杭州海辰塑胶有限公司"
    registered = compare(org(name), org(name), base_size=100_000)
    core_only = compare(org("海辰塑胶"), org("海辰塑胶"), base_size=100_000)
    assert level(registered, "name") == level(core_only, "name") == "exact"
    assert registered.weight > core_only.weight


def test_the_base_size_is_read_again_when_forgotten(admin_user) -> None:
    matching.forget_base_size()
    before = matching.base_size_now()
    party = services.create_party(actor=admin_user, kind=PERSON, name="冯十")
    assert matching.base_size_now() == before  # remembered for a while
    matching.forget_base_size()
    assert matching.base_size_now() == party.pk
