"""Who a signed-in identity is: the one person imported from HR that it matches, or nobody.

Single sign-on proves that someone holds an account at the municipality's identity provider;
it never creates a person in Värna and never decides a role. The identity is matched to the
person imported from HR by the keys in VARNA_SSO_MATCH_ORDER (employee number first, then
e-mail, by default), and the first key that the identity carries decides: no match, or more
than one, is a refusal, never a guess. A person whose employments have all ended may not sign
in, whichever way they try.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from varna.orgs.models import Employment, RoleGrant, User


class Refusal(StrEnum):
    UNKNOWN = "unknown"  # matches nobody imported from HR
    AMBIGUOUS = "ambiguous"  # matches more than one person
    LEFT = "left"  # every employment has ended
    INACTIVE = "inactive"  # the account is switched off
    MFA_REQUIRED = "mfa_required"  # the role needs MFA and the provider did not report it
    RELINKED = "relinked"  # the provider's account was linked to someone else before


class SignInRefused(Exception):
    def __init__(self, reason: Refusal, person: User | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.person = person


@dataclass(frozen=True)
class Identity:
    """What a provider said about the person: the keys to match on and how they signed in."""

    provider: str
    subject: str
    employee_number: str = ""
    email: str = ""
    amr: tuple[str, ...] = ()
    acr: str = ""
    # None when the provider is not set up to send groups (then no role follows them).
    groups: tuple[str, ...] | None = None

    @property
    def used_mfa(self) -> bool:
        """Whether the provider reports a second factor (amr per RFC 8176, or an acr value)."""
        amr = {value.lower() for value in self.amr}
        if amr & {value.lower() for value in settings.VARNA_SSO_MFA_AMR}:
            return True
        return bool(self.acr) and self.acr in settings.VARNA_SSO_MFA_ACR


def _values(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable):
        return tuple(str(item) for item in value if item not in (None, ""))
    return (str(value),)


@dataclass(frozen=True)
class ClaimNames:
    """Where a provider puts the keys: claims for OpenID Connect, attributes for SAML."""

    employee_number: str
    email: str
    groups: str = ""  # no name: groups are not read, and roles from groups are left alone
    amr: str = "amr"
    acr: str = "acr"


def oidc_claim_names() -> ClaimNames:
    return ClaimNames(
        employee_number=settings.VARNA_SSO_EMPLOYEE_ID_CLAIM,
        email=settings.VARNA_SSO_EMAIL_CLAIM,
        groups=settings.VARNA_SSO_GROUPS_CLAIM,
    )


def saml_attribute_names() -> ClaimNames:
    return ClaimNames(
        employee_number=settings.VARNA_SAML_EMPLOYEE_ID_ATTRIBUTE,
        email=settings.VARNA_SAML_EMAIL_ATTRIBUTE,
        groups=settings.VARNA_SAML_GROUPS_ATTRIBUTE,
        amr=settings.VARNA_SAML_AMR_ATTRIBUTE,
        acr="",
    )


def identity_from_claims(
    provider: str, subject: str, claims: dict[str, Any], names: ClaimNames
) -> Identity:
    """Read an identity from OpenID Connect claims or SAML attributes (lists of values)."""

    def values(name: str) -> tuple[str, ...]:
        return _values(claims.get(name)) if name else ()

    def first(name: str) -> str:
        found = values(name)
        return found[0].strip() if found else ""

    return Identity(
        provider=provider,
        subject=subject,
        employee_number=first(names.employee_number),
        email=first(names.email),
        amr=values(names.amr),
        acr=first(names.acr),
        groups=values(names.groups) if names.groups else None,
    )


def _candidates(identity: Identity) -> list[User] | None:
    """The people matching the first key in the configured order that the identity carries."""
    for key in settings.VARNA_SSO_MATCH_ORDER:
        if key == "employee_number" and identity.employee_number:
            return list(User.objects.filter(employee_number=identity.employee_number)[:2])
        if key == "email" and identity.email:
            return list(User.objects.filter(email__iexact=identity.email)[:2])
    return None


def has_left(person: User, today: date | None = None) -> bool:
    """True when the person has been employed but every employment has ended. People who were
    never employed (a committee member, an external auditor) sign in on their role grants."""
    today = today or timezone.localdate()
    employments = Employment.objects.filter(user=person)
    if not employments.exists():
        return not RoleGrant.objects.filter(user=person).exists()
    return not employments.filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).exists()


def check_may_sign_in(person: User) -> None:
    """Refuse a person who may not sign in at all, whichever way they came."""
    if not person.is_active:
        raise SignInRefused(Refusal.INACTIVE, person)
    if has_left(person):
        raise SignInRefused(Refusal.LEFT, person)


def needs_mfa(person: User) -> bool:
    """Whether the person holds a role that reads many people's data (VARNA_MFA_ROLES).
    Demo accounts are spared, so that the demo people keep signing in with one password."""
    if person.is_demo:
        return False
    return RoleGrant.objects.filter(user=person, role__in=settings.VARNA_MFA_ROLES).exists()


def person_for(identity: Identity) -> User:
    """The one person the identity matches and who may sign in, or SignInRefused."""
    candidates = _candidates(identity)
    if not candidates:
        raise SignInRefused(Refusal.UNKNOWN)
    if len(candidates) > 1:
        raise SignInRefused(Refusal.AMBIGUOUS)
    person = candidates[0]
    check_may_sign_in(person)
    return person


def check_mfa(identity: Identity, person: User) -> None:
    """Refuse a sign-in without the provider's second factor when Värna requires one for the
    person's roles (VARNA_SSO_REQUIRE_MFA); run after the roles from groups are followed."""
    if settings.VARNA_SSO_REQUIRE_MFA and needs_mfa(person) and not identity.used_mfa:
        raise SignInRefused(Refusal.MFA_REQUIRED, person)
