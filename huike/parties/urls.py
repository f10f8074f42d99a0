from django.urls import path

from huike.parties import sharing, views

app_name = "parties"

urlpatterns = [
    path("", views.PartyListView.as_view(), name="party_list"),
    path("add/", views.PartyEditView.as_view(), name="party_add"),
    path("reevaluation/", views.reevaluation, name="reevaluation"),
    path("bulk/", views.bulk, name="party_bulk"),
    path("natures/", views.CustomerNatureListView.as_view(), name="customernature_list"),
    path("natures/add/", views.CustomerNatureEditView.as_view(), name="customernature_add"),
    path(
        "natures/<int:pk>/edit/", views.CustomerNatureEditView.as_view(), name="customernature_edit"
    ),
    path("regions/", views.reference_tree, {"tree": "regions"}, name="region_tree"),
    path("industries/", views.reference_tree, {"tree": "industries"}, name="industry_tree"),
    path("<int:pk>/", views.PartyDetailView.as_view(), name="party"),
    path("<int:pk>/edit/", views.PartyEditView.as_view(), name="party_edit"),
    path("<int:pk>/confirm/", views.confirm, name="party_confirm"),
    path("<int:pk>/relationships/", views.relationship_add, name="party_relationship_add"),
    path("<int:pk>/lineage/<slug:code>/", views.lineage, name="party_lineage"),
    path("<int:pk>/shares/", sharing.party_shares, name="party_shares"),
    path(
        "<int:pk>/shares/<int:share_id>/delete/",
        sharing.party_share_delete,
        name="party_share_delete",
    ),
    path("<int:pk>/reveal/<slug:code>/", views.reveal, name="party_reveal"),
    path("<int:pk>/use/<int:observation_id>/", views.use_value, name="party_use_value"),
    path(
        "attributes/", views.AttributeDefinitionListView.as_view(), name="attributedefinition_list"
    ),
    path(
        "attributes/add/",
        views.AttributeDefinitionEditView.as_view(),
        name="attributedefinition_add",
    ),
    path(
        "attributes/<int:pk>/",
        views.AttributeDefinitionDetailView.as_view(),
        name="attributedefinition",
    ),
    path(
        "attributes/<int:pk>/edit/",
        views.AttributeDefinitionEditView.as_view(),
        name="attributedefinition_edit",
    ),
]
