"""The default year plan every municipality has (templates without a municipality): the
yearly risk assessment of unlawful influence, the quarterly review of reported events at the
workplace meeting, the yearly SAM follow-up for the cooperation group, the introduction of new
employees and the yearly refresher training. Administrators add their own in the admin and
switch these off there. The texts are Swedish: they are data, written for Swedish managers."""

from typing import Any

from django.db import migrations

from varna.yearplan.defaults import DEFAULTS


def create(apps: Any, schema_editor: Any) -> None:
    template = apps.get_model("yearplan", "ActivityTemplate")
    for fields in DEFAULTS:
        template.objects.get_or_create(
            municipality=None,
            title=fields["title"],
            defaults={**fields, "responsible_role": "manager"},
        )


def remove(apps: Any, schema_editor: Any) -> None:
    template = apps.get_model("yearplan", "ActivityTemplate")
    template.objects.filter(
        municipality=None, title__in=[fields["title"] for fields in DEFAULTS], activities=None
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("yearplan", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
