"""Reads about the organisation that are more than a filter."""

from datetime import date

from django.db.models import Q, QuerySet

from varna.orgs import tree
from varna.orgs.models import Employment, Headcount, Role, RoleGrant, Unit, User

CONTACT_ROLES = (Role.MANAGER, Role.SAFETY_REP)


def contacts_for(unit: Unit) -> QuerySet[RoleGrant]:
    """Managers and safety representatives who answer for `unit`: on it or on a unit above it."""
    return (
        RoleGrant.objects.filter(
            unit__path__in=tree.ancestor_paths(unit.path), role__in=CONTACT_ROLES
        )
        .select_related("user", "unit")
        .order_by("role", "-unit__depth", "user__last_name")
    )


def nearest_contacts(unit: Unit) -> dict[str, list[RoleGrant]]:
    """For each contact role, the grants on the unit nearest to `unit` that has any."""
    nearest: dict[str, list[RoleGrant]] = {}
    depth_of: dict[str, int] = {}
    for grant in contacts_for(unit):
        found = depth_of.get(grant.role)
        if found is None or found == grant.unit.depth:
            nearest.setdefault(grant.role, []).append(grant)
            depth_of[grant.role] = grant.unit.depth
    return nearest


def holders_by_level(unit: Unit, role: str) -> list[list[User]]:
    """Holders of `role` on `unit` and the units above it, grouped nearest first: level 0 is
    the nearest unit that has any, level 1 the next unit above that has any, and so on."""
    grants = (
        RoleGrant.objects.filter(
            unit__path__in=tree.ancestor_paths(unit.path), role=role, user__is_active=True
        )
        .select_related("user", "unit")
        .order_by("-unit__depth", "user_id")
    )
    levels: list[list[User]] = []
    depth = None
    for grant in grants:
        if grant.unit.depth != depth:
            levels.append([])
            depth = grant.unit.depth
        levels[-1].append(grant.user)
    return levels


def nearest_holders(unit: Unit, role: str) -> list[User]:
    """The holders of `role` on the unit nearest to `unit` (itself, then upwards) that has any."""
    levels = holders_by_level(unit, role)
    return levels[0] if levels else []


def staff_of(unit: Unit, *, day: date | None = None) -> QuerySet[Employment]:
    """People currently employed in the unit itself."""
    day = day or date.today()
    return (
        Employment.objects.filter(unit=unit)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )


def headcount_history(unit: Unit) -> list[dict[str, int]]:
    """Headcount of the unit itself and of its whole subtree, per year, newest first."""
    own = dict(Headcount.objects.filter(unit=unit).values_list("year", "employees"))
    subtree: dict[int, int] = {}
    for year, employees in Headcount.objects.filter(
        tree.subtree_q(unit.path, "unit__path")
    ).values_list("year", "employees"):
        subtree[year] = subtree.get(year, 0) + employees
    return [
        {"year": year, "own": own.get(year, 0), "subtree": subtree[year]}
        for year in sorted(subtree, reverse=True)
    ]


def employments_of(user: User) -> QuerySet[Employment]:
    return user.employments.select_related("unit").order_by("unit__path")  # type: ignore[attr-defined]


def units_missing_headcount(units: QuerySet[Unit], year: int) -> QuerySet[Unit]:
    """Active units among `units` with people employed but no headcount for `year`."""
    return (
        units.active_on(date.today())  # type: ignore[attr-defined]
        .filter(employments__isnull=False)
        .exclude(headcounts__year=year)
        .distinct()
    )


def units_without_manager(units: QuerySet[Unit]) -> QuerySet[Unit]:
    """Active units of kind enhet among `units` where nobody holds the manager role on the unit."""
    return (
        units.active_on(date.today())  # type: ignore[attr-defined]
        .filter(kind=Unit.Kind.UNIT)
        .exclude(role_grants__role=Role.MANAGER)
        .distinct()
    )
