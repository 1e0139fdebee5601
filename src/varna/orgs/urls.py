from django.urls import path

from varna.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<str:code>/", views.unit_detail, name="unit"),
]
