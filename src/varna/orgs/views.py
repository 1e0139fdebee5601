from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from varna.orgs import access, selectors
from varna.orgs.access import Action
from varna.orgs.models import Unit


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The tops of the subtrees the user may look at, each with the units right below it."""
    tops = access.units_for(request.user, Action.VIEW_UNIT).filter(
        path__in=access.scope_paths(request.user, Action.VIEW_UNIT)
    )
    tops = tops.prefetch_related("children")
    return render(request, "orgs/unit_overview.html", {"tops": tops})


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.get_unit_for(request.user, code, Action.VIEW_UNIT)
    visible_units = access.units_for(request.user, Action.VIEW_UNIT)
    may_see_staff = access.can(request.user, Action.VIEW_STAFF, unit)
    staff_page = None
    if may_see_staff:
        paginator = Paginator(selectors.staff_of(unit), 50)
        staff_page = paginator.get_page(request.GET.get("sida"))
    children = unit.children.order_by("valid_to", "name")  # type: ignore[attr-defined]
    context = {
        "unit": unit,
        "breadcrumb": visible_units.filter(pk__in=unit.ancestors().values("pk")),
        "children_active": [child for child in children if child.is_active()],
        "children_closed": [child for child in children if not child.is_active()],
        "contacts": selectors.nearest_contacts(unit),
        "headcounts": selectors.headcount_history(unit),
        "staff_page": staff_page,
        "may_administer": access.can(request.user, Action.ADMINISTER, unit),
        "kinds": Unit.Kind,
    }
    return render(request, "orgs/unit_detail.html", context)
