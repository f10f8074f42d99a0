from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from huike.core.views import pages
from huike.ops.api import HealthView

# The API documentation pages (Swagger UI, Redoc) style themselves with inline styles; their
# scripts load from files (the split view serves Swagger UI's set-up as a script file).
API_DOCS_CSP = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})

api_v1 = [
    path("health/", HealthView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        API_DOCS_CSP(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path("redoc/", API_DOCS_CSP(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
    path("", include("huike.accounts.api.urls")),
    path("", include("huike.parties.api.urls")),
    path("", include("huike.core.api.urls")),
    path("", include("huike.privacy.api.urls")),
    path("", include("huike.subjects.api.urls")),
    path("", include("huike.imports.api.urls")),
    path("", include("huike.intake.api.urls")),
    path("", include("huike.webforms.api.urls")),
    path("", include("huike.identity.api.urls")),
]

urlpatterns = [
    path("", pages.home, name="home"),
    path("search/", pages.search, name="search"),
    path("accounts/", include("huike.accounts.urls")),
    path("customers/", include("huike.parties.urls")),
    path("ops/", include("huike.ops.urls")),
    path("audit/", include("huike.core.urls")),
    path("privacy/requests/", include("huike.subjects.urls")),
    path("privacy/", include("huike.privacy.urls")),
    path("imports/", include("huike.imports.urls")),
    path("duplicates/", include("huike.identity.urls")),
    path("forms/", include("huike.webforms.urls")),
    path("f/", include("huike.webforms.public_urls")),
    path("api/v1/", include((api_v1, "api"))),  # type: ignore[arg-type]
    path("api/", RedirectView.as_view(url="/api/v1/docs/", permanent=False)),
    # Django's admin site signs in through Huike's sign-in page (two-factor, lockout, timeouts).
    path(
        "django-admin/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True),
    ),
    path("django-admin/", admin.site.urls),
]

handler400 = "huike.core.views.errors.bad_request"
handler403 = "huike.core.views.errors.permission_denied"
handler404 = "huike.core.views.errors.page_not_found"
handler500 = "huike.core.views.errors.server_error"
