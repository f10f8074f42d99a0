from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from huike.core.views import pages
from huike.ops.api import HealthView

api_v1 = [
    path("health/", HealthView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include("huike.accounts.api.urls")),
    path("", include("huike.parties.api.urls")),
]

urlpatterns = [
    path("", pages.home, name="home"),
    path("search/", pages.search, name="search"),
    path("accounts/", include("huike.accounts.urls")),
    path("customers/", include("huike.parties.urls")),
    path("api/v1/", include((api_v1, "api"))),  # type: ignore[arg-type]
    path("api/", RedirectView.as_view(url="/api/v1/docs/", permanent=False)),
    path("django-admin/", admin.site.urls),
]

handler400 = "huike.core.views.errors.bad_request"
handler403 = "huike.core.views.errors.permission_denied"
handler404 = "huike.core.views.errors.page_not_found"
handler500 = "huike.core.views.errors.server_error"
