from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from varna.orgs.models import Unit
from varna.yearplan import services


class Command(BaseCommand):
    help = (
        "Create the year plan's activities (and their reminders) for a year. Safe to run again: "
        "only what is missing is created, such as introductions of people employed since."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--year", type=int, help="The year (default: this year).")
        parser.add_argument("--unit", help="Only this unit's subtree (its code).")

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"] or timezone.localdate().year
        if not 2000 <= year <= timezone.localdate().year + 5:
            raise CommandError(f"Year {year} is out of range.")
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"No unit with the code {options['unit']}.")
            created = services.generate_year(unit, year)
        else:
            created = services.generate_all(year)
        self.stdout.write(f"Created {created} activities for {year}.")
