from django.urls import path

from huike.webforms import views

app_name = "webforms"

urlpatterns = [
    path("", views.WebFormListView.as_view(), name="webform_list"),
    path("add/", views.WebFormEditView.as_view(), name="webform_add"),
    path("<int:pk>/", views.WebFormDetailView.as_view(), name="webform"),
    path("<int:pk>/edit/", views.WebFormEditView.as_view(), name="webform_edit"),
    path("<int:pk>/delete/", views.WebFormDeleteView.as_view(), name="webform_delete"),
    path("submissions/", views.SubmissionListView.as_view(), name="submission_list"),
    path("submissions/<int:pk>/", views.SubmissionDetailView.as_view(), name="submission"),
]
