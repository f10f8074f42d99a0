from rest_framework.routers import SimpleRouter

from huike.parties.api import views
from huike.parties.api.shares import PartyShareViewSet

router = SimpleRouter()
router.register("parties", views.PartyViewSet, basename="party")
router.register("observations", views.ObservationViewSet, basename="observation")
router.register("attributes", views.AttributeDefinitionViewSet, basename="attribute")
router.register("relationships", views.RelationshipViewSet, basename="relationship")
router.register("regions", views.RegionViewSet, basename="region")
router.register("industries", views.IndustryViewSet, basename="industry")
router.register("shares", PartyShareViewSet, basename="partyshare")

urlpatterns = router.urls
