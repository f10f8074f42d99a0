from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from huike.accounts.models import Role, Team, User


class UserTable(tables.Table):
    username = tables.Column(linkify=True)
    display_name = tables.Column(orderable=False)
    role = tables.Column(orderable=False)
    team = tables.Column(orderable=False)
    last_login = tables.DateTimeColumn(orderable=False, verbose_name=_("Last sign-in"))
    is_active = tables.BooleanColumn(orderable=False, verbose_name=_("Active"))

    class Meta:
        model = User
        fields = ("username", "display_name", "email", "role", "team", "last_login", "is_active")
        attrs = {"class": "table table-hover align-middle"}


class TeamTable(tables.Table):
    name = tables.Column(linkify=True)
    leader = tables.Column(orderable=False)
    members = tables.Column(accessor="member_count", verbose_name=_("Members"), orderable=False)

    class Meta:
        model = Team
        fields = ("name", "leader", "members", "created_at")
        attrs = {"class": "table table-hover align-middle"}


class RoleTable(tables.Table):
    name = tables.Column(linkify=True)
    code = tables.Column()
    record_scope = tables.Column(orderable=False)
    is_admin = tables.BooleanColumn(orderable=False)
    users = tables.Column(accessor="user_count", verbose_name=_("Users"), orderable=False)

    class Meta:
        model = Role
        fields = ("name", "code", "record_scope", "is_admin", "users")
        attrs = {"class": "table table-hover align-middle"}

    def render_name(self, record: Role) -> str:
        return str(record)  # shipped roles read in the user's language

    def value_name(self, record: Role) -> str:
        return str(record)
