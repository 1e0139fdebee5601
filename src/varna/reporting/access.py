"""Who may see which report: the reporting side of the one access layer (varna.orgs.access)."""

from datetime import date

from django.db.models import Q, QuerySet
from django.http import Http404

from varna.orgs import access
from varna.orgs.access import Action, AnyUser
from varna.orgs.models import Employment, Unit, User
from varna.reporting.models import Notification, ReadLog, Report
from varna.reporting.taxonomy import Form

access.register_scoped(Report, "unit__path")
access.register_scoped(Notification, "report__unit__path")
access.register_scoped(ReadLog, "report__unit__path")

# A report that goes to security, chosen by the reporter or by its form.
SECURITY_ROUTED = Q(route_to_security=True) | Q(main_form=Form.CORRUPTION)


def visible_reports(user: AnyUser) -> QuerySet[Report]:
    """Reports the user may open: their own, and those their roles cover in the tree."""
    if not user.is_authenticated:
        return Report.objects.none()
    own = Q(reporter=user) | Q(affected=user)
    line = access.scope_q(user, Action.VIEW_REPORT, "unit__path") & Q(route_to_security=False)
    security = access.scope_q(user, Action.VIEW_SECURITY_REPORT, "unit__path") & SECURITY_ROUTED
    return Report.objects.filter(own | line | security)


def get_report_for(user: AnyUser, code: str) -> Report:
    """The report with this code if the user may open it; 404 otherwise."""
    report = visible_reports(user).select_related("unit", "reporter", "affected").filter(code=code)
    found = report.first()
    if found is None:
        raise Http404
    return found


def get_own_report_for(user: AnyUser, code: str) -> Report:
    """The report with this code if the user made it or it is about them; 404 otherwise."""
    report = get_report_for(user, code)
    if not is_own(user, report):
        raise Http404
    return report


def is_own(user: AnyUser, report: Report) -> bool:
    return user.is_authenticated and user.pk in (report.reporter_id, report.affected_id)


def viewer_role(user: AnyUser, report: Report) -> str:
    """The capacity in which the user reads the report, for the read log."""
    if access.can(user, Action.VIEW_SECURITY_REPORT, report) and (
        report.route_to_security or report.main_form == Form.CORRUPTION
    ):
        return "security"
    if not report.route_to_security and access.can(user, Action.VIEW_ACTOR, report):
        return "manager"
    if not report.route_to_security and access.can(user, Action.VIEW_REPORT, report):
        return "safety_rep"
    return "reporter" if is_own(user, report) else "none"


def may_see_actor(user: AnyUser, report: Report) -> bool:
    """Whether the part about who did it is shown: the reporter's own words, managers, security."""
    return is_own(user, report) or viewer_role(user, report) in {"manager", "security"}


def reporting_units(user: AnyUser) -> QuerySet[Unit]:
    """Open units the user may report an event in: where they work or hold a role."""
    return access.units_for(user, Action.SUBMIT_REPORT).active_on(date.today())  # type: ignore[attr-defined]


def colleagues_of(user: User) -> QuerySet[User]:
    """Whom the user may report on behalf of: people in the same units, and for a manager
    everyone employed in the subtrees they manage."""
    own_units = Employment.objects.filter(user=user).values("unit")
    # Only managers hold VIEW_ACTOR: it marks the line that handles reports.
    managed = access.scope_q(user, Action.VIEW_ACTOR, "employments__unit__path")
    return (
        User.objects.filter(Q(employments__unit__in=own_units) | managed, is_active=True)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("first_name", "last_name")
    )
