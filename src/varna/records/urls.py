from django.urls import path

from varna.records.views import attachments, extracts, privacy, retention

app_name = "records"
urlpatterns = [
    # Attachments to reports and cases (varna.records.views.attachments).
    path("rapporter/<str:code>/bilagor/", attachments.attachment_add, name="attachment_add"),
    path("bilagor/<str:code>/", attachments.attachment_download, name="attachment"),
    # Retention and destruction (varna.records.views.retention).
    path("gallring/kommun/<str:code>/", retention.municipality, name="retention"),
    path(
        "gallring/kommun/<str:code>/kommande/",
        retention.municipality_preview,
        name="retention_preview",
    ),
    path(
        "gallring/kommun/<str:code>/regel/<str:kind>/",
        retention.municipality_period,
        name="retention_period",
    ),
    path("gallring/installation/", retention.installation, name="retention_installation"),
    path(
        "gallring/installation/kommande/",
        retention.installation_preview,
        name="retention_installation_preview",
    ),
    path(
        "gallring/installation/regel/<str:kind>/",
        retention.installation_period,
        name="retention_installation_period",
    ),
    # Register extracts and copies for public-records requests (varna.records.views.extracts).
    path("registerutdrag/", extracts.extract_search, name="extracts"),
    path("registerutdrag/<str:username>/json/", extracts.extract_json, name="extract_json"),
    path("registerutdrag/<str:username>/pdf/", extracts.extract_pdf, name="extract_pdf"),
    path("utlamnande/<str:code>/", extracts.records_copy, name="records_copy"),
    path("utlamnande/<str:code>/pdf/", extracts.records_copy_pdf, name="records_copy_pdf"),
    # What happens to what a person reports (varna.records.views.privacy).
    path("integritet/", privacy.privacy, name="privacy"),
]
