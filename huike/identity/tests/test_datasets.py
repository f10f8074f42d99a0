"""The data sets duplicate detection is measured on: deterministic, true to their truth."""

from __future__ import annotations

import collections
import csv
import re
from pathlib import Path

import pytest

from huike.identity import datasets
from huike.parties import text
from huike.parties.models import AttributeDefinition, GoldenValue, Observation, Party, SearchKey


def entity(external_id: str) -> str:
    return external_id.rsplit("-", 2)[0] if "-dup-" in external_id else external_id[:-4]


@pytest.fixture(scope="module")
def generated() -> datasets.Dataset:
    return datasets.chinese(3000, seed=11)


class TestFebrl:
    def test_febrl1_maps_every_field_to_huike_attributes(self) -> None:
        data = datasets.febrl("febrl1")
        rows = {row["external_id"]: row for row in data.rows}
        assert len(rows) == 1000
        # rec-223-org: given name missing, the rest present (the package's first record).
        assert rows["rec-223-org"] == {
            "external_id": "rec-223-org",
            "kind": "person",
            "name": "waller",
            "home_address": "6, tullaroop street, willaroo, st james, wa, 4011",
            "birth_date": "1908-12-09",
            "soc_sec_id": "6988048",
        }
        assert rows["rec-122-org"]["name"] == "lachlan berry"
        assert rows["rec-122-org"]["birth_date"] == "1999-02-19"

    def test_invalid_birth_dates_are_left_out(self) -> None:
        data = datasets.febrl("febrl1")
        without = [row for row in data.rows if data.details[row["external_id"]]["date_of_birth"]]
        dropped = [row for row in without if "birth_date" not in row]
        assert dropped  # FEBRL corrupts some dates into days that do not exist
        for row in dropped:
            raw = data.details[row["external_id"]]["date_of_birth"]
            assert datasets._febrl_date(raw) == ""

    def test_truth_is_every_pair_of_copies_of_one_original(self) -> None:
        data = datasets.febrl("febrl3")
        groups = collections.defaultdict(list)
        for row in data.rows:
            groups[row["external_id"].split("-")[1]].append(row["external_id"])
        assert data.truth == datasets.pairs_of(groups.values())
        assert len(data.truth) == 6538
        assert all(a < b for a, b in data.truth)

    def test_febrl4_is_both_files_in_one_base_linked_by_the_truth(self) -> None:
        data = datasets.febrl("febrl4")
        assert len(data.rows) == 10_000
        assert len(data.truth) == 5000
        assert ("rec-0-dup-0", "rec-0-org") in data.truth

    def test_pair_labels_name_the_fields_that_differ(self) -> None:
        data = datasets.febrl("febrl1")
        a, b = "rec-0-dup-0", "rec-0-org"
        details = data.details
        expected = [
            name if details[a][name] and details[b][name] else f"{name}:missing"
            for name in datasets.FEBRL_FIELDS
            if details[a][name] != details[b][name]
        ]
        assert data.pair_labels(a, b) == expected
        assert "given_name" in expected

    def test_csv_has_the_command_line_columns(self, tmp_path: Path) -> None:
        data = datasets.febrl("febrl1")
        path = data.write_csv(tmp_path / "febrl1.csv", datasets.FEBRL_COLUMNS)
        with path.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert list(rows[0]) == datasets.FEBRL_COLUMNS
        assert len(rows) == 1000


class TestChinese:
    def test_the_same_seed_gives_the_same_rows_and_truth(self) -> None:
        first, again = datasets.chinese(800, seed=3), datasets.chinese(800, seed=3)
        assert first.rows == again.rows
        assert first.truth == again.truth
        assert datasets.chinese(800, seed=4).rows != first.rows

    def test_size_mix_and_duplicate_share(self, generated: datasets.Dataset) -> None:
        rows = generated.rows
        assert len(rows) == 3000
        assert len({row["external_id"] for row in rows}) == 3000
        duplicates = [row for row in rows if "-dup-" in row["external_id"]]
        assert 0.25 < len(duplicates) / len(rows) < 0.35
        organisations = [row for row in rows if row["kind"] == "organization"]
        assert 0.15 < len(organisations) / len(rows) < 0.25
        # Each duplicate belongs to an original of the same kind, and the truth pairs are
        # exactly the pairs within each entity.
        groups = collections.defaultdict(list)
        for row in rows:
            groups[entity(row["external_id"])].append(row["external_id"])
        assert generated.truth == datasets.pairs_of(groups.values())
        kinds = {row["external_id"]: row["kind"] for row in rows}
        assert all(kinds[a] == kinds[b] for a, b in generated.truth)

    def test_every_promised_variant_occurs(self, generated: datasets.Dataset) -> None:
        kinds = collections.Counter(
            variant.split(":")[0] for found in generated.variants.values() for variant in found
        )
        promised = (
            "traditional pinyin homophone dropped_char old_phone moved email_case email_tag "
            "date_swap missing suffix city_prefix thin address_format"
        ).split()
        assert {kind for kind in promised if kinds[kind] == 0} == set()
        # About one duplicate in ten keeps only its name and one more field.
        duplicates = [ext for ext in generated.variants if "-dup-" in ext]
        assert 0.05 < kinds["thin"] / len(duplicates) < 0.16

    def test_the_variants_look_like_what_they_claim(self, generated: datasets.Dataset) -> None:
        rows = {row["external_id"]: row for row in generated.rows}
        seen = set()
        for external, variants in generated.variants.items():
            copy, original = rows[external], rows[entity(external) + "-org"]
            if "traditional" in variants and copy["kind"] == "person":
                assert copy["name"] != original["name"]
                assert datasets.traditional(original["name"]) == copy["name"]
                seen.add("traditional")
            if "pinyin" in variants:
                assert copy["name"].replace(" ", "").isascii()
                spelt = copy["name"].lower().split()
                assert (
                    "".join(spelt) in text.pinyin_keys(original["name"])[0]
                    or "".join(reversed(spelt)) in text.pinyin_keys(original["name"])[0]
                )
                seen.add("pinyin")
            if "dropped_char" in variants:
                assert len(copy["name"]) == len(original["name"]) - 1 == 2
                seen.add("dropped_char")
            if "homophone" in variants:
                assert len(copy["name"]) == len(original["name"])
                assert copy["name"] != original["name"]
                changed = [
                    (x, y) for x, y in zip(copy["name"], original["name"], strict=True) if x != y
                ]
                assert len(changed) == 1
                assert set(datasets.readings(changed[0][0])) & set(datasets.readings(changed[0][1]))
                seen.add("homophone")
            if "email_tag" in variants:
                assert "+" in copy["email"] and "+" not in original["email"]
                seen.add("email_tag")
            if "date_swap" in variants:
                year, month, day = original["birth_date"].split("-")
                assert copy["birth_date"] == f"{year}-{day}-{month}"
                seen.add("date_swap")
            if "old_phone" in variants and "mobile" in copy:
                digits = re.sub(r"\D", "", copy["mobile"])[-11:]
                assert digits != re.sub(r"\D", "", original["mobile"])[-11:]
                seen.add("old_phone")
        assert seen == set(
            "traditional pinyin dropped_char homophone email_tag date_swap old_phone".split()
        )

    def test_each_copy_keeps_evidence_a_person_would_accept(
        self, generated: datasets.Dataset
    ) -> None:
        for external, variants in generated.variants.items():
            if "-dup-" not in external:
                continue
            original = generated.details[entity(external) + "-org"]
            kept = [
                key
                for key, value in generated.details[external].items()
                if original.get(key) == value
            ]
            if "thin" in variants:
                assert len(kept) >= 1
                assert not {"homophone", "dropped_char"} & set(variants)
            else:
                assert len(kept) >= 2, (external, variants)

    def test_common_names_are_shared_by_different_people(self, generated: datasets.Dataset) -> None:
        originals = [row for row in generated.rows if row["external_id"].endswith("-org")]
        names = collections.Counter(row["name"] for row in originals)
        common = [name for name in datasets.COMMON_NAMES if names[name] >= 3]
        assert len(common) >= 5

    def test_every_value_is_one_huike_accepts(self, db: None) -> None:
        from huike.parties import services

        data = datasets.chinese(600, seed=5)
        known = services.definitions()
        for row in data.rows:
            values = {k: v for k, v in row.items() if k != "kind"}
            services.validate_values(row["kind"], values, known)


@pytest.mark.django_db
class TestLoad:
    def test_fast_load_writes_what_the_services_write(self) -> None:
        data = datasets.chinese(300, seed=2)
        ids = datasets.load(data.rows, fast=True)
        assert set(ids) == {row["external_id"] for row in data.rows}
        assert Party.objects.count() == 300
        row = next(r for r in data.rows if r.get("mobile") and r["kind"] == "person")
        party = Party.objects.get(pk=ids[row["external_id"]])
        assert party.name == row["name"]
        assert party.golden["mobile"] == text.normalise_phone(row["mobile"])
        assert party.golden["external_id"] == row["external_id"]
        assert SearchKey.objects.filter(party=party, kind="phone").exists()
        assert Observation.objects.filter(party=party, source="bench").count() == len(
            [k for k in row if k != "kind"]
        )

    def test_import_load_creates_every_febrl_row_with_its_social_security_number(
        self, tmp_path: Path
    ) -> None:
        rows = datasets.febrl("febrl1").rows[:40]
        ids = datasets.load(rows, fast=False)
        assert len(ids) == 40 == Party.objects.count()
        definition = AttributeDefinition.objects.get(code=datasets.SOC_SEC_ID)
        assert (definition.section, definition.data_type, definition.sensitivity) == (
            "identity",
            "text",
            "personal",
        )
        row = rows[0]
        golden = GoldenValue.objects.get(party_id=ids[row["external_id"]], attribute=definition)
        assert golden.value == row[datasets.SOC_SEC_ID]
        assert Observation.objects.filter(party_id=ids[row["external_id"]], source="bench").exists()
