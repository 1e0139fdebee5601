"""Background work of case handling, run by the task worker (`manage.py db_worker`)."""

from datetime import timedelta

from django.conf import settings
from django.tasks import default_task_backend, task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from varna.orgs.models import User
from varna.reporting.models import Notification
from varna.reporting.tasks import deliver, retry_delay

TICK = timedelta(hours=1)


@task()
def run_reminders() -> str:
    """Process due reminders, then schedule the next run an hour later (a chain that the
    `schedule_reminders` command starts when the server starts)."""
    from varna.cases import reminders

    try:
        result = reminders.tick()
    finally:
        # The chain goes on even when this run fails: the next one retries its rows.
        if default_task_backend.supports_defer:
            run_reminders.using(run_after=timezone.now() + TICK).enqueue()
    return f"claimed {result.claimed}, notified {result.notified}"


@task()
def send_digest_email(user_id: int, notification_ids: list[int], attempt: int = 1) -> str:
    """One e-mail listing a person's new reminders: case numbers and what is due, nothing more."""
    recipient = User.objects.filter(pk=user_id, is_active=True).first()
    items = list(
        Notification.objects.filter(pk__in=notification_ids, recipient_id=user_id)
        .exclude(email_status=Notification.Delivery.SENT)
        .select_related(
            "report", "activity__template", "activity__unit", "plan_measure__unit", "unit"
        )
    )
    if recipient is None or not items:
        return "nothing to send"
    pending = Notification.objects.filter(pk__in=[item.pk for item in items])
    if not recipient.email:
        pending.update(email_status=Notification.Delivery.FAILED, email_error="no e-mail address")
        return "no address"
    link = settings.VARNA_BASE_URL.rstrip("/") + reverse("reporting:notifications")
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "recipient": recipient,
            "items": items,
            "link": link,
            "link_base": settings.VARNA_BASE_URL.rstrip("/"),
            "count": len(items),
        }
        subject = render_to_string("cases/email_digest_subject.txt", context).strip()
        body = render_to_string("cases/email_digest.txt", context)
    outcome = deliver(pending, recipient.email, subject, body, attempt)
    if outcome == "will retry":
        retry = send_digest_email
        if default_task_backend.supports_defer:
            retry = retry.using(run_after=timezone.now() + retry_delay(attempt))
        retry.enqueue(user_id, notification_ids, attempt + 1)
    return outcome
