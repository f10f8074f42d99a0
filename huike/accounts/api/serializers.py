from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from huike.accounts import services
from huike.accounts.models import ApiToken, Role, Team, User


def _call(service: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a service, turning model validation errors into API validation errors."""
    try:
        return service(*args, **kwargs)
    except DjangoValidationError as error:
        raise serializers.ValidationError(
            error.message_dict if hasattr(error, "error_dict") else error.messages
        ) from error


class RoleSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(help_text="In the caller's language.")

    class Meta:
        model = Role
        fields = ["id", "code", "name", "description", "record_scope", "is_admin"]
        read_only_fields = fields

    def get_name(self, role: Role) -> str:
        return str(role)


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
    key = serializers.CharField(read_only=True, help_text="Shown only in the answer to POST.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "key"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at"]
