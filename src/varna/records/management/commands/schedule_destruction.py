from typing import Any

from django.core.management.base import BaseCommand
from django.tasks import TaskResultStatus, default_task_backend
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from varna.records.tasks import next_run, run_destruction


class Command(BaseCommand):
    help = (
        "Schedule the nightly destruction run for the coming night, unless one is already "
        "waiting in the task queue."
    )
    # As schedule_reminders: a run that is RUNNING queues its successor itself; one left
    # RUNNING by a crashed worker must not block a restart, so only READY runs count.

    def handle(self, *args: Any, **options: Any) -> None:
        waiting = DBTaskResult.objects.filter(
            task_path=run_destruction.module_path,
            status=TaskResultStatus.READY,
        ).exists()
        if waiting:
            self.stdout.write("The destruction run is already scheduled.")
            return
        # Destruction is the night's work: not at every start of the server in the day.
        task = run_destruction
        if default_task_backend.supports_defer:
            task = task.using(run_after=next_run(timezone.now()))
        task.enqueue()
        self.stdout.write("The destruction run is scheduled.")
