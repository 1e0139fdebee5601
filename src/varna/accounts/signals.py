"""Authentication events exist only as Django and allauth signals; these receivers log them."""

import time
from typing import Any

from allauth.account.signals import password_changed, password_reset
from allauth.mfa.signals import authenticator_added, authenticator_removed
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from varna.accounts.middleware import SIGNED_IN_AT, SIGNED_IN_WITH
from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event

# allauth keeps the ways a person proved who they are in this session under this key.
ALLAUTH_METHODS = "account_authentication_methods"


def _method(request: Any) -> str:
    records = request.session.get(ALLAUTH_METHODS) if request is not None else None
    if not records:
        return "password"
    methods = {record.get("method") for record in records}
    if "socialaccount" in methods:
        return "sso"
    return "mfa" if "mfa" in methods else "password"


@receiver(user_logged_in)
def log_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    method = _method(request)
    detail: dict[str, Any] = {"method": method}
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = time.time()
        request.session[SIGNED_IN_WITH] = method
        if method == "sso":
            record = next(
                r for r in request.session[ALLAUTH_METHODS] if r.get("method") == "socialaccount"
            )
            detail["provider"] = record.get("provider", "")
    record_security_event(
        kind=SecurityEvent.Kind.SSO_LOGIN if method == "sso" else SecurityEvent.Kind.LOGIN,
        request=request,
        actor=user,
        subject=user,
        detail=detail,
    )


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


@receiver(password_reset)
def log_password_reset(sender: Any, request: Any, user: Any, **kw: Any) -> None:
    record_security_event(kind=SecurityEvent.Kind.PASSWORD_RESET, request=request, subject=user)


@receiver(password_changed)
def log_password_changed(sender: Any, request: Any, user: Any, **kw: Any) -> None:
    record_security_event(
        kind=SecurityEvent.Kind.PASSWORD_CHANGED, request=request, actor=user, subject=user
    )


def _log_factor(kind: SecurityEvent.Kind, request: Any, user: Any, authenticator: Any) -> None:
    record_security_event(
        kind=kind, request=request, actor=user, subject=user, detail={"type": authenticator.type}
    )


@receiver(authenticator_added)
def log_mfa_added(sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any) -> None:
    _log_factor(SecurityEvent.Kind.MFA_ADDED, request, user, authenticator)


@receiver(authenticator_removed)
def log_mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any) -> None:
    _log_factor(SecurityEvent.Kind.MFA_REMOVED, request, user, authenticator)
