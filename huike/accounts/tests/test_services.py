"""Services for users, teams, roles and tokens: each write is checked, guarded and logged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import timezone

from huike.accounts import services
from huike.accounts.models import ApiToken, Role, Team, User, hash_token
from huike.accounts.roles import IDENTITY_WORK, ensure_default_roles
from huike.accounts.tests.factories import PASSWORD, TeamFactory
from huike.core.models import ChangeLog

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


def log_for(obj: Model) -> list[ChangeLog]:
    return list(ChangeLog.objects.filter(object_id=str(obj.pk)).order_by("id"))


def make_team(**fields: Any) -> Team:
    return cast(Team, TeamFactory(**fields))


def permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


# --- Users ----------------------------------------------------------------------------------


def test_create_user_sets_password_and_logs_every_given_field(admin_user: User) -> None:
    role = Role.objects.get(code="salesperson")

    user = services.create_user(
        actor=admin_user,
        username="mei",
        password=PASSWORD,
        role=role,
        email="mei@example.com",
        display_name="Mei Lin",
    )

    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert user.role == role
    [entry] = log_for(user)
    assert entry.action == "create"
    assert entry.actor == admin_user
    assert entry.actor_name == "boss"
    assert entry.changes["username"] == [None, "mei"]
    assert entry.changes["email"] == [None, "mei@example.com"]
    assert entry.changes["role"] == [None, "Salesperson"]
    assert entry.changes["is_active"] == [None, True]
    assert "team" not in entry.changes  # unchanged (None before and after)


def test_create_user_without_password_cannot_sign_in(admin_user: User) -> None:
    user = services.create_user(actor=admin_user, username="script")

    assert not user.has_usable_password()


def test_create_user_refuses_a_weak_password_and_saves_nothing(admin_user: User) -> None:
    with pytest.raises(ValidationError):
        services.create_user(actor=admin_user, username="weak", password="123")

    assert not User.objects.filter(username="weak").exists()


def test_create_user_refuses_unknown_fields(admin_user: User) -> None:
    with pytest.raises(ValueError, match="is_superuser"):
        services.create_user(actor=admin_user, username="sneaky", is_superuser=True)

    assert not User.objects.filter(username="sneaky").exists()


def test_create_user_without_actor_is_logged_as_system() -> None:
    user = services.create_user(actor=None, username="cli-made")

    [entry] = log_for(user)
    assert entry.actor is None
    assert entry.actor_name == "system"


def test_update_user_logs_before_and_after_of_changed_fields_only(
    admin_user: User, make_user: MakeUser
) -> None:
    user = make_user("salesperson", display_name="Old Name", phone="123")

    services.update_user(
        user,
        actor=admin_user,
        display_name="New Name",
        phone="123",
        role=Role.objects.get(code="manager"),
    )

    [entry] = log_for(user)
    assert entry.action == "update"
    assert entry.actor == admin_user
    assert entry.changes == {
        "display_name": ["Old Name", "New Name"],
        "role": ["Salesperson", "Manager"],
    }


def test_update_user_without_changes_writes_no_log_row(
    admin_user: User, make_user: MakeUser
) -> None:
    user = make_user("salesperson", display_name="Same")

    services.update_user(user, actor=admin_user, display_name="Same")

    assert log_for(user) == []


def test_a_user_cannot_disable_their_own_account(admin_user: User) -> None:
    with pytest.raises(ValidationError, match="cannot disable your own account"):
        services.update_user(admin_user, actor=admin_user, is_active=False)

    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_an_administrator_can_disable_someone_else(admin_user: User, make_user: MakeUser) -> None:
    user = make_user("salesperson")

    services.update_user(user, actor=admin_user, is_active=False)

    user.refresh_from_db()
    assert not user.is_active
    assert log_for(user)[-1].changes == {"is_active": [True, False]}


def test_administrator_role_makes_a_user_staff_and_losing_it_removes_staff(
    admin_user: User, make_user: MakeUser
) -> None:
    user = make_user("salesperson")
    assert not user.is_staff

    services.update_user(user, actor=admin_user, role=Role.objects.get(code="administrator"))
    user.refresh_from_db()
    assert user.is_staff

    services.update_user(user, actor=admin_user, role=Role.objects.get(code="auditor"))
    user.refresh_from_db()
    assert not user.is_staff


def test_created_administrator_is_staff(admin_user: User) -> None:
    user = services.create_user(
        actor=admin_user, username="second-admin", role=Role.objects.get(code="administrator")
    )

    assert user.is_staff
    assert not user.is_superuser


def test_set_password_validates_and_logs_without_the_password(
    admin_user: User, make_user: MakeUser
) -> None:
    user = make_user("salesperson")

    with pytest.raises(ValidationError):
        services.set_password(user, "123", actor=admin_user)
    services.set_password(user, "a brand new pass phrase 9", actor=admin_user)

    user.refresh_from_db()
    assert user.check_password("a brand new pass phrase 9")
    [entry] = log_for(user)
    assert entry.message == "password changed"
    assert "pass phrase" not in str(entry.changes)


def test_delete_user_logs_what_the_user_held(admin_user: User, make_user: MakeUser) -> None:
    user = make_user("salesperson", username="gone")
    user_pk = user.pk

    services.delete_user(user, actor=admin_user)

    assert not User.objects.filter(pk=user_pk).exists()
    [entry] = ChangeLog.objects.filter(object_id=str(user_pk), action="delete")
    assert entry.actor == admin_user
    assert entry.changes["username"] == ["gone", None]
    assert entry.changes["role"] == ["Salesperson", None]


def test_a_user_cannot_delete_themselves(admin_user: User) -> None:
    with pytest.raises(ValidationError, match="cannot delete your own account"):
        services.delete_user(admin_user, actor=admin_user)

    assert User.objects.filter(pk=admin_user.pk).exists()
    assert not ChangeLog.objects.filter(action="delete").exists()


# --- Teams ----------------------------------------------------------------------------------


def test_save_team_logs_creation_then_changes(admin_user: User) -> None:
    team = services.save_team(Team(), actor=admin_user, name="East", description="Shanghai")
    services.save_team(team, actor=admin_user, description="Shanghai and Hangzhou")

    create, update = log_for(team)
    assert create.action == "create"
    assert create.changes["name"] == [None, "East"]
    assert update.action == "update"
    assert update.changes == {"description": ["Shanghai", "Shanghai and Hangzhou"]}


def test_set_team_members_moves_users_and_logs_the_member_lists(
    admin_user: User, make_user: MakeUser
) -> None:
    team = make_team()
    stays, leaves, joins = make_user(team=team), make_user(team=team), make_user()

    services.set_team_members(team, [stays, joins], actor=admin_user)

    assert set(team.members.all()) == {stays, joins}
    leaves.refresh_from_db()
    assert leaves.team is None
    [entry] = log_for(team)
    assert entry.changes == {
        "members": [sorted([stays.pk, leaves.pk]), sorted([stays.pk, joins.pk])]
    }


def test_delete_team_keeps_its_members_without_a_team(
    admin_user: User, make_user: MakeUser
) -> None:
    team = make_team(name="Closing")
    member = make_user(team=team)

    services.delete_team(team, actor=admin_user)

    member.refresh_from_db()
    assert member.team is None
    assert ChangeLog.objects.get(action="delete").changes["name"] == ["Closing", None]


# --- Roles ----------------------------------------------------------------------------------


@pytest.fixture
def role_editor(make_user: MakeUser) -> User:
    """A non-administrator who may manage roles and holds a few user permissions."""
    role = Role.objects.create(code="role-editor", name="Role editor")
    role.permissions.set(
        [
            permission("accounts.view_role"),
            permission("accounts.add_role"),
            permission("accounts.change_role"),
            permission("accounts.view_user"),
        ]
    )
    return make_user("role-editor")


def test_save_role_logs_creation_and_permission_changes(admin_user: User) -> None:
    role = services.save_role(
        Role(),
        actor=admin_user,
        permissions=[permission("accounts.view_user")],
        code="helpdesk",
        name="Helpdesk",
    )
    services.save_role(
        role,
        actor=admin_user,
        permissions=[permission("accounts.view_user"), permission("accounts.view_team")],
    )

    assert set(role.permissions.values_list("codename", flat=True)) == {"view_user", "view_team"}
    create, update = log_for(role)
    assert create.action == "create"
    assert create.changes["code"] == [None, "helpdesk"]
    assert update.changes == {"permissions": [["view_user"], ["view_team", "view_user"]]}


def test_a_non_administrator_may_grant_permissions_they_hold(role_editor: User) -> None:
    role = services.save_role(
        Role(),
        actor=role_editor,
        permissions=[permission("accounts.view_user")],
        code="reader",
        name="Reader",
    )

    assert list(role.permissions.all()) == [permission("accounts.view_user")]


def test_a_non_administrator_cannot_grant_a_permission_they_do_not_hold(
    role_editor: User,
) -> None:
    with pytest.raises(ValidationError, match=r"accounts\.delete_user"):
        services.save_role(
            Role(),
            actor=role_editor,
            permissions=[permission("accounts.view_user"), permission("accounts.delete_user")],
            code="escalated",
            name="Escalated",
        )

    assert not Role.objects.filter(code="escalated").exists()


def test_a_non_administrator_cannot_add_an_ungranted_permission_to_an_existing_role(
    role_editor: User,
) -> None:
    salesperson = Role.objects.get(code="salesperson")
    before = set(salesperson.permissions.all())
    assert before  # the shipped role already holds its customer permissions

    with pytest.raises(ValidationError):
        services.save_role(
            salesperson, actor=role_editor, permissions=[permission("accounts.delete_user")]
        )

    assert set(salesperson.permissions.all()) == before
    assert not salesperson.permissions.filter(codename="delete_user").exists()


def test_a_non_administrator_cannot_create_an_administrator_role(role_editor: User) -> None:
    with pytest.raises(ValidationError, match="Only an administrator"):
        services.save_role(Role(), actor=role_editor, code="root", name="Root", is_admin=True)

    assert not Role.objects.filter(code="root").exists()


def test_a_non_administrator_cannot_turn_a_role_into_an_administrator_role(
    role_editor: User,
) -> None:
    salesperson = Role.objects.get(code="salesperson")

    with pytest.raises(ValidationError):
        services.save_role(salesperson, actor=role_editor, is_admin=True)

    salesperson.refresh_from_db()
    assert not salesperson.is_admin


def test_an_administrator_can_create_an_administrator_role(admin_user: User) -> None:
    role = services.save_role(Role(), actor=admin_user, code="root", name="Root", is_admin=True)

    assert role.is_admin


def test_delete_role_refuses_while_users_hold_it(admin_user: User, make_user: MakeUser) -> None:
    make_user("auditor")
    auditor = Role.objects.get(code="auditor")

    with pytest.raises(ValidationError, match="still held by users"):
        services.delete_role(auditor, actor=admin_user)

    assert Role.objects.filter(code="auditor").exists()


def test_delete_role_removes_an_unused_role_and_logs_it(admin_user: User) -> None:
    analyst = Role.objects.get(code="analyst")

    services.delete_role(analyst, actor=admin_user)

    assert not Role.objects.filter(code="analyst").exists()
    entry = ChangeLog.objects.get(action="delete")
    assert entry.changes["code"] == ["analyst", None]


# --- Tokens ---------------------------------------------------------------------------------


def test_issue_token_stores_only_the_sha256_of_the_key(make_user: MakeUser) -> None:
    user = make_user("salesperson")

    token, key = services.issue_token(user, actor=user, name="ERP sync")

    token.refresh_from_db()
    assert key.startswith("hk_")
    assert token.digest == hash_token(key)
    assert key[3:11] == token.prefix
    stored = [str(value) for value in ApiToken.objects.values_list().get(pk=token.pk)]
    assert key not in stored
    assert ApiToken.objects.usable().get(digest=hash_token(key)) == token
    assert "ERP sync" in log_for(user)[-1].message
    assert key not in log_for(user)[-1].message


def test_every_issued_key_is_different(make_user: MakeUser) -> None:
    user = make_user("salesperson")

    keys = {services.issue_token(user, actor=user, name="t")[1] for _ in range(5)}

    assert len(keys) == 5


def test_revoke_token_makes_it_unusable(make_user: MakeUser) -> None:
    user = make_user("salesperson")
    token, key = services.issue_token(user, actor=user, name="old")

    services.revoke_token(token, actor=user)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not ApiToken.objects.usable().filter(digest=hash_token(key)).exists()
    assert "revoked" in log_for(user)[-1].message


def test_expired_tokens_and_tokens_of_disabled_users_are_unusable(
    admin_user: User, make_user: MakeUser
) -> None:
    user = make_user("salesperson")
    expired, _key = services.issue_token(
        user, actor=user, name="expired", expires_at=timezone.now() - timedelta(minutes=1)
    )
    live, _key = services.issue_token(
        user, actor=user, name="live", expires_at=timezone.now() + timedelta(days=1)
    )
    assert list(ApiToken.objects.usable()) == [live]

    services.update_user(user, actor=admin_user, is_active=False)

    assert not ApiToken.objects.usable().exists()
    assert expired.pk  # still stored for the audit trail


# --- Role permissions (RoleBackend) -----------------------------------------------------------


def test_a_salesperson_cannot_view_users(make_user: MakeUser) -> None:
    user = make_user("salesperson")

    assert not user.has_perm("accounts.view_user")
    assert not user.has_perm("accounts.add_user")


def test_an_auditor_can_view_users_but_not_add_change_or_delete_them(
    make_user: MakeUser,
) -> None:
    user = make_user("auditor")

    assert user.has_perm("accounts.view_user")
    assert user.has_perm("core.view_changelog")
    assert not user.has_perm("accounts.add_user")
    assert not user.has_perm("accounts.change_user")
    assert not user.has_perm("accounts.delete_user")


def test_an_administrator_holds_every_permission(admin_user: User) -> None:
    every = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }

    assert admin_user.get_all_permissions() == every
    assert not admin_user.is_superuser


def test_a_disabled_user_holds_no_permissions(make_user: MakeUser) -> None:
    user = make_user("administrator", is_active=False)

    assert user.get_all_permissions() == set()
    assert not user.has_perm("accounts.view_user")


def test_a_user_without_a_role_holds_no_permissions(make_user: MakeUser) -> None:
    user = make_user()

    assert user.get_all_permissions() == set()


def test_permissions_added_to_a_role_reach_its_holders(
    admin_user: User, make_user: MakeUser
) -> None:
    user_pk = make_user("salesperson").pk
    salesperson = Role.objects.get(code="salesperson")

    services.save_role(
        salesperson, actor=admin_user, permissions=[permission("accounts.view_team")]
    )

    # a fresh instance, as on the next request (permissions are cached per instance)
    assert User.objects.get(pk=user_pk).has_perm("accounts.view_team")


# --- Default roles ----------------------------------------------------------------------------


def test_shipped_roles_hold_their_permissions_after_migrate() -> None:
    # Regression: the roles were created on the first app's post_migrate, before the
    # permissions of huike.core and huike.accounts existed, so they were created empty.
    def held(code: str) -> set[str]:
        return {
            f"{app_label}.{codename}"
            for app_label, codename in Role.objects.get(code=code).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }

    read_customers = {
        "parties.view_party",
        "parties.view_observation",
        "parties.view_relationship",
        "parties.view_attributedefinition",
        "parties.view_goldenvalue",
    }
    work_customers = read_customers | {
        "parties.add_party",
        "parties.change_party",
        "parties.add_observation",
        "parties.add_relationship",
        "parties.change_relationship",
        "parties.delete_relationship",
    }
    record_consent = {"privacy.view_consentrecord", "privacy.add_consentrecord"}
    run_imports = {"imports.view_importjob", "imports.add_importjob", "imports.change_importjob"}
    assert held("auditor") == {
        "identity.view_matchcandidate",
        "identity.view_merge",
        "imports.view_importjob",
        "webforms.view_webform",
        "webforms.view_submission",
        "core.view_changelog",
        "core.view_accesslog",
        "accounts.view_user",
        "accounts.view_team",
        "accounts.view_role",
        "privacy.view_purpose",
        "privacy.view_consentnotice",
        "privacy.view_impactassessment",
        "privacy.view_consentrecord",
        "privacy.view_partyconsent",
        "subjects.view_subjectrequest",
        "subjects.view_suppressionentry",
        "subjects.view_retentionrule",
        *read_customers,
    }
    assert held("manager") == {
        "accounts.view_team",
        "accounts.view_user",
        "core.view_changelog",
        "core.reveal_sensitive",
        "parties.delete_party",
        "parties.view_partyshare",
        "parties.add_partyshare",
        "parties.delete_partyshare",
        "intake.submit_intake",
        *record_consent,
        *work_customers,
        *run_imports,
        *IDENTITY_WORK,
    }
    assert held("salesperson") == work_customers | record_consent | run_imports | {
        "parties.view_partyshare",
        "intake.submit_intake",
        "identity.view_matchcandidate",
    }
    dpo = held("data_protection_officer")
    assert {"subjects.erase_party", "subjects.export_subject", "core.reveal_sensitive"} <= dpo
    assert {"privacy.change_purpose", "core.view_accesslog"} <= dpo
    assert "parties.delete_party" not in dpo


def test_default_roles_wait_for_the_last_app_to_migrate() -> None:
    Role.objects.filter(code="analyst").delete()
    configs = [config for config in apps.get_app_configs() if config.models_module is not None]

    ensure_default_roles(sender=configs[0], using="default")
    assert not Role.objects.filter(code="analyst").exists()

    ensure_default_roles(sender=configs[-1], using="default")
    assert Role.objects.filter(code="analyst").exists()


def test_default_roles_leave_edited_roles_alone(admin_user: User) -> None:
    auditor = Role.objects.get(code="auditor")
    services.save_role(auditor, actor=admin_user, name="Inspector", permissions=[])

    ensure_default_roles(using="default")

    auditor.refresh_from_db()
    assert auditor.name == "Inspector"
    assert not auditor.permissions.exists()
