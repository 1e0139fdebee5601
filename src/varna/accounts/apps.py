from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "varna.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from varna.accounts import access, signals  # noqa: F401  (scoping, audit receivers)
