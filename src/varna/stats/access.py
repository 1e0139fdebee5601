"""Who may follow up which part of the tree: the statistics side of the one access layer.

Anyone with Action.VIEW_STATS on a unit follows up its subtree; a committee member only at the
levels a committee governs (the kommun, nämnd and förvaltning), never the units below. Figures
are shown exactly only to those who may open the events themselves (Action.VIEW_CASE: the
managers and safety representatives of the subtree); everyone else gets them with small
numbers adjusted (varna.core.perturbation). The case-level export is for those with
Action.EXPORT_CASES, and is logged.
"""

from collections.abc import Callable, Iterable, Sequence

from varna.orgs import access, tree
from varna.orgs.access import Action, AnyUser
from varna.orgs.models import Role, Unit

COMMITTEE_KINDS = frozenset({Unit.Kind.MUNICIPALITY, Unit.Kind.COMMITTEE, Unit.Kind.ADMINISTRATION})


def _full_tops(user: AnyUser) -> list[str]:
    """Tops where the user follows up every level (any role with VIEW_STATS but committee)."""
    return sorted(
        {
            path
            for role, path in access.role_paths(user)
            if role != Role.COMMITTEE and Action.VIEW_STATS in access.ROLE_ACTIONS[role]
        }
    )


def _below_any(tops: Iterable[str]) -> Callable[[Unit], bool]:
    """Whether a unit is in one of these subtrees: its own or an ancestor's path is a top, a
    look-up per level rather than a comparison per top (an analyst may have hundreds)."""
    found = set(tops)
    return lambda unit: any(path in found for path in tree.ancestor_paths(unit.path))


def follow_up_check(user: AnyUser) -> Callable[[Unit], bool]:
    """`may_follow_up` for many units: the user's roles are read once."""
    full = _below_any(_full_tops(user))
    stats = _below_any(access.scope_paths(user, Action.VIEW_STATS))
    return lambda unit: full(unit) or (unit.kind in COMMITTEE_KINDS and stats(unit))


def may_follow_up(user: AnyUser, unit: Unit) -> bool:
    """Whether the user may see the figures of the unit's subtree."""
    return follow_up_check(user)(unit)


def tops(user: AnyUser) -> list[Unit]:
    """The tops of the subtrees the user follows up, in tree order."""
    paths = access.scope_paths(user, Action.VIEW_STATS)
    return list(Unit.objects.filter(path__in=paths).order_by("path"))


def unit_for(user: AnyUser, code: str) -> Unit | None:
    """The unit with this code if the user may follow it up; None otherwise (the page says
    so, rather than hinting whether such a unit exists)."""
    unit = Unit.objects.filter(code=code).first()
    if unit is None or not may_follow_up(user, unit):
        return None
    return unit


def reveals(user: AnyUser, units: Sequence[Unit]) -> bool:
    """Whether the figures of these subtrees may be shown exactly: the user may open every
    line case in them."""
    return bool(units) and all(access.can(user, Action.VIEW_CASE, unit) for unit in units)


def opens_cases(user: AnyUser, unit: Unit) -> bool:
    """Whether a figure may link to the unit's cases in the inbox."""
    return access.can(user, Action.VIEW_CASE, unit)


def opened_paths(user: AnyUser, action: Action = Action.VIEW_CASE) -> list[str]:
    """The tops of the subtrees where the user may open the cases (by default the line
    cases, whole; VIEW_SUPPORT: the line cases' support part; VIEW_SECURITY_REPORT: the
    security cases)."""
    return access.scope_paths(user, action)


def opens_cases_check(user: AnyUser) -> Callable[[Unit], bool]:
    """`opens_cases` for many units: the user's roles are read once."""
    return _below_any(opened_paths(user))


def may_export_cases(user: AnyUser, units: Sequence[Unit]) -> bool:
    return bool(units) and all(access.can(user, Action.EXPORT_CASES, unit) for unit in units)
