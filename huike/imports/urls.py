from django.urls import path

from huike.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.ImportJobListView.as_view(), name="importjob_list"),
    path("new/", views.upload, name="importjob_add"),
    path("<int:pk>/", views.detail, name="importjob"),
    path("<int:pk>/mapping/", views.mapping, name="importjob_mapping"),
    path("<int:pk>/progress/", views.progress, name="importjob_progress"),
    path("<int:pk>/cancel/", views.cancel, name="importjob_cancel"),
    path("<int:pk>/run/", views.run, name="importjob_run"),
    path("<int:pk>/rejects/", views.rejects, name="importjob_rejects"),
]
