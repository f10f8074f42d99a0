"""Settings for the test suite: plain HTTP, fast hashing, jobs run inline, no throttles."""

from __future__ import annotations

from huike.settings import *  # noqa: F403
from huike.settings import HUEY, STORAGES, VAR_DIR

DEBUG = False
HTTPS = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY = {
    **{k: v for k, v in HUEY.items() if k not in {"filename", "url"}},
    "huey_class": "huey.MemoryHuey",
    "immediate": True,
}
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HUIKE_EMAIL_BACKEND = EMAIL_BACKEND  # what huike.ops.mail.PausableEmailBackend sends through
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AXES_ENABLED = False  # tests that exercise the lockout switch it on
LANGUAGE_CODE = "en"
# No rate limits or API throttles; the tests that exercise them switch them on.
RATE_LIMITS_ENABLED = False
HUIKE_KEYS_FILE = VAR_DIR / "test-keys.json"
