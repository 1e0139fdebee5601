from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "varna.stats"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        from varna.stats import receivers  # noqa: F401  (registers the hooks)
