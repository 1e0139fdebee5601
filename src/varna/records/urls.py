from django.urls import path

from varna.records.views import attachments, extracts, retention

app_name = "records"
urlpatterns = [
    # Attachments to reports and cases (varna.records.views.attachments).
    path("rapporter/<str:code>/bilagor/", attachments.attachment_add, name="attachment_add"),
    path("bilagor/<str:code>/", attachments.attachment_download, name="attachment"),
    # Retention and destruction (varna.records.views.retention).
    # Register extracts and copies for public-records requests (varna.records.views.extracts).
]
