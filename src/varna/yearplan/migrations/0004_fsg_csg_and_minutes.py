"""The default year plan follows up reported events at every meeting of the cooperation group
(FSG, monthly) and has the central cooperation group (CSG) informed after the yearly SAM
follow-up; the workplace meeting's review asks for the minutes by the word the activity page
uses ("protokoll"). Texts an administrator has changed since are left as they are."""

from typing import Any

from django.db import migrations

from varna.yearplan.defaults import DEFAULTS

NEW_TITLES = [
    "Uppföljning av rapporterade händelser i samverkansgruppen (FSG)",
    "Information till centrala samverkansgruppen (CSG)",
]
# The descriptions as 0002 made them, for the templates whose text changes.
OLD_DESCRIPTIONS = {
    "Genomgång av rapporterade händelser på APT": (
        "Gå igenom kvartalets rapporterade händelser på arbetsplatsträffen: vad som hänt, "
        "vilka åtgärder som vidtagits och om rutinerna behöver ändras. Ta inte upp uppgifter "
        "som pekar ut enskilda. Länka till minnesanteckningarna när du bockar av."
    ),
    "Årlig uppföljning av det systematiska arbetsmiljöarbetet": (
        "Följ upp förvaltningens arbetsmiljöarbete för året i samverkansgruppen (FSG): har "
        "riskbedömningar gjorts, har handlingsplanernas åtgärder genomförts, hur har "
        "rapporterade händelser hanterats. Underlaget går vidare till nämnden."
    ),
}


def _new_description(title: str) -> str:
    return str(next(fields for fields in DEFAULTS if fields["title"] == title)["description"])


def forwards(apps: Any, schema_editor: Any) -> None:
    template = apps.get_model("yearplan", "ActivityTemplate")
    for title, old in OLD_DESCRIPTIONS.items():
        template.objects.filter(municipality=None, title=title, description=old).update(
            description=_new_description(title)
        )
    for fields in DEFAULTS:
        if fields["title"] in NEW_TITLES:
            template.objects.get_or_create(
                municipality=None,
                title=fields["title"],
                defaults={**fields, "responsible_role": "manager"},
            )


def backwards(apps: Any, schema_editor: Any) -> None:
    template = apps.get_model("yearplan", "ActivityTemplate")
    template.objects.filter(municipality=None, title__in=NEW_TITLES, activities=None).delete()
    for title, old in OLD_DESCRIPTIONS.items():
        template.objects.filter(
            municipality=None, title=title, description=_new_description(title)
        ).update(description=old)


class Migration(migrations.Migration):
    dependencies = [("yearplan", "0003_role_committee")]

    operations = [migrations.RunPython(forwards, backwards)]
