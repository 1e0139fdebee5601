from typing import Any

from django.core.management.base import BaseCommand

from varna.records import retention


class Command(BaseCommand):
    help = (
        "Destroy what the retention plans say is due, once (for cron, instead of the task "
        "queue's nightly run); does nothing if today's run has been made."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(str(retention.run_destruction()))
