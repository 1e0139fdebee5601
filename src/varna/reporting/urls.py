from django.urls import path

from varna.reporting import views

app_name = "reporting"
urlpatterns = [
    path("rapportera/", views.report_new, name="new"),
    path("rapportera/utkast/", views.save_draft, name="draft"),
    path("mina-rapporter/", views.my_reports, name="mine"),
    path("rapporter/<str:code>/", views.report_detail, name="detail"),
    path("rapporter/<str:code>/kvitto/", views.receipt, name="receipt"),
    path("notiser/", views.notifications, name="notifications"),
    path("vagledning/<slug:slug>/", views.guidance_page, name="guidance"),
]
