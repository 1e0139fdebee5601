from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class YearplanConfig(AppConfig):
    name = "varna.yearplan"
    verbose_name = _("SAM year plan")

    def ready(self) -> None:
        from varna.yearplan import access  # noqa: F401  (registers the models with the access layer)
