from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from huike.accounts import services
from huike.accounts.models import ApiToken, Role, Team, User
from huike.parties.models import Region


def _call(service: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a service, turning model validation errors into API validation errors."""
    try:
        return service(*args, **kwargs)
    except DjangoValidationError as error:
        raise serializers.ValidationError(
            error.message_dict if hasattr(error, "error_dict") else error.messages
        ) from error


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class PermissionNamesField(serializers.Field):
    """Permissions as ``app_label.codename`` names, e.g. ``parties.view_party``."""

    def to_representation(self, value: Any) -> list[str]:
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in value.all())

    def to_internal_value(self, data: Any) -> list[Permission]:
        if not isinstance(data, list) or not all(isinstance(name, str) for name in data):
            raise serializers.ValidationError(
                _("Give a list of permission names such as parties.view_party.")
            )
        found: list[Permission] = []
        unknown: list[str] = []
        for name in dict.fromkeys(data):
            app_label, _dot, codename = name.partition(".")
            permission = (
                Permission.objects.select_related("content_type")
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if permission is None:
                unknown.append(name)
            else:
                found.append(permission)
        if unknown:
            raise serializers.ValidationError(
                _("Unknown permissions: {names}").format(names=", ".join(unknown))
            )
        return found


class RoleSerializer(serializers.ModelSerializer):
    """A role. PATCH changes it as the role page does: nobody grants what they do not hold."""

    name = serializers.SerializerMethodField(help_text="In the caller's language.")
    permissions = PermissionNamesField(
        required=False, help_text="Permission names such as parties.view_party."
    )

    class Meta:
        model = Role
        fields = [
            "id",
            "code",
            "name",
            "description",
            "record_scope",
            "is_admin",
            "personal_access",
            "sensitive_access",
            "edit_personal",
            "edit_sensitive",
            "require_two_factor",
            "permissions",
        ]
        read_only_fields = ["id", "code", "name"]

    def get_name(self, role: Role) -> str:
        return str(role)

    def update(self, instance: Role, validated_data: dict[str, Any]) -> Role:
        permissions = validated_data.pop("permissions", None)
        return _call(
            services.save_role,
            instance,
            actor=self.context["actor"],
            permissions=permissions,
            **validated_data,
        )


class TeamSerializer(serializers.ModelSerializer):
    leader = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Team
        fields = ["id", "name", "description", "leader", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def create(self, validated_data: dict[str, Any]) -> Team:
        return _call(services.save_team, Team(), actor=self.context["actor"], **validated_data)

    def update(self, instance: Team, validated_data: dict[str, Any]) -> Team:
        return _call(services.save_team, instance, actor=self.context["actor"], **validated_data)


class UserSerializer(serializers.ModelSerializer):
    """Explicit fields only: nobody can set superuser or staff flags through the API."""

    role = serializers.SlugRelatedField(
        slug_field="code", queryset=Role.objects.all(), allow_null=True, required=False
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    territories = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        queryset=Region.objects.all(),
        required=False,
        help_text="Region codes (GB/T 2260 or country) reached by a role with territory scope.",
    )
    password = serializers.CharField(
        write_only=True, required=False, style={"input_type": "password"}
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "email",
            "phone",
            "role",
            "team",
            "language",
            "is_active",
            "territories",
            "last_login",
            "date_joined",
            "password",
        ]
        read_only_fields = ["id", "last_login", "date_joined"]

    def validate_password(self, value: str) -> str:
        """Report weak passwords under ``password``, with the configured rules' messages."""
        user = self.instance or User(username=self.initial_data.get("username", ""))
        try:
            validate_password(value, user)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return value

    def create(self, validated_data: dict[str, Any]) -> User:
        return _call(services.create_user, actor=self.context["actor"], **validated_data)

    def update(self, instance: User, validated_data: dict[str, Any]) -> User:
        password = validated_data.pop("password", None)
        user = _call(services.update_user, instance, actor=self.context["actor"], **validated_data)
        if password:
            _call(services.set_password, user, password, actor=self.context["actor"])
        return user


class MeSerializer(serializers.ModelSerializer):
    role: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    permissions = serializers.SerializerMethodField()
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        allow_blank=True,
        read_only=True,
        help_text="Empty: follows the browser.",
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "email",
            "role",
            "team",
            "language",
            "record_scope",
            "permissions",
        ]
        read_only_fields = fields

    def get_permissions(self, user: User) -> list[str]:
        return sorted(user.get_all_permissions())


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at"]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    """The answer to POST: the token with its key, shown this once."""

    key = serializers.CharField(read_only=True, help_text="Shown only in the answer to POST.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
