"""Settings for Huike, read from environment variables with secure defaults.

Every variable is documented in ``.env.example``. Nothing here reaches the internet.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str) -> str:
    """The variable's value; unset and empty both mean "use the default"."""
    return os.environ.get(name) or default


VAR_DIR = Path(env("HUIKE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _secret_key() -> str:
    """Use SECRET_KEY if given, else a key generated once into var/ (never committed)."""
    given = env("SECRET_KEY", "")
    if given:
        return given
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
# Encryption keys for sensitive personal information: outside the database, never in backups.
HUIKE_KEYS_FILE = Path(env("HUIKE_KEYS_FILE", str(VAR_DIR / "keys.json")))
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "csp",
    "huey.contrib.djhuey",
    "huike.core",
    "huike.accounts",
    "huike.parties",
    "huike.privacy",
    "huike.subjects",
    "huike.imports",
    "huike.ops",
    "huike.intake",
    "huike.webforms",
    "huike.identity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "huike.core.security.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "huike.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "huike.core.security.SessionTimeoutMiddleware",
    "huike.core.security.TwoFactorSetupMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "huike.urls"
WSGI_APPLICATION = "huike.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "huike" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "huike.core.context_processors.shell",
                "huike.ops.context_processors.pause",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "sqlite:///{}".format(VAR_DIR / "huike.sqlite3")),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids lock upgrades.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "huike.accounts.backends.RoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Brute-force protection: lock a username *from one address* only, so one person cannot lock
# out a whole office behind one NAT address, and cool off automatically.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Behind N reverse proxies the client is the N-th address from the right of X-Forwarded-For.
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "huike.core.http.client_ip"
AXES_VERBOSE = False

# --- Sessions and security headers ------------------------------------------------------------
HTTPS = env_bool("HTTPS", not DEBUG)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
# A sign-in ends after this much inactivity, and in any case this long after the password was
# entered (huike.core.security.SessionTimeoutMiddleware).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 12)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "huike.core.views.errors.csrf_failure"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Preloading commits a domain to browsers' lists for years: an operator decision, off by default.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Content-Security-Policy (django-csp): scripts and styles only from our own static files, no
# inline script or style attribute anywhere. Bootstrap's CSS draws its icons with data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}
# Rate limits (huike.core.ratelimit and the API throttles): off only in the test settings.
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
PASSWORD_RESET_RATE_PER_ADDRESS = env("PASSWORD_RESET_RATE_PER_ADDRESS", "10/h")
PASSWORD_RESET_RATE_PER_EMAIL = env("PASSWORD_RESET_RATE_PER_EMAIL", "3/h")
# Outbound HTTP (huike.core.fetch): hosts or networks on the intranet that may be reached even
# though their addresses are private, e.g. "erp.internal,10.1.2.0/24".
OUTBOUND_ALLOWED_HOSTS = env_list("OUTBOUND_ALLOWED_HOSTS", [])
OUTBOUND_TIMEOUT_SECONDS = env_int("OUTBOUND_TIMEOUT_SECONDS", 10)
OUTBOUND_MAX_BYTES = env_int("OUTBOUND_MAX_BYTES", 10 * 1024 * 1024)
# Largest file accepted by uploads (imports), checked before the file is read.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 50 * 1024 * 1024)
# Public web forms (huike.webforms): posts per address and form, largest post, fastest and
# oldest page accepted, and how long an e-mailed confirmation link works.
WEBFORM_RATE = env("WEBFORM_RATE", "10/10m")
WEBFORM_MAX_BYTES = env_int("WEBFORM_MAX_BYTES", 64 * 1024)
WEBFORM_MIN_SECONDS = env_int("WEBFORM_MIN_SECONDS", 2)
WEBFORM_TOKEN_MAX_AGE = env_int("WEBFORM_TOKEN_MAX_AGE", 24 * 3600)
WEBFORM_CONFIRM_HOURS = env_int("WEBFORM_CONFIRM_HOURS", 72)
# Identity resolution (huike.identity): match probabilities from 0 to 1. A pair at or above
# IDENTITY_SAME is "the same customer", at or above IDENTITY_MAYBE "maybe" (both are queued for
# review); a duplicate search started with automatic merge merges pairs at or above
# IDENTITY_AUTO_MERGE without review.
IDENTITY_SAME = env_float("IDENTITY_SAME", 0.9)
IDENTITY_MAYBE = env_float("IDENTITY_MAYBE", 0.5)
IDENTITY_AUTO_MERGE = env_float("IDENTITY_AUTO_MERGE", 0.99)

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "huike" / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", "CNY")
# Phone numbers written without a country code are this country's (ISO 3166 code); numbers of
# this country are shown in national format. An import can name another for its file.
PHONE_REGION = env("PHONE_REGION", "CN").upper()

# --- Static files (built by esbuild into huike/static/dist, served by whitenoise) ------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "huike" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Mail -----------------------------------------------------------------------------------
# The real backend; EMAIL_BACKEND wraps it so that nothing is sent while Huike is paused.
HUIKE_EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_BACKEND = "huike.ops.mail.PausableEmailBackend"
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "huike@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PASSWORD_RESET_TIMEOUT = 3600 * 2

# --- Background jobs (Huey) ---------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": "huike",
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "huike",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
        "consumer": {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread"},
    }

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "huike.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "huike.core.api.permissions.ModelPermissions",
    ],
    "DEFAULT_PAGINATION_CLASS": "huike.core.api.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "huike.core.api.errors.exception_handler",
    "NUM_PROXIES": PROXY_COUNT,  # 0: the connecting address; X-Forwarded-For is ignored
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_RATE_ANON", "60/minute"),
        "user": env("API_RATE_USER", "2000/minute"),
    },
    "DEFAULT_THROTTLE_CLASSES": [
        "huike.core.ratelimit.AnonRateThrottle",
        "huike.core.ratelimit.UserRateThrottle",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Huike API",
    "DESCRIPTION": "REST API of Huike (汇客), the customer information system.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Personal and sensitive access share one set of levels: one schema enum, one name.
    "ENUM_NAME_OVERRIDES": {
        "FieldAccessEnum": "huike.accounts.models.FieldAccess",
        "ConsentStatusEnum": "huike.privacy.models.ConsentStatus",
        "ConsentChannelEnum": "huike.privacy.models.Channel",
        "SubjectRequestKindEnum": "huike.subjects.models.SubjectRequest.Kind",
        "SubjectRequestChannelEnum": "huike.subjects.models.SubjectRequest.Channel",
        "IdentityMethodEnum": "huike.subjects.models.SubjectRequest.IdentityMethod",
        "PartyKindEnum": "huike.parties.models.Party.Kind",
        "ImportPolicyEnum": "huike.imports.models.ImportJob.Policy",
        "MatchDecisionEnum": "huike.identity.models.Decision",
        "MatchStatusEnum": "huike.identity.models.MatchCandidate.Status",
        "JobStatusEnum": "huike.identity.models.DedupeJob.Status",
    },
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "tokenAuth": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": _("Send 'Token <key>'; create keys on your profile page."),
            }
        }
    },
}

# --- UI -------------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "core/table.html"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Caches (rate limits, idempotency replay use the database, not the cache) ----------------
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Scheduled backups (`huike backup` by the worker): folder ("off" to stop), local hour, how many.
BACKUP_DIR = env("BACKUP_DIR", str(VAR_DIR / "backups"))
BACKUP_HOUR = env_int("BACKUP_HOUR", 2)
BACKUP_KEEP = env_int("BACKUP_KEEP", 14)

# Idempotency keys are replayed for this long.
IDEMPOTENCY_TTL = timedelta(hours=24)

# --- Imports ----------------------------------------------------------------------------------
# Worker processes that prepare the next batches of a large import while the job writes this
# one (huike/imports/pipeline.py); files under IMPORT_WORKERS_MIN_BYTES are prepared in-process.
IMPORT_WORKERS = env_int("IMPORT_WORKERS", min(2, max(0, (os.cpu_count() or 1) - 1)))
IMPORT_WORKERS_MIN_BYTES = env_int("IMPORT_WORKERS_MIN_BYTES", 8 * 1024 * 1024)
# At import, a row is compared with the customers sharing a name (or its spelling) only when at
# most this many do; phones, e-mails and identifiers always count (huike dedupe compares all).
IMPORT_NAME_BLOCK = env_int("IMPORT_NAME_BLOCK", 5)
# Days a finished import keeps its problem rows (rejected rows as they were) and its upload.
IMPORT_KEEP_DAYS = env_int("IMPORT_KEEP_DAYS", 30)
# The worker counts as alive when its heartbeat is younger than this.
WORKER_HEARTBEAT_MAX_AGE = timedelta(minutes=3)

# --- Data-subject requests and retention (huike.subjects) --------------------------------------
# A request is due this many days after receipt (the queue alerts 3 days before and after); the
# outer limit the page shows is DSR_LIMIT_DAYS.
DSR_DUE_DAYS = env_int("DSR_DUE_DAYS", 15)
DSR_LIMIT_DAYS = env_int("DSR_LIMIT_DAYS", 30)
# Access exports are deleted from var/media/private this many days after they were made.
DSR_EXPORT_KEEP_DAYS = env_int("DSR_EXPORT_KEEP_DAYS", 30)
# Closed requests lose the requester's name, contact and identity evidence after this many days.
DSR_REQUEST_KEEP_DAYS = env_int("DSR_REQUEST_KEEP_DAYS", 3 * 365)
# Access-log rows older than this are purged daily (never fewer than 180 days are kept).
ACCESS_LOG_RETENTION_DAYS = env_int("ACCESS_LOG_RETENTION_DAYS", 365)
