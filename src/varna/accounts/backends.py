from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class VarnaBackend(ModelBackend):
    """Django's password backend, except that demo accounts work only while VARNA_DEMO is on."""

    def user_can_authenticate(self, user: Any) -> bool:
        if getattr(user, "is_demo", False) and not settings.VARNA_DEMO:
            return False
        return super().user_can_authenticate(user)
