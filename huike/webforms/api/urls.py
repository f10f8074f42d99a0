from rest_framework.routers import SimpleRouter

from huike.webforms.api import views

router = SimpleRouter()
# Submissions first: their list address would otherwise read as a form's id.
router.register("web-forms/submissions", views.SubmissionViewSet, basename="webformsubmission")
router.register("web-forms", views.WebFormViewSet, basename="webform")

urlpatterns = router.urls
