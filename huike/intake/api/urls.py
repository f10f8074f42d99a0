from django.urls import path

from huike.intake.api.views import IntakeView

urlpatterns = [
    path("intake/", IntakeView.as_view(), name="intake"),
]
