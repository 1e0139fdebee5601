"""Two indexes for the inbox (bench/inbox.py): a view by state and form in its own order, and
the open cases alone for the headline counts. Only indexes: reversible by dropping them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_reminder_activity_reminder_plan_measure_and_more"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["state", "main_form", "-opened_at", "report"],
                include=("unit", "security_routed"),
                name="case_state_form",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    (
                        "state__in",
                        [
                            "received",
                            "acknowledged",
                            "investigated",
                            "measures_decided",
                            "followed_up",
                        ],
                    )
                ),
                fields=["unit", "state"],
                include=("next_due_at", "handler", "security_routed", "report"),
                name="case_open",
            ),
        ),
    ]
