"""SAML 2.0 with the municipality's identity provider (ADFS and federations that speak only
SAML), configured from its metadata (URL or file) in settings.

allauth's provider does the protocol with python3-saml; the settings ask for signed assertions
only, refuse IdP-initiated logins and deprecated algorithms. A response is accepted only in
answer to a request this browser made: its InResponseTo must name a login state stashed in the
session, and that state is used once, so a replayed response finds none (adapters refuse it).
"""

from typing import Any

from allauth.socialaccount.internal import statekit
from allauth.socialaccount.providers.saml.provider import SAMLProvider


class MunicipalitySAMLProvider(SAMLProvider):
    def unstash_redirect_state(self, request: Any, state_id: str) -> Any:
        # allauth's own raises PermissionDenied (a bare 403, nothing logged) when the state was
        # used before, has expired or was never made; the adapter refuses such a login instead.
        state = statekit.unstash_state(
            request, provider_id=self.sub_id, state_id=state_id, raises=False
        )
        return state or {"replayed": True}
