"""Demo data: an administrator, teams and one user per shipped role.

Idempotent: running it again changes nothing that exists. The administrator's password comes
from ``HUIKE_ADMIN_PASSWORD`` or is generated once into ``var/admin-password`` (mode 0600);
demo users share it so a tester can sign in as any role.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from huike.accounts import services
from huike.accounts.models import Role, Team, User
from huike.accounts.roles import ensure_default_roles

DEMO_TEAMS = [("华东销售部", "East China sales"), ("客户服务中心", "Customer service centre")]
# username, display name, role code, team index (or None)
DEMO_USERS = [
    ("manager", "王经理", "manager", 0),
    ("sales1", "张伟", "salesperson", 0),
    ("sales2", "Emily Chen", "salesperson", 0),
    ("service", "李娜", "service_agent", 1),
    ("marketer", "刘洋", "marketer", None),
    ("analyst", "陈静", "analyst", None),
    ("auditor", "赵敏", "auditor", None),
]


@dataclass
class SeedResult:
    admin_username: str
    password: str
    password_file: Path | None
    created_admin: bool
    created_demo: bool


def admin_password() -> tuple[str, Path | None]:
    given = os.environ.get("HUIKE_ADMIN_PASSWORD")
    if given:
        return given, None
    path = Path(settings.VAR_DIR) / "admin-password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip(), path


@transaction.atomic
def seed_demo(*, with_demo_users: bool = True) -> SeedResult:
    ensure_default_roles()
    password, path = admin_password()
    admin_role = Role.objects.get(code="administrator")
    created_admin = False
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = services.create_user(
            actor=None,
            username="admin",
            password=None,
            role=admin_role,
            display_name="管理员",
            email="admin@example.com",
        )
        # The generated password is random but may trip the similarity validator: set directly.
        admin.set_password(password)
        admin.save(update_fields=["password"])
        created_admin = True
    created_demo = False
    if with_demo_users and not Team.objects.exists():
        teams = [
            services.save_team(Team(), actor=admin, name=zh, description=en)
            for zh, en in DEMO_TEAMS
        ]
        for username, name, role_code, team_index in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                continue
            user = services.create_user(
                actor=admin,
                username=username,
                password=None,
                role=Role.objects.get(code=role_code),
                display_name=name,
                email=f"{username}@example.com",
                team=teams[team_index] if team_index is not None else None,
            )
            user.set_password(password)
            user.save(update_fields=["password"])
        services.save_team(teams[0], actor=admin, leader=User.objects.get(username="manager"))
        created_demo = True
    return SeedResult("admin", password, path, created_admin, created_demo)
