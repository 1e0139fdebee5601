"""The one access layer: who may do what, where in the organisation tree.

Every view, export and API endpoint asks this module, never the models directly:
- `can(user, action, obj)` answers "may this user do this action on this object";
- `visible(user, action, queryset)` narrows a queryset to what the user may see;
- `get_unit_for(user, code, action)` fetches and authorises in one call, raising 404.
A role is granted on a unit and holds for its whole subtree, so every answer reduces to "is the
object's unit inside one of the subtrees where the user holds a role that allows the action".
Refusals look like absence (404) so that nobody learns what exists outside their scope.
The table below is DOMAIN.md section 8; later capabilities add their actions to it.
"""

from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Q
from django.http import Http404

from varna.orgs import tree
from varna.orgs.models import Employment, Headcount, Role, RoleGrant, Unit, User


class Action(StrEnum):
    VIEW_UNIT = "unit.view"  # the unit's name, place in the tree, headcount and contacts
    VIEW_STAFF = "unit.staff"  # who is employed in the unit and which roles they hold
    ADMINISTER = "org.administer"  # manage units, people and roles (no case content)
    SUBMIT_REPORT = "report.submit"  # report an event that happened in the unit
    VIEW_REPORT = "report.view"  # read reports of the unit (not those sent to security)
    VIEW_SECURITY_REPORT = "report.security"  # read corruption and reports sent to security
    VIEW_ACTOR = "report.actor"  # see what a line report says about who did it
    VIEW_CASE = "case.view"  # read the handling of the unit's line cases
    HANDLE_CASE = "case.handle"  # handle the unit's line cases, answer requests for measures
    REQUEST_MEASURES = "case.request"  # formally request measures (AML 6 kap. 6 a §)
    VIEW_SUPPORT = "case.support"  # read the support and injury parts of the unit's cases
    VIEW_RISK_SUMMARY = "risk.summary"  # the plain summary of the unit's risk assessment
    VIEW_RISK = "risk.view"  # read the unit's risk assessments and action plan in full
    MANAGE_RISK = "risk.manage"  # make, change and approve risk assessments and action plans
    CONFIRM_RISK = "risk.confirm"  # confirm taking part in an assessment, or record disagreement
    VIEW_YEARPLAN = "yearplan.view"  # the SAM year plan and whether units are behind
    MANAGE_YEARPLAN = "yearplan.manage"  # mark the unit's year-plan activities done
    # How well the unit keeps the year plan (the share done on time), not the plan itself.
    VIEW_YEARPLAN_COMPLIANCE = "yearplan.compliance"
    VIEW_STATS = "stats.view"  # follow up the unit's figures (adjusted, see core.perturbation)
    EXPORT_CASES = "stats.export_cases"  # export the unit's line cases row by row (logged)
    # Write, change and publish the method handbook of the municipality the grant lies in
    # (a grant on the municipality itself; see varna.handbook.access).
    EDIT_HANDBOOK = "handbook.edit"
    VIEW_TRAINING = "training.view"  # who in the unit has which training, who is due or overdue
    REGISTER_TRAINING = "training.register"  # register completed courses for the unit's staff
    VIEW_AUDIT = "audit.view"  # the audits of the unit, their recommendations and measures
    MANAGE_AUDIT = "audit.manage"  # record audits, the committee's answers and the measures


_EVERYONE = frozenset({Action.VIEW_UNIT, Action.SUBMIT_REPORT, Action.VIEW_RISK_SUMMARY})
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.EMPLOYEE: _EVERYONE,
    Role.MANAGER: _EVERYONE
    | {
        Action.VIEW_STAFF,
        Action.VIEW_REPORT,
        Action.VIEW_ACTOR,
        Action.VIEW_CASE,
        Action.HANDLE_CASE,
        Action.VIEW_SUPPORT,
        Action.VIEW_RISK,
        Action.MANAGE_RISK,
        Action.VIEW_YEARPLAN,
        Action.MANAGE_YEARPLAN,
        Action.VIEW_YEARPLAN_COMPLIANCE,
        Action.VIEW_STATS,
        Action.EXPORT_CASES,
        Action.VIEW_TRAINING,
        Action.REGISTER_TRAINING,
    },
    # The safety representative reads reports and cases, but nothing about who did it, and
    # takes part in the unit's risk assessments.
    Role.SAFETY_REP: _EVERYONE
    | {
        Action.VIEW_STAFF,
        Action.VIEW_REPORT,
        Action.VIEW_CASE,
        Action.REQUEST_MEASURES,
        Action.VIEW_RISK,
        Action.CONFIRM_RISK,
        Action.VIEW_YEARPLAN,
        Action.VIEW_YEARPLAN_COMPLIANCE,
        Action.VIEW_STATS,
    },
    # HR reads the support and injury parts of cases, not the event itself, and how well the
    # year plan is kept (not the plan's activities and their evidence).
    Role.HR: _EVERYONE
    | {
        Action.VIEW_STAFF,
        Action.VIEW_SUPPORT,
        Action.VIEW_YEARPLAN_COMPLIANCE,
        Action.VIEW_STATS,
        Action.VIEW_TRAINING,
        Action.REGISTER_TRAINING,
    },
    # Security reads the actor part of the reports sent to it (see reporting.access), not of
    # the line's reports, even if the person also holds another role there.
    Role.SECURITY: _EVERYONE | {Action.VIEW_SECURITY_REPORT, Action.VIEW_STATS},
    # Security coordinators and investigators also read the cases assigned to them
    # (varna.cases.access), wherever the case's unit lies within their grant.
    Role.INVESTIGATOR: _EVERYONE,
    # Follow-up and audit see compliance (is the year plan kept, are assessments made), not
    # what the assessments say.
    Role.ANALYST: _EVERYONE
    | {
        Action.VIEW_YEARPLAN,
        Action.VIEW_YEARPLAN_COMPLIANCE,
        Action.VIEW_STATS,
        Action.VIEW_AUDIT,
    },
    Role.AUDITOR: _EVERYONE
    | {
        Action.VIEW_YEARPLAN,
        Action.VIEW_YEARPLAN_COMPLIANCE,
        Action.VIEW_STATS,
        Action.VIEW_AUDIT,
    },
    # The committee (nämnd) follows up its own subtree at nämnd and förvaltning level only
    # (varna.stats.access), with figures adjusted, and how well the year plan is kept in
    # every unit of it (a share of activities, nothing about people or events).
    Role.COMMITTEE: _EVERYONE
    | {Action.VIEW_YEARPLAN_COMPLIANCE, Action.VIEW_STATS, Action.VIEW_AUDIT},
    # Administering is not reading: no report content at all.
    # Administrators also keep the audits: recommendations and measures are no case content.
    Role.ADMIN: _EVERYONE | {Action.VIEW_STAFF, Action.ADMINISTER, Action.MANAGE_AUDIT},
    # The handbook's editors (the municipality's working group against unlawful influence)
    # write routines for everyone; the role gives nothing else (they read no reports, cases or
    # people): what an editor does as an employee comes from their employee grant.
    Role.EDITOR: frozenset({Action.EDIT_HANDBOOK}),
}

# For each model under access control: the lookup from the model to its unit's path.
_PATH_LOOKUPS: dict[type[models.Model], str] = {
    Unit: "path",
    Headcount: "unit__path",
    Employment: "unit__path",
    RoleGrant: "unit__path",
}


def register_scoped(model: type[models.Model], path_lookup: str) -> None:
    """Put a model under the access layer: `path_lookup` leads from it to its unit's path."""
    _PATH_LOOKUPS[model] = path_lookup


AnyUser = User | AnonymousUser
_CACHE_ATTR = "_varna_role_paths"


def role_paths(user: AnyUser) -> list[tuple[str, str]]:
    """(role, unit path) for every role the user holds; cached on the user for the request."""
    if not user.is_authenticated or not user.is_active:
        return []
    cached: list[tuple[str, str]] | None = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            RoleGrant.objects.filter(user=user).values_list("role", "unit__path").order_by()
        )
        if user.is_superuser:
            # The bootstrap account administers every root but, like any administrator,
            # reads no case content.
            roots = Unit.objects.roots().values_list("path", flat=True)
            cached += [(Role.ADMIN.value, path) for path in roots]
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_roles(user: AnyUser) -> None:
    """Drop the cached roles after a grant changes during a request."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def scope_paths(user: AnyUser, action: Action) -> list[str]:
    """The tops of the subtrees where the user may do `action`, without nested duplicates."""
    paths = sorted({path for role, path in role_paths(user) if action in ROLE_ACTIONS[role]})
    tops: list[str] = []
    for path in paths:
        if not tops or not path.startswith(tops[-1]):
            tops.append(path)
    return tops


def roles_of(user: AnyUser) -> set[str]:
    """Every role the user holds anywhere."""
    return {role for role, _ in role_paths(user)}


def scope_q(user: AnyUser, action: Action, path_lookup: str = "path") -> Q:
    """A filter for rows whose unit path lies in the user's scope for `action`."""
    query = Q(pk__in=[])
    for path in scope_paths(user, action):
        query |= tree.subtree_q(path, path_lookup)
    return query


def visible[M: models.Model](
    user: AnyUser, action: Action, queryset: models.QuerySet[M]
) -> models.QuerySet[M]:
    """Narrow `queryset` to the rows the user may see for `action`."""
    lookup = _PATH_LOOKUPS[queryset.model]
    paths = scope_paths(user, action)
    if not paths:
        return queryset.none()
    return queryset.filter(scope_q(user, action, lookup))


def units_for(user: AnyUser, action: Action) -> models.QuerySet[Unit]:
    """Units where the user may do `action`."""
    return visible(user, action, Unit.objects.all())


def _unit_path(obj: Any) -> str:
    """Follow the model's registered lookup (e.g. report__unit__path) on the object itself."""
    lookup = _PATH_LOOKUPS.get(type(obj))
    if lookup is None:
        raise TypeError(f"{type(obj).__name__} is not under access control")
    value = obj
    for name in lookup.split("__"):
        value = getattr(value, name)
    return str(value)


def can(user: AnyUser, action: Action, obj: Any = None) -> bool:
    """May `user` do `action` on `obj` (or anywhere, when `obj` is None)?"""
    paths = scope_paths(user, action)
    if obj is None:
        return bool(paths)
    path = _unit_path(obj)
    return any(path.startswith(top) for top in paths)


def get_unit_for(user: AnyUser, code: str, action: Action = Action.VIEW_UNIT) -> Unit:
    """The unit with this code if the user may do `action` on it; 404 otherwise."""
    unit = Unit.objects.filter(code=code).first()
    if unit is None or not can(user, action, unit):
        raise Http404
    return unit


def municipality_paths(user: AnyUser) -> list[str]:
    """The paths of the municipalities the user holds any role in: whose handbook and courses
    they read."""
    return sorted({path[: tree.SEGMENT] for _role, path in role_paths(user)})


def in_municipality(user: AnyUser, unit: Unit) -> bool:
    """Whether `unit` lies in a municipality the user holds any role in."""
    return unit.path[: tree.SEGMENT] in municipality_paths(user)


def is_root_administrator(user: AnyUser) -> bool:
    """Administers at least one whole municipality (sees the security log)."""
    return any(len(path) == tree.SEGMENT for path in scope_paths(user, Action.ADMINISTER))


def administers_installation(user: AnyUser) -> bool:
    """Sets what belongs to the whole installation rather than to a municipality (the
    retention of drafts and of the security log): the bootstrap account only."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def administered_people(user: AnyUser) -> models.QuerySet[User]:
    """People the user may edit: every employment and role they have lies inside the user's
    administered subtrees (so nobody can reach a person, and their password, from outside),
    plus accounts placed nowhere yet for administrators of a whole municipality."""
    inside = scope_q(user, Action.ADMINISTER, "unit__path")
    placed_inside = Q(pk__in=Employment.objects.filter(inside).values("user")) | Q(
        pk__in=RoleGrant.objects.filter(inside).values("user")
    )
    people = User.objects.filter(is_superuser=False)
    if is_root_administrator(user):
        unplaced = Q(employments__isnull=True, role_grants__isnull=True)
        placed_inside |= unplaced
    return (
        people.filter(placed_inside)
        .exclude(pk__in=Employment.objects.exclude(inside).values("user"))
        .exclude(pk__in=RoleGrant.objects.exclude(inside).values("user"))
        .distinct()
    )
