from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class YearplanConfig(AppConfig):
    name = "varna.yearplan"
    verbose_name = _("SAM year plan")

    def ready(self) -> None:
        from varna.cases.reminders import on_daily_run
        from varna.training.signals import completions_added
        from varna.yearplan import (
            access,  # noqa: F401  (registers the models with the access layer)
            services,
        )

        # Training may not import the year plan: it says when completions are added, and the
        # year plan ticks off the training activities they complete.
        completions_added.connect(
            services.on_completions_added, dispatch_uid="yearplan.completions_added"
        )
        on_daily_run(services.daily_run)
