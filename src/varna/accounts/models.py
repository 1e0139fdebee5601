from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from varna.core.models import TimeStampedModel
from varna.core.validators import visible_characters_only
from varna.orgs.models import Role, Unit


class Invitation(TimeStampedModel):
    """A one-time link for a person imported from HR to set their first password.

    Only a hash of the link's token is stored, so the table cannot be used to sign in; a new
    invitation replaces the person's unused ones (varna.accounts.services)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    sent_to = models.EmailField(_("sent to"))
    expires_at = models.DateTimeField(_("valid until"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("replaced"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["person", "created_at"])]

    def __str__(self) -> str:
        return f"{self.person} {self.created_at:%Y-%m-%d}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class GroupRole(TimeStampedModel):
    """A group at the municipality's identity provider that gives its members a role in Värna.

    Read from the groups claim (VARNA_SSO_GROUPS_CLAIM, or VARNA_SAML_GROUPS_ATTRIBUTE) at each
    sign-in by single sign-on: the role is granted while the person is in the group and taken
    back when they are not (varna.accounts.services.follow_groups). Every change of a mapping
    is in the security log."""

    group = models.CharField(
        _("group"),
        max_length=200,
        help_text=_("The group's id or name exactly as the identity provider sends it."),
        validators=[visible_characters_only],
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="group_roles",
        help_text=_("The role holds for this unit and everything below it."),
    )
    title = models.CharField(_("title"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("role from a group")
        verbose_name_plural = _("roles from groups")
        ordering = ["group", "unit__path", "role"]
        constraints = [
            models.UniqueConstraint(fields=["group", "unit", "role"], name="grouprole_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.get_role_display()} ({self.unit})"
