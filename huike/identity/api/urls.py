from rest_framework.routers import SimpleRouter

from huike.identity.api import views

router = SimpleRouter()
router.register("duplicates", views.DuplicateViewSet, basename="duplicate")
router.register("merges", views.MergeViewSet, basename="merge")
router.register("dedupe-jobs", views.DedupeJobViewSet, basename="dedupejob")

urlpatterns = router.urls
