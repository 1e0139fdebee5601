"""Reads of the security log."""

from django.db.models import Q, QuerySet

from varna.audit.models import SecurityEvent
from varna.orgs import access
from varna.orgs.access import Action, AnyUser


def visible_security_events(user: AnyUser) -> QuerySet[SecurityEvent]:
    """Events about people in the administrator's subtrees, and failed logins under names that
    match no account; nothing for anyone who does not administer a whole municipality."""
    if not access.is_root_administrator(user):
        return SecurityEvent.objects.none()
    employed = access.scope_q(user, Action.ADMINISTER, "subject__employments__unit__path")
    granted = access.scope_q(user, Action.ADMINISTER, "subject__role_grants__unit__path")
    return SecurityEvent.objects.filter(employed | granted | Q(subject__isnull=True)).distinct()
