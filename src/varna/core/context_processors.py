from django.conf import settings
from django.http import HttpRequest

from varna.cases.access import may_use_inbox
from varna.orgs.access import Action, can
from varna.reporting.selectors import unread_count


def shell(request: HttpRequest) -> dict[str, object]:
    """What every page's frame needs: session length for the timeout warning, the admin link."""
    user = getattr(request, "user", None)
    return {
        "session_idle_seconds": settings.SESSION_COOKIE_AGE,
        "session_idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        "is_demo": settings.VARNA_DEMO,
        "may_administer_anywhere": bool(user and can(user, Action.ADMINISTER)),
        "unread_notifications": unread_count(user) if user and user.is_authenticated else 0,
        "case_work": bool(user and user.is_authenticated and may_use_inbox(user)),
        "year_plan": bool(user and can(user, Action.VIEW_YEARPLAN)),
        # HR and committee members see only how well the year plan is kept.
        "year_plan_compliance": bool(user and can(user, Action.VIEW_YEARPLAN_COMPLIANCE)),
        "follow_up": bool(user and can(user, Action.VIEW_STATS)),
        "audit_follow_up": bool(
            user and (can(user, Action.VIEW_AUDIT) or can(user, Action.MANAGE_AUDIT))
        ),
    }
