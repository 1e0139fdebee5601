"""OpenID Connect with the municipality's identity provider (Entra ID or any conforming one).

allauth's provider is used as it is, with two additions: every authorisation request carries a
one-time nonce that the ID token must repeat (checked in adapters.SocialAccountAdapter), and
the ID token's signature is always checked against the provider's published keys, even when the
token came straight from the token endpoint.
"""

import secrets
from typing import Any

from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse

NONCE = "nonce"


class MunicipalityOIDCAdapter(OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        config = self.openid_config
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=config["jwks_uri"],
            issuer=config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )


class MunicipalityOIDCProvider(OpenIDConnectProvider):
    oauth2_adapter_class = MunicipalityOIDCAdapter

    def redirect(
        self,
        request: HttpRequest,
        process: Any,
        next_url: str | None = None,
        data: Any = None,
        **kwargs: Any,
    ) -> HttpResponse:
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        auth_params = {**auth_params, NONCE: nonce}
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs
        )


def _through(view_class: Any, request: HttpRequest, provider_id: str) -> HttpResponse:
    """Run one of allauth's OAuth2 views with the adapter above; an unknown provider is a 404."""
    try:
        view = view_class.adapter_view(MunicipalityOIDCAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist as missing:
        raise Http404 from missing


def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    return _through(OAuth2LoginView, request, provider_id)


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    return _through(OAuth2CallbackView, request, provider_id)
