from django.urls import path

from varna.audits import views

app_name = "audits"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("ny/", views.audit_new, name="new"),
    path("<str:code>/", views.audit_detail, name="detail"),
    path("<str:code>/andra/", views.audit_edit, name="edit"),
    path("<str:code>/rekommendation/ny/", views.recommendation_new, name="recommendation_new"),
    path("<str:code>/rekommendation/<int:number>/", views.recommendation, name="recommendation"),
    path(
        "<str:code>/rekommendation/<int:number>/atgard/ny/",
        views.measure_new,
        name="measure_new",
    ),
    path("atgard/<int:pk>/", views.measure, name="measure"),
]
