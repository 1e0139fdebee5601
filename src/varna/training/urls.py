from django.urls import path

from varna.training import views

app_name = "training"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("enhet/<str:code>/", views.unit_coverage, name="unit"),
    path("enhet/<str:code>/registrera/", views.register, name="register"),
    path("enhet/<str:code>/genomford/<int:pk>/ta-bort/", views.withdraw, name="withdraw"),
]
