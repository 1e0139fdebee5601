from django.core.management.base import BaseCommand

from varna.stats import services


class Command(BaseCommand):
    help = "Fold the events waiting to be counted into the follow-up rollups (after an upgrade)."

    def handle(self, *args: object, **options: object) -> None:
        folded = services.fold()
        self.stdout.write(self.style.SUCCESS(f"Folded {folded} waiting unit-months."))
