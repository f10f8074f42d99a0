from django.urls import path

from huike.privacy import views

app_name = "privacy"

urlpatterns = [
    path("customers/<int:pk>/consents/", views.party_consents, name="party_consents"),
    path(
        "customers/<int:pk>/consents/record/",
        views.party_consent_record,
        name="party_consent_record",
    ),
    path(
        "customers/<int:pk>/consents/<slug:code>/withdraw/",
        views.party_consent_withdraw,
        name="party_consent_withdraw",
    ),
    path("purposes/", views.PurposeListView.as_view(), name="purpose_list"),
    path("purposes/add/", views.PurposeEditView.as_view(), name="purpose_add"),
    path("purposes/<int:pk>/", views.PurposeDetailView.as_view(), name="purpose"),
    path("purposes/<int:pk>/edit/", views.PurposeEditView.as_view(), name="purpose_edit"),
    path(
        "purposes/<int:purpose_pk>/notices/add/",
        views.ConsentNoticeEditView.as_view(),
        name="consentnotice_add",
    ),
    path("notices/", views.ConsentNoticeListView.as_view(), name="consentnotice_list"),
    path("notices/<int:pk>/", views.ConsentNoticeDetailView.as_view(), name="consentnotice"),
    path(
        "notices/<int:pk>/edit/",
        views.ConsentNoticeEditView.as_view(),
        name="consentnotice_edit",
    ),
    path("consents/", views.ConsentRecordListView.as_view(), name="consentrecord_list"),
    path("consents/<int:pk>/", views.ConsentRecordDetailView.as_view(), name="consentrecord"),
    path("processing-records/", views.processing_records, name="processing_records"),
    path("assessments/", views.ImpactAssessmentListView.as_view(), name="impactassessment_list"),
    path(
        "assessments/add/",
        views.ImpactAssessmentEditView.as_view(),
        name="impactassessment_add",
    ),
    path(
        "assessments/<int:pk>/",
        views.ImpactAssessmentDetailView.as_view(),
        name="impactassessment",
    ),
    path(
        "assessments/<int:pk>/edit/",
        views.ImpactAssessmentEditView.as_view(),
        name="impactassessment_edit",
    ),
]
