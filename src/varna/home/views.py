from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from varna.audit.models import SecurityEvent
from varna.audit.selectors import visible_security_events
from varna.cases import access as case_access
from varna.cases import selectors as case_selectors
from varna.orgs import access, selectors
from varna.orgs.access import Action
from varna.orgs.models import Role
from varna.reporting import selectors as reporting_selectors
from varna.reporting.models import Notification
from varna.risk import selectors as risk_selectors
from varna.stats import access as stats_access
from varna.training import selectors as training_selectors
from varna.yearplan import selectors as yearplan_selectors


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """What needs this person now, one panel per role they hold."""
    user = request.user
    employments = list(selectors.employments_of(user))  # type: ignore[arg-type]
    home_unit = employments[0].unit if employments else None
    context: dict[str, object] = {
        "Role": Role,
        "employments": employments,
        "contacts": selectors.nearest_contacts(home_unit) if home_unit else {},
        "grants": user.role_grants.select_related("unit").order_by("unit__path"),  # type: ignore[union-attr]
    }
    context["my_reports"] = reporting_selectors.reports_of(user)[:5]  # type: ignore[arg-type]
    # Every employee sees when their workplace's risks were last assessed, and what was found.
    context["risk_summaries"] = [
        (employment.unit, risk_selectors.governing(employment.unit))
        for employment in employments[:3]
    ]
    if access.can(user, Action.VIEW_REPORT) or access.can(user, Action.VIEW_SECURITY_REPORT):
        context["handles_reports"] = True
        context["unread"] = (
            Notification.objects.filter(recipient=user, read_at=None)
            .select_related("report", "report__unit", "unit", "audit_measure")
            .order_by("-created_at")[:10]
        )
    if case_access.may_use_inbox(user):
        context["case_counts"] = case_selectors.counts(user)
    if access.can(user, Action.VIEW_STATS):
        context["follow_up_tops"] = stats_access.tops(user)
    today = timezone.localdate()
    context["today"] = today
    # Everyone sees their own training; whoever follows up others' also where to find it.
    context["my_training"] = training_selectors.own_courses(user.pk, today)  # type: ignore[arg-type]
    if access.can(user, Action.VIEW_TRAINING):
        context["training_tops"] = list(training_selectors.top_units(user))
    if access.can(user, Action.MANAGE_RISK):
        context["risk_attention"] = risk_selectors.needing_attention(
            access.units_for(user, Action.MANAGE_RISK)
        )
    if access.can(user, Action.MANAGE_YEARPLAN):
        context["year_plan_due"] = list(yearplan_selectors.due_for(user, today)[:10])  # type: ignore[arg-type]
    if access.can(user, Action.ADMINISTER):
        managed = access.units_for(user, Action.ADMINISTER)
        year = timezone.localdate().year
        context["admin"] = {
            "missing_headcount": selectors.units_missing_headcount(managed, year)[:20],
            "without_manager": selectors.units_without_manager(managed)[:20],
            "year": year,
            # The municipalities whose retention plan they keep (administered at the root).
            "municipalities": list(managed.filter(depth=0).order_by("name")[:20]),
        }
        context["admin"]["failed_emails"] = (  # type: ignore[index]
            access.visible(user, Action.ADMINISTER, Notification.objects.all())
            .filter(email_status=Notification.Delivery.FAILED)
            .count()
        )
        since = timezone.now() - timedelta(days=1)
        context["admin"]["lockouts"] = (  # type: ignore[index]
            visible_security_events(user)
            .filter(kind=SecurityEvent.Kind.LOCKED_OUT, created_at__gte=since)
            .count()
        )
    return render(request, "home/start.html", context)
