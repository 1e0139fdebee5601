from typing import Any

from django.core.management.base import BaseCommand

from varna.cases import reminders


class Command(BaseCommand):
    help = "Process due reminders once (for cron, instead of the task queue's hourly run)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = reminders.tick()
        self.stdout.write(
            f"Claimed {result.claimed}, notified {result.notified}, digests {len(result.digests)}."
        )
