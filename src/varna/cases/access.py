"""Who may see and do what on a case: the case side of the one access layer.

A person reads a case in one capacity, the strongest they hold for it:
- `manager` (line manager or a manager above, and their deputies): handles line cases;
- `security`: handles corruption and cases sent to security, and cases assigned to them;
- `investigator`: reads cases assigned to them;
- `safety_rep`: reads line cases of their units and comments, without the actor part;
- `hr`: reads the support and injury parts of line cases in scope.
The reporter follows their case on the report page (status, measures concerning them, who
opened it). Everyone else gets 404.
"""

from enum import StrEnum
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Lookup, Q, QuerySet
from django.http import Http404

from varna.cases.models import Assignment, Case, SafetyRequest
from varna.orgs import access, tree
from varna.orgs.access import Action, AnyUser
from varna.orgs.models import Role, RoleGrant, Unit, User
from varna.reporting.models import Report
from varna.reporting.taxonomy import Form

access.register_scoped(Case, "unit__path")
access.register_scoped(SafetyRequest, "unit__path")


class Capacity(StrEnum):
    MANAGER = "manager"
    SECURITY = "security"
    INVESTIGATOR = "investigator"
    SAFETY_REP = "safety_rep"
    HR = "hr"


HANDLERS = {Capacity.MANAGER, Capacity.SECURITY}
# Personal data about the actor: the handlers only.
SEES_ACTOR = HANDLERS
SEES_CONTENT = HANDLERS | {Capacity.INVESTIGATOR, Capacity.SAFETY_REP}
SEES_SUPPORT = HANDLERS | {Capacity.SAFETY_REP, Capacity.HR}
COMMENTS = SEES_CONTENT

# Cases security handles by their nature: corruption, and what the reporter sent to security.
SECURITY_CASES = Q(security_routed=True) | Q(main_form=Form.CORRUPTION)


def visible_cases(user: AnyUser) -> QuerySet[Case]:
    """Every case the user may open in any capacity."""
    if not user.is_authenticated:
        return Case.objects.none()
    # Built once per request and roles, like the role cache: the inbox asks for the list, its
    # count and the headline. Each caller gets its own copy, never rows another one fetched.
    key = (user.pk, tuple(access.role_paths(user)))
    cached: tuple[Any, QuerySet[Case]] | None = user.__dict__.get("_varna_visible_cases")
    if cached is None or cached[0] != key:
        cached = (key, _visible_cases(user))
        user.__dict__["_varna_visible_cases"] = cached
    return cached[1].all()


def _visible_cases(user: AnyUser) -> QuerySet[Case]:
    line = _in_units(user, Action.VIEW_CASE, Action.VIEW_SUPPORT)
    security = _in_units(user, Action.VIEW_SECURITY_REPORT)
    query = (line & Q(security_routed=False)) | (security & SECURITY_CASES)
    for role in ASSIGNABLE:
        tops = _role_tops(user, role)
        if not tops:
            continue  # no such role: its assignments no longer count
        # An assignment counts while the person still holds the role over the case's unit.
        covered = Q(pk__in=[])
        for path in tops:
            covered |= tree.subtree_q(path, "unit__path")
        assigned = Assignment.objects.filter(user=user.pk, role=role).values("case")
        query |= covered & Q(pk__in=assigned)
    # Not the cases about the user: a small set, read from the report's index on `affected`.
    about_them = Report.objects.filter(affected=user.pk).values("pk")
    return Case.objects.filter(query).exclude(pk__in=about_them)


ASSIGNABLE = [Role.SECURITY, Role.INVESTIGATOR]


# Up to this many units, a scope is sent to the database as a list of unit keys.
UNIT_LIST_MAX = 2_000


def _in_units(user: AnyUser, *actions: Action) -> Q:
    """Cases in units where the user may do any of `actions`. A scope of a few hundred units
    (a manager's) becomes a list of keys, so the case table is filtered on its own indexed
    column; a larger one stays a join on the tree's paths."""
    tops = {path for action in actions for path in access.scope_paths(user, action)}
    if not tops:
        return Q(pk__in=[])
    # Kept on the user for the request, like the role cache (the inbox asks more than once).
    cache: dict[frozenset[str], Q] = user.__dict__.setdefault("_varna_case_scopes", {})
    key = frozenset(tops)
    if key not in cache:
        cache[key] = _units_q(tops)
    return cache[key]


class AmongUnits(Lookup):  # type: ignore[type-arg]
    """`unit__among=[keys]`: the case's unit is one of these. The same rows as `unit__in`, but
    on PostgreSQL the keys go as one array parameter: a manager's few hundred units are then
    not prepared, compiled and quoted one by one for every query of the inbox (that cost more
    CPU than the rest of the page's SQL). The keys are the units' own primary keys."""

    lookup_name = "among"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        keys = [int(key) for key in self.rhs]
        if not keys:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            # Written as an array literal here: the driver would inspect every element.
            array_type = self.lhs.output_field.db_type(connection)
            literal = "{" + ",".join(map(str, keys)) + "}"
            return f"{lhs} = ANY(%s::{array_type}[])", (*lhs_params, literal)
        return f"{lhs} IN ({', '.join(['%s'] * len(keys))})", (*lhs_params, *keys)


Case._meta.get_field("unit").register_lookup(AmongUnits)


def _units_q(tops: set[str]) -> Q:
    scope = Q(pk__in=[])
    for path in tops:
        scope |= tree.subtree_q(path)
    ids = list(Unit.objects.filter(scope).values_list("pk", flat=True)[: UNIT_LIST_MAX + 1])
    if len(ids) <= UNIT_LIST_MAX:
        return Q(unit__among=ids)
    joined = Q(pk__in=[])
    for path in tops:
        joined |= tree.subtree_q(path, "unit__path")
    return joined


def _role_tops(user: AnyUser, role: str) -> list[str]:
    return sorted({path for held, path in access.role_paths(user) if held == role})


def _assigned_roles(user: AnyUser, case: Case) -> set[str]:
    """The roles in which the case is assigned to the user and that they still hold over it."""
    assigned = {
        assignment.role for assignment in case.assignments.all() if assignment.user_id == user.pk
    }
    return {
        role
        for role in assigned
        if any(case.unit.path.startswith(path) for path in _role_tops(user, role))
    }


def capacity(user: AnyUser, case: Case) -> Capacity | None:
    """The strongest capacity in which the user may open the case, or None."""
    if not user.is_authenticated or user.pk == case.report.affected_id:
        # The person it happened to follows the case on their report page, also when they
        # are a manager: nobody handles a case about themselves.
        return None
    assigned = _assigned_roles(user, case)
    is_security_case = case.security_routed or case.main_form == Form.CORRUPTION
    if (is_security_case and access.can(user, Action.VIEW_SECURITY_REPORT, case)) or (
        Role.SECURITY in assigned
    ):
        return Capacity.SECURITY
    if not case.security_routed and access.can(user, Action.HANDLE_CASE, case):
        return Capacity.MANAGER
    if Role.INVESTIGATOR in assigned:
        return Capacity.INVESTIGATOR
    if not case.security_routed:
        if access.can(user, Action.VIEW_CASE, case):
            return Capacity.SAFETY_REP
        if access.can(user, Action.VIEW_SUPPORT, case):
            return Capacity.HR
    return None


def get_case_for(user: AnyUser, code: str) -> tuple[Case, Capacity]:
    """The case of the report with this code and the user's capacity; 404 if they have none."""
    case = (
        Case.objects.select_related("report", "report__reporter", "report__affected", "unit")
        .prefetch_related("assignments")
        .filter(report__code=code)
        .first()
    )
    role = capacity(user, case) if case is not None else None
    if case is None or role is None:
        raise Http404
    return case, role


def handled_case_for(user: AnyUser, code: str) -> Case:
    """The case if the user may handle it (manager or security); 404 otherwise."""
    case, role = get_case_for(user, code)
    if role not in HANDLERS:
        raise Http404
    return case


def may_handle(user: AnyUser) -> bool:
    return access.can(user, Action.HANDLE_CASE) or access.can(user, Action.VIEW_SECURITY_REPORT)


# The actions that make up case work in a unit: any of them puts its cases in the inbox.
CASE_WORK = (Action.VIEW_CASE, Action.VIEW_SUPPORT, Action.VIEW_SECURITY_REPORT)


def may_use_inbox(user: AnyUser) -> bool:
    """Whether the user has case work anywhere (shows the inbox in the menu)."""
    return any(access.can(user, action) for action in CASE_WORK) or (
        bool(set(ASSIGNABLE) & access.roles_of(user))
        and Assignment.objects.filter(user=user.pk).exists()
    )


def case_work_unit(user: AnyUser, code: str) -> Unit | None:
    """The unit with this code if the user's case work covers it (the inbox's unit filter)."""
    unit = Unit.objects.filter(code=code).first()
    if unit is None or not any(access.can(user, action, unit) for action in CASE_WORK):
        return None
    return unit


def sees_events_anywhere(user: AnyUser) -> bool:
    """Whether any case the user opens shows what happened (everyone but HR)."""
    return (
        access.can(user, Action.VIEW_CASE)
        or access.can(user, Action.VIEW_SECURITY_REPORT)
        or bool(set(ASSIGNABLE) & access.roles_of(user))
    )


def visible_requests(user: AnyUser) -> QuerySet[SafetyRequest]:
    """Requests for measures the user may read: managers and safety representatives of the
    unit (a request on a case sent to security stays with security and the requester)."""
    if not user.is_authenticated:
        return SafetyRequest.objects.none()
    scope = access.scope_q(user, Action.HANDLE_CASE, "unit__path") | access.scope_q(
        user, Action.REQUEST_MEASURES, "unit__path"
    )
    return SafetyRequest.objects.filter(
        (scope & (Q(case=None) | Q(case__security_routed=False))) | Q(requested_by=user.pk)
    )


def request_units(user: AnyUser) -> QuerySet[Unit]:
    """Units on which the user may formally request measures."""
    return access.units_for(user, Action.REQUEST_MEASURES)


def assignable_people(case: Case) -> QuerySet[RoleGrant]:
    """Security coordinators and investigators whose grant covers the case's unit."""

    return (
        RoleGrant.objects.filter(
            unit__path__in=tree.ancestor_paths(case.unit.path),
            role__in=[Role.SECURITY, Role.INVESTIGATOR],
            user__is_active=True,
        )
        .select_related("user", "unit")
        .order_by("role", "user__first_name", "user__last_name")
    )


def possible_handlers(case: Case) -> QuerySet[User]:
    """Who can handle the case: managers whose grant covers its unit (the line manager,
    deputies, those above), or security coordinators for a case sent to security; never the
    person it happened to."""

    role = Role.SECURITY if case.security_routed else Role.MANAGER
    return (
        User.objects.filter(
            is_active=True,
            role_grants__role=role,
            role_grants__unit__path__in=tree.ancestor_paths(case.unit.path),
        )
        .exclude(pk=case.report.affected_id)
        .distinct()
        .order_by("first_name", "last_name")
    )
