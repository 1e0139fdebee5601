"""allauth's views under Swedish addresses, with the URL names allauth reverses itself.

Only what Värna uses is mapped: no sign-up, no e-mail management, no account connections.
The login and logout addresses are the same as accounts:login and accounts:logout.
"""

from allauth.account import views as account
from allauth.socialaccount import views as social
from allauth.usersessions import views as usersessions
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from varna.accounts import oidc, views

urlpatterns = [
    path("logga-in/", views.LoginView.as_view(), name="account_login"),
    path("logga-ut/", auth_views.LogoutView.as_view(), name="account_logout"),
    path("inaktivt/", account.account_inactive, name="account_inactive"),
    path("losenord/glomt/", account.password_reset, name="account_reset_password"),
    path(
        "losenord/glomt/skickat/",
        account.password_reset_done,
        name="account_reset_password_done",
    ),
    re_path(
        r"^losenord/nytt/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        account.password_reset_from_key,
        name="account_reset_password_from_key",
    ),
    path(
        "losenord/nytt/klart/",
        account.password_reset_from_key_done,
        name="account_reset_password_from_key_done",
    ),
    path("losenord/byt/", account.password_change, name="account_change_password"),
    path("losenord/valj/", account.password_set, name="account_set_password"),
    path("bekrafta/", account.reauthenticate, name="account_reauthenticate"),
    path("sessioner/", usersessions.list_usersessions, name="usersessions_list"),
    path("tvastegsverifiering/", include("allauth.mfa.urls")),
    path("sso/<str:provider_id>/logga-in/", views.sso_login, name="openid_connect_login"),
    path("sso/<str:provider_id>/svar/", oidc.callback, name="openid_connect_callback"),
    path("sso/fel/", social.login_error, name="socialaccount_login_error"),
    path("sso/avbruten/", social.login_cancelled, name="socialaccount_login_cancelled"),
    path("", include("allauth.socialaccount.providers.saml.urls")),
]
