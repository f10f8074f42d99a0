from rest_framework.routers import SimpleRouter

from huike.core.api import audit

router = SimpleRouter()
router.register("access-log", audit.AccessLogViewSet, basename="accesslog")
router.register("change-log", audit.ChangeLogViewSet, basename="changelog")

urlpatterns = router.urls
