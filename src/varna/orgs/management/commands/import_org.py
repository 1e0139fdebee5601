from collections.abc import Callable
from typing import Any

from varna.orgs.importing import import_units
from varna.orgs.management.base import ImportCommand


class Command(ImportCommand):
    help = (
        "Importera organisationen från HR-systemets CSV-fil (unit_code, parent_code, name, kind, "
        "valfritt valid_from och valid_to). Allt eller inget; kan köras om."
    )

    def importer(self) -> Callable[..., Any]:
        return import_units
