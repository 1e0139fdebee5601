from django.contrib.auth import views as auth_views
from django.urls import path

from varna.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.security, name="security"),
    path("logga-in/", views.LoginView.as_view(), name="login"),
    path("logga-ut/", auth_views.LogoutView.as_view(), name="logout"),
    path("session/", views.keep_alive, name="keep_alive"),
    path("sessioner/logga-ut-overallt/", views.end_my_sessions, name="end_sessions"),
    path("inbjudan/<str:token>/", views.invitation, name="invitation"),
    path("inbjudan/", views.set_password, name="set_password"),
]
