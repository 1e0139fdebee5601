import secrets

from django.db import migrations, models

import varna.core.record_keys

RANGE = 2**31


def give_keys(apps, schema_editor):
    """Every stored event gets its own random key (a default would give them all one)."""
    Report = apps.get_model("reporting", "Report")
    batch = []
    for report in Report.objects.only("pk").iterator(chunk_size=2_000):
        report.record_key = secrets.randbelow(RANGE)
        batch.append(report)
        if len(batch) >= 2_000:
            Report.objects.bulk_update(batch, ["record_key"])
            batch = []
    Report.objects.bulk_update(batch, ["record_key"])


class Migration(migrations.Migration):
    dependencies = [("reporting", "0006_purposes_actor_relations_court")]

    operations = [
        migrations.AddField(
            model_name="report",
            name="record_key",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(give_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="report",
            name="record_key",
            field=models.PositiveIntegerField(
                default=varna.core.record_keys.new_record_key, editable=False
            ),
        ),
    ]
