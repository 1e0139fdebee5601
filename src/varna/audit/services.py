from typing import Any

from axes.helpers import get_client_ip_address
from django.http import HttpRequest

from varna.audit.models import SecurityEvent
from varna.orgs.models import User


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address, read the same way as the login throttling reads it (through
    the proxy's X-Forwarded-For when VARNA_BEHIND_PROXY is set)."""
    if request is None:
        return None
    return get_client_ip_address(request) or None


def record_security_event(
    *,
    kind: SecurityEvent.Kind,
    request: HttpRequest | None = None,
    actor: User | None = None,
    subject: User | None = None,
    username: str = "",
    detail: dict[str, Any] | None = None,
) -> SecurityEvent:
    """Write one line of the security audit log; the only place such lines are written."""
    if not username and subject is not None:
        username = subject.get_username()
    return SecurityEvent.objects.create(
        kind=kind,
        actor=actor,
        subject=subject,
        username=username[:150],
        ip_address=client_address(request),
        detail=detail or {},
    )
