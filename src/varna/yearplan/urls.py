from django.urls import path

from varna.yearplan import views

app_name = "yearplan"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("efterlevnad/", views.compliance, name="compliance"),
    path("enhet/<str:code>/", views.unit_plan, name="unit"),
    path("aktivitet/<str:code>/", views.activity_detail, name="activity"),
]
