from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "varna.core"

    def ready(self) -> None:
        from django.db.models import fields

        # The blank choice of every select. Django's own words ("- Select an option -") have no
        # Swedish; Django reads this at each form built after the apps are ready.
        fields.BLANK_CHOICE_LABEL = _("– Choose –")
