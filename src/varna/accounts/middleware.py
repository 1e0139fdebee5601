"""Rules that hold for every request of a signed-in person: a session's absolute lifetime, and
the second factor that the roles reading many people's data must set up before anything else."""

import time
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from varna.accounts.identity import needs_mfa
from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event

SIGNED_IN_AT = "varna_signed_in_at"
SIGNED_IN_WITH = "varna_signed_in_with"
MFA_CHECKED = "varna_mfa_checked"
# What a person who must set up a second factor may still reach.
ENROLMENT_PATHS = ("/konto/", "/static/", "/sprak/", "/health/")


class SignInPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            signed_in_at = request.session.get(SIGNED_IN_AT)
            lifetime = settings.VARNA_SESSION_MAX_HOURS * 3600
            if signed_in_at is not None and time.time() - signed_in_at > lifetime:
                record_security_event(
                    kind=SecurityEvent.Kind.SESSION_EXPIRED, request=request, subject=user
                )
                logout(request)
                return redirect(reverse("account_login") + "?expired=1")
            if (
                not request.session.get(MFA_CHECKED)
                and not request.path.startswith(ENROLMENT_PATHS)
                and self.must_set_up_mfa(request)
            ):
                messages.warning(
                    request,
                    _(
                        "Your role lets you read many people's data, so signing in needs "
                        "a second factor. Set up an authenticator app or a passkey to "
                        "continue."
                    ),
                )
                return redirect("mfa_index")
        return self.get_response(request)

    @staticmethod
    def must_set_up_mfa(request: HttpRequest) -> bool:
        """True while a person who signed in with a local password, and whose role needs MFA,
        has no authenticator. Single sign-on leaves MFA to the provider (identity.person_for)."""
        user = request.user
        if request.session.get(SIGNED_IN_WITH) == "sso" or not needs_mfa(user):  # type: ignore[arg-type]
            request.session[MFA_CHECKED] = True
            return False
        if is_mfa_enabled(user, [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]):
            request.session[MFA_CHECKED] = True
            return False
        return True
