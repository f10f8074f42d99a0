from rest_framework.routers import SimpleRouter

from huike.privacy.api import views

router = SimpleRouter()
router.register("purposes", views.PurposeViewSet, basename="purpose")
router.register("consents", views.ConsentRecordViewSet, basename="consent")

urlpatterns = router.urls
