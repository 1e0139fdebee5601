from django.urls import path

from varna.handbook import views

app_name = "handbook"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:code>/", views.contents, name="contents"),
    path("<str:code>/sok/", views.search, name="search"),
    path("<str:code>/utskrift/", views.print_all, name="print_all"),
    path("<str:code>/pdf/", views.pdf_all, name="pdf_all"),
    path("<str:code>/ny/", views.new_section, name="new"),
    path("<str:code>/<slug:slug>/", views.section, name="section"),
    path("<str:code>/<slug:slug>/utskrift/", views.print_section, name="print"),
    path("<str:code>/<slug:slug>/pdf/", views.pdf_section, name="pdf"),
    path("<str:code>/<slug:slug>/historik/", views.history, name="history"),
    path("<str:code>/<slug:slug>/redigera/", views.edit, name="edit"),
    path("<str:code>/<slug:slug>/version/<int:pk>/", views.version, name="version"),
    path("<str:code>/<slug:slug>/version/<int:pk>/publicera/", views.publish, name="publish"),
]
