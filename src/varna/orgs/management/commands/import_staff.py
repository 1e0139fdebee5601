from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.core.management import call_command

from varna.orgs.importing import import_staff
from varna.orgs.management.base import ImportCommand


class Command(ImportCommand):
    help = (
        "Importera personal från HR-systemets CSV-fil (employee_id, first_name, last_name eller "
        "name, email, unit_code, role, valfritt title). Allt eller inget; kan köras om."
    )

    def importer(self) -> Callable[..., Any]:
        return import_staff

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--invite",
            action="store_true",
            help="Skicka därefter inbjudningar att välja lösenord till dem som saknar lösenord.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        if options["invite"]:
            # Sign-in lives above the organisation; the command is its published entry point.
            call_command("send_invitations", stdout=self.stdout)
