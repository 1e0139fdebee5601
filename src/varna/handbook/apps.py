from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandbookConfig(AppConfig):
    name = "varna.handbook"
    verbose_name = _("Method handbook")

    def ready(self) -> None:
        from varna.handbook import (
            access,  # noqa: F401  (registers the models with the access layer)
            signals,  # noqa: F401  (a new municipality gets the defaults)
        )
