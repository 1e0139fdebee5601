from argparse import ArgumentParser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from varna.orgs.importing import DEFAULT_MAX_ERRORS, ImportRejected


class ImportCommand(BaseCommand):
    """A command that imports one CSV file from the HR system, all or nothing."""

    def importer(self) -> Callable[..., Any]:
        raise NotImplementedError

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="CSV-fil, UTF-8, avgränsad med ; eller ,")
        parser.add_argument(
            "--max-errors",
            type=int,
            default=DEFAULT_MAX_ERRORS,
            help="Visa högst så många fel (0: alla).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Visa ingen förloppsrad.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = self.importer()(
                options["file"],
                progress=not options["no_progress"],
                max_errors=options["max_errors"],
            )
        except ImportRejected as rejected:
            raise CommandError(rejected.report()) from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
