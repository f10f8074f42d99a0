from django.urls import path

from huike.core.views import audit

app_name = "core"

urlpatterns = [
    path("access-log/", audit.AccessLogListView.as_view(), name="accesslog_list"),
    path("change-log/", audit.ChangeLogListView.as_view(), name="changelog_list"),
]
