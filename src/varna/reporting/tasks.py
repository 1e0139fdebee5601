"""Background work of reporting, run by the task worker (`manage.py db_worker`)."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import QuerySet
from django.tasks import default_task_backend, task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from varna.reporting.models import Notification

MAX_ATTEMPTS = 5


def retry_delay(attempt: int) -> timedelta:
    """1, 4, 16, 64 minutes: a mail server that is down for an hour is still caught up."""
    return timedelta(minutes=4 ** (attempt - 1))


@task()
def send_notification_email(notification_id: int) -> str:
    """E-mail a notification: a link only, never details of the event (e-mail leaves Värna)."""
    notification = (
        Notification.objects.select_related("recipient", "report")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.email_status == Notification.Delivery.SENT:
        return "nothing to send"
    if not notification.recipient.email:
        Notification.objects.filter(pk=notification.pk).update(
            email_status=Notification.Delivery.FAILED, email_error="no e-mail address"
        )
        return "no address"
    link = settings.VARNA_BASE_URL.rstrip("/") + reverse("reporting:notifications")
    template = "new_report" if notification.kind == Notification.Kind.NEW_REPORT else "notice"
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"reporting/email_{template}_subject.txt").strip()
        body = render_to_string(
            f"reporting/email_{template}.txt",
            {
                "recipient": notification.recipient,
                "link": link,
                "number": notification.report.number if notification.report else "",
                "notification": notification,
            },
        )
    attempts = notification.email_attempts + 1
    pending = Notification.objects.filter(pk=notification.pk)
    outcome = deliver(pending, notification.recipient.email, subject, body, attempts)
    if outcome == "will retry":
        retry = send_notification_email
        if default_task_backend.supports_defer:
            retry = retry.using(run_after=timezone.now() + retry_delay(attempts))
        retry.enqueue(notification_id)
    return outcome


def deliver(
    pending: QuerySet[Notification], address: str, subject: str, body: str, attempt: int
) -> str:
    """Send one e-mail for the `pending` notifications and record the outcome on them:
    "sent", "will retry" (the caller queues the retry) or "failed" after MAX_ATTEMPTS."""
    try:
        send_mail(subject, body, None, [address])
    except Exception as error:
        failed = attempt >= MAX_ATTEMPTS
        pending.update(
            email_attempts=attempt,
            email_error=f"{type(error).__name__}: {error}"[:2000],
            email_status=Notification.Delivery.FAILED if failed else Notification.Delivery.PENDING,
        )
        return "failed" if failed else "will retry"
    pending.update(
        email_attempts=attempt,
        email_status=Notification.Delivery.SENT,
        email_sent_at=timezone.now(),
        email_error="",
    )
    return "sent"
