"""Sensitive values encrypted at rest, masking by role everywhere, audited reveals, key rotation."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client

from huike.accounts.models import Role, User
from huike.core import crypto
from huike.core.models import AccessLog
from huike.parties import privacy, selectors, services
from huike.parties.models import GoldenValue, Observation, Party
from huike.parties.tests.factories import definition, person

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
RESIDENT_ID = "11010519491231002X"
MOBILE = "13800138000"


def html(response: Any) -> str:
    return str(response.content.decode())


@pytest.fixture
def mei(make_user: MakeUser) -> User:
    return make_user("salesperson", username="mei")


@pytest.fixture
def zhang(mei: User) -> Party:
    return person("张三", owner=mei, attributes={"mobile": MOBILE, "resident_id": RESIDENT_ID})


def streamed(response: Any) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def every_stored_text() -> str:
    """Every text and JSON value in every table, as a raw database dump would hold it."""
    chunks: list[str] = []
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            if table not in existing:
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from models
            chunks.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(chunks)


def test_a_sensitive_value_is_nowhere_in_clear_in_the_database(zhang: Party, mei: User) -> None:
    services.update_party(zhang, actor=mei, attributes={"resident_id": "110101199003074477"})

    dump = every_stored_text()

    assert RESIDENT_ID not in dump and "110101199003074477" not in dump
    assert RESIDENT_ID.lower() not in dump.lower()
    stored = GoldenValue.objects.get(party=zhang, attribute__code="resident_id")
    assert crypto.is_sealed(stored.value) and stored.value_text.startswith("bi:")
    assert privacy.plain("resident_id", stored.value) == "110101199003074477"
    assert MOBILE in dump  # personal (not sensitive) values are masked on display only


def test_the_same_value_twice_counts_as_the_same_for_survivorship(zhang: Party, mei: User) -> None:
    services.record_observations(
        zhang,
        {"resident_id": RESIDENT_ID.lower()},
        actor=None,
        provenance=services.Provenance(source="import"),
    )
    texts = set(
        Observation.objects.filter(party=zhang, attribute__code="resident_id").values_list(
            "value_text", flat=True
        )
    )
    assert len(texts) == 1  # one blind index: equal values stay equal without decryption


def test_a_full_id_number_finds_the_customer_but_a_fragment_does_not(
    zhang: Party, admin_user: User
) -> None:
    assert list(selectors.search_parties(admin_user, RESIDENT_ID)) == [zhang]
    assert list(selectors.search_parties(admin_user, RESIDENT_ID.lower())) == [zhang]
    assert list(selectors.search_parties(admin_user, RESIDENT_ID[:10])) == []


def test_a_salesperson_sees_her_customers_phone_and_a_masked_id(
    client: Client, zhang: Party, mei: User
) -> None:
    content = html(signed_in(client, mei).get(zhang.get_absolute_url()))

    assert "1101**********002X" in content
    assert RESIDENT_ID not in content
    assert "138 0013 8000" in content
    assert "Reveal" not in content  # her role masks without reveal


@pytest.mark.parametrize(
    "path", ["{page}", "{page}edit/", "/customers/?export=csv", "/search/?q=张三"]
)
def test_an_analyst_never_receives_personal_values_in_clear(
    client: Client, zhang: Party, make_user: MakeUser, path: str
) -> None:
    analyst = make_user("analyst")
    response = signed_in(client, analyst).get(path.format(page=zhang.get_absolute_url()))
    body = streamed(response) if response.streaming else response.content.decode()
    for secret in (MOBILE, "138 0013 8000", RESIDENT_ID, "1101**********002X"):
        assert secret not in body  # mobile masked, ID hidden for analysts
    if response.status_code == 200 and "export" not in path:
        assert "edit" in path or "138****8000" in body


def test_the_list_export_masks_for_the_reader_and_is_logged(
    client: Client, zhang: Party, make_user: MakeUser
) -> None:
    analyst = make_user("analyst", username="ana")
    response = signed_in(client, analyst).get("/customers/?export=csv")
    text = streamed(response)[1:]
    rows = list(csv.DictReader(io.StringIO(text)))

    assert rows[0]["Phone or e-mail"] == "138****8000"
    entry = AccessLog.objects.get(action="export")
    assert (entry.actor_name, entry.count) == ("ana", 1)


def test_a_manager_reveals_an_id_with_a_reason_and_the_auditor_sees_it(
    client: Client, zhang: Party, make_user: MakeUser
) -> None:
    manager = make_user("manager", username="boss-li")
    zhang.owner = manager
    zhang.save()
    url = f"/customers/{zhang.pk}/reveal/resident_id/"
    signed_in(client, manager)
    page = html(client.get(zhang.get_absolute_url()))
    assert "Reveal" in page and RESIDENT_ID not in page

    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and RESIDENT_ID not in html(refused)
    shown = client.post(url, {"reason": "contract signing"})
    assert shown.status_code == 200 and RESIDENT_ID in html(shown)

    auditor = make_user("auditor", username="audit")
    log = html(signed_in(Client(), auditor).get("/audit/access-log/?q=contract"))
    assert "boss-li" in log and "contract signing" in log and "resident_id" in log
    assert AccessLog.objects.filter(action="reveal", object_id=str(zhang.pk)).count() == 1


def test_revealing_needs_the_reveal_access_and_permission(
    client: Client, zhang: Party, mei: User
) -> None:
    response = signed_in(client, mei).post(
        f"/customers/{zhang.pk}/reveal/resident_id/", {"reason": "curious"}
    )
    assert response.status_code == 403
    assert not AccessLog.objects.exists()


def test_the_access_log_is_append_only(zhang: Party, mei: User) -> None:
    from huike.core.models import AppendOnlyError
    from huike.core.services import log_access

    entry = log_access(actor=mei, action="reveal", obj=zhang, fields=["resident_id"])
    entry.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.update(reason="x")


def test_the_access_log_page_is_for_auditors_only(client: Client, mei: User) -> None:
    assert signed_in(client, mei).get("/audit/access-log/").status_code == 403
    assert Client().get("/audit/access-log/").status_code == 302


def test_the_api_masks_for_the_reader_and_logs_sensitive_reads(
    zhang: Party, mei: User, admin_user: User, token_client: Callable[[User], Any]
) -> None:
    own = token_client(mei).get(f"/api/v1/parties/{zhang.pk}/").json()
    assert own["attributes"]["resident_id"] == "1101**********002X"
    assert own["attributes"]["mobile"] == "+8613800138000"  # her own customer: in full
    assert not AccessLog.objects.exists()

    lineage = token_client(mei).get(
        f"/api/v1/parties/{zhang.pk}/lineage/", {"attribute": "resident_id"}
    )
    assert RESIDENT_ID not in lineage.content.decode()
    assert lineage.json()[0]["masked"] is True

    full = token_client(admin_user).get(f"/api/v1/parties/{zhang.pk}/").json()
    assert full["attributes"]["resident_id"] == RESIDENT_ID
    entry = AccessLog.objects.get()
    assert (entry.action, entry.channel, entry.fields) == ("read", "api", ["resident_id"])


def test_the_api_hides_what_a_role_may_not_see(
    zhang: Party, make_user: MakeUser, token_client: Callable[[User], Any]
) -> None:
    analyst = make_user("analyst")
    body = token_client(analyst).get(f"/api/v1/parties/{zhang.pk}/").json()
    assert "resident_id" not in body["attributes"]
    observations = token_client(analyst).get("/api/v1/observations/", {"party": zhang.pk}).json()
    codes = {row["attribute"] for row in observations["results"]}
    assert "resident_id" not in codes and "mobile" in codes
    assert MOBILE not in json.dumps(observations)


def test_the_api_reveal_needs_reveal_access_and_logs(
    zhang: Party, mei: User, make_user: MakeUser, token_client: Callable[[User], Any]
) -> None:
    url = f"/api/v1/parties/{zhang.pk}/reveal/"
    payload = {"attributes": ["resident_id"], "reason": "identity check"}
    assert token_client(mei).post(url, payload, format="json").status_code == 403

    dpo = make_user("data_protection_officer", username="dpo")
    answer = token_client(dpo).post(url, payload, format="json")
    assert answer.status_code == 200
    assert answer.json() == {"attributes": {"resident_id": RESIDENT_ID}}
    assert AccessLog.objects.get().reason == "identity check"


def test_a_role_without_sensitive_edit_rights_cannot_write_sensitive_values(
    zhang: Party, make_user: MakeUser, token_client: Callable[[User], Any]
) -> None:
    agent = make_user("service_agent")
    Role.objects.filter(code="service_agent").update(record_scope="all")
    response = token_client(agent).patch(
        f"/api/v1/parties/{zhang.pk}/",
        {"attributes": {"resident_id": "110101199003074477"}},
        format="json",
    )
    assert response.status_code == 400
    assert "Resident ID number" in json.dumps(response.json()["errors"], ensure_ascii=False)
    stored = GoldenValue.objects.get(party=zhang, attribute__code="resident_id")
    assert privacy.plain("resident_id", stored.value) == RESIDENT_ID


def test_the_edit_form_never_carries_a_masked_value_and_blank_keeps_it(
    client: Client, zhang: Party, mei: User
) -> None:
    form = html(signed_in(client, mei).get(f"{zhang.get_absolute_url()}edit/"))
    assert RESIDENT_ID not in form and "1101**********002X" in form  # as a hint only

    response = client.post(
        f"{zhang.get_absolute_url()}edit/",
        {"kind": "person", "name": "张三", "stage": "prospect", "version": zhang.version},
    )
    assert response.status_code == 302
    stored = GoldenValue.objects.get(party=zhang, attribute__code="resident_id")
    assert privacy.plain("resident_id", stored.value) == RESIDENT_ID


def test_a_tampered_ciphertext_reads_as_unreadable_not_as_an_error(
    client: Client, zhang: Party, admin_user: User
) -> None:
    stored = GoldenValue.objects.get(party=zhang, attribute__code="resident_id")
    head, body = stored.value.rsplit(":", 1)
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    GoldenValue.objects.filter(pk=stored.pk).update(value=f"{head}:{flipped}")
    moved = Observation.objects.filter(party=zhang, attribute__code="resident_id").first()
    assert moved is not None
    with pytest.raises(crypto.TamperedValue):
        crypto.unseal(moved.value, "passport_number")  # bound to its field

    response = signed_in(client, admin_user).get(zhang.get_absolute_url())
    assert response.status_code == 200
    assert "unreadable" in html(response)


def test_the_change_history_masks_values_for_the_reader(
    client: Client, zhang: Party, mei: User, make_user: MakeUser
) -> None:
    services.update_party(zhang, actor=mei, attributes={"mobile": "13900139000"})
    auditor = make_user("auditor")
    content = html(signed_in(client, auditor).get(zhang.get_absolute_url()))
    assert "13900139000" not in content and "139 0013 9000" not in content
    assert "139****9000" in content


def test_rotating_keys_reseals_every_value_and_keeps_them_readable(
    zhang: Party, tmp_path: Any, settings: Any
) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(crypto.keys_file().read_text())
    settings.HUIKE_KEYS_FILE = keys
    before = GoldenValue.objects.get(party=zhang, attribute__code="resident_id").value

    out = io.StringIO()
    call_command("rotate_keys", "--json", stdout=out)
    result = json.loads(out.getvalue())

    assert result["active_key"] != crypto.key_id(before)
    assert result["resealed"]["parties"] >= 3  # observation, golden value, golden record
    after = GoldenValue.objects.get(party=zhang, attribute__code="resident_id").value
    assert crypto.key_id(after) == result["active_key"]
    assert privacy.plain("resident_id", after) == RESIDENT_ID
    party = Party.objects.get(pk=zhang.pk)
    assert crypto.key_id(party.golden["resident_id"]) == result["active_key"]
    assert json.loads(keys.read_text())["keys"].keys() >= {crypto.key_id(before)}


def test_a_held_key_ring_reads_the_key_file_once_and_a_rotation_applies_after_the_block(
    tmp_path: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(crypto.keys_file().read_text())
    settings.HUIKE_KEYS_FILE = keys
    reads: list[str] = []
    real_keys_file = crypto.keys_file

    def counted() -> Any:
        reads.append("read")
        return real_keys_file()

    monkeypatch.setattr(crypto, "keys_file", counted)
    first = crypto.key_id(crypto.seal("13800138000", "mobile"))

    with crypto.held() as ring:
        reads.clear()
        sealed = [crypto.seal(f"1380013800{n}", "mobile") for n in range(5)]
        indexes = {crypto.blind_index("13800138000", "mobile") for _n in range(5)}
        new_key = crypto.rotate(keys)  # another process could do this during a batch
        during = crypto.key_id(crypto.seal("13800138000", "mobile"))
        assert reads == []  # the key file is not looked at inside the block
    after = crypto.key_id(crypto.seal("13800138000", "mobile"))

    assert ring.active == first == during != new_key == after
    assert len(indexes) == 1
    assert [crypto.unseal(value, "mobile") for value in sealed][-1] == "13800138004"


def test_masks_keep_values_apart() -> None:
    assert privacy.mask_text("+8613800138000", "phone") == "138****8000"
    assert privacy.mask_text("138 0013 8000", "phone") == "138****8000"
    assert privacy.mask_text(RESIDENT_ID, "resident_id") == "1101**********002X"
    assert privacy.mask_text("zhang.san@example.com", "email") == "z***@example.com"
    assert privacy.mask_text("张三") == "张*"
    assert definition("resident_id").sensitivity == "sensitive"


def test_the_cli_masks_for_the_acting_user_and_logs_exports(
    zhang: Party, mei: User, make_user: MakeUser
) -> None:
    out = io.StringIO()
    call_command("party", "show", str(zhang.pk), "--as", "mei", stdout=out)
    assert "1101**********002X" in out.getvalue() and RESIDENT_ID not in out.getvalue()

    make_user("analyst", username="ana")
    exported = io.StringIO()
    call_command("party", "export", "--as", "ana", "--format", "csv", stdout=exported)
    assert "138****8000" in exported.getvalue()
    assert MOBILE not in exported.getvalue() and "enc:v1" not in exported.getvalue()
    entry = AccessLog.objects.get(action="export")
    assert (entry.actor_name, entry.channel, entry.count) == ("ana", "cli", 1)


def test_a_restricted_customer_stays_on_the_list_but_never_leaves_in_an_export(
    client: Client, zhang: Party, mei: User
) -> None:
    Party.objects.filter(pk=zhang.pk).update(processing_restricted=True)
    signed_in(client, mei)
    assert "张三" in html(client.get("/customers/"))
    assert "Processing restricted" in html(client.get(zhang.get_absolute_url()))
    exported = streamed(client.get("/customers/?export=csv"))
    assert "张三" not in exported


@pytest.mark.parametrize("inlined", [0, 500])
def test_shares_widen_the_scope_whether_inlined_or_as_a_subquery(
    inlined: int, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huike.core import models as core_models
    from huike.parties.models import PartyShare

    monkeypatch.setattr(core_models, "SHARES_INLINED", inlined)
    owner, guest = make_user("salesperson"), make_user("salesperson")
    shared, other = person("甲", owner=owner), person("乙", owner=owner)
    PartyShare.objects.create(party=shared, user=guest)
    assert list(Party.objects.visible_to(guest)) == [shared]
    assert set(Party.objects.visible_to(owner)) == {shared, other}


def test_an_erased_persons_contact_is_not_silently_recreated(
    zhang: Party, mei: User, token_client: Callable[[User], Any]
) -> None:
    from django.core.exceptions import ValidationError

    from huike.subjects.suppression import contact_points, suppress

    suppress(contact_points(zhang), actor=None)

    with pytest.raises(ValidationError) as refused:
        services.create_party(
            actor=mei, kind="person", name="张三", attributes={"mobile": "+86 138 0013 8000"}
        )
    assert "mobile" in refused.value.message_dict
    answer = token_client(mei).post(
        "/api/v1/parties/",
        {"kind": "person", "name": "张三", "attributes": {"mobile": "13800138000"}},
        format="json",
    )
    assert answer.status_code == 400
    assert "suppression list" in json.dumps(answer.json())
    assert Party.objects.count() == 1
    other = person("李四", owner=mei)
    with pytest.raises(ValidationError):
        services.record_observations(other, {"mobile": MOBILE}, actor=mei)


def test_a_salesperson_cannot_hand_customers_to_others_but_a_manager_can_within_the_team(
    zhang: Party, mei: User, make_user: MakeUser, token_client: Callable[[User], Any]
) -> None:
    from huike.accounts.tests.factories import TeamFactory

    east = TeamFactory.create(name="East")
    colleague = make_user("salesperson", username="colleague", team=east)
    stranger = make_user("salesperson", username="stranger")
    answer = token_client(mei).patch(
        f"/api/v1/parties/{zhang.pk}/", {"owner": "colleague"}, format="json"
    )
    assert answer.status_code == 400 and "owner" in answer.json()["errors"]
    created = token_client(mei).post(
        "/api/v1/parties/", {"kind": "person", "name": "王五", "owner": "stranger"}, format="json"
    )
    assert created.status_code == 400

    lead = make_user("manager", username="lead", team=east)
    Party.objects.filter(pk=zhang.pk).update(team=east)
    moved = token_client(lead).patch(
        f"/api/v1/parties/{zhang.pk}/", {"owner": "colleague"}, format="json"
    )
    assert moved.status_code == 200, moved.json()
    assert Party.objects.get(pk=zhang.pk).owner == colleague
    outside = token_client(lead).patch(
        f"/api/v1/parties/{zhang.pk}/", {"owner": stranger.username}, format="json"
    )
    assert outside.status_code == 400
