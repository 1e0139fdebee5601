"""Who may follow up which part of the tree: the statistics side of the one access layer.

Anyone with Action.VIEW_STATS on a unit follows up its subtree; a committee member only at the
levels a committee governs (the kommun, nämnd and förvaltning), never the units below. Figures
are shown exactly only to those who may open the events themselves (Action.VIEW_CASE: the
managers and safety representatives of the subtree); everyone else gets them with small
numbers hidden (varna.stats.suppression). The case-level export is for those with
Action.EXPORT_CASES, and is logged.
"""

from collections.abc import Sequence

from varna.orgs import access
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


def may_follow_up(user: AnyUser, unit: Unit) -> bool:
    """Whether the user may see the figures of the unit's subtree."""
    if any(unit.path.startswith(top) for top in _full_tops(user)):
        return True
    return unit.kind in COMMITTEE_KINDS and access.can(user, Action.VIEW_STATS, unit)


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


def may_export_cases(user: AnyUser, units: Sequence[Unit]) -> bool:
    return bool(units) and all(access.can(user, Action.EXPORT_CASES, unit) for unit in units)
