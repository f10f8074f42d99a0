from django.urls import path

from huike.subjects import views

app_name = "subjects"

urlpatterns = [
    path("", views.SubjectRequestListView.as_view(), name="subjectrequest_list"),
    path("add/", views.SubjectRequestAddView.as_view(), name="subjectrequest_add"),
    path("customers/", views.party_choices, name="party_choices"),
    path("<int:pk>/", views.SubjectRequestDetailView.as_view(), name="subjectrequest"),
    path("<int:pk>/verify/", views.verify, name="subjectrequest_verify"),
    path("<int:pk>/start/", views.start, name="subjectrequest_start"),
    path("<int:pk>/refuse/", views.refuse, name="subjectrequest_refuse"),
    path("<int:pk>/fulfil/", views.fulfil, name="subjectrequest_fulfil"),
    path("<int:pk>/restrict/", views.restrict, name="subjectrequest_restrict"),
    path("<int:pk>/correct/", views.correct, name="subjectrequest_correct"),
    path("<int:pk>/erase/", views.erase, name="subjectrequest_erase"),
    path("<int:pk>/download/", views.download, name="subjectrequest_download"),
    path("suppressions/", views.SuppressionListView.as_view(), name="suppressionentry_list"),
    path("suppressions/check/", views.suppression_check, name="suppression_check"),
    path("suppressions/release/", views.suppression_release, name="suppression_release"),
    path("retention/", views.RetentionRuleListView.as_view(), name="retentionrule_list"),
    path("retention/add/", views.RetentionRuleEditView.as_view(), name="retentionrule_add"),
    path(
        "retention/<int:pk>/edit/",
        views.RetentionRuleEditView.as_view(),
        name="retentionrule_edit",
    ),
    path("retention/preview/", views.retention_preview, name="retention_preview"),
]
