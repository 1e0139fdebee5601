from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "varna.training"
    verbose_name = _("Training")

    def ready(self) -> None:
        from varna.cases.reminders import on_daily_run
        from varna.training import (
            access,  # noqa: F401  (registers the models with the access layer)
            reminders,
        )

        on_daily_run(reminders.daily_run)
