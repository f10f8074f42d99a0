from django.urls import path

from huike.ops import views

app_name = "ops"

urlpatterns = [
    path("resume/", views.resume, name="resume"),
]
