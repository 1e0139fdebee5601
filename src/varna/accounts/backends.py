from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from varna.accounts.identity import has_left


class VarnaBackend(ModelBackend):
    """Django's password backend, except that demo accounts work only while VARNA_DEMO is on
    and a person whose employments have all ended cannot sign in with a password either."""

    def user_can_authenticate(self, user: Any) -> bool:
        if getattr(user, "is_demo", False) and not settings.VARNA_DEMO:
            return False
        if user is not None and user.pk is not None and has_left(user):
            return False
        return super().user_can_authenticate(user)


def attempted_username(request: Any, credentials: dict[str, Any] | None) -> str | None:
    """The user name a login attempt was for, as the throttling counts it."""
    if credentials and credentials.get("username"):
        return str(credentials["username"])
    data = getattr(request, "POST", None) or {}
    return data.get("login") or data.get("username")
