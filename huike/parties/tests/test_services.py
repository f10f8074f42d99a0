"""Services of the customer record: observations in, golden record out."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from huike.accounts.models import User
from huike.core.models import ChangeLog
from huike.parties import services
from huike.parties.models import (
    AttributeDefinition,
    GoldenValue,
    Observation,
    Party,
    Relationship,
    SearchKey,
    Tag,
)
from huike.parties.selectors import search_parties
from huike.parties.tests.factories import (
    custom_definition,
    definition,
    observe,
    organisation,
    person,
    set_rule,
)

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
Survivorship = AttributeDefinition.Survivorship
MOBILE = "+8613800138000"
OTHER_MOBILE = "+8613900139000"
THIRD_MOBILE = "+8613700137000"
USCC = "91110000600037341L"


def golden(party: Party, code: str) -> GoldenValue:
    return GoldenValue.objects.select_related("observation").get(party=party, attribute__code=code)


def observations(party: Party, code: str | None = None) -> list[Observation]:
    queryset = Observation.objects.filter(party=party).order_by("pk")
    if code is not None:
        queryset = queryset.filter(attribute__code=code)
    return list(queryset)


def log_for(party: Party) -> list[ChangeLog]:
    return list(
        ChangeLog.objects.filter(content_type__model="party", object_id=str(party.pk)).order_by(
            "pk"
        )
    )


def keys(party: Party) -> set[tuple[str, str]]:
    return set(SearchKey.objects.filter(party=party).values_list("kind", "value"))


def reload(party: Party) -> Party:
    return Party.objects.get(pk=party.pk)


# --- create_party -----------------------------------------------------------------------------


def test_create_party_records_one_observation_per_value_and_the_name(admin_user: User) -> None:
    party = services.create_party(
        actor=admin_user,
        kind=Party.Kind.PERSON,
        name=" 张三 ",
        attributes={
            "mobile": "138-0013-8000",
            "email": "ZS@Example.com",
            "gender": "男",
            "wechat": "",  # blank: adds nothing
        },
    )

    recorded = {o.attribute.code: o for o in Observation.objects.filter(party=party)}
    assert set(recorded) == {"name", "mobile", "email", "gender"}
    assert recorded["mobile"].value == MOBILE
    assert recorded["gender"].value == "male"
    for observation in recorded.values():
        assert observation.source == "manual"
        assert observation.collector == admin_user
        assert observation.collector_name == "boss"
    assert party.name == "张三"
    assert party.pinyin == "zhang san"


def test_create_party_builds_the_golden_record_its_copy_and_search_keys(
    admin_user: User,
) -> None:
    party = person(
        "张三",
        actor=admin_user,
        attributes={"mobile": "13800138000", "email": "zs@example.com", "external_id": "ERP-7"},
    )

    stored = reload(party)
    assert stored.golden == {
        "name": "张三",
        "mobile": MOBILE,
        "email": "zs@example.com",
        "external_id": "ERP-7",
    }
    for code, value in stored.golden.items():
        value_in_golden = golden(party, code)
        assert value_in_golden.value == value
        assert value_in_golden.observation.attribute.code == code  # lineage
    assert stored.pinyin == "zhang san"
    assert {
        ("name", "张三"),
        ("pinyin", "zhangsan"),
        ("initials", "zs"),
        ("phone", "0008310083168"),
        ("email", "zs@example.com"),
        ("code", "erp7"),
    } <= keys(party)


def test_derived_rows_go_with_what_they_derive_from_without_database_constraints(
    make_user: MakeUser,
) -> None:
    # Golden values and search keys carry no database foreign keys (imports write millions):
    # deleting through Django must still take them along, and leave the other customer's.
    clerk = make_user("salesperson")
    gone = person("张三", actor=clerk, attributes={"mobile": "13800138000", "email": "a@x.cn"})
    kept = person("李四", actor=clerk, attributes={"mobile": "13900139000"})
    mobile = golden(kept, "mobile").observation

    gone.delete()
    assert not GoldenValue.objects.filter(party_id=gone.pk).exists()
    assert not SearchKey.objects.filter(party_id=gone.pk).exists()
    assert keys(kept) and golden(kept, "mobile").value == OTHER_MOBILE

    mobile.delete()  # the observation a golden value came from
    assert not GoldenValue.objects.filter(party=kept, attribute__code="mobile").exists()

    clerk.delete()  # who collected a value: the stamp keeps the name
    [name] = observations(kept, "name")
    assert (name.collector_id, name.collector_name) == (None, clerk.get_username())


def test_create_party_logs_the_creation_with_the_actor(admin_user: User) -> None:
    party = person("张三", actor=admin_user, owner=admin_user, stage=Party.Stage.CUSTOMER)

    [entry] = log_for(party)
    assert entry.action == "create"
    assert entry.actor == admin_user
    assert entry.changes["name"] == [None, "张三"]
    assert entry.changes["kind"] == [None, "person"]
    assert entry.changes["stage"] == [None, "customer"]


def test_an_invalid_value_saves_nothing_and_names_the_attribute(admin_user: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_party(
            actor=admin_user,
            kind=Party.Kind.PERSON,
            name="张三",
            attributes={"mobile": "12345", "email": "not-an-email", "gender": "男"},
        )

    assert caught.value.message_dict == {
        "mobile": ["“12345” is not a valid phone number."],
        "email": ["“not-an-email” is not a valid e-mail address."],
    }
    assert not Party.objects.exists()
    assert not Observation.objects.exists()
    assert not GoldenValue.objects.exists()
    assert not SearchKey.objects.exists()
    assert not ChangeLog.objects.filter(content_type__model="party").exists()


def test_an_unknown_or_retired_attribute_is_refused(admin_user: User) -> None:
    AttributeDefinition.objects.filter(code="qq").update(is_active=False)

    with pytest.raises(ValidationError) as caught:
        person("张三", actor=admin_user, attributes={"shoe_size": "42", "qq": "12345"})

    assert caught.value.message_dict == {
        "shoe_size": ["Unknown attribute “shoe_size”."],
        "qq": ["Unknown attribute “qq”."],
    }
    assert not Party.objects.exists()


def test_an_attribute_of_organisations_is_refused_on_a_person(admin_user: User) -> None:
    with pytest.raises(ValidationError) as caught:
        person("张三", actor=admin_user, attributes={"uscc": USCC})

    assert caught.value.message_dict == {
        "uscc": ["“Unified social credit code” does not apply to this kind of customer."]
    }
    assert not Party.objects.exists()
    assert not Observation.objects.exists()


def test_the_does_not_apply_message_names_the_field_in_the_readers_language(
    admin_user: User,
) -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        person("张三", actor=admin_user, attributes={"uscc": USCC})

    assert "统一社会信用代码" in caught.value.message_dict["uscc"][0]


def test_a_person_attribute_is_refused_on_an_organisation(admin_user: User) -> None:
    with pytest.raises(ValidationError) as caught:
        organisation(actor=admin_user, attributes={"mobile": "13800138000", "uscc": USCC})

    assert set(caught.value.message_dict) == {"mobile"}
    assert not Party.objects.exists()


@pytest.mark.parametrize(
    ("kind", "name", "key"),
    [("robot", "张三", "kind"), ("person", "   ", "name"), ("person", "", "name")],
)
def test_a_party_needs_a_known_kind_and_a_name(
    admin_user: User, kind: str, name: str, key: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_party(actor=admin_user, kind=kind, name=name)

    assert list(caught.value.message_dict) == [key]
    assert not Party.objects.exists()


def test_an_invalid_party_field_saves_nothing(admin_user: User) -> None:
    with pytest.raises(ValidationError) as caught:
        person("张三", actor=admin_user, attributes={"mobile": "13800138000"}, stage="emperor")

    assert "stage" in caught.value.message_dict
    assert not Party.objects.exists()
    assert not Observation.objects.exists()


def test_create_party_refuses_fields_it_does_not_know(admin_user: User) -> None:
    with pytest.raises(ValueError, match="golden"):
        services.create_party(actor=admin_user, kind="person", name="张三", golden={"a": 1})


def test_an_organisation_is_found_by_its_core_name_and_credit_code(admin_user: User) -> None:
    party = organisation("华为技术有限公司", actor=admin_user, attributes={"uscc": USCC})

    assert {("name", "华为技术有限公司"), ("name", "华为技术"), ("code", USCC.lower())} <= keys(
        party
    )


def test_provenance_is_stamped_on_every_observation(admin_user: User) -> None:
    collected = timezone.now() - datetime.timedelta(days=3)

    party = person(
        "张三",
        actor=admin_user,
        attributes={"mobile": "13800138000"},
        provenance=services.Provenance(
            source="import",
            source_ref="contacts.xlsx#12",
            collected_at=collected,
            consent="marketing:sms",
            confidence=0.8,
            note="trade fair",
        ),
    )

    for observation in observations(party):
        assert observation.source == "import"
        assert observation.source_ref == "contacts.xlsx#12"
        assert observation.collected_at == collected
        assert observation.consent == "marketing:sms"
        assert observation.confidence == 0.8
        assert observation.note == "trade fair"


def test_without_an_actor_the_collector_is_the_system() -> None:
    party = person("张三", attributes={"mobile": "13800138000"})

    assert {o.collector_name for o in observations(party)} == {"system"}
    assert all(o.collector is None for o in observations(party))


# --- Survivorship -----------------------------------------------------------------------------


def test_manual_wins_a_later_api_value_does_not_replace_a_manual_one(admin_user: User) -> None:
    assert definition("mobile").survivorship == Survivorship.MANUAL_WINS
    party = person("张三", actor=admin_user, attributes={"mobile": "13800138000"})

    observe(party, {"mobile": "13900139000"}, source="api")

    assert reload(party).golden["mobile"] == MOBILE
    assert golden(party, "mobile").observation.source == "manual"
    assert len(observations(party, "mobile")) == 2  # the API's value is kept as evidence


def test_manual_wins_a_newer_manual_value_replaces_an_older_one(admin_user: User) -> None:
    party = person("张三", actor=admin_user, attributes={"mobile": "13800138000"})

    observe(party, {"mobile": "13900139000"}, source="api")
    observe(party, {"mobile": "13700137000"}, source="manual")

    assert reload(party).golden["mobile"] == THIRD_MOBILE


def test_manual_wins_without_manual_values_falls_back_to_the_most_trusted_source() -> None:
    party = person("张三")  # the name only
    observe(party, {"mobile": "13800138000"}, source="api", days_ago=5)
    observe(party, {"mobile": "13900139000"}, source="import", days_ago=1)

    assert reload(party).golden["mobile"] == MOBILE  # api (80) beats a newer import (50)


def test_source_trust_an_import_loses_to_the_api_even_when_newer() -> None:
    assert definition("uscc").survivorship == Survivorship.SOURCE_TRUST
    party = organisation("华为技术有限公司")
    observe(party, {"uscc": USCC}, source="api", days_ago=30)
    observe(party, {"uscc": "914403001922038216"}, source="import", days_ago=1)

    assert reload(party).golden["uscc"] == USCC


def test_source_trust_among_equally_trusted_sources_the_most_recent_wins() -> None:
    party = organisation("华为技术有限公司")
    observe(party, {"uscc": USCC}, source="import", days_ago=30)
    observe(party, {"uscc": "914403001922038216"}, source="import:crm", days_ago=1)

    assert reload(party).golden["uscc"] == "914403001922038216"


def test_source_trust_an_unknown_source_is_trusted_least() -> None:
    party = organisation("华为技术有限公司")
    observe(party, {"uscc": USCC}, source="import", days_ago=30)
    observe(party, {"uscc": "914403001922038216"}, source="rumour", days_ago=1)

    assert reload(party).golden["uscc"] == USCC


def test_most_recent_the_latest_collected_value_wins_whatever_its_source() -> None:
    assert definition("employer").survivorship == Survivorship.MOST_RECENT
    party = person("张三")
    observe(party, {"employer": "华为"}, source="manual", days_ago=300)
    observe(party, {"employer": "腾讯"}, source="import", days_ago=2)

    assert reload(party).golden["employer"] == "腾讯"


def test_most_recent_goes_by_when_a_value_was_collected_not_when_it_arrived() -> None:
    party = person("张三")
    observe(party, {"employer": "腾讯"}, source="import", days_ago=2)
    observe(party, {"employer": "华为"}, source="import", days_ago=300)  # an old file, loaded late

    assert reload(party).golden["employer"] == "腾讯"


def test_most_frequent_the_value_seen_most_often_wins() -> None:
    set_rule("mobile", Survivorship.MOST_FREQUENT)
    party = person("张三")
    observe(party, {"mobile": "13800138000"}, source="import", days_ago=30)
    observe(party, {"mobile": "138 0013 8000"}, source="form", days_ago=20)
    observe(party, {"mobile": "13900139000"}, source="manual", days_ago=1)

    assert reload(party).golden["mobile"] == MOBILE


def test_most_frequent_a_tie_goes_to_the_most_recent_value() -> None:
    set_rule("mobile", Survivorship.MOST_FREQUENT)
    party = person("张三")
    observe(party, {"mobile": "13800138000"}, source="manual", days_ago=30)
    observe(party, {"mobile": "13900139000"}, source="import", days_ago=1)

    assert reload(party).golden["mobile"] == OTHER_MOBILE

    observe(party, {"mobile": "13800138000"}, source="import", days_ago=0)

    assert reload(party).golden["mobile"] == MOBILE


def test_changing_a_rule_applies_at_the_next_observation() -> None:
    party = person("张三")
    observe(party, {"mobile": "13800138000"}, source="manual", days_ago=10)
    observe(party, {"mobile": "13900139000"}, source="import", days_ago=1)
    assert reload(party).golden["mobile"] == MOBILE

    set_rule("mobile", Survivorship.MOST_RECENT)
    services.refresh_golden(reload(party), [definition("mobile")])

    assert reload(party).golden["mobile"] == OTHER_MOBILE


# --- Lineage: use an older value, confirm, freshness -----------------------------------------


def test_use_observation_makes_an_old_value_golden_by_a_new_manual_observation(
    admin_user: User, make_user: MakeUser
) -> None:
    party = person("张三", actor=admin_user, attributes={"mobile": "13800138000"})
    observe(party, {"mobile": "13900139000"}, source="manual", actor=admin_user)
    assert reload(party).golden["mobile"] == OTHER_MOBILE
    first, second = observations(party, "mobile")
    before = [(o.pk, o.value, o.source, o.collected_at) for o in (first, second)]
    version = reload(party).version
    editor = make_user("manager", username="lee")

    chosen = services.use_observation(reload(party), first, actor=editor)

    assert reload(party).golden["mobile"] == MOBILE
    assert golden(party, "mobile").observation == chosen
    assert chosen.pk not in {first.pk, second.pk}
    assert (chosen.value, chosen.source, chosen.collector) == (MOBILE, "manual", editor)
    # Nothing was deleted or changed: the history only grew.
    assert [
        (o.pk, o.value, o.source, o.collected_at) for o in observations(party, "mobile")[:2]
    ] == before
    assert len(observations(party, "mobile")) == 3
    assert reload(party).version == version + 1
    entry = log_for(party)[-1]
    assert entry.actor == editor
    assert entry.changes == {"mobile": [OTHER_MOBILE, MOBILE]}


def test_use_observation_refuses_a_value_of_another_customer(admin_user: User) -> None:
    zhang = person("张三", actor=admin_user, attributes={"mobile": "13800138000"})
    li = person("李四", actor=admin_user, attributes={"mobile": "13900139000"})
    [theirs] = observations(li, "mobile")

    with pytest.raises(ValidationError):
        services.use_observation(zhang, theirs, actor=admin_user)

    assert reload(zhang).golden["mobile"] == MOBILE
    assert len(observations(zhang)) == 2


def test_a_value_with_a_reevaluation_period_goes_stale_after_it() -> None:
    assert definition("mobile").reevaluate_days == 365
    collected = timezone.now() - datetime.timedelta(days=400)
    party = person(
        "张三",
        attributes={"mobile": "13800138000", "birth_date": "1990-05-30"},
        provenance=services.Provenance(collected_at=collected),
    )

    mobile = golden(party, "mobile")
    assert mobile.confirmed_at == collected
    assert mobile.stale_at == collected + datetime.timedelta(days=365)
    assert mobile.stale_at < timezone.now()
    assert golden(party, "birth_date").stale_at is None  # never re-evaluated
    stale = GoldenValue.objects.filter(party=party, stale_at__lte=timezone.now())
    assert [g.attribute.code for g in stale] == ["mobile"]


def test_a_value_observed_again_from_any_source_is_fresh_again() -> None:
    party = person(
        "张三",
        attributes={"mobile": "13800138000"},
        provenance=services.Provenance(collected_at=timezone.now() - datetime.timedelta(days=400)),
    )

    observe(party, {"mobile": "+86 138 0013 8000"}, source="import", days_ago=10)

    mobile = golden(party, "mobile")
    assert mobile.observation.source == "manual"  # still the manual observation's value
    assert mobile.stale_at is not None and mobile.stale_at > timezone.now()


def test_confirm_values_refreshes_confirmed_at_and_stale_at(admin_user: User) -> None:
    long_ago = timezone.now() - datetime.timedelta(days=400)
    party = person(
        "张三",
        attributes={"mobile": "13800138000", "email": "zs@example.com"},
        provenance=services.Provenance(collected_at=long_ago),
    )
    started = timezone.now()

    count = services.confirm_values(party, ["mobile"], actor=admin_user)

    assert count == 1
    mobile = golden(party, "mobile")
    assert mobile.value == MOBILE
    assert mobile.confirmed_at >= started
    assert mobile.stale_at == mobile.confirmed_at + datetime.timedelta(days=365)
    assert mobile.observation.source == "confirmation"
    assert mobile.observation.collector == admin_user
    assert golden(party, "email").confirmed_at == long_ago  # not confirmed, still stale
    assert log_for(party)[-1].message == "confirmed: mobile"
    assert log_for(party)[-1].actor == admin_user


def test_confirming_nothing_writes_nothing(admin_user: User) -> None:
    party = person("张三", actor=admin_user)
    before = len(log_for(party))

    assert services.confirm_values(party, ["mobile"], actor=admin_user) == 0

    assert len(observations(party)) == 1
    assert len(log_for(party)) == before


# --- record_observations ---------------------------------------------------------------------


def test_record_observations_adds_values_bumps_the_version_and_logs(admin_user: User) -> None:
    party = person("张三", actor=admin_user)
    version = reload(party).version

    added = services.record_observations(
        party,
        {"mobile": "13800138000", "email": "zs@example.com"},
        actor=admin_user,
        provenance=services.Provenance(source="api"),
    )

    assert {o.attribute.code for o in added} == {"mobile", "email"}
    assert reload(party).golden["mobile"] == MOBILE
    assert reload(party).version == version + 1
    entry = log_for(party)[-1]
    assert entry.message == "api email, mobile"
    assert entry.actor == admin_user


def test_record_observations_with_an_invalid_value_records_none_of_them(admin_user: User) -> None:
    party = person("张三", actor=admin_user)
    version = reload(party).version

    with pytest.raises(ValidationError) as caught:
        services.record_observations(
            party, {"email": "zs@example.com", "mobile": "12345"}, actor=admin_user
        )

    assert list(caught.value.message_dict) == ["mobile"]
    assert len(observations(party)) == 1
    assert "email" not in reload(party).golden
    assert reload(party).version == version


def test_record_observations_of_blank_values_changes_nothing(admin_user: User) -> None:
    party = person("张三", actor=admin_user)
    version = reload(party).version

    assert services.record_observations(party, {"mobile": ""}, actor=admin_user) == []

    assert reload(party).version == version


# --- update_party -----------------------------------------------------------------------------


def test_update_party_with_a_stale_version_raises_and_changes_nothing(admin_user: User) -> None:
    party = person("张三", actor=admin_user, attributes={"mobile": "13800138000"})
    loaded_version = reload(party).version
    services.update_party(reload(party), actor=admin_user, stage=Party.Stage.CUSTOMER)
    state = (reload(party).name, reload(party).stage, reload(party).version)
    counts = (Observation.objects.count(), ChangeLog.objects.count())

    with pytest.raises(services.VersionConflict) as caught:
        services.update_party(
            party,
            actor=admin_user,
            expected_version=loaded_version,
            name="李四",
            stage=Party.Stage.LOST,
            attributes={"mobile": "13900139000"},
        )

    assert caught.value.current == loaded_version + 1
    assert (reload(party).name, reload(party).stage, reload(party).version) == state
    assert (Observation.objects.count(), ChangeLog.objects.count()) == counts
    assert reload(party).golden["mobile"] == MOBILE


def test_update_party_with_the_current_version_saves_and_bumps_it(admin_user: User) -> None:
    party = person("张三", actor=admin_user)
    version = reload(party).version

    updated = services.update_party(
        party, actor=admin_user, expected_version=version, stage=Party.Stage.VIP
    )

    assert updated.version == version + 1
    assert reload(party).stage == Party.Stage.VIP
    entry = log_for(party)[-1]
    assert entry.action == "update"
    assert entry.actor == admin_user
    assert entry.changes == {"stage": ["prospect", "vip"]}


def test_update_party_only_observes_attributes_that_changed(admin_user: User) -> None:
    party = person(
        "张三",
        actor=admin_user,
        attributes={"mobile": "13800138000", "email": "zs@example.com", "gender": "male"},
    )

    services.update_party(
        party,
        actor=admin_user,
        name="张三",
        attributes={
            "mobile": "+86 138-0013-8000",  # the same number written differently
            "gender": "男",  # the same choice by its label
            "email": "zhang.san@example.com",
            "wechat": "",
        },
    )

    assert [o.attribute.code for o in observations(party)[4:]] == ["email"]
    assert reload(party).golden["email"] == "zhang.san@example.com"
    # Regression: the change log recorded None as the value before.
    assert log_for(party)[-1].changes == {"email": ["zs@example.com", "zhang.san@example.com"]}


def test_update_party_with_an_invalid_value_changes_nothing(admin_user: User) -> None:
    party = person("张三", actor=admin_user)
    version = reload(party).version

    with pytest.raises(ValidationError) as caught:
        services.update_party(
            party, actor=admin_user, stage=Party.Stage.VIP, attributes={"mobile": "12345"}
        )

    assert list(caught.value.message_dict) == ["mobile"]
    assert reload(party).stage == Party.Stage.PROSPECT
    assert reload(party).version == version


def test_renaming_updates_the_name_pinyin_and_search_keys(admin_user: User) -> None:
    party = person("张三", actor=admin_user)
    assert list(search_parties(admin_user, "zs")) == [party]

    services.update_party(party, actor=admin_user, name="李四")

    renamed = reload(party)
    assert renamed.name == "李四"
    assert renamed.golden["name"] == "李四"
    assert renamed.pinyin == "li si"
    assert [o.value for o in observations(party, "name")] == ["张三", "李四"]
    assert list(search_parties(admin_user, "李四")) == [party]
    assert list(search_parties(admin_user, "lisi")) == [party]
    assert list(search_parties(admin_user, "张三")) == []
    assert list(search_parties(admin_user, "zs")) == []
    assert ("name", "张三") not in keys(party)
    assert log_for(party)[-1].changes == {"name": ["张三", "李四"]}


def test_a_blank_name_is_refused_on_update(admin_user: User) -> None:
    party = person("张三", actor=admin_user)

    with pytest.raises(ValidationError):
        services.update_party(party, actor=admin_user, name="  ")

    assert reload(party).name == "张三"


def test_update_party_replaces_tags_only_when_given(admin_user: User) -> None:
    vip, fair = Tag.objects.create(name="重点"), Tag.objects.create(name="展会")
    party = person("张三", actor=admin_user, tags=[vip])

    services.update_party(party, actor=admin_user, stage=Party.Stage.CUSTOMER)
    assert list(reload(party).tags.all()) == [vip]

    services.update_party(party, actor=admin_user, tags=[fair])
    assert list(reload(party).tags.all()) == [fair]


def test_delete_party_logs_what_was_deleted(admin_user: User) -> None:
    party = person("张三", actor=admin_user)
    pk = party.pk

    services.delete_party(party, actor=admin_user)

    assert not Party.objects.filter(pk=pk).exists()
    assert not Observation.objects.filter(party_id=pk).exists()
    entry = ChangeLog.objects.filter(object_id=str(pk), action="delete").get()
    assert entry.actor == admin_user
    assert entry.changes["name"] == ["张三", None]


# --- Relationships ----------------------------------------------------------------------------


def relate(
    source: Party, target: Party, kind: str, actor: Any = None, **values: Any
) -> Relationship:
    return services.save_relationship(
        Relationship(), actor=actor, from_party=source, to_party=target, kind=kind, **values
    )


@pytest.mark.parametrize(
    ("source_kind", "target_kind", "kind"),
    [
        ("person", "organization", Relationship.Kind.EMPLOYMENT),
        ("person", "person", Relationship.Kind.SPOUSE),
        ("person", "person", Relationship.Kind.CHILD),
        ("person", "person", Relationship.Kind.FRIEND),
        ("organization", "organization", Relationship.Kind.SUBSIDIARY),
        ("organization", "organization", Relationship.Kind.SUPPLIER),
        ("person", "organization", Relationship.Kind.REFERRED_BY),
        ("organization", "person", Relationship.Kind.REFERRED_BY),
    ],
)
def test_relationships_link_the_kinds_of_party_they_are_meant_for(
    source_kind: str, target_kind: str, kind: str
) -> None:
    source = services.create_party(actor=None, kind=source_kind, name="甲")
    target = services.create_party(actor=None, kind=target_kind, name="乙")

    relationship = relate(source, target, kind)

    assert relationship.pk is not None


@pytest.mark.parametrize(
    ("source_kind", "target_kind", "kind"),
    [
        ("organization", "person", Relationship.Kind.EMPLOYMENT),
        ("person", "person", Relationship.Kind.EMPLOYMENT),
        ("person", "organization", Relationship.Kind.SPOUSE),
        ("organization", "organization", Relationship.Kind.RELATIVE),
        ("person", "organization", Relationship.Kind.SUBSIDIARY),
        ("organization", "person", Relationship.Kind.DEALER),
    ],
)
def test_relationships_between_the_wrong_kinds_of_party_are_refused(
    source_kind: str, target_kind: str, kind: str
) -> None:
    source = services.create_party(actor=None, kind=source_kind, name="甲")
    target = services.create_party(actor=None, kind=target_kind, name="乙")

    with pytest.raises(ValidationError) as caught:
        relate(source, target, kind)

    assert list(caught.value.message_dict) == ["kind"]
    assert not Relationship.objects.exists()


def test_a_party_cannot_be_related_to_itself() -> None:
    zhang = person("张三")

    with pytest.raises(ValidationError) as caught:
        relate(zhang, zhang, Relationship.Kind.FRIEND)

    assert caught.value.message_dict == {"to_party": ["A customer cannot be related to itself."]}
    assert not Relationship.objects.exists()


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"attitude": 3}, "attitude"),
        ({"attitude": -3}, "attitude"),
        ({"influence": 0}, "influence"),
        ({"influence": 6}, "influence"),
        ({"closeness": 6}, "closeness"),
        (
            {"started_on": datetime.date(2024, 5, 1), "ended_on": datetime.date(2024, 4, 1)},
            "ended_on",
        ),
    ],
)
def test_relationship_values_must_be_in_range(values: dict[str, Any], key: str) -> None:
    zhang, huawei = person("张三"), organisation()

    with pytest.raises(ValidationError) as caught:
        relate(zhang, huawei, Relationship.Kind.EMPLOYMENT, **values)

    assert key in caught.value.message_dict
    assert not Relationship.objects.exists()


def test_relationship_values_at_the_ends_of_their_ranges_are_accepted() -> None:
    zhang, huawei = person("张三"), organisation()

    relationship = relate(
        zhang, huawei, Relationship.Kind.EMPLOYMENT, attitude=-2, influence=5, closeness=1
    )

    assert (relationship.attitude, relationship.influence, relationship.closeness) == (-2, 5, 1)


def test_nobody_reports_to_themselves() -> None:
    zhang, huawei = person("张三"), organisation()

    with pytest.raises(ValidationError) as caught:
        relate(zhang, huawei, Relationship.Kind.EMPLOYMENT, reports_to=zhang)

    assert list(caught.value.message_dict) == ["reports_to"]


def test_relationship_changes_are_logged_on_both_parties(admin_user: User) -> None:
    zhang, huawei = person("张三"), organisation()

    relationship = relate(zhang, huawei, Relationship.Kind.EMPLOYMENT, admin_user, title="CTO")
    services.save_relationship(relationship, actor=admin_user, title="CEO")
    tie = relationship.pk
    services.delete_relationship(relationship, actor=admin_user)

    # each party's timeline has one line per change, naming the tie
    for party in (zhang, huawei):
        created, changed, deleted = log_for(party)[1:]
        assert {created.actor, changed.actor, deleted.actor} == {admin_user}
        assert "张三" in created.message and huawei.name in created.message
        assert deleted.message.startswith("- ")
    # and the relationship's own log has the field-by-field before and after
    own = ChangeLog.objects.filter(content_type__model="relationship", object_id=str(tie)).order_by(
        "id"
    )
    assert own[0].changes["title"] == [None, "CTO"]
    assert own[1].changes == {"title": ["CTO", "CEO"]}
    assert own[2].action == "delete"
    assert not Relationship.objects.exists()


def test_save_relationship_refuses_unknown_fields() -> None:
    zhang, huawei = person("张三"), organisation()

    with pytest.raises(ValueError, match="salary"):
        relate(zhang, huawei, Relationship.Kind.EMPLOYMENT, salary=1)


# --- Attribute definitions --------------------------------------------------------------------


def test_an_administrator_adds_a_custom_choice_field(admin_user: User) -> None:
    tea = services.save_definition(
        AttributeDefinition(),
        actor=admin_user,
        code="favourite_tea",
        label_zh="喜欢的茶",
        label_en="Favourite tea",
        data_type=AttributeDefinition.DataType.CHOICE,
        choices=[{"value": "green", "zh": "绿茶", "en": "Green tea"}],
        applies_to=AttributeDefinition.AppliesTo.PERSON,
    )

    party = person("张三", actor=admin_user, attributes={"favourite_tea": "绿茶"})
    assert reload(party).golden["favourite_tea"] == "green"
    assert not tea.is_system
    assert ChangeLog.objects.filter(object_id=str(tea.pk), action="create").exists()


def test_a_choice_field_needs_its_choices(admin_user: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.save_definition(
            AttributeDefinition(),
            actor=admin_user,
            code="tea",
            label_zh="茶",
            label_en="Tea",
            data_type=AttributeDefinition.DataType.CHOICE,
            choices=[{"zh": "绿茶"}],
        )

    assert list(caught.value.message_dict) == ["choices"]
    assert not AttributeDefinition.objects.filter(code="tea").exists()


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"is_active": False}, "is_active"),
        ({"data_type": "number"}, "data_type"),
        ({"validator": ""}, "validator"),
        ({"code": "cellphone"}, "code"),
    ],
)
def test_built_in_fields_cannot_be_retired_or_change_their_type(
    admin_user: User, values: dict[str, Any], key: str
) -> None:
    mobile = definition("mobile")

    with pytest.raises(ValidationError) as caught:
        services.save_definition(mobile, actor=admin_user, **values)

    assert list(caught.value.message_dict) == [key]
    stored = definition("mobile")
    assert (stored.is_active, stored.data_type, stored.validator) == (True, "text", "phone")


def test_built_in_fields_may_be_relabelled(admin_user: User) -> None:
    services.save_definition(definition("mobile"), actor=admin_user, label_en="Cell phone")

    assert definition("mobile").label_en == "Cell phone"


def test_a_field_with_recorded_values_cannot_change_its_type(admin_user: User) -> None:
    shoe = custom_definition("shoe_size", AttributeDefinition.DataType.TEXT)
    person("张三", attributes={"shoe_size": "42"})

    with pytest.raises(ValidationError) as caught:
        services.save_definition(shoe, actor=admin_user, data_type="number")

    assert list(caught.value.message_dict) == ["data_type"]
