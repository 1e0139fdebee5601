from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError

from varna.orgs.importing import ImportRejected
from varna.orgs.management.base import ImportCommand
from varna.training.importing import import_completions


class Command(ImportCommand):
    help = (
        "Importera genomförda kurser från lärplattformens CSV-fil (employee_id/"
        "anställningsnummer, course/kurs, completed_on/datum som ÅÅÅÅ-MM-DD). Allt eller "
        "inget; kan köras om."
    )

    def importer(self) -> Callable[..., Any]:
        return import_completions

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--municipality",
            metavar="KOD",
            help="Kommunens enhetskod, vars kurser filen gäller (behövs när det finns flera).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = import_completions(
                options["file"],
                municipality=options["municipality"],
                progress=not options["no_progress"],
                max_errors=options["max_errors"],
            )
        except ImportRejected as rejected:
            raise CommandError(rejected.report()) from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
