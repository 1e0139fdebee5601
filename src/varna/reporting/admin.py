from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from varna.core.admin import ReadOnlyAdminMixin
from varna.orgs.admin import ScopedAdmin
from varna.reporting.models import Notification, ReadLog
from varna.reporting.tasks import send_notification_email


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """E-mail deliveries, so that a failed send never stops silently. Holds no event details."""

    # Delivery only: no report number and no reason (which would tell an administrator that
    # a report went to security); administering is not reading.
    list_display = ["created_at", "recipient", "email_status", "email_attempts", "email_error"]
    list_filter = ["email_status", "created_at"]
    search_fields = ["recipient__username", "recipient__last_name"]
    fields = [
        "created_at",
        "recipient",
        "email_status",
        "email_attempts",
        "email_error",
        "email_sent_at",
    ]
    readonly_fields = fields
    actions = ["send_again"]
    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("recipient")

    @admin.action(description=_("Send the e-mail again"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        failed = queryset.exclude(email_status=Notification.Delivery.SENT)
        ids = list(failed.values_list("pk", flat=True))
        failed.update(email_status=Notification.Delivery.PENDING, email_attempts=0)
        for pk in ids:
            send_notification_email.enqueue(pk)
        self.message_user(
            request,
            ngettext(
                "%(n)d e-mail will be sent again.", "%(n)d e-mails will be sent again.", len(ids)
            )
            % {"n": len(ids)},
            messages.SUCCESS,
        )


@admin.register(ReadLog)
class ReadLogAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Who opened which part of which report or case, for the data protection officer's
    audit. Search by person or report number; nothing here can be changed or deleted."""

    # Without the reader's capacity: a "security" reader would tell an administrator that a
    # report went to security (administering is not reading).
    list_display = ["created_at", "user", "report_number", "part"]
    list_filter = ["part", "created_at"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "report__number"]
    date_hierarchy = "created_at"
    fields = ["created_at", "user", "report_number", "part"]
    readonly_fields = fields
    list_per_page = 100
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("user", "report")

    @admin.display(description=_("report number"), ordering="report__number")
    def report_number(self, obj: ReadLog) -> str:
        return str(obj.report.number)
