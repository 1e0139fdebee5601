from django.urls import path  # noqa: F401

from varna.yearplan import views  # noqa: F401

app_name = "yearplan"
urlpatterns: list = []
