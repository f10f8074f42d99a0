"""Production settings pass Django's deployment checks with no warning."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    # Given the environment an operator sets for production (see .env.example)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "HUIKE_", "DATABASE_URL", "REDIS_URL", "SECURE_"))
        and key not in {"DEBUG", "HTTPS", "SECRET_KEY", "ALLOWED_HOSTS", "BEHIND_PROXY"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="huike.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="crm.example.com",
        HUIKE_VAR_DIR=str(tmp_path),
    )

    # When the deployment checks run, warnings included
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    # Then nothing is reported
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
