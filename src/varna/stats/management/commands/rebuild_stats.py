from django.core.management.base import BaseCommand

from varna.stats import services


class Command(BaseCommand):
    help = "Recount the follow-up rollup from every report and case (after a bulk import)."

    def handle(self, *args: object, **options: object) -> None:
        written = services.rebuild()
        self.stdout.write(self.style.SUCCESS(f"Rollup rebuilt: {written} rows."))
