from django.urls import path

from varna.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tabell/<slug:table>.<slug:fmt>", views.export, name="export"),
    path("arenden.csv", views.export_cases, name="export_cases"),
    path("rapport/", views.report_new, name="report_new"),
    path("rapport/<str:code>/", views.report, name="report"),
    path("rapport/<str:code>/pdf/", views.report_pdf, name="report_pdf"),
]
