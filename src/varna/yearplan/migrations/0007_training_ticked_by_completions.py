"""The default yearly training activity is ticked off by the completed courses of the unit's
staff (varna.yearplan.services.record_training), no longer by a note where some course is
required of them: its text says so. A text an administrator has changed is left as it is."""

from typing import Any

from django.db import migrations

TITLE = "Repetitionsutbildning i bemötande och säkerhet"
# The description as 0002 made it.
OLD_DESCRIPTION = (
    "Se till att enhetens medarbetare har gått årets repetitionsutbildning om bemötande, "
    "hot och våld och enhetens säkerhetsrutiner, till exempel på en APT eller en "
    "utbildningsdag."
)
# The description as defaults.py has it now; written out here so that a later change of the
# defaults leaves what this migration does as it was.
NEW_DESCRIPTION = (
    "Se till att enhetens medarbetare har gått de kurser som krävs av dem, till exempel "
    "grundkursen om hot och våld och repetitionsutbildningen om bemötande och enhetens "
    "säkerhetsrutiner (på en APT, en utbildningsdag eller på lärplattformen). Registrera "
    "genomförda kurser under Utbildning i Värna eller importera dem från lärplattformen. "
    "Aktiviteten bockas av automatiskt den dag ingen av enhetens medarbetare är sen "
    "med en kurs som krävs (nyanställda som ännu har tid på sig håller inte upp den); "
    "den går inte att bocka av för hand. Krävs ingen kurs av "
    "enhetens medarbetare bockar du av som vanligt, med en anteckning om vad som gjordes."
)


def forwards(apps: Any, schema_editor: Any) -> None:
    template = apps.get_model("yearplan", "ActivityTemplate")
    template.objects.filter(municipality=None, title=TITLE, description=OLD_DESCRIPTION).update(
        description=NEW_DESCRIPTION
    )


def backwards(apps: Any, schema_editor: Any) -> None:
    template = apps.get_model("yearplan", "ActivityTemplate")
    template.objects.filter(municipality=None, title=TITLE, description=NEW_DESCRIPTION).update(
        description=OLD_DESCRIPTION
    )


class Migration(migrations.Migration):
    dependencies = [("yearplan", "0006_activityevent_training")]

    operations = [migrations.RunPython(forwards, backwards)]
