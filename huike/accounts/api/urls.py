from django.urls import path
from rest_framework.routers import SimpleRouter

from huike.accounts.api import views

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("teams", views.TeamViewSet, basename="team")
router.register("roles", views.RoleViewSet, basename="role")
router.register("tokens", views.ApiTokenViewSet, basename="token")

urlpatterns = [path("me/", views.MeView.as_view(), name="me"), *router.urls]
