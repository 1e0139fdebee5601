from collections.abc import Callable
from typing import Any

from varna.orgs.importing import import_staff
from varna.orgs.management.base import ImportCommand


class Command(ImportCommand):
    help = (
        "Importera personal från HR-systemets CSV-fil (employee_id, first_name, last_name eller "
        "name, email, unit_code, role, valfritt title). Allt eller inget; kan köras om."
    )

    def importer(self) -> Callable[..., Any]:
        return import_staff
