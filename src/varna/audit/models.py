from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SecurityEvent(models.Model):
    """One line of the security audit log. Written only by audit.services.record_security_event."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("login")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOCKED_OUT = "locked_out", _("locked out")
        LOGOUT = "logout", _("logout")
        ROLE_GRANTED = "role_granted", _("role granted")
        ROLE_REVOKED = "role_revoked", _("role revoked")
        IMPORT = "import", _("import from HR")
        UNIT_MOVED = "unit_moved", _("unit moved")
        UNIT_CLOSED = "unit_closed", _("unit closed")
        SSO_LOGIN = "sso_login", _("single sign-on")
        SSO_REFUSED = "sso_refused", _("single sign-on refused")
        SSO_FAILED = "sso_failed", _("single sign-on failed")
        ROLE_MAPPING = "role_mapping", _("group-to-role mapping changed")
        INVITED = "invited", _("invitation sent")
        INVITATION_USED = "invitation_used", _("invitation used")
        PASSWORD_RESET = "password_reset", _("password reset")
        PASSWORD_CHANGED = "password_changed", _("password changed")
        MFA_ADDED = "mfa_added", _("second factor added")
        MFA_REMOVED = "mfa_removed", _("second factor removed")
        SESSIONS_ENDED = "sessions_ended", _("sessions ended")
        SESSION_EXPIRED = "session_expired", _("session reached its lifetime")
        REGISTER_EXTRACT = "register_extract", _("register extract made")
        RETENTION_CHANGED = "retention_changed", _("retention period changed")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The account the event concerns; kept as text too so a failed login for an unknown name
    # and a later deleted account remain readable.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("concerns"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("user name"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security log")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"
