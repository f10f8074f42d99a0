from django.urls import path
from rest_framework.routers import SimpleRouter

from huike.subjects.api import views

router = SimpleRouter()
router.register("subject-requests", views.SubjectRequestViewSet, basename="subject-request")

urlpatterns = [
    path(
        "suppressions/check/",
        views.SuppressionCheckView.as_view(),
        name="suppression-check",
    ),
    *router.urls,
]
