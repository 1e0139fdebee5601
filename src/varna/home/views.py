from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from varna.audit.models import SecurityEvent
from varna.orgs import access, selectors
from varna.orgs.access import Action
from varna.orgs.models import Role


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """What needs this person now, one panel per role they hold."""
    user = request.user
    roles = access.roles_of(user)
    employments = list(selectors.employments_of(user))  # type: ignore[arg-type]
    home_unit = employments[0].unit if employments else None
    context: dict[str, object] = {
        "roles": roles,
        "Role": Role,
        "employments": employments,
        "contacts": selectors.nearest_contacts(home_unit) if home_unit else {},
        "grants": user.role_grants.select_related("unit").order_by("unit__path"),  # type: ignore[union-attr]
    }
    if roles & {Role.MANAGER, Role.SAFETY_REP, Role.HR, Role.SECURITY, Role.INVESTIGATOR}:
        context["handles_reports"] = True
    if roles & {Role.ANALYST, Role.AUDITOR, Role.MANAGER}:
        context["follows_up"] = True
    if access.can(user, Action.ADMINISTER):
        managed = access.units_for(user, Action.ADMINISTER)
        year = timezone.localdate().year
        context["admin"] = {
            "missing_headcount": selectors.units_missing_headcount(managed, year)[:20],
            "without_manager": selectors.units_without_manager(managed)[:20],
            "year": year,
        }
        if access.is_root_administrator(user):
            since = timezone.now() - timedelta(days=1)
            context["admin"]["lockouts"] = SecurityEvent.objects.filter(  # type: ignore[index]
                kind=SecurityEvent.Kind.LOCKED_OUT, created_at__gte=since
            ).count()
    return render(request, "home/start.html", context)
