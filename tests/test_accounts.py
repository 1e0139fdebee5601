from django.test import Client, override_settings

from varna.audit.models import SecurityEvent
from varna.orgs.demo import demo_password

LOGIN = "/konto/logga-in/"


def log_in(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(LOGIN, {"login": username, "password": password}, REMOTE_ADDR=address)


def test_demo_employee_logs_in_and_it_is_logged(cast):
    response = log_in(Client(), "medarbetare", demo_password())
    assert response.status_code == 302 and response["Location"] == "/"
    event = SecurityEvent.objects.filter(kind="login").latest("pk")
    assert event.subject == cast["medarbetare"] and event.ip_address == "10.0.0.1"


def test_wrong_password_gets_a_clear_message_and_keeps_the_user_name(cast):
    response = log_in(Client(), "medarbetare", "fel")
    assert response.status_code == 200
    assert "password is case sensitive" in response.text or "stora och små" in response.text
    assert 'value="medarbetare"' in response.text
    assert SecurityEvent.objects.filter(kind="login_failed", username="medarbetare").exists()


@override_settings(VARNA_DEMO=False)
def test_demo_accounts_cannot_log_in_without_demo_mode(cast):
    response = log_in(Client(), "medarbetare", demo_password())
    assert response.status_code == 200
    assert "_auth_user_id" not in Client().session


def test_an_account_is_locked_after_repeated_failures_from_any_address(cast, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), "enhetschef", "fel", address=f"10.0.1.{attempt}")
    response = log_in(Client(), "enhetschef", demo_password(), address="10.0.2.1")
    assert response.status_code == 429
    assert "15" in response.text
    assert SecurityEvent.objects.filter(kind="locked_out", username="enhetschef").exists()


def test_an_address_is_locked_after_repeated_failures_on_any_account(cast, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), f"gissning{attempt}", "fel", address="10.0.3.3")
    response = log_in(Client(), "revisor", demo_password(), address="10.0.3.3")
    assert response.status_code == 429
    other_address = log_in(Client(), "revisor", demo_password(), address="10.0.3.4")
    assert other_address.status_code == 302


def test_logout_is_logged_and_ends_the_session(cast):
    client = Client()
    log_in(client, "hr", demo_password())
    response = client.post("/konto/logga-ut/")
    assert response.status_code == 302
    assert SecurityEvent.objects.filter(kind="logout", username="hr").exists()
    assert client.get("/").status_code == 302


def test_keep_alive_renews_the_session_for_a_logged_in_user(cast):
    client = cast.client("medarbetare")
    assert client.post("/konto/session/").status_code == 204
    assert client.get("/konto/session/").status_code == 405


def test_pages_send_a_strict_content_security_policy(cast):
    response = cast.client("medarbetare").get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.text and "style=" not in response.text


def test_session_cookie_is_http_only_and_ends_when_idle(cast, settings):
    response = log_in(Client(), "medarbetare", demo_password())
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_COOKIE_AGE == 30 * 60
