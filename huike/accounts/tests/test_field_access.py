"""Field-level access: how each role reads and edits personal and sensitive information, and
that whoever edits a role grants only what they hold themselves (page, API and service)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from huike.accounts import services
from huike.accounts.models import Role, User
from huike.accounts.roles import DEFAULT_ROLES, FIELDS
from huike.core.models import ChangeLog

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
TokenClient = Callable[[User], APIClient]


def permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fresh(user: User) -> User:
    """The user as the next request loads them (roles are read anew)."""
    return User.objects.select_related("role").get(pk=user.pk)


# --- What each shipped role sees --------------------------------------------------------------


def test_every_shipped_role_has_its_field_access_defined() -> None:
    assert set(FIELDS) == set(DEFAULT_ROLES)


@pytest.mark.parametrize("code", sorted(FIELDS))
def test_each_shipped_role_reads_and_edits_as_documented(make_user: MakeUser, code: str) -> None:
    personal, sensitive, edit_personal, edit_sensitive = FIELDS[code]
    user = fresh(make_user(code))

    assert user.field_access("public") == "full"
    assert user.field_access("personal") == personal
    assert user.field_access("sensitive") == sensitive
    assert user.may_edit_field("public") is True
    assert user.may_edit_field("personal") is edit_personal
    assert user.may_edit_field("sensitive") is edit_sensitive


def test_marketers_and_analysts_never_see_sensitive_information(make_user: MakeUser) -> None:
    for code in ("marketer", "analyst"):
        user = fresh(make_user(code))
        assert user.field_access("sensitive") == "hidden"
        assert user.field_access("personal") == "masked"


def test_an_administrator_reads_and_edits_everything_whatever_the_role_says(
    admin_user: User,
) -> None:
    # given an administrator role whose field access was (wrongly) lowered
    Role.objects.filter(code="administrator").update(
        personal_access="hidden", sensitive_access="hidden", edit_sensitive=False
    )
    admin = fresh(admin_user)

    # then the administrator flag still wins
    assert admin.field_access("personal") == "full"
    assert admin.field_access("sensitive") == "full"
    assert admin.may_edit_field("sensitive") is True


def test_a_superuser_without_a_role_reads_everything(make_user: MakeUser) -> None:
    root = make_user(None, is_superuser=True)

    assert root.field_access("sensitive") == "full"
    assert root.may_edit_field("sensitive") is True


def test_a_user_without_a_role_sees_personal_masked_and_sensitive_not_at_all(
    make_user: MakeUser,
) -> None:
    nobody = make_user(None)

    assert nobody.field_access("public") == "full"
    assert nobody.field_access("personal") == "masked"
    assert nobody.field_access("sensitive") == "hidden"
    assert nobody.may_edit_field("public") is True
    assert nobody.may_edit_field("personal") is False
    assert nobody.may_edit_field("sensitive") is False


def test_a_disabled_user_sees_no_more_than_a_user_without_a_role(make_user: MakeUser) -> None:
    manager = make_user("manager", is_active=False)

    assert manager.field_access("personal") == "masked"
    assert manager.field_access("sensitive") == "hidden"


def test_changing_a_roles_field_access_reaches_its_holders(
    admin_user: User, make_user: MakeUser
) -> None:
    agent = make_user("service_agent")
    assert fresh(agent).field_access("sensitive") == "masked"

    services.save_role(
        Role.objects.get(code="service_agent"),
        actor=admin_user,
        sensitive_access="hidden",
        edit_personal=False,
    )

    agent = fresh(agent)
    assert agent.field_access("sensitive") == "hidden"
    assert agent.may_edit_field("personal") is False


# --- Granting only what you hold --------------------------------------------------------------


@pytest.fixture
def role_editor(make_user: MakeUser) -> User:
    """A non-administrator who may manage roles: own scope, personal information in full,
    sensitive information masked, may edit personal but not sensitive information."""
    role = Role.objects.create(
        code="role-editor",
        name="Role editor",
        record_scope="own",
        personal_access="full",
        sensitive_access="masked",
        edit_personal=True,
        edit_sensitive=False,
    )
    role.permissions.set(
        [
            permission("accounts.view_role"),
            permission("accounts.add_role"),
            permission("accounts.change_role"),
        ]
    )
    return fresh(make_user("role-editor"))


def refusal(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


def test_a_non_administrator_cannot_give_more_sensitive_access_than_their_own(
    role_editor: User,
) -> None:
    with pytest.raises(ValidationError) as error:
        services.save_role(
            Role(), actor=role_editor, code="snoop", name="Snoop", sensitive_access="reveal"
        )

    assert refusal(error) == {
        "sensitive_access": [
            "You cannot give more access to sensitive information than your own (Masked)."
        ]
    }
    assert not Role.objects.filter(code="snoop").exists()


@pytest.mark.parametrize("level", ["hidden", "masked"])
def test_a_non_administrator_may_give_field_access_up_to_their_own(
    role_editor: User, level: str
) -> None:
    role = services.save_role(
        Role(), actor=role_editor, code="clerk", name="Clerk", sensitive_access=level
    )

    assert role.sensitive_access == level


def test_a_non_administrator_cannot_give_an_edit_right_they_lack(role_editor: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.save_role(
            Role(), actor=role_editor, code="writer", name="Writer", edit_sensitive=True
        )

    assert list(refusal(error)) == ["edit_sensitive"]
    assert "you may not edit it yourself" in refusal(error)["edit_sensitive"][0]


def test_a_non_administrator_cannot_raise_an_existing_role_above_their_own(
    role_editor: User,
) -> None:
    marketer = Role.objects.get(code="marketer")

    with pytest.raises(ValidationError) as error:
        services.save_role(marketer, actor=role_editor, sensitive_access="full")

    assert list(refusal(error)) == ["sensitive_access"]
    marketer.refresh_from_db()
    assert marketer.sensitive_access == "hidden"


def test_every_refusal_is_reported_at_once_by_field(role_editor: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.save_role(
            Role(),
            actor=role_editor,
            permissions=[permission("accounts.delete_user")],
            code="everything",
            name="Everything",
            record_scope="all",
            sensitive_access="full",
            edit_sensitive=True,
        )

    assert set(refusal(error)) == {
        "record_scope",
        "sensitive_access",
        "edit_sensitive",
        "permissions",
    }


def test_values_a_role_already_had_are_not_judged_only_changes(role_editor: User) -> None:
    # given a role reaching more than the editor (all records, sensitive values revealable)
    dpo = Role.objects.get(code="data_protection_officer")
    assert dpo.record_scope == "all"
    assert dpo.sensitive_access == "reveal"

    # when the editor only rewrites its description, keeping what it holds
    services.save_role(dpo, actor=role_editor, description="Answers data-subject requests")

    dpo.refresh_from_db()
    assert dpo.description == "Answers data-subject requests"
    assert dpo.sensitive_access == "reveal"


def test_a_non_administrator_may_lower_what_a_role_holds(role_editor: User) -> None:
    dpo = Role.objects.get(code="data_protection_officer")

    services.save_role(dpo, actor=role_editor, sensitive_access="masked", edit_sensitive=False)

    dpo.refresh_from_db()
    assert (dpo.sensitive_access, dpo.edit_sensitive) == ("masked", False)


def test_an_administrator_may_give_any_field_access(admin_user: User) -> None:
    role = services.save_role(
        Role(),
        actor=admin_user,
        code="investigator",
        name="Investigator",
        record_scope="all",
        sensitive_access="full",
        edit_sensitive=True,
        require_two_factor=True,
    )

    assert (role.sensitive_access, role.edit_sensitive, role.require_two_factor) == (
        "full",
        True,
        True,
    )


def test_field_access_changes_are_in_the_roles_history(admin_user: User) -> None:
    analyst = Role.objects.get(code="analyst")

    services.save_role(analyst, actor=admin_user, personal_access="hidden", require_two_factor=True)

    entry = ChangeLog.objects.filter(object_id=str(analyst.pk), action="update").get()
    assert entry.changes == {
        "personal_access": ["masked", "hidden"],
        "require_two_factor": [False, True],
    }


# --- The role pages ---------------------------------------------------------------------------


def role_form(role: Role, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "code": role.code,
        "name": role.name,
        "description": role.description,
        "record_scope": role.record_scope,
        "personal_access": role.personal_access,
        "sensitive_access": role.sensitive_access,
        "permissions": list(role.permissions.values_list("pk", flat=True)),
    }
    for flag in ("edit_personal", "edit_sensitive", "require_two_factor", "is_admin"):
        if getattr(role, flag):
            data[flag] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_an_administrator_edits_a_roles_field_access_on_its_page(admin_user: User) -> None:
    agent = Role.objects.get(code="service_agent")

    response = signed_in(admin_user).post(
        f"/accounts/roles/{agent.pk}/edit/",
        role_form(agent, sensitive_access="hidden", require_two_factor="on"),
    )

    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.sensitive_access == "hidden"
    assert agent.require_two_factor is True
    assert agent.edit_personal is True  # kept: its box was ticked


def test_the_role_form_offers_every_field_access_setting(admin_user: User) -> None:
    agent = Role.objects.get(code="service_agent")

    page = signed_in(admin_user).get(f"/accounts/roles/{agent.pk}/edit/").content.decode()

    for name in (
        "record_scope",
        "personal_access",
        "sensitive_access",
        "edit_personal",
        "edit_sensitive",
        "require_two_factor",
    ):
        assert f'name="{name}"' in page
    assert '<option value="region"' in page
    assert '<option value="reveal"' in page


def test_the_role_page_refuses_more_access_than_the_editor_holds(role_editor: User) -> None:
    marketer = Role.objects.get(code="marketer")
    before = set(marketer.permissions.all())

    response = signed_in(role_editor).post(
        f"/accounts/roles/{marketer.pk}/edit/",
        role_form(
            marketer,
            permissions=[p.pk for p in before],
            record_scope="all",
            sensitive_access="full",
        ),
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "You cannot give more access to sensitive information than your own" in content
    marketer.refresh_from_db()
    assert marketer.sensitive_access == "hidden"


def test_the_refusal_reads_in_the_editors_language(role_editor: User) -> None:
    role_editor.language = "zh-hans"
    role_editor.save()
    marketer = Role.objects.get(code="marketer")

    response = signed_in(role_editor).post(
        f"/accounts/roles/{marketer.pk}/edit/",
        role_form(marketer, sensitive_access="full"),
    )

    with translation.override("zh-hans"):
        expected = translation.gettext(
            "You cannot give more access to {what} than your own ({access})."
        ).format(
            what=translation.gettext("sensitive information"),
            access=translation.gettext("Masked"),
        )
    content = response.content.decode()
    assert response.status_code == 400
    assert expected in content
    assert "You cannot give more access" not in content


def test_the_role_page_says_what_holders_see_in_words(admin_user: User) -> None:
    manager = Role.objects.get(code="manager")

    content = signed_in(admin_user).get(f"/accounts/roles/{manager.pk}/").content.decode()

    assert "What holders see and edit" in content
    assert "Masked, may reveal (logged)" in content  # sensitive information
    assert "each reveal is written to the access log" in content
    assert "May not edit it." in content  # managers do not edit sensitive information


def test_the_role_page_reads_in_chinese_for_a_chinese_reader(make_user: MakeUser) -> None:
    reader = make_user("administrator", language="zh-hans")
    marketer = Role.objects.get(code="marketer")

    content = signed_in(reader).get(f"/accounts/roles/{marketer.pk}/").content.decode()

    with translation.override("zh-hans"):
        expected = [
            translation.gettext("What holders see and edit"),
            translation.gettext("Hidden"),
            translation.gettext("not shown at all."),
        ]
    assert all(text in content for text in expected)
    # Chinese, not the English source: every phrase is translated.
    assert "What holders see and edit" not in content
    assert "not shown at all." not in content


# --- The role API -----------------------------------------------------------------------------


def test_the_role_api_shows_field_access_and_permissions(
    token_client: TokenClient, admin_user: User
) -> None:
    manager = Role.objects.get(code="manager")

    body = token_client(admin_user).get(f"/api/v1/roles/{manager.pk}/").json()

    assert body["record_scope"] == "team"
    assert (body["personal_access"], body["sensitive_access"]) == ("full", "reveal")
    assert (body["edit_personal"], body["edit_sensitive"]) == (True, False)
    assert body["require_two_factor"] is False
    assert "parties.view_party" in body["permissions"]


def test_an_administrator_patches_a_roles_field_access_through_the_api(
    token_client: TokenClient, admin_user: User
) -> None:
    analyst = Role.objects.get(code="analyst")

    response = token_client(admin_user).patch(
        f"/api/v1/roles/{analyst.pk}/",
        {
            "personal_access": "hidden",
            "require_two_factor": True,
            "permissions": ["parties.view_party"],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    analyst.refresh_from_db()
    assert analyst.personal_access == "hidden"
    assert analyst.require_two_factor is True
    assert list(analyst.permissions.values_list("codename", flat=True)) == ["view_party"]


def test_the_role_api_refuses_more_than_the_editor_holds_by_field(
    token_client: TokenClient, role_editor: User
) -> None:
    analyst = Role.objects.get(code="analyst")

    response = token_client(role_editor).patch(
        f"/api/v1/roles/{analyst.pk}/",
        {"sensitive_access": "full", "is_admin": True, "permissions": ["accounts.delete_user"]},
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "is_admin" in errors
    assert "permissions" in errors
    analyst.refresh_from_db()
    assert (analyst.sensitive_access, analyst.is_admin) == ("hidden", False)


def test_the_role_api_refuses_unknown_permission_names(
    token_client: TokenClient, admin_user: User
) -> None:
    analyst = Role.objects.get(code="analyst")

    response = token_client(admin_user).patch(
        f"/api/v1/roles/{analyst.pk}/", {"permissions": ["parties.fly"]}, format="json"
    )

    assert response.status_code == 400
    assert "parties.fly" in response.json()["errors"]["permissions"][0]


def test_the_role_api_needs_the_change_role_permission(
    token_client: TokenClient, make_user: MakeUser
) -> None:
    auditor = make_user("auditor")  # may view roles, not change them
    analyst = Role.objects.get(code="analyst")

    client = token_client(auditor)

    assert client.get(f"/api/v1/roles/{analyst.pk}/").status_code == 200
    response = client.patch(
        f"/api/v1/roles/{analyst.pk}/", {"personal_access": "full"}, format="json"
    )
    assert response.status_code == 403
