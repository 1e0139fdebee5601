from typing import Any

from django.core.management.base import BaseCommand
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from varna.cases.tasks import run_reminders


class Command(BaseCommand):
    help = "Start the hourly reminder run in the task queue unless one is already waiting."
    # A run that is RUNNING queues its successor itself; one left RUNNING by a crashed worker
    # must not block a restart, so only READY runs count as waiting.

    def handle(self, *args: Any, **options: Any) -> None:
        waiting = DBTaskResult.objects.filter(
            task_path=run_reminders.module_path,
            status=TaskResultStatus.READY,
        ).exists()
        if waiting:
            self.stdout.write("The reminder run is already scheduled.")
            return
        run_reminders.enqueue()
        self.stdout.write("The reminder run is scheduled.")
