from django.urls import path

from huike.identity import views

app_name = "identity"

urlpatterns = [
    path("", views.CandidateListView.as_view(), name="candidates"),
    path("bulk-merge/", views.bulk_merge, name="candidates_bulk"),
    path("<int:pk>/", views.candidate_detail, name="candidate"),
    path("<int:pk>/merge/", views.candidate_merge, name="candidate_merge"),
    path("<int:pk>/not-duplicate/", views.candidate_not_duplicate, name="candidate_not_duplicate"),
    path("searches/", views.DedupeJobListView.as_view(), name="dedupejobs"),
    path("searches/new/", views.dedupejob_add, name="dedupejob_add"),
    path("searches/<int:pk>/", views.dedupejob_detail, name="dedupejob"),
    path("searches/<int:pk>/progress/", views.dedupejob_progress, name="dedupejob_progress"),
    path("searches/<int:pk>/cancel/", views.dedupejob_cancel, name="dedupejob_cancel"),
    path("merges/", views.MergeListView.as_view(), name="merges"),
    path("merges/<int:pk>/", views.merge_detail, name="merge"),
    path("merges/<int:pk>/unmerge/", views.merge_unmerge, name="merge_unmerge"),
]
