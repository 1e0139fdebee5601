from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "varna.reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from varna.reporting import access  # noqa: F401  (puts reports under the access layer)
