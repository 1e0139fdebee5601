from django.urls import path

from varna.risk import views

app_name = "risk"
urlpatterns = [
    path("", views.index, name="index"),
    path("enhet/<str:code>/", views.unit_page, name="unit"),
    path("enhet/<str:code>/sammanfattning/", views.summary, name="summary"),
    path("enhet/<str:code>/ny/", views.new, name="new"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/steg/<slug:name>/", views.step, name="step"),
    path("<str:code>/utskrift/", views.print_view, name="print"),
    path("<str:code>/pdf/", views.pdf, name="pdf"),
]
