from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "varna.orgs"
    verbose_name = _("Organisation and people")
