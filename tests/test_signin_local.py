"""Local accounts where there is no single sign-on: invitations, password reset, the second
factor required for roles that read many people's data, and sessions."""

import io
import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from varna.accounts import services
from varna.accounts.models import GroupRole, Invitation
from varna.audit.models import SecurityEvent
from varna.orgs import services as org_services
from varna.orgs.demo import demo_password
from varna.orgs.models import Employment, User

PASSWORD = "ett långt och hemligt lösenord"


@pytest.fixture
def newcomer(cast):
    """Imported from HR: an e-mail address, an employment, no password yet."""
    person = User.objects.create(
        username="nyanstalld", email="ny@example.org", employee_number="N-1", first_name="Ny"
    )
    person.set_unusable_password()
    person.save()
    org_services.employ(user=person, unit=cast.unit("DEMO-FSE1A"))
    return person


def link_in(message: mail.EmailMessage) -> str:
    return re.search(r"https?://\S+", message.body).group(0).split("://", 1)[1].split("/", 1)[1]


def log_in(client: Client, username: str, password: str):
    return client.post("/konto/logga-in/", {"login": username, "password": password})


def test_an_invitation_lets_a_newcomer_choose_a_password_once(cast, newcomer):
    services.invite(person=newcomer, by=cast["admin"])
    message = mail.outbox[-1]
    path = "/" + link_in(message)
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert message.to == ["ny@example.org"] and "nyanstalld" in message.body
    assert not Invitation.objects.filter(token_hash=token).exists()

    client = Client()
    opened = client.get(path)
    assert opened.status_code == 302 and token not in opened["Location"]
    short = client.post(opened["Location"], {"new_password1": "kort", "new_password2": "kort"})
    assert short.status_code == 200 and "field-error" in short.content.decode()
    done = client.post(opened["Location"], {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.status_code == 302
    assert PASSWORD not in message.body
    assert log_in(Client(), "nyanstalld", PASSWORD).status_code == 302
    assert Client().get(path).status_code == 410
    assert SecurityEvent.objects.filter(kind="invitation_used", subject=newcomer).exists()


def test_an_expired_or_replaced_invitation_says_so(cast, newcomer):
    services.invite(person=newcomer, by=cast["admin"])
    first = "/" + link_in(mail.outbox[-1])
    Invitation.objects.filter(person=newcomer).update(expires_at=timezone.now())
    expired = Client().get(first)
    assert expired.status_code == 410 and expired.context["reason"] == "expired"
    Invitation.objects.filter(person=newcomer).update(
        created_at=timezone.now() - timedelta(hours=1),
        expires_at=timezone.now() + timedelta(days=1),
    )
    services.invite(person=newcomer, by=cast["admin"])
    assert Client().get(first).context["reason"] == "replaced"
    assert Client().get("/" + link_in(mail.outbox[-1])).status_code == 302


def test_invitations_are_throttled_and_not_sent_to_leavers(cast, newcomer):
    services.invite(person=newcomer, by=cast["admin"])
    with pytest.raises(services.InvitationRefused, match="recent"):
        services.invite(person=newcomer, by=cast["admin"])
    Employment.objects.filter(user=newcomer).update(end_date="2021-01-31")
    Invitation.objects.filter(person=newcomer).delete()
    with pytest.raises(services.InvitationRefused, match="left"):
        services.invite(person=newcomer, by=cast["admin"])


def test_opening_invitation_links_is_throttled_per_address(cast):
    client = Client()
    answers = [client.get("/konto/inbjudan/gissning/").status_code for _ in range(21)]
    assert answers[0] == 410 and answers[-1] == 429


def test_the_administrator_invites_from_the_person_page_and_the_command_skips_the_invited(
    cast, newcomer
):
    admin = cast.client("admin")
    response = admin.post(
        "/admin/orgs/user/",
        {"action": "send_invitation", "_selected_action": [newcomer.pk]},
        follow=True,
    )
    assert response.status_code == 200 and len(mail.outbox) == 1
    call_command("send_invitations", unit="DEMO-FSE1A", stdout=io.StringIO())
    assert len(mail.outbox) == 1


def test_password_reset_never_reveals_whether_an_address_exists(cast):
    known = Client().post("/konto/losenord/glomt/", {"email": "hr@demo.varna.example"})
    unknown = Client().post("/konto/losenord/glomt/", {"email": "ingen@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mail.outbox] == [["hr@demo.varna.example"]]
    reset = mail.outbox[0]
    assert "hr" in reset.body and "/konto/losenord/nytt/" in reset.body


def test_a_reset_link_sets_a_new_password_once(cast):
    Client().post("/konto/losenord/glomt/", {"email": "revisor@demo.varna.example"})
    path = "/" + link_in(mail.outbox[-1])
    client = Client()
    form = client.get(path, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"password1": PASSWORD, "password2": PASSWORD},
    )
    assert done.status_code == 302
    assert log_in(Client(), "revisor", PASSWORD).status_code == 302
    again = Client().get(path, follow=True)
    assert again.context["token_fail"] is True
    assert SecurityEvent.objects.filter(kind="password_reset", username="revisor").exists()


def test_an_expired_reset_link_says_so_and_changes_nothing(cast, settings):
    Client().post("/konto/losenord/glomt/", {"email": "namnd@demo.varna.example"})
    path = "/" + link_in(mail.outbox[-1])
    settings.PASSWORD_RESET_TIMEOUT = -1  # every link is past its time
    client = Client()
    page = client.get(path, follow=True)
    assert page.context["token_fail"] is True
    target = page.redirect_chain[-1][0] if page.redirect_chain else path
    client.post(target, {"password1": PASSWORD, "password2": PASSWORD})
    assert log_in(Client(), "namnd", PASSWORD).status_code == 200


def test_password_reset_requests_are_throttled(cast):
    answers = [
        Client().post("/konto/losenord/glomt/", {"email": "namnd@demo.varna.example"}).status_code
        for _ in range(4)
    ]
    assert answers[:3] == [302, 302, 302] and answers[3] == 429


def code_now(secret: str, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


@pytest.fixture
def hr_person(cast):
    """A real HR consultant: HR reads many people's data, so a second factor is required."""
    person = User.objects.create(username="hrkonsult", email="hrk@example.org")
    person.set_password(PASSWORD)
    person.save()
    org_services.employ(user=person, unit=cast.unit("DEMO-HR"))
    org_services.grant_role(
        user=person, unit=cast.unit("DEMO-ALF"), role="hr", granted_by=cast["admin"]
    )
    return person


def test_a_role_that_reads_many_peoples_data_sets_up_and_then_uses_totp(
    cast, hr_person, django_capture_on_commit_callbacks
):
    client = Client()
    assert log_in(client, "hrkonsult", PASSWORD).status_code == 302
    blocked = client.get("/uppfoljning/")
    assert blocked.status_code == 302 and blocked["Location"] == "/konto/tvastegsverifiering/"
    assert client.get("/konto/tvastegsverifiering/").status_code == 200
    # Adding a factor asks for the password once more, as every change of sign-in does.
    asked = client.get("/konto/tvastegsverifiering/totp/activate/")
    assert asked["Location"].startswith("/konto/bekrafta/")
    client.post(asked["Location"], {"password": PASSWORD})
    assert client.get("/konto/tvastegsverifiering/totp/activate/").status_code == 200
    secret = client.session["mfa.totp.secret"]
    wrong = client.post("/konto/tvastegsverifiering/totp/activate/", {"code": "000000"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=hr_person)
    with django_capture_on_commit_callbacks(execute=True):
        activated = client.post(
            "/konto/tvastegsverifiering/totp/activate/", {"code": code_now(secret)}
        )
    assert activated.status_code == 302
    assert client.get("/uppfoljning/").status_code == 200
    assert SecurityEvent.objects.filter(kind="mfa_added", subject=hr_person).exists()

    client.post("/konto/logga-ut/")
    second = Client()
    asked = log_in(second, "hrkonsult", PASSWORD)
    assert (
        asked.status_code == 302 and asked["Location"] == "/konto/tvastegsverifiering/authenticate/"
    )
    assert "_auth_user_id" not in second.session
    old = second.post("/konto/tvastegsverifiering/authenticate/", {"code": code_now(secret, -20)})
    assert old.status_code == 200 and "_auth_user_id" not in second.session
    code = code_now(secret)
    signed_in = second.post("/konto/tvastegsverifiering/authenticate/", {"code": code})
    assert signed_in.status_code == 302 and second.get("/uppfoljning/").status_code == 200
    second.post("/konto/logga-ut/")

    third = Client()
    log_in(third, "hrkonsult", PASSWORD)
    reused = third.post("/konto/tvastegsverifiering/authenticate/", {"code": code})
    assert reused.status_code == 200 and "_auth_user_id" not in third.session
    recovery = Authenticator.objects.get(user=hr_person, type="recovery_codes").wrap()
    spare = recovery.get_unused_codes()[0]
    assert (
        third.post("/konto/tvastegsverifiering/authenticate/", {"code": spare}).status_code == 302
    )
    third.post("/konto/logga-ut/")
    fourth = Client()
    log_in(fourth, "hrkonsult", PASSWORD)
    fourth.post("/konto/tvastegsverifiering/authenticate/", {"code": spare})
    assert "_auth_user_id" not in fourth.session


def test_a_session_ends_at_its_absolute_lifetime_however_active(cast, settings):
    client = Client()
    log_in(client, "medarbetare", "fel")
    log_in(client, "medarbetare", demo_password())
    assert client.get("/").status_code == 200
    session = client.session
    session["varna_signed_in_at"] = time.time() - settings.VARNA_SESSION_MAX_HOURS * 3600 - 1
    session.save()
    ended = client.get("/")
    assert ended.status_code == 302 and ended["Location"].endswith("?expired=1")
    assert client.get("/").status_code == 302
    assert SecurityEvent.objects.filter(kind="session_expired").exists()


def test_log_out_everywhere_ends_the_persons_other_sessions(cast):
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        log_in(device, "medarbetare", demo_password())
        assert device.get("/").status_code == 200
    listing = laptop.get("/konto/sessioner/")
    assert listing.status_code == 200
    ended = laptop.post("/konto/sessioner/logga-ut-overallt/")
    assert ended.status_code == 302
    assert laptop.get("/").status_code == 302 and phone.get("/").status_code == 302


def test_an_administrator_ends_every_session_of_a_person_who_left(cast):
    device = Client()
    log_in(device, "utredare", demo_password())
    assert device.get("/").status_code == 200
    cast.client("admin").post(
        "/admin/orgs/user/",
        {"action": "end_all_sessions", "_selected_action": [cast["utredare"].pk]},
    )
    assert device.get("/").status_code == 302
    assert SecurityEvent.objects.filter(kind="sessions_ended", subject=cast["utredare"]).exists()


def test_an_invitation_the_mail_server_refuses_leaves_nothing_behind(cast, newcomer):
    with (
        mock.patch("varna.accounts.services.send_mail", side_effect=OSError("refused")),
        pytest.raises(services.InvitationRefused, match="mail"),
    ):
        services.invite(person=newcomer, by=cast["admin"])
    assert not Invitation.objects.filter(person=newcomer).exists()
    services.invite(person=newcomer, by=cast["admin"])
    assert len(mail.outbox) == 1


def test_a_group_with_an_invisible_character_is_refused_with_a_message(cast):
    response = cast.client("admin").post(
        "/admin/accounts/grouprole/add/",
        {"group": "sg-varna\u200b-hr", "role": "hr", "unit": cast.unit("DEMO-IFO").pk},
    )
    assert response.status_code == 200
    assert "zero-width" in response.content.decode() or "nollbredd" in response.content.decode()
    assert not GroupRole.objects.exists()
