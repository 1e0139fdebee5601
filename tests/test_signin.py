"""Single sign-on with OpenID Connect against a real provider on loopback (oidc-provider-mock),
and the identities it may and may not let in."""

import copy
import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from oidc_provider_mock import run_server_in_thread

from varna.accounts.oidc import MunicipalityOIDCAdapter
from varna.audit.models import SecurityEvent
from varna.orgs import services as org_services
from varna.orgs.demo import demo_password
from varna.orgs.models import Employment, RoleGrant, User

START = "/konto/sso/kommun/logga-in/"


def claims_of(username: str, **extra: object) -> dict[str, object]:
    return {
        "email": f"{username}@demo.varna.example",
        "employee_id": f"DEMO-{username}",
        "name": username,
        **extra,
    }


@pytest.fixture(scope="module")
def provider_url():
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def configure(settings, server_url: str) -> None:
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["openid_connect"]["APPS"] = [
        {
            "provider_id": "kommun",
            "name": "kommunens konto",
            "client_id": "varna",
            "secret": "hemligt",
            "settings": {"server_url": server_url},
        }
    ]
    settings.SOCIALACCOUNT_PROVIDERS = providers


@pytest.fixture
def sso(settings, provider_url):
    configure(settings, provider_url)
    return provider_url


def register(provider_url: str, sub: str, claims: dict[str, object]) -> None:
    """Tell the provider what it will say about `sub` (its claims in the tokens)."""
    requests.put(f"{provider_url}/users/{sub}", json=claims, timeout=5).raise_for_status()


def authorize(client: Client, sub: str, **post: str) -> str:
    """Start at Värna, sign in at the provider as `sub`; the address it sends the browser to."""
    start = client.post(START, {"process": "login", **post})
    assert start.status_code == 302, start.content
    answer = requests.post(start["Location"], data={"sub": sub}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def sign_in(client: Client, sub: str, **post: str):
    return client.get(authorize(client, sub, **post))


def refusal(reason: str) -> SecurityEvent | None:
    return (
        SecurityEvent.objects.filter(kind="sso_refused", detail__reason=reason)
        .order_by("-pk")
        .first()
    )


def test_the_login_page_offers_the_municipalitys_account_first(cast, sso):
    page = Client().get("/konto/logga-in/").content.decode()
    assert page.index(START) < page.index('name="password"')


def test_an_employee_signs_in_with_the_municipalitys_account(cast, sso):
    register(sso, "anna", claims_of("medarbetare"))
    client = Client()
    response = sign_in(client, "anna")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    event = SecurityEvent.objects.filter(kind="sso_login").latest("pk")
    assert event.subject == cast["medarbetare"] and event.detail["method"] == "sso"
    assert SocialAccount.objects.get(uid="anna").user == cast["medarbetare"]


def test_the_employee_number_decides_before_the_email(cast, sso):
    register(sso, "bo", claims_of("enhetschef", email="medarbetare@demo.varna.example"))
    client = Client()
    sign_in(client, "bo")
    assert int(client.session["_auth_user_id"]) == cast["enhetschef"].pk


def test_an_identity_matching_nobody_is_refused_and_no_account_is_made(cast, sso):
    register(sso, "okand", {"email": "okand@example.org", "employee_id": "X-1"})
    people = User.objects.count()
    client = Client()
    response = sign_in(client, "okand")
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == people and not SocialAccount.objects.filter(uid="okand")
    assert refusal("unknown") is not None


def test_an_identity_matching_two_people_is_refused_never_guessed(cast, sso):
    twin = User.objects.create(username="tvilling", email="hr@demo.varna.example")
    register(sso, "dubbel", {"email": "HR@demo.varna.example"})
    client = Client()
    response = sign_in(client, "dubbel")
    assert response.status_code == 403 and "_auth_user_id" not in client.session
    assert refusal("ambiguous") is not None
    twin.delete()


def test_a_person_who_has_left_cannot_sign_in_either_way(cast, sso):
    person = cast["forste"]
    Employment.objects.filter(user=person).update(end_date="2020-12-31")
    register(sso, "slutat", claims_of("forste"))
    client = Client()
    response = sign_in(client, "slutat")
    assert response.status_code == 403 and "_auth_user_id" not in client.session
    assert refusal("left").subject == person
    password = Client().post("/konto/logga-in/", {"login": "forste", "password": demo_password()})
    assert password.status_code == 200 and "_auth_user_id" not in Client().session


def test_an_id_token_with_another_nonce_is_refused(cast, sso):
    register(sso, "nonce", claims_of("medarbetare"))
    client = Client()
    first = authorize(client, "nonce")
    second = authorize(client, "nonce")
    # The first login's code with the second login's state: its ID token names another nonce.
    code = first.split("code=")[1].split("&")[0]
    state = second.split("state=")[1].split("&")[0]
    response = client.get(f"/konto/sso/kommun/svar/?code={code}&state={state}")
    assert response.status_code == 403 and "_auth_user_id" not in client.session
    assert refusal("nonce") is not None


def test_a_replayed_answer_signs_nobody_in(cast, sso):
    register(sso, "igen", claims_of("medarbetare"))
    client = Client()
    back = authorize(client, "igen")
    assert client.get(back).status_code == 302
    client.post("/konto/logga-ut/")
    again = client.get(back)
    assert "_auth_user_id" not in client.session
    # The login state was used up: the answer fits no login this browser started.
    assert again.status_code == 401
    assert SecurityEvent.objects.filter(kind="sso_failed").exists()


def test_next_pointing_to_another_site_is_not_followed(cast, sso):
    register(sso, "nasta", claims_of("medarbetare"))
    response = sign_in(Client(), "nasta", next="https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "/"
    password = Client().post(
        "/konto/logga-in/?next=https://evil.example/",
        {"login": "medarbetare", "password": demo_password(), "next": "https://evil.example/"},
    )
    assert password["Location"] == "/"


def test_a_provider_that_is_down_gets_a_message_and_passwords_still_work(cast, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    configure(settings, f"http://127.0.0.1:{port}")
    response = Client().post(START, {"process": "login"})
    assert response.status_code == 503
    assert Client().get("/konto/logga-in/").status_code == 200
    password = Client().post("/konto/logga-in/", {"login": "hr", "password": demo_password()})
    assert password.status_code == 302


def test_a_provider_that_hangs_times_out_with_a_message(cast, settings):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True).start()
    settings.SOCIALACCOUNT_REQUESTS_TIMEOUT = 1
    configure(settings, f"http://127.0.0.1:{listener.getsockname()[1]}")
    began = time.monotonic()
    response = Client().post(START, {"process": "login"})
    assert response.status_code == 503 and time.monotonic() - began < 5
    listener.close()


@pytest.fixture
def analyst(cast):
    """A real (not demo) analyst of Demo kommun: a role that needs a second factor."""
    person = User.objects.create(
        username="analytiker2", email="analytiker2@example.org", employee_number="A-2"
    )
    org_services.employ(user=person, unit=cast.unit("DEMO-KLF"))
    org_services.grant_role(
        user=person, unit=cast.unit("DEMO"), role="analyst", granted_by=cast["admin"]
    )
    return person


def test_behind_sso_the_providers_mfa_counts_when_required(cast, sso, settings, analyst):
    settings.VARNA_SSO_REQUIRE_MFA = True
    register(sso, "utan-mfa", {"employee_id": "A-2", "amr": ["pwd"]})
    client = Client()
    assert sign_in(client, "utan-mfa").status_code == 403
    assert refusal("mfa_required").subject == analyst
    register(sso, "med-mfa", {"employee_id": "A-2", "amr": ["pwd", "mfa"]})
    assert sign_in(client, "med-mfa").status_code == 302
    assert client.get("/").status_code == 200


@pytest.fixture(scope="module")
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url(signing_key):
    """The provider's published keys, served on loopback as a provider does."""
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    body = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/jwks"
    server.shutdown()


class TestIdTokens:
    """Every ID token is checked against the provider's published keys, audience and issuer,
    also when it came straight from the token endpoint."""

    ISSUER = "https://login.kommun.example/v2.0"

    @pytest.fixture
    def decode(self, rf, sso, jwks_url):
        adapter = MunicipalityOIDCAdapter(rf.get("/"), "kommun")
        adapter._openid_config = {"jwks_uri": jwks_url, "issuer": self.ISSUER}
        adapter.did_fetch_access_token = True
        app = SocialApp(provider="openid_connect", client_id="varna")
        return lambda token: adapter._decode_id_token(app, token)

    def token(self, key, **claims: object) -> str:
        now = int(time.time())
        body = {"iss": self.ISSUER, "aud": "varna", "sub": "x", "exp": now + 60, "iat": now}
        return jwt.encode({**body, **claims}, key, algorithm="RS256", headers={"kid": "k1"})

    def test_a_token_signed_with_the_providers_key_is_read(self, decode, signing_key):
        assert decode(self.token(signing_key))["sub"] == "x"

    def test_a_token_signed_by_another_key_is_refused(self, decode):
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with pytest.raises(OAuth2Error):
            decode(self.token(other))

    def test_a_token_for_another_audience_is_refused(self, decode, signing_key):
        with pytest.raises(OAuth2Error):
            decode(self.token(signing_key, aud="another-service"))

    def test_a_token_from_another_issuer_is_refused(self, decode, signing_key):
        with pytest.raises(OAuth2Error):
            decode(self.token(signing_key, iss="https://evil.example"))


def test_roles_follow_the_groups_mapped_in_the_admin_and_mapping_changes_are_logged(
    cast, sso, settings, analyst
):
    settings.VARNA_SSO_GROUPS_CLAIM = "groups"
    admin = cast.client("admin")
    added = admin.post(
        "/admin/accounts/grouprole/add/",
        {"group": "sg-varna-hr", "role": "hr", "unit": cast.unit("DEMO-IFO").pk, "title": ""},
    )
    assert added.status_code == 302
    mapping_logged = SecurityEvent.objects.get(kind="role_mapping")
    assert mapping_logged.detail == {
        "change": "added",
        "group": "sg-varna-hr",
        "role": "hr",
        "unit": "DEMO-IFO",
    }
    register(sso, "grupp", {"employee_id": "A-2", "groups": ["sg-varna-hr", "annat"]})
    sign_in(Client(), "grupp")
    grant = RoleGrant.objects.get(user=analyst, role="hr")
    assert grant.is_from_group and grant.unit.code == "DEMO-IFO"
    assert SecurityEvent.objects.filter(
        kind="role_granted", subject=analyst, detail__group="sg-varna-hr"
    ).exists()

    register(sso, "grupp", {"employee_id": "A-2", "groups": ["annat"]})
    sign_in(Client(), "grupp")
    assert not RoleGrant.objects.filter(user=analyst, role="hr").exists()
    # The role granted in Värna itself is never taken back by the groups.
    assert RoleGrant.objects.filter(user=analyst, role="analyst", is_from_group=False).exists()


def test_without_a_groups_claim_no_role_follows_groups(cast, sso, analyst):
    register(sso, "utan-grupper", {"employee_id": "A-2", "groups": ["sg-varna-hr"]})
    sign_in(Client(), "utan-grupper")
    assert set(RoleGrant.objects.filter(user=analyst).values_list("role", flat=True)) == {"analyst"}
