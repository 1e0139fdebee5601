"""Background work of the record, run by the task worker (`manage.py db_worker`)."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.tasks import default_task_backend, task
from django.utils import timezone

from varna.records import retention


def next_run(now: datetime) -> datetime:
    """The next VARNA_DESTRUCTION_HOUR o'clock on the local clock after `now`."""
    day = timezone.localdate(now)
    at = timezone.make_aware(datetime.combine(day, time(settings.VARNA_DESTRUCTION_HOUR)))
    if at <= now:
        at = timezone.make_aware(
            datetime.combine(day + timedelta(days=1), time(settings.VARNA_DESTRUCTION_HOUR))
        )
    return at


@task()
def run_destruction() -> str:
    """Destroy what the retention plans say is due, then schedule the next night's run (a
    chain that the `schedule_destruction` command starts for the coming night). The day's
    DestructionRun row stops a second worker, or a second chain, from running it again."""
    try:
        result = retention.run_destruction()
    finally:
        # The chain goes on even when this run fails: the next night takes what is left.
        if default_task_backend.supports_defer:
            run_destruction.using(run_after=next_run(timezone.now())).enqueue()
    return str(result)
