from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "varna.reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from varna.handbook import links
        from varna.reporting import (
            access,  # noqa: F401  (puts reports under the access layer)
            taxonomy,
        )

        links.register(links.FORM, _("Form of event"), lambda: taxonomy.Form.choices)
        links.register(links.SUBFORM, _("Sub-form"), lambda: taxonomy.SUBFORM_CHOICES)
        links.register(links.SITUATION, _("Situation"), lambda: taxonomy.Situation.choices)
        links.register(links.PLACE, _("Place"), lambda: taxonomy.Place.choices)
