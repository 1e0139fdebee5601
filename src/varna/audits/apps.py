from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditsConfig(AppConfig):
    name = "varna.audits"
    verbose_name = _("Audit recommendations")

    def ready(self) -> None:
        from varna.audits import (
            access,  # noqa: F401  (registers the models with the access layer)
            reminders,
        )
        from varna.cases.reminders import on_daily_run

        on_daily_run(reminders.daily_run)
