from django.urls import path

from varna.cases import views

app_name = "cases"
urlpatterns = [
    # Under the report's address: the employee completes their report from its page.
    path("rapporter/<str:code>/komplettera/", views.complete_report, name="complete_report"),
    path("arenden/", views.inbox, name="inbox"),
    path("arenden/<str:code>/", views.case_detail, name="detail"),
    path("arenden/<str:code>/utkast-polisanmalan/", views.police_draft, name="police_draft"),
    path("arenden/<str:code>/steg/<slug:step>/", views.case_step, name="step"),
    path("begaran/", views.request_list, name="requests"),
    path("begaran/ny/", views.request_new, name="request_new"),
    path("begaran/<str:code>/", views.request_detail, name="request"),
    path(
        "begaran/<str:code>/arbetsmiljoverket/",
        views.request_to_authority,
        name="request_authority",
    ),
]
