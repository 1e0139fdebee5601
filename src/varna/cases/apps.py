from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "varna.cases"
    verbose_name = _("Case handling")

    def ready(self) -> None:
        from varna.cases import access, receivers  # noqa: F401  (registers models and hooks)
