"""How allauth behaves in Värna: nobody signs up, every identity from single sign-on is matched
to a person imported from HR (varna.accounts.identity), and every outcome is in the security log.
"""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from varna.accounts import identity as identities
from varna.accounts import services
from varna.accounts.identity import Identity, Refusal, SignInRefused
from varna.accounts.oidc import NONCE
from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event
from varna.orgs.models import User

LOCAL_BACKEND = "varna.accounts.backends.VarnaBackend"


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": _(
            "The user name or password is wrong. Check both and try again; "
            "the password is case sensitive."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def login(self, request: HttpRequest, user: Any) -> None:
        # The throttling backend comes first in AUTHENTICATION_BACKENDS but cannot load a user.
        if not hasattr(user, "backend"):
            user.backend = LOCAL_BACKEND
        super().login(request, user)


def identity_of(sociallogin: SocialLogin) -> Identity:
    """The identity a provider vouched for, read with the claim names configured for it."""
    account = sociallogin.account
    data = account.extra_data or {}
    # account.provider holds the app's provider id (the IdP's entity id for SAML).
    provider = sociallogin.provider or account.get_provider()
    if provider.id == "saml":
        return identities.identity_from_claims(
            "saml", account.uid, data, identities.saml_attribute_names()
        )
    claims = {**data.get("id_token", {}), **data.get("userinfo", {})}
    # amr and acr describe this sign-in, so they come from the ID token, not from userinfo.
    for name in ("amr", "acr"):
        if name in data.get("id_token", {}):
            claims[name] = data["id_token"][name]
    return identities.identity_from_claims(
        "oidc", account.uid, claims, identities.oidc_claim_names()
    )


def refuse(
    request: HttpRequest,
    reason: Refusal | str,
    *,
    identity: Identity | None = None,
    person: User | None = None,
    status: int = 403,
) -> ImmediateHttpResponse:
    """Log a refused sign-in and make the page that explains it (no account is made)."""
    detail: dict[str, Any] = {"reason": str(reason)}
    if identity is not None:
        detail |= {"provider": identity.provider, "subject": identity.subject[:200]}
    record_security_event(
        kind=SecurityEvent.Kind.SSO_REFUSED,
        request=request,
        subject=person,
        username=(identity.email or identity.employee_number) if identity else "",
        detail=detail,
    )
    page = render(
        request,
        "accounts/signin_refused.html",
        {"reason": str(reason), "contact": settings.VARNA_SIGNIN_CONTACT},
        status=status,
    )
    return ImmediateHttpResponse(page)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Match the identity to one person on every sign-in, or refuse it."""
        state = sociallogin.state or {}
        found = identity_of(sociallogin)
        if not state or state.get("replayed"):
            raise refuse(request, "replayed", identity=found)
        if found.provider == "oidc":
            token_nonce = sociallogin.account.extra_data.get("id_token", {}).get(NONCE)
            if not state.get(NONCE) or token_nonce != state.get(NONCE):
                raise refuse(request, "nonce", identity=found)
        try:
            person = identities.person_for(found)
            if found.groups is not None:
                services.follow_groups(person=person, groups=found.groups, request=request)
            identities.check_mfa(found, person)
        except SignInRefused as refusal:
            raise refuse(
                request, refusal.reason, identity=found, person=refusal.person
            ) from refusal
        if sociallogin.is_existing and sociallogin.user.pk != person.pk:
            raise refuse(request, Refusal.RELINKED, identity=found, person=person)
        if not sociallogin.is_existing:
            sociallogin.connect(request, person)
        sociallogin.user = person

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: BaseException | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        detail: dict[str, Any] = {"provider": getattr(provider, "id", str(provider))}
        if error:
            detail["error"] = str(error)
        if exception is not None:
            detail["exception"] = f"{type(exception).__name__}: {exception}"[:500]
        saml_reason = (extra_context or {}).get("saml_last_error_reason")
        if saml_reason:
            detail["saml"] = str(saml_reason)[:500]
        record_security_event(kind=SecurityEvent.Kind.SSO_FAILED, request=request, detail=detail)
