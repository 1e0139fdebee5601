"""A tiny SAML 2.0 identity provider for tests: a key and a self-signed certificate, its
metadata, and Responses whose Assertion it signs (or not, or with another key).

The key pairs are made once per test run, on first use; nothing leaves the process.
"""

import base64
import datetime as dt
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.utils import OneLogin_Saml2_Utils

ENTITY_ID = "https://idp.test/metadata"
SSO_URL = "https://idp.test/sso"
SP_ENTITY_ID = "https://varna.test/saml/metadata"
SP_HOST = "varna.test"
ACS_URL = f"http://{SP_HOST}/konto/saml/kommun/acs/"

NS_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"


@dataclass(frozen=True)
class KeyPair:
    key_pem: str
    cert_pem: str

    @property
    def cert_body(self) -> str:
        """The certificate as metadata and python3-saml settings want it: base64, no armour."""
        lines = self.cert_pem.strip().splitlines()
        return "".join(line for line in lines if not line.startswith("-----"))


def _make_key_pair(common_name: str) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return KeyPair(key_pem, cert.public_bytes(serialization.Encoding.PEM).decode())


@functools.cache
def idp_keys() -> KeyPair:
    """The identity provider's own key, the one the service provider trusts."""
    return _make_key_pair("idp.test")


@functools.cache
def other_keys() -> KeyPair:
    """Somebody else's key, unknown to the service provider."""
    return _make_key_pair("attacker.test")


def metadata() -> str:
    """The identity provider's metadata, as VARNA_SAML_METADATA_FILE would hold it."""
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{ENTITY_ID}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{idp_keys().cert_body}</ds:X509Certificate>
      </ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{SSO_URL}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


def idp_settings() -> dict[str, str]:
    """The `idp` part of the SAML app's settings (what allauth reads without metadata)."""
    return {"entity_id": ENTITY_ID, "sso_url": SSO_URL, "x509cert": idp_keys().cert_body}


def request_id(location: str) -> str:
    """The ID of the AuthnRequest carried in a redirect to the identity provider."""
    query = parse_qs(urlsplit(location).query)
    xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(query["SAMLRequest"][0])
    request = etree.fromstring(xml)
    return request.get("ID")


def _instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _attributes(attributes: Mapping[str, str | Sequence[str]]) -> str:
    if not attributes:
        return ""
    parts = []
    for name, values in attributes.items():
        if isinstance(values, str):
            values = [values]
        inner = "".join(
            f"<saml:AttributeValue>{escape(value)}</saml:AttributeValue>" for value in values
        )
        parts.append(
            f"<saml:Attribute Name={quoteattr(name)} "
            'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">'
            f"{inner}</saml:Attribute>"
        )
    return f"<saml:AttributeStatement>{''.join(parts)}</saml:AttributeStatement>"


def response_xml(
    *,
    in_response_to: str | None,
    name_id: str,
    attributes: Mapping[str, str | Sequence[str]] | None = None,
    signed: bool = True,
    keys: KeyPair | None = None,
    audience: str = SP_ENTITY_ID,
    recipient: str = ACS_URL,
    issuer: str = ENTITY_ID,
    now: dt.datetime | None = None,
) -> str:
    """A Response with one Assertion, the Assertion signed with `keys` (the IdP's by default)
    unless `signed` is false. The Response itself is never signed, as ADFS does by default."""
    now = now or dt.datetime.now(dt.UTC)
    later = _instant(now + dt.timedelta(minutes=5))
    answers = f" InResponseTo={quoteattr(in_response_to)}" if in_response_to else ""
    assertion_id = f"_a{uuid.uuid4().hex}"
    assertion = f"""<saml:Assertion xmlns:saml="{NS_ASSERTION}" ID="{assertion_id}" \
Version="2.0" IssueInstant="{_instant(now)}">
<saml:Issuer>{escape(issuer)}</saml:Issuer>
<saml:Subject>
<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{escape(name_id)}\
</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
<saml:SubjectConfirmationData NotOnOrAfter="{later}" Recipient={quoteattr(recipient)}{answers}/>
</saml:SubjectConfirmation>
</saml:Subject>
<saml:Conditions NotBefore="{_instant(now - dt.timedelta(minutes=1))}" NotOnOrAfter="{later}">
<saml:AudienceRestriction><saml:Audience>{escape(audience)}</saml:Audience>\
</saml:AudienceRestriction>
</saml:Conditions>
<saml:AuthnStatement AuthnInstant="{_instant(now)}" SessionIndex="_s{uuid.uuid4().hex}">
<saml:AuthnContext><saml:AuthnContextClassRef>\
urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>
</saml:AuthnContext>
</saml:AuthnStatement>
{_attributes(attributes or {})}
</saml:Assertion>"""
    if signed:
        keys = keys or idp_keys()
        signed_assertion = OneLogin_Saml2_Utils.add_sign(
            assertion,
            keys.key_pem,
            keys.cert_pem,
            sign_algorithm=OneLogin_Saml2_Constants.RSA_SHA256,
            digest_algorithm=OneLogin_Saml2_Constants.SHA256,
        )
        assertion = signed_assertion.decode()
    return f"""<samlp:Response xmlns:samlp="{NS_PROTOCOL}" xmlns:saml="{NS_ASSERTION}" \
ID="_r{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant(now)}" \
Destination={quoteattr(recipient)}{answers}>
<saml:Issuer>{escape(issuer)}</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>\
</samlp:Status>
{assertion}
</samlp:Response>"""


def saml_response(**kwargs) -> str:
    """`response_xml` base64-encoded, as the SAMLResponse field of an HTTP-POST binding."""
    return base64.b64encode(response_xml(**kwargs).encode()).decode()
