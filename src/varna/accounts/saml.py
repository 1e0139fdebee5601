"""SAML 2.0 with the municipality's identity provider (ADFS and federations that speak only
SAML), configured from its metadata (URL or file) in settings.

allauth's provider does the protocol with python3-saml; the settings ask for signed assertions
only, refuse IdP-initiated logins and deprecated algorithms. A response is accepted only in
answer to a request this browser made: its InResponseTo must name a login state stashed in the
session, and that state is used once, so a replayed response finds none (adapters refuse it).
"""

import functools
from typing import Any

from allauth.socialaccount.internal import statekit
from allauth.socialaccount.providers.saml.provider import SAMLProvider
from django.core.exceptions import ImproperlyConfigured
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser


@functools.lru_cache(maxsize=8)
def idp_from_metadata(metadata: str, entity_id: str = "") -> dict[str, str]:
    """The entity ID, sign-on URL and signing certificate that allauth wants, read from the
    identity provider's metadata (allauth itself reads metadata only from a URL)."""
    found = OneLogin_Saml2_IdPMetadataParser.parse(metadata, entity_id=entity_id or None)
    idp = found.get("idp", {})
    signing = idp.get("x509certMulti", {}).get("signing") or [idp.get("x509cert", "")]
    sso_url = idp.get("singleSignOnService", {}).get("url", "")
    if not (idp.get("entityId") and sso_url and signing[0]):
        raise ImproperlyConfigured(
            "The SAML metadata lacks the identity provider "
            f"{entity_id or '(any)'} with a redirect sign-on URL and a signing certificate."
        )
    # At a certificate rollover the metadata lists both; the first is the one in use.
    return {"entity_id": idp["entityId"], "sso_url": sso_url, "x509cert": signing[0]}


class MunicipalitySAMLProvider(SAMLProvider):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        idp = self.app.settings.get("idp") or {}
        if idp.get("metadata") and not idp.get("metadata_url"):
            # VARNA_SAML_METADATA_FILE: settings.py passes the file's text as idp["metadata"].
            parsed = idp_from_metadata(idp["metadata"], idp.get("entity_id", ""))
            self.app.settings = {**self.app.settings, "idp": {**idp, **parsed}}

    def unstash_redirect_state(self, request: Any, state_id: str) -> Any:
        # allauth's own raises PermissionDenied (a bare 403, nothing logged) when the state was
        # used before, has expired or was never made; the adapter refuses such a login instead.
        state = statekit.unstash_state(
            request, provider_id=self.sub_id, state_id=state_id, raises=False
        )
        return state or {"replayed": True}
