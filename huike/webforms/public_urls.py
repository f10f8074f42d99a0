"""The visitors' addresses, under /f/: short enough to print on a flyer."""

from django.urls import path

from huike.webforms import public

app_name = "public_form"

urlpatterns = [
    path("<slug:slug>/", public.page, name="page"),
    path("<slug:slug>/embed/", public.embed, name="embed"),
    path("<slug:slug>/confirm/<str:token>/", public.confirm, name="confirm"),
]
