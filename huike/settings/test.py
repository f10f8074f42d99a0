"""Settings for the test suite: fast hashing, no HTTPS redirect, jobs run inline."""

from __future__ import annotations

import os

os.environ.setdefault("HTTPS", "0")

from huike.settings import *  # noqa: F403
from huike.settings import HUEY, STORAGES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY = {**HUEY, "immediate": True}
HUEY.pop("filename", None)
HUEY["huey_class"] = "huey.MemoryHuey"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AXES_ENABLED = False
LANGUAGE_CODE = "en"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
