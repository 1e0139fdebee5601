"""Authentication events exist only as Django signals; these receivers log them."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event


@receiver(user_logged_in)
def log_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_security_event(kind=SecurityEvent.Kind.LOGIN, request=request, actor=user, subject=user)


@receiver(user_logged_out)
def log_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_security_event(
            kind=SecurityEvent.Kind.LOGOUT, request=request, actor=user, subject=user
        )


@receiver(user_login_failed)
def log_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    record_security_event(
        kind=SecurityEvent.Kind.LOGIN_FAILED,
        request=request,
        username=str(credentials.get("username", "")),
    )


@receiver(user_locked_out)
def log_locked_out(sender: Any, request: Any, username: str | None = None, **kw: Any) -> None:
    record_security_event(
        kind=SecurityEvent.Kind.LOCKED_OUT, request=request, username=username or ""
    )
