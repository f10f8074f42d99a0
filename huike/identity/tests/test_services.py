"""Merging and unmerging customers, and the queue of likely duplicates (identity.services)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone

from huike.accounts.models import User
from huike.core.models import AppendOnlyError, ChangeLog
from huike.identity import selectors, services
from huike.identity.models import MatchCandidate, Merge
from huike.identity.tests.factories import candidate, golden_state, rows_of, score
from huike.imports.models import ImportJob, ImportProblem
from huike.parties import services as parties
from huike.parties.models import (
    GoldenValue,
    Observation,
    Party,
    PartyShare,
    Relationship,
    SearchKey,
    Tag,
)
from huike.parties.selectors import lineage
from huike.parties.tests.factories import observe, organisation, person
from huike.privacy import services as privacy
from huike.privacy.models import ConsentRecord, PartyConsent
from huike.privacy.tests.factories import purpose
from huike.subjects.models import SubjectRequest
from huike.webforms.models import Submission
from huike.webforms.tests.factories import make_form

pytestmark = pytest.mark.django_db

# Every foreign key to a customer that a merge relinks today. A new model with a foreign key to
# Party (orders, tickets…) makes this fail: check that relinking it is right (it is, unless its
# rows are derived from others and rebuilt), then add it here.
RELINKED = {
    "identity.merge.survivor",
    "imports.importproblem.party",
    "parties.observation.party",
    "parties.partyshare.party",
    "parties.relationship.from_party",
    "parties.relationship.reports_to",
    "parties.relationship.to_party",
    "privacy.consentrecord.party",
    "subjects.subjectrequest.party",
    "webforms.submission.party",
}
NOT_RELINKED = {
    "identity.matchcandidate.party_a",
    "identity.matchcandidate.party_b",
    "parties.goldenvalue.party",
    "parties.party_tags.party",
    "parties.searchkey.party",
    "privacy.partyconsent.party",
}


@pytest.fixture
def merger(make_user: Callable[..., User]) -> User:
    return make_user("administrator", username="merger")


def _merge(survivor: Party, merged: Party, actor: Any, **kwargs: Any) -> Merge:
    return services.merge(survivor, merged, actor=actor, **kwargs)


def _consent(
    party: Party, code: str, *, granted: bool = True, days_ago: float = 0, evidence: str = ""
) -> ConsentRecord:
    """A grant or withdrawal recorded ``days_ago`` (without a notice, as staff may record it)."""
    when = timezone.now() - datetime.timedelta(days=days_ago)
    if granted:
        return privacy.grant(
            party, purpose(code), actor=None, channel="manual", evidence=evidence, occurred_at=when
        )
    return privacy.withdraw(party, purpose(code), actor=None, channel="phone", occurred_at=when)


def _relationship(source: Party, target: Party, kind: str, **values: Any) -> Relationship:
    return parties.save_relationship(
        Relationship(), actor=None, from_party=source, to_party=target, kind=kind, **values
    )


# --- What a merge relinks -----------------------------------------------------------------------


def test_every_foreign_key_to_a_customer_is_relinked_or_rebuilt() -> None:
    relinked = {services.link_key(field) for field in services.party_links()}
    every = {
        f"{relation.field.model._meta.label_lower}.{relation.field.name}"
        for relation in Party._meta.get_fields(include_hidden=True)
        if isinstance(relation, models.ForeignObjectRel) and not relation.many_to_many
    }

    assert relinked == RELINKED
    assert every - relinked <= NOT_RELINKED


def test_merge_moves_observations_and_rebuilds_the_golden_record(merger: User) -> None:
    survivor = person("张三", attributes={"mobile": "13800138000"})
    merged = person("张三", attributes={"email": "zhang@example.com"})
    merged_observations = set(Observation.objects.filter(party=merged).values_list("pk", flat=True))

    record = _merge(survivor, merged, merger)

    assert not Party.objects.filter(pk=merged.pk).exists()
    assert record.merged_id == merged.pk
    assert set(record.moved["parties.observation.party"]) == merged_observations
    assert set(Observation.objects.filter(party=survivor).values_list("pk", flat=True)) >= (
        merged_observations
    )
    survivor.refresh_from_db()
    assert survivor.golden["mobile"] == "+8613800138000"
    assert survivor.golden["email"] == "zhang@example.com"
    assert SearchKey.objects.filter(party=survivor, kind="email").exists()
    assert record.merged_by == merger
    assert not GoldenValue.objects.filter(party_id=merged.pk).exists()


def test_merge_relinks_relationships_including_reports_to(merger: User) -> None:
    company = organisation("云汇科技有限公司")
    survivor, merged, colleague = person("王五"), person("王五"), person("李四")
    works = _relationship(merged, company, "employment", title="CTO")
    reports = _relationship(colleague, company, "employment", reports_to=merged)
    friend = _relationship(colleague, merged, "friend")

    record = _merge(survivor, merged, merger)

    works.refresh_from_db()
    reports.refresh_from_db()
    friend.refresh_from_db()
    assert works.from_party_id == survivor.pk
    assert reports.reports_to_id == survivor.pk
    assert friend.to_party_id == survivor.pk
    assert record.moved["parties.relationship.from_party"] == [works.pk]
    assert record.moved["parties.relationship.reports_to"] == [reports.pk]
    assert record.moved["parties.relationship.to_party"] == [friend.pk]


def test_a_relationship_between_the_two_is_deleted_and_restored_with_its_id(
    merger: User,
) -> None:
    survivor, merged = person("赵六"), person("赵六")
    tie = _relationship(survivor, merged, "relative", note="cousins")

    record = _merge(survivor, merged, merger)

    assert not Relationship.objects.filter(pk=tie.pk).exists()
    services.unmerge(record, actor=merger)
    restored = Relationship.objects.get(pk=tie.pk)
    assert (restored.from_party_id, restored.to_party_id) == (survivor.pk, merged.pk)
    assert restored.note == "cousins"
    assert restored.created_at == tie.created_at


def test_reports_to_inside_the_pair_is_emptied_and_restored(merger: User) -> None:
    company = organisation("星河贸易有限公司")
    survivor, merged = person("钱七"), person("钱七")
    works = _relationship(survivor, company, "employment", reports_to=merged)

    record = _merge(survivor, merged, merger)

    works.refresh_from_db()
    assert works.reports_to_id is None  # nobody reports to themselves
    services.unmerge(record, actor=merger)
    works.refresh_from_db()
    assert works.reports_to_id == merged.pk


def test_consents_move_and_the_current_consent_follows_the_latest_ledger_row(
    merger: User,
) -> None:
    survivor, merged = person("孙八"), person("孙八")
    granted = _consent(survivor, "marketing", days_ago=5)
    withdrawn = _consent(merged, "marketing", granted=False, days_ago=1)
    profiling = _consent(merged, "profiling", days_ago=2)

    record = _merge(survivor, merged, merger)

    assert set(record.moved["privacy.consentrecord.party"]) == {withdrawn.pk, profiling.pk}
    assert set(ConsentRecord.objects.filter(party=survivor).values_list("pk", flat=True)) == {
        granted.pk,
        withdrawn.pk,
        profiling.pk,
    }
    current = {c.purpose.code: c for c in PartyConsent.objects.filter(party=survivor)}
    assert current["marketing"].granted is False
    assert current["marketing"].record_id == withdrawn.pk
    assert current["profiling"].granted is True
    assert not PartyConsent.objects.filter(party_id=merged.pk).exists()

    services.unmerge(record, actor=merger)

    current = {c.purpose.code: c for c in PartyConsent.objects.filter(party=survivor)}
    assert set(current) == {"marketing"}
    assert current["marketing"].record_id == granted.pk
    restored = {c.purpose.code: c.record_id for c in PartyConsent.objects.filter(party=merged)}
    assert restored == {"marketing": withdrawn.pk, "profiling": profiling.pk}


def test_the_ledger_stays_append_only_for_everyone_else(merger: User) -> None:
    survivor, merged = person("周九"), person("周九")
    _consent(merged, "marketing")

    _merge(survivor, merged, merger)

    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(party=survivor).update(evidence="changed")


def test_shares_move_and_come_back(merger: User, make_user: Callable[..., User]) -> None:
    colleague = make_user("salesperson")
    survivor, merged = person("吴十"), person("吴十")
    share = PartyShare.objects.create(party=merged, user=colleague, granted_by=merger)

    record = _merge(survivor, merged, merger)

    share.refresh_from_db()
    assert share.party_id == survivor.pk
    assert Party.objects.visible_to(colleague).filter(pk=survivor.pk).exists()
    services.unmerge(record, actor=merger)
    share.refresh_from_db()
    assert share.party_id == merged.pk


def test_the_survivor_gets_the_union_of_tags_and_gives_back_the_merged_ones(
    merger: User,
) -> None:
    vip, fair, both = (Tag.objects.create(name=n) for n in ("vip", "fair", "both"))
    survivor = person("郑一", tags=[vip, both])
    merged = person("郑一", tags=[fair, both])

    record = _merge(survivor, merged, merger)

    assert set(survivor.tags.all()) == {vip, fair, both}
    services.unmerge(record, actor=merger)
    assert set(survivor.tags.all()) == {vip, both}
    assert set(Party.objects.get(pk=merged.pk).tags.all()) == {fair, both}


def test_history_moves_to_the_survivor_and_the_merge_is_logged(merger: User) -> None:
    survivor, merged = person("冯二"), person("冯二")
    party_type = ContentType.objects.get_for_model(Party)
    history = set(
        ChangeLog.objects.filter(content_type=party_type, object_id=str(merged.pk)).values_list(
            "pk", flat=True
        )
    )

    record = _merge(survivor, merged, merger)

    assert set(record.moved["core.changelog.object_id"]) == history
    on_survivor = ChangeLog.objects.filter(content_type=party_type, object_id=str(survivor.pk))
    assert history <= set(on_survivor.values_list("pk", flat=True))
    logged = on_survivor.get(message__startswith="merged ")
    assert f"#{merged.pk}" in logged.message
    assert logged.actor == merger
    # The merged id's own history says where it went.
    gone = ChangeLog.objects.get(content_type=party_type, object_id=str(merged.pk))
    assert gone.message == f"merged into 冯二 (#{survivor.pk})"

    services.unmerge(record, actor=merger)

    back = set(
        ChangeLog.objects.filter(content_type=party_type, object_id=str(merged.pk)).values_list(
            "pk", flat=True
        )
    )
    assert history | {gone.pk} < back  # plus "restored from…"
    assert ChangeLog.objects.filter(
        content_type=party_type, object_id=str(survivor.pk), message__startswith="unmerged "
    ).exists()


def test_imports_forms_and_subject_requests_follow_the_customer(merger: User) -> None:
    survivor, merged = person("陈三"), person("陈三")
    job = ImportJob.objects.create(path="x.csv", original_name="x.csv", digest="0" * 64)
    problem = ImportProblem.objects.create(job=job, kind="review", line=2, party=merged)
    submission = Submission.objects.create(form=make_form(), party=merged, language="zh-hans")
    request = SubjectRequest.objects.create(
        kind="access", requester_name="陈三", due_at=timezone.now(), party=merged
    )

    record = _merge(survivor, merged, merger)

    for row in (problem, submission, request):
        row.refresh_from_db()
        assert row.party_id == survivor.pk
    assert record.moved["imports.importproblem.party"] == [problem.pk]
    assert record.moved["webforms.submission.party"] == [submission.pk]
    assert record.moved["subjects.subjectrequest.party"] == [request.pk]

    services.unmerge(record, actor=merger)

    for row in (problem, submission, request):
        row.refresh_from_db()
        assert row.party_id == merged.pk


def test_a_row_that_would_break_a_uniqueness_rule_is_kept_in_the_snapshot() -> None:
    # Given both customers' current consent to marketing (one row per customer and purpose)
    survivor, merged = person("褚四"), person("褚四")
    _consent(survivor, "marketing")
    _consent(merged, "marketing")
    field = PartyConsent._meta.get_field("party")
    assert isinstance(field, models.ForeignKey)
    kept: list[Any] = []

    # When the rows are relinked one by one
    moved = services._relink(field, merged.pk, survivor.pk, kept)

    # Then the colliding row stays where it was, copied for the unmerge
    assert moved == []
    assert [row["model"] for row in kept] == ["privacy.partyconsent"]
    assert PartyConsent.objects.filter(party=merged).count() == 1


# --- Choices ------------------------------------------------------------------------------------


def test_a_chosen_value_wins_and_lineage_shows_where_it_came_from(
    merger: User, make_user: Callable[..., User]
) -> None:
    owner = make_user("salesperson", username="owner-of-merged")
    survivor = person("卫五")
    merged = person("卫五", owner=owner)
    observe(survivor, {"mobile": "13800000001"}, days_ago=10)
    observe(merged, {"mobile": "13900000002"}, days_ago=1)  # newer: wins by default
    kept = Observation.objects.get(party=survivor, attribute__code="mobile")

    record = _merge(survivor, merged, merger, choices={"mobile": kept.pk, "owner": merged.pk})

    survivor.refresh_from_db()
    assert survivor.golden["mobile"] == "+8613800000001"
    assert survivor.owner == owner
    golden = GoldenValue.objects.get(party=survivor, attribute__code="mobile")
    assert golden.observation.source == "manual"
    assert golden.observation.note == "chosen from the history of values"
    assert golden.observation.pk in record.snapshot["chosen_observations"]
    assert record.choices == {"mobile": kept.pk, "owner": merged.pk}
    # The old values are all still there: lineage lists both.
    assert set(lineage(survivor, "mobile").values_list("value_text", flat=True)) == {
        "+8613800000001",
        "+8613900000002",
    }

    services.unmerge(record, actor=merger)

    survivor.refresh_from_db()
    assert survivor.golden["mobile"] == "+8613800000001"
    assert survivor.owner is None
    assert not Observation.objects.filter(pk__in=record.snapshot["chosen_observations"]).exists()
    assert Party.objects.get(pk=merged.pk).golden["mobile"] == "+8613900000002"


def test_fields_not_chosen_are_filled_in_and_given_back(
    merger: User, make_user: Callable[..., User]
) -> None:
    # Given a survivor without owner, with notes and a later first deal
    owner = make_user("salesperson", username="merged-owner")
    survivor = person("韦一", notes="prefers mornings", first_deal_date=datetime.date(2024, 5, 1))
    merged = person(
        "韦一", owner=owner, notes="met at the fair", first_deal_date=datetime.date(2023, 1, 9)
    )
    Party.objects.filter(pk=merged.pk).update(processing_restricted=True)

    record = _merge(survivor, merged, merger)

    # Then the survivor has the merged party's owner, the earlier deal, both notes, the
    # restriction, and the change log says so
    survivor.refresh_from_db()
    assert survivor.owner == owner
    assert survivor.first_deal_date == datetime.date(2023, 1, 9)
    assert survivor.notes == "prefers mornings\n\nmet at the fair"
    assert survivor.processing_restricted
    logged = ChangeLog.objects.get(object_id=str(survivor.pk), message__startswith="merged ")
    assert logged.changes["first_deal_date"] == ["2024-05-01", "2023-01-09"]
    assert logged.changes["owner"] == [None, owner.pk]

    # When the merge is undone, the survivor's own values come back
    survivor, restored = services.unmerge(record, actor=merger)

    assert survivor.owner is None
    assert survivor.first_deal_date == datetime.date(2024, 5, 1)
    assert survivor.notes == "prefers mornings"
    assert not survivor.processing_restricted
    assert restored.processing_restricted
    assert restored.notes == "met at the fair"


def test_a_field_changed_since_the_merge_is_not_reverted(
    merger: User, make_user: Callable[..., User]
) -> None:
    owner, later = make_user("salesperson"), make_user("salesperson")
    survivor, merged = person("韦二"), person("韦二", owner=owner)
    record = _merge(survivor, merged, merger)
    parties.update_party(survivor, actor=None, owner=later)

    survivor, _restored = services.unmerge(record, actor=merger)

    assert survivor.owner == later


def test_choosing_the_survivors_empty_field_keeps_it_empty(
    merger: User, make_user: Callable[..., User]
) -> None:
    survivor, merged = person("韦三"), person("韦三", owner=make_user("salesperson"))

    _merge(survivor, merged, merger, choices={"owner": survivor.pk})

    survivor.refresh_from_db()
    assert survivor.owner is None


def test_a_choice_that_already_wins_adds_no_observation(merger: User) -> None:
    survivor, merged = person("蒋六"), person("蒋六")
    observe(survivor, {"mobile": "13800000001"}, days_ago=1)
    observe(merged, {"mobile": "13900000002"}, days_ago=10)
    winner = Observation.objects.get(party=survivor, attribute__code="mobile")

    record = _merge(survivor, merged, merger, choices={"mobile": winner.pk})

    assert record.snapshot["chosen_observations"] == []


@pytest.mark.parametrize(
    "choice",
    [
        pytest.param(lambda s, m, other: {"mobile": other}, id="another customer's value"),
        pytest.param(lambda s, m, other: {"shoe_size": other}, id="unknown attribute"),
        pytest.param(lambda s, m, other: {"owner": 0}, id="party not in the pair"),
        pytest.param(lambda s, m, other: {"mobile": "x"}, id="not a number"),
    ],
)
def test_invalid_choices_are_refused_and_nothing_moves(merger: User, choice: Any) -> None:
    survivor, merged = person("沈七"), person("沈七")
    stranger = person("韩八", attributes={"mobile": "13700000000"})
    other = Observation.objects.get(party=stranger, attribute__code="mobile").pk

    with pytest.raises(ValidationError) as error:
        _merge(survivor, merged, merger, choices=choice(survivor, merged, other))

    assert set(error.value.message_dict) == set(choice(survivor, merged, other))
    assert Party.objects.filter(pk=merged.pk).exists()


# --- Refusals ----------------------------------------------------------------------------------


def test_an_actor_without_the_permission_may_not_merge_or_unmerge(
    merger: User, make_user: Callable[..., User]
) -> None:
    salesperson = make_user("salesperson")
    survivor, merged = person("杨九"), person("杨九")
    pair = candidate(survivor, merged)

    with pytest.raises(PermissionDenied):
        _merge(survivor, merged, salesperson)
    with pytest.raises(PermissionDenied):
        services.merge_candidate(pair, actor=salesperson)
    with pytest.raises(PermissionDenied):
        services.bulk_merge(MatchCandidate.objects.all(), actor=salesperson, min_score=0.5)
    with pytest.raises(PermissionDenied):
        services.mark_not_duplicate(survivor, merged, actor=salesperson)
    record = _merge(survivor, merged, merger)
    with pytest.raises(PermissionDenied):
        services.unmerge(record, actor=salesperson)


def test_a_customer_cannot_be_merged_with_itself(merger: User) -> None:
    party = person("朱十")

    with pytest.raises(ValidationError, match="itself"):
        _merge(party, Party.objects.get(pk=party.pk), merger)


def test_a_person_cannot_be_merged_with_an_organisation(merger: User) -> None:
    with pytest.raises(ValidationError, match="organisation"):
        _merge(person("秦一"), organisation("秦一商贸有限公司"), merger)


def test_a_merge_is_undone_only_once(merger: User) -> None:
    record = _merge(person("尤二"), person("尤二"), merger)
    services.unmerge(record, actor=merger)

    with pytest.raises(ValidationError, match="already undone"):
        services.unmerge(record, actor=merger)


def test_a_merge_whose_survivor_was_merged_again_is_undone_after_the_later_one(
    merger: User,
) -> None:
    first, second, third = person("许三"), person("许三"), person("许三")
    earlier = _merge(second, first, merger)
    later = _merge(third, second, merger)

    earlier.refresh_from_db()
    assert earlier.survivor_id == third.pk  # the record follows the customer's rows
    with pytest.raises(ValidationError, match="undo that merge first"):
        services.unmerge(earlier, actor=merger)

    services.unmerge(later, actor=merger)
    earlier.refresh_from_db()
    assert earlier.survivor_id == second.pk
    survivor, restored = services.unmerge(earlier, actor=merger)
    assert (survivor.pk, restored.pk) == (second.pk, first.pk)
    assert Party.objects.filter(pk__in=[first.pk, second.pk, third.pk]).count() == 3


def test_a_merge_whose_merged_id_was_reused_is_not_undone(merger: User) -> None:
    merged = person("何四")
    record = _merge(person("何四"), merged, merger)
    Party.objects.create(pk=merged.pk, kind="person", name="someone else")

    with pytest.raises(ValidationError, match="exists again"):
        services.unmerge(record, actor=merger)


# --- Unmerge ------------------------------------------------------------------------------------


def test_unmerge_restores_both_customers_exactly(merger: User) -> None:
    # Given two records of one person, with values, a tie to a third, consent and tags
    company = organisation("吕氏贸易有限公司")
    survivor = person(
        "吕五", attributes={"mobile": "13800000005"}, tags=[Tag.objects.create(name="a")]
    )
    merged = person(
        "吕五",
        attributes={"email": "lv@example.com", "external_id": "crm-5"},
        tags=[Tag.objects.create(name="b")],
    )
    observe(merged, {"mobile": "13800000006"}, source="import", days_ago=3)
    _relationship(merged, company, "employment", title="经理")
    _consent(merged, "marketing", days_ago=1)
    before = {pk: (rows_of(pk), golden_state(pk)) for pk in (survivor.pk, merged.pk)}
    merged_fields = Party.objects.filter(pk=merged.pk).values().get()

    # When they are merged and the merge is undone
    record = _merge(survivor, merged, merger)
    survivor_after, restored = services.unmerge(record, actor=merger)

    # Then each has exactly its rows and golden record back, with the same id
    assert restored.pk == merged.pk
    for pk, (rows, golden) in before.items():
        now = rows_of(pk)
        assert golden_state(pk) == golden
        for name in rows:
            if name == "history":
                assert rows[name] <= now[name]
            else:
                assert now[name] == rows[name], name
    fields_now = Party.objects.filter(pk=merged.pk).values().get()
    for name in ("kind", "name", "owner_id", "stage", "created_at", "golden", "notes"):
        assert fields_now[name] == merged_fields[name], name
    assert fields_now["version"] == merged_fields["version"] + 1
    assert survivor_after.pk == survivor.pk
    assert set(SearchKey.objects.filter(party=restored).values_list("kind", "value")) == (
        parties.search_keys_for(restored)
    )
    record.refresh_from_db()
    assert record.unmerged_by == merger
    assert record.unmerged_at is not None


def test_unmerge_marks_the_pair_not_a_duplicate_with_the_same_queue_row(merger: User) -> None:
    survivor, merged = person("施六"), person("施六")
    pair = candidate(survivor, merged, 0.97)
    elsewhere = candidate(merged, person("张七"), 0.6)

    record = services.merge_candidate(pair, actor=merger, survivor=survivor)

    assert record.score == pytest.approx(0.97)
    assert record.snapshot["candidate"] == pair.pk
    assert not MatchCandidate.objects.filter(pk__in=[pair.pk, elsewhere.pk]).exists()

    services.unmerge(record, actor=merger)

    pair.refresh_from_db()
    assert pair.status == MatchCandidate.Status.NOT_DUPLICATE
    assert pair.reviewed_by == merger
    assert MatchCandidate.objects.get(pk=elsewhere.pk).status == MatchCandidate.Status.OPEN
    record.refresh_from_db()
    assert record.candidate == pair
    # Found again by a search, the pair is not proposed again.
    services.queue_candidates([(survivor.pk, merged.pk, score(0.99))], found_by="job")
    pair.refresh_from_db()
    assert pair.status == MatchCandidate.Status.NOT_DUPLICATE


def _form_values(party: Party, values: dict[str, Any], ref: str) -> None:
    parties.record_observations(
        party,
        values,
        actor=None,
        provenance=parties.Provenance(source="form:contact", source_ref=ref),
    )


def test_values_added_since_go_back_when_they_carry_the_restored_customers_identifier(
    merger: User,
) -> None:
    # Given a merge of a record with its own e-mail into one with its own mobile
    survivor = person("孔八", attributes={"mobile": "13800000008"})
    merged = person("孔八", attributes={"email": "kong@example.com"})
    record = _merge(survivor, merged, merger)
    # … and, since, three form submissions landing on the survivor
    _form_values(survivor, {"email": "kong@example.com", "native_place": "杭州"}, "submission #7")
    _form_values(survivor, {"mobile": "13800000008", "native_place": "宁波"}, "submission #8")
    _form_values(survivor, {"native_place": "温州"}, "submission #9")
    consent_7 = _consent(survivor, "marketing", evidence="web form contact, submission #7")
    consent_70 = _consent(survivor, "profiling", evidence="web form contact, submission #70")

    survivor, restored = services.unmerge(record, actor=merger)

    # Then only the submission naming the merged customer's e-mail goes back, with its consent
    refs = dict(Observation.objects.filter(source="form:contact").values_list("pk", "party_id"))
    back = Observation.objects.filter(party=restored, source_ref="submission #7")
    assert back.count() == 2
    assert set(refs.values()) == {survivor.pk, restored.pk}
    assert not Observation.objects.filter(party=restored, source_ref="submission #8").exists()
    assert not Observation.objects.filter(party=restored, source_ref="submission #9").exists()
    assert ConsentRecord.objects.get(pk=consent_7.pk).party_id == restored.pk
    assert ConsentRecord.objects.get(pk=consent_70.pk).party_id == survivor.pk
    assert restored.golden["native_place"] == "杭州"
    assert PartyConsent.objects.get(party=restored, purpose=purpose("marketing")).granted
    assert not PartyConsent.objects.filter(party=survivor, purpose=purpose("marketing")).exists()
    record.refresh_from_db()
    assert record.snapshot["returned_refs"] == ["submission #7"]


def test_values_added_since_stay_when_the_identifier_was_the_survivors_too(
    merger: User,
) -> None:
    survivor = person("曹九", attributes={"email": "cao@example.com"})
    merged = person("曹九", attributes={"email": "cao@example.com"})
    record = _merge(survivor, merged, merger)
    _form_values(survivor, {"email": "cao@example.com", "native_place": "苏州"}, "submission #11")

    survivor, restored = services.unmerge(record, actor=merger)

    assert Observation.objects.filter(party=survivor, source_ref="submission #11").count() == 2
    assert "native_place" not in restored.golden


def test_values_added_since_stay_when_they_name_both_customers(merger: User) -> None:
    survivor = person("严十", attributes={"mobile": "13800000010"})
    merged = person("严十", attributes={"email": "yan@example.com"})
    record = _merge(survivor, merged, merger)
    _form_values(survivor, {"email": "yan@example.com", "mobile": "13800000010"}, "submission #12")

    survivor, _restored = services.unmerge(record, actor=merger)

    assert Observation.objects.filter(party=survivor, source_ref="submission #12").count() == 2


# --- Candidates, bulk merges, chains -----------------------------------------------------------


def test_merge_candidate_keeps_the_customer_with_more_observations(merger: User) -> None:
    older = person("华一")
    richer = person("华一", attributes={"mobile": "13800000011", "email": "hua@example.com"})

    record = services.merge_candidate(candidate(older, richer), actor=merger)

    assert record.survivor_id == richer.pk
    assert record.merged_id == older.pk
    assert not record.automatic


def test_merge_candidate_keeps_the_older_customer_on_a_tie(merger: User) -> None:
    older, newer = person("金二"), person("金二")

    record = services.merge_candidate(candidate(older, newer), actor=merger)

    assert record.survivor_id == older.pk


def test_merge_candidate_refuses_a_survivor_outside_the_pair(merger: User) -> None:
    pair = candidate(person("魏三"), person("魏三"))

    with pytest.raises(ValidationError):
        services.merge_candidate(pair, actor=merger, survivor=person("陶四"))


def test_bulk_merge_follows_chains_and_skips_pairs_already_gone(merger: User) -> None:
    # Given three records of one customer and an unrelated, weaker pair
    a = person("姜五", attributes={"mobile": "13800000012", "email": "jiang@example.com"})
    b, c = person("姜五"), person("姜五")
    d, e = person("戚六"), person("戚六")
    candidate(a, b, 0.99)
    candidate(b, c, 0.98)
    candidate(a, c, 0.97)
    weak = candidate(d, e, 0.6)

    merged = services.bulk_merge(MatchCandidate.objects.all(), actor=merger, min_score=0.95)

    # Then a absorbed b, (b, c) went with b, and a absorbed c through (a, c)
    assert merged == 2
    assert set(Party.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", flat=True)) == {
        a.pk
    }
    assert set(Merge.objects.values_list("merged_id", flat=True)) == {b.pk, c.pk}
    assert all(Merge.objects.values_list("automatic", flat=True))
    weak.refresh_from_db()
    assert weak.status == MatchCandidate.Status.OPEN
    assert selectors.merged_into(b.pk) == a
    assert selectors.merged_into(c.pk) == a


def test_bulk_merge_skips_pairs_a_merge_refuses(merger: User) -> None:
    someone, company = person("柳八"), organisation("柳八商行有限公司")
    candidate(someone, company, 0.99)

    assert services.bulk_merge(MatchCandidate.objects.all(), actor=merger, min_score=0.9) == 0
    assert Party.objects.filter(pk__in=[someone.pk, company.pk]).count() == 2


def test_a_merge_refuses_a_queue_row_about_other_customers(merger: User) -> None:
    survivor, merged = person("鲍九"), person("鲍九")
    other = candidate(person("鲍九"), person("鲍九"))

    with pytest.raises(ValidationError, match="other customers"):
        _merge(survivor, merged, merger, candidate=other)


def test_merged_into_follows_a_customer_through_several_merges(merger: User) -> None:
    first, second, third = person("谢七"), person("谢七"), person("谢七")
    _merge(second, first, merger)
    last = _merge(third, second, merger)

    assert selectors.merged_into(first.pk) == third
    assert selectors.merged_into(second.pk) == third
    assert selectors.merged_into(third.pk) == third
    assert selectors.merged_into(10**9) is None
    assert selectors.merge_for(third).first() == last
    assert {m.merged_id for m in selectors.merge_for(third)} == {first.pk, second.pk}

    services.unmerge(last, actor=merger)

    assert selectors.merged_into(first.pk) == second


# --- The queue ----------------------------------------------------------------------------------


def test_queue_candidates_orders_pairs_and_skips_the_gone_and_the_same() -> None:
    a, b, c = person("邹八"), person("邹八"), person("邹八")

    written = services.queue_candidates(
        [(b.pk, a.pk, score(0.93)), (a.pk, a.pk, score(1.0)), (c.pk, 10**9, score(0.8))],
        found_by="job",
    )

    assert written == 1
    row = MatchCandidate.objects.get()
    assert (row.party_a_id, row.party_b_id) == (a.pk, b.pk)
    assert row.score == pytest.approx(0.93)
    assert row.decision == "same"
    assert row.explanation == score(0.93).explanation()
    assert row.found_by == "job"


def test_queue_candidates_rescores_open_pairs_and_leaves_reviewed_ones() -> None:
    a, b, c, d = (person("喻九") for _ in range(4))
    open_pair = candidate(a, b, 0.6)
    rejected = candidate(a, c, 0.7, status=MatchCandidate.Status.NOT_DUPLICATE)
    merged = candidate(a, d, 0.8, status=MatchCandidate.Status.MERGED)

    written = services.queue_candidates(
        [
            (a.pk, b.pk, score(0.91)),
            (c.pk, a.pk, score(0.99)),
            (a.pk, d.pk, score(0.99)),
        ],
        found_by="entry",
    )

    assert written == 1
    open_pair.refresh_from_db()
    rejected.refresh_from_db()
    merged.refresh_from_db()
    assert (open_pair.score, open_pair.decision) == (pytest.approx(0.91), "same")
    assert open_pair.found_by == "job"  # who found it first
    assert (rejected.status, rejected.score) == ("not_duplicate", pytest.approx(0.7))
    assert (merged.status, merged.score) == ("merged", pytest.approx(0.8))
    # The same scores again change nothing.
    assert services.queue_candidates([(a.pk, b.pk, score(0.91))], found_by="job") == 0


def test_queue_candidates_handles_many_pairs_in_chunks() -> None:
    parties_list = [person(f"柏{n}") for n in range(40)]
    ids = [p.pk for p in parties_list]
    pairs = [(x, y, score(0.7, "maybe")) for i, x in enumerate(ids) for y in ids[i + 1 :]]

    assert services.queue_candidates(pairs, found_by="job") == len(pairs)  # 780 > one chunk
    assert MatchCandidate.objects.count() == len(pairs)
    assert services.queue_candidates(pairs, found_by="job") == 0


def test_mark_not_duplicate_records_the_decision_in_either_order(merger: User) -> None:
    a, b = person("水一"), person("水一")
    row = candidate(a, b, 0.8)

    marked = services.mark_not_duplicate(b, a, actor=merger)

    assert marked.pk == row.pk
    assert marked.status == MatchCandidate.Status.NOT_DUPLICATE
    assert marked.reviewed_by == merger
    fresh = services.mark_not_duplicate(a, person("水一"), actor=merger)
    assert (fresh.found_by, fresh.decision) == ("manual", "different")


# --- The comparison -----------------------------------------------------------------------------


def test_comparison_shows_values_as_the_reader_may_see_them(
    make_user: Callable[..., User],
) -> None:
    marketer = make_user("marketer")
    a = person("窦二", attributes={"mobile": "13800000013"})
    b = person("窦二", attributes={"mobile": "13900000014", "email": "dou@example.com"})
    Observation.objects.filter(party=b, attribute__code="mobile").update(
        collected_at=timezone.now() - datetime.timedelta(days=30)
    )
    parties.refresh_golden(
        b, [GoldenValue.objects.get(party=b, attribute__code="mobile").attribute]
    )

    view = selectors.comparison(a, b, user=marketer)

    rows = {row.code: row for row in view.attributes}
    assert set(rows) == {"name", "mobile", "email"}
    mobile = rows["mobile"]
    assert mobile.a is not None and mobile.b is not None
    assert mobile.a.state == "masked"
    assert "13800000013" not in mobile.a.text
    assert (
        mobile.a.observation_id
        == GoldenValue.objects.get(party=a, attribute__code="mobile").observation_id
    )
    assert mobile.default == "a"  # both entered by hand; a's is the more recent
    assert rows["email"].a is None
    assert rows["email"].default == "b"
    assert rows["name"].same
    assert view.survivor_id == b.pk
    assert view.counts_b.observations == 3
    stage = {row.name: row for row in view.fields}["stage"]
    assert stage.same and stage.a == "Prospect"


def test_comparison_defaults_follow_survivorship_over_both_customers(merger: User) -> None:
    a, b = person("章三"), person("章三")
    observe(a, {"mobile": "13800000015"}, source="import", days_ago=1)
    observe(b, {"mobile": "13900000016"}, days_ago=20)  # by hand: wins under "manual wins"

    view = selectors.comparison(a, b, user=merger)

    [mobile] = [row for row in view.attributes if row.code == "mobile"]
    assert mobile.default == "b"
    record = _merge(a, b, merger)
    assert Party.objects.get(pk=record.survivor_id).golden["mobile"] == "+8613900000016"
