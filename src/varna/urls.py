from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from varna.core.views import health

urlpatterns = [
    path("", include("varna.home.urls")),
    path("konto/", include("varna.accounts.urls")),
    path("konto/", include("varna.accounts.allauth_urls")),
    path("organisation/", include("varna.orgs.urls")),
    path("", include("varna.reporting.urls")),
    path("", include("varna.cases.urls")),
    path("riskbedomning/", include("varna.risk.urls")),
    path("arsplan/", include("varna.yearplan.urls")),
    path("uppfoljning/", include("varna.stats.urls")),
    path("handbok/", include("varna.handbook.urls")),
    path("utbildning/", include("varna.training.urls")),
    path("revision/", include("varna.audits.urls")),
    path("", include("varna.records.urls")),
    path("sprak/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
]

handler400 = "varna.core.views.bad_request"
