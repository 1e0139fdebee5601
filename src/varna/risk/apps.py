from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "varna.risk"
    verbose_name = _("Risk assessments")

    def ready(self) -> None:
        from varna.handbook import links
        from varna.risk import access  # noqa: F401  (registers the models with the access layer)
        from varna.risk.models import RiskSituation

        links.register(links.RISK_SITUATION, _("Risk situation"), lambda: RiskSituation.choices)
