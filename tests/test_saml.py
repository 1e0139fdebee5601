"""Single sign-on with SAML 2.0, end to end through the URLs, against the test identity provider
in tests/saml_idp.py: only a signed assertion, in answer to this browser's own request, for a
person imported from HR who still works here, signs anyone in."""

import copy
import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests import saml_idp
from varna.audit.models import SecurityEvent
from varna.orgs.models import Employment

LOGIN_URL = "/konto/saml/kommun/login/"
ACS_URL = "/konto/saml/kommun/acs/"
FINISH_URL = "/konto/saml/kommun/acs/finish/"
EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
EMPLOYEE_ID = "urn:oid:2.16.840.1.113730.3.1.3"

# python3-saml 1.16 still calls datetime.utcnow() and utcfromtimestamp().
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utc:DeprecationWarning:onelogin")


@pytest.fixture
def saml_app(settings):
    """The SAML app as settings.py builds it from VARNA_SAML_* (here without metadata)."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, saml_idp.SP_HOST]
    settings.VARNA_SAML_EMAIL_ATTRIBUTE = EMAIL
    settings.VARNA_SAML_EMPLOYEE_ID_ATTRIBUTE = EMPLOYEE_ID
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["saml"]["APPS"] = [
        {
            "provider_id": saml_idp.ENTITY_ID,
            "client_id": "kommun",
            "name": "kommunens konto",
            "settings": {
                "attribute_mapping": {"uid": "name_id", "email": EMAIL},
                "idp": saml_idp.idp_settings(),
                "sp": {"entity_id": saml_idp.SP_ENTITY_ID},
                "reject_idp_initiated_sso": True,
                "advanced": {
                    "want_assertion_signed": True,
                    "want_message_signed": False,
                    "reject_deprecated_algorithm": True,
                    "strict": True,
                    "allow_repeat_attribute_name": True,
                    "x509cert": "",
                    "private_key": "",
                    "authn_request_signed": False,
                },
            },
        }
    ]
    settings.SOCIALACCOUNT_PROVIDERS = providers
    return providers["saml"]["APPS"][0]


def browser() -> Client:
    """A browser at Värna's address: python3-saml reads the Host header to build the URLs
    it checks (and wants a dotted domain name, so not the test client's "testserver")."""
    return Client(HTTP_HOST=saml_idp.SP_HOST)


def start_login(client: Client) -> str:
    """Press the login button; the ID of the AuthnRequest the browser is sent off with."""
    response = client.post(LOGIN_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(saml_idp.SSO_URL + "?SAMLRequest=")
    return saml_idp.request_id(response["Location"])


def post_response(client: Client, saml_response: str):
    """What the browser does with the identity provider's form: post it, follow to finish."""
    response = client.post(ACS_URL, {"SAMLResponse": saml_response, "RelayState": ""})
    assert response.status_code == 302
    assert response["Location"] == FINISH_URL
    return client.get(FINISH_URL)


def assertion_for(person_email: str, employee_number: str = "", **kwargs) -> dict:
    attributes = {EMAIL: person_email}
    if employee_number:
        attributes[EMPLOYEE_ID] = employee_number
    return {"name_id": f"idp-{person_email}", "attributes": attributes, **kwargs}


def answer(client: Client, person_email: str, employee_number: str = "", **kwargs) -> str:
    """Start a login in `client`; the identity provider's answer to it about this person."""
    return saml_idp.saml_response(
        in_response_to=start_login(client), **assertion_for(person_email, employee_number, **kwargs)
    )


def is_signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def events(kind: str):
    return SecurityEvent.objects.filter(kind=kind)


def test_a_signed_assertion_for_a_known_person_signs_them_in(cast, saml_app):
    person = cast["medarbetare"]
    client = browser()
    response = post_response(client, answer(client, person.email, person.employee_number))

    assert response.status_code == 302
    assert is_signed_in(client)
    assert client.session["_auth_user_id"] == str(person.pk)
    login = events("sso_login").get(subject=person)
    assert login.detail["method"] == "sso"
    assert not events("sso_refused").exists()
    assert not events("sso_failed").exists()


def test_the_person_is_matched_by_email_when_no_employee_number_is_sent(cast, saml_app):
    person = cast["medarbetare"]
    client = browser()
    post_response(client, answer(client, person.email))

    assert is_signed_in(client)
    assert events("sso_login").filter(subject=person).exists()


def test_the_identity_provider_can_be_configured_by_its_metadata_file(cast, saml_app):
    # As settings.py does with VARNA_SAML_METADATA_FILE: the file's text, no URL or certificate.
    saml_app["settings"]["idp"] = {
        "entity_id": saml_idp.ENTITY_ID,
        "metadata": saml_idp.metadata(),
    }
    person = cast["medarbetare"]
    client = browser()
    post_response(client, answer(client, person.email, person.employee_number))

    assert is_signed_in(client)
    assert events("sso_login").filter(subject=person).exists()


def test_an_unsigned_assertion_is_refused(cast, saml_app):
    person = cast["medarbetare"]
    client = browser()
    post_response(client, answer(client, person.email, person.employee_number, signed=False))

    assert not is_signed_in(client)
    assert "_auth_user_id" not in client.session
    failed = events("sso_failed").get()
    assert "not signed" in failed.detail["saml"]
    assert not events("sso_login").exists()


def test_an_assertion_signed_by_another_key_is_refused(cast, saml_app):
    person = cast["medarbetare"]
    client = browser()
    post_response(
        client, answer(client, person.email, person.employee_number, keys=saml_idp.other_keys())
    )

    assert not is_signed_in(client)
    assert "Signature validation failed" in events("sso_failed").get().detail["saml"]
    assert not events("sso_login").exists()


def test_a_response_replayed_in_a_fresh_session_signs_nobody_in(cast, saml_app):
    person = cast["medarbetare"]
    client = browser()
    captured = answer(client, person.email, person.employee_number)
    post_response(client, captured)
    assert is_signed_in(client)

    attacker = browser()
    response = post_response(attacker, captured)

    assert response.status_code == 403
    assert not is_signed_in(attacker)
    assert events("sso_login").count() == 1
    assert events("sso_refused").get().detail["reason"] == "replayed"


def test_a_response_posted_twice_in_the_same_session_is_used_once(cast, saml_app):
    person = cast["medarbetare"]
    client = browser()
    captured = answer(client, person.email, person.employee_number)
    post_response(client, captured)

    response = post_response(client, captured)

    assert response.status_code == 403
    assert events("sso_login").count() == 1
    assert events("sso_refused").get().detail["reason"] == "replayed"


def test_an_old_response_does_not_answer_a_newer_login_in_the_same_browser(cast, saml_app):
    person = cast["medarbetare"]
    client = browser()
    captured = answer(client, person.email, person.employee_number)
    post_response(client, captured)
    client.post("/konto/logga-ut/")
    assert not is_signed_in(client)
    start_login(client)

    response = post_response(client, captured)

    assert response.status_code == 403
    assert not is_signed_in(client)
    assert events("sso_login").count() == 1
    assert events("sso_refused").get().detail["reason"] == "replayed"


def test_an_identity_matching_nobody_gets_the_refusal_page(cast, saml_app):
    client = browser()
    response = post_response(client, answer(client, "nobody@kommun.example", "NOBODY-1"))

    assert response.status_code == 403
    assert "accounts/signin_refused.html" in [t.name for t in response.templates]
    assert not is_signed_in(client)
    refused = events("sso_refused").get()
    assert refused.detail["reason"] == "unknown"
    assert refused.subject is None
    assert not events("sso_login").exists()


def test_a_person_who_has_left_is_refused(cast, saml_app):
    person = cast["medarbetare"]
    Employment.objects.filter(user=person).update(
        end_date=timezone.localdate() - dt.timedelta(days=1)
    )
    client = browser()
    response = post_response(client, answer(client, person.email, person.employee_number))

    assert response.status_code == 403
    assert not is_signed_in(client)
    refused = events("sso_refused").get()
    assert refused.detail["reason"] == "left"
    assert refused.subject == person
    assert not events("sso_login").exists()
