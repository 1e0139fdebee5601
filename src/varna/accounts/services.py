"""Writes of sign-in: invitations to set a first password, and ending a person's sessions.

E-mail carrying a sign-in link is sent at once rather than through the task queue: the link is
a credential, and a queued task would keep it in the database until the worker ran.
"""

import hashlib
import secrets
from datetime import timedelta

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from varna.accounts.identity import SignInRefused, check_may_sign_in
from varna.accounts.models import GroupRole, Invitation
from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event
from varna.orgs import services as org_services
from varna.orgs.models import RoleGrant, User

# One invitation per person within this time; a second click sends nothing more.
RESEND_AFTER = timedelta(minutes=10)


class InvitationRefused(Exception):
    """Why no invitation was sent: no_email, recent, left, inactive or mail."""


REFUSAL_TEXT = {
    "no_email": _("no e-mail address"),
    "recent": _("invited less than ten minutes ago"),
    "left": _("the employment has ended"),
    "inactive": _("the account is switched off"),
    "mail": _("the e-mail could not be sent; try again later"),
}


class InvitationInvalid(Exception):
    """The link is unknown, used, replaced or expired (`reason` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(*, person: User, by: User | None, request: HttpRequest | None = None) -> Invitation:
    """Send the person a one-time link to set their password; replaces unused earlier links."""
    if not person.email:
        raise InvitationRefused("no_email")
    try:
        check_may_sign_in(person)
    except SignInRefused as refusal:
        raise InvitationRefused(refusal.reason.value) from refusal
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=person.pk)
        recent = Invitation.objects.filter(
            person=locked, created_at__gt=now - RESEND_AFTER, used_at__isnull=True
        )
        if recent.exists():
            raise InvitationRefused("recent")
        Invitation.objects.filter(
            person=locked, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            person=locked,
            invited_by=by,
            token_hash=token_hash(token),
            sent_to=locked.email,
            expires_at=now + timedelta(days=settings.VARNA_INVITATION_DAYS),
        )
        record_security_event(
            kind=SecurityEvent.Kind.INVITED,
            request=request,
            actor=by,
            subject=locked,
            detail={"expires_at": invitation.expires_at.isoformat()},
        )
        link = settings.VARNA_BASE_URL.rstrip("/") + reverse(
            "accounts:invitation", kwargs={"token": token}
        )
        with translation.override(settings.LANGUAGE_CODE):
            context = {"person": locked, "link": link, "days": settings.VARNA_INVITATION_DAYS}
            subject = render_to_string("accounts/email_invitation_subject.txt", context).strip()
            body = render_to_string("accounts/email_invitation.txt", context)
        # Inside the transaction: a mail server that refuses leaves no invitation behind.
        try:
            send_mail(subject, body, None, [invitation.sent_to])
        except Exception as error:
            raise InvitationRefused("mail") from error
    return invitation


def usable_invitation(token: str) -> Invitation:
    """The invitation behind a link, or InvitationInvalid saying why it cannot be used."""
    invitation = (
        Invitation.objects.select_related("person").filter(token_hash=token_hash(token)).first()
    )
    if invitation is None:
        raise InvitationInvalid("unknown")
    if invitation.used_at is not None:
        raise InvitationInvalid("used")
    if invitation.revoked_at is not None:
        raise InvitationInvalid("replaced")
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid("expired")
    try:
        check_may_sign_in(invitation.person)
    except SignInRefused as refusal:
        raise InvitationInvalid("left") from refusal
    return invitation


def accept_invitation(*, token: str, password: str, request: HttpRequest | None = None) -> User:
    """Set the invited person's password and use up the link, in one transaction."""
    with transaction.atomic():
        invitation = usable_invitation(token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.used_at is not None:
            raise InvitationInvalid("used")
        person = invitation.person
        validate_password(password, person)
        person.set_password(password)
        person.save(update_fields=["password"])
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at", "updated_at"])
        record_security_event(
            kind=SecurityEvent.Kind.INVITATION_USED, request=request, subject=person
        )
    return person


def end_sessions(*, person: User, by: User | None, request: HttpRequest | None = None) -> int:
    """Sign the person out everywhere: every session they have open ends now. The session of
    the request itself is left to the caller (a view logs it out after answering)."""
    current = request.session.session_key if request is not None else None
    sessions = [s for s in UserSession.objects.purge_and_list(person) if s.session_key != current]
    for session in sessions:
        session.end()
    record_security_event(
        kind=SecurityEvent.Kind.SESSIONS_ENDED,
        request=request,
        actor=by,
        subject=person,
        detail={"sessions": len(sessions)},
    )
    return len(sessions)


@transaction.atomic
def follow_groups(
    *, person: User, groups: tuple[str, ...], request: HttpRequest | None = None
) -> None:
    """Give the person the roles mapped to the groups the provider says they are in, and take
    back the roles that came from groups they have left. Roles granted in Värna stay as they
    are; each grant and revocation is in the security log (orgs.services)."""
    mappings = GroupRole.objects.filter(group__in=groups).select_related("unit")
    mapped = {(m.unit_id, m.role): m for m in mappings}
    grants = RoleGrant.objects.filter(user=person).select_related("unit", "user")
    held = {(g.unit_id, g.role): g for g in grants}
    for key, grant in held.items():
        if grant.is_from_group and key not in mapped:
            org_services.revoke_role(grant=grant, request=request)
    for key, mapping in mapped.items():
        if key not in held:
            org_services.grant_role(
                user=person,
                unit=mapping.unit,
                role=mapping.role,
                title=mapping.title,
                request=request,
                from_group=mapping.group,
            )


def record_mapping_change(
    *, mapping: GroupRole, change: str, by: User | None, request: HttpRequest | None = None
) -> None:
    """Write a change of a group's role mapping ("added", "changed", "removed") to the log."""
    record_security_event(
        kind=SecurityEvent.Kind.ROLE_MAPPING,
        request=request,
        actor=by,
        detail={
            "change": change,
            "group": mapping.group,
            "role": mapping.role,
            "unit": mapping.unit.code,
        },
    )
