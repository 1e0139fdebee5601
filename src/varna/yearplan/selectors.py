"""Reads of the year plan: the overview rolled up the tree, how well it is kept, a unit's
plan, what is due."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import ExtractMonth, Substr

from varna.orgs import tree
from varna.orgs.access import Action, AnyUser
from varna.orgs.models import Unit, User
from varna.yearplan import access
from varna.yearplan.models import Activity

MONTHS = range(1, 13)


@dataclass
class Cell:
    """One month of one row: how many activities due that month are done, still to do, late."""

    done: int = 0
    due: int = 0
    overdue: int = 0
    month: date | None = None  # its first day, for a page that names it in every cell

    @property
    def total(self) -> int:
        return self.done + self.due + self.overdue


@dataclass
class Row:
    unit: Unit
    own: bool  # the unit's own activities, not its subtree's
    has_children: bool = False
    months: list[Cell] = field(default_factory=lambda: [Cell() for _ in MONTHS])

    @property
    def done(self) -> int:
        return sum(cell.done for cell in self.months)

    @property
    def overdue(self) -> int:
        return sum(cell.overdue for cell in self.months)

    @property
    def total(self) -> int:
        return sum(cell.total for cell in self.months)


def _year(queryset: QuerySet[Activity], year: int) -> QuerySet[Activity]:
    return queryset.filter(due_on__gte=date(year, 1, 1), due_on__lte=date(year, 12, 31))


def overview(user: AnyUser, unit: Unit, year: int, today: date) -> list[Row]:
    """A row for the unit's own activities and one per child unit with its whole subtree's
    activities, each split by the month they are due in: one grouped query for the lot."""
    children = list(unit.children.order_by("name"))  # type: ignore[attr-defined]
    with_children = set(
        Unit.objects.filter(parent__in=children).values_list("parent_id", flat=True).distinct()
    )

    def months() -> list[Cell]:
        return [Cell(month=date(year, month, 1)) for month in MONTHS]

    rows = {unit.path: Row(unit=unit, own=True, months=months())}
    for child in children:
        rows[child.path] = Row(
            unit=child, own=False, has_children=child.pk in with_children, months=months()
        )
    width = len(unit.path) + tree.SEGMENT
    counts = (
        _year(access.visible_activities(user), year)
        .filter(tree.subtree_q(unit.path, "unit__path"))
        .annotate(branch=Substr(F("unit__path"), 1, width), month=ExtractMonth("due_on"))
        .values("branch", "month")
        .annotate(
            done=Count("pk", filter=Q(status=Activity.Status.DONE)),
            overdue=Count("pk", filter=Q(status=Activity.Status.OPEN, due_on__lt=today)),
            due=Count("pk", filter=Q(status=Activity.Status.OPEN, due_on__gte=today)),
        )
        .order_by()
    )
    for item in counts:
        row = rows.get(item["branch"])
        if row is None:  # a unit moved in since the tree was read: shown on the next load
            continue
        cell = row.months[item["month"] - 1]
        cell.done, cell.due, cell.overdue = item["done"], item["due"], item["overdue"]
    own = rows.pop(unit.path)
    return ([own] if own.total else []) + list(rows.values())


OUTCOMES = ("on_time", "late", "overdue", "upcoming")


@dataclass
class Compliance:
    """How well a unit (with everything below it, unless `own`) kept the year plan: of its
    activities due in a span, how many were done by their due date, done late, or are past it
    and still not done; those not yet due and not done count only as still to come."""

    unit: Unit
    own: bool = False
    has_children: bool = False
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    upcoming: int = 0

    @property
    def settled(self) -> int:
        """The activities whose outcome is known: done, or past their due date."""
        return self.on_time + self.late + self.overdue

    @property
    def share_on_time(self) -> int | None:
        """Percent of the settled activities done on time, rounded; None when none is."""
        return round(100 * self.on_time / self.settled) if self.settled else None

    def add(self, other: "Compliance") -> None:
        """Count `other`'s activities in too (a sum over several units)."""
        for name in OUTCOMES:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def add_counts(self, counts: dict[str, Any]) -> None:
        """Count in a row of `_compliance_counts`."""
        for name in OUTCOMES:
            setattr(self, name, getattr(self, name) + counts[name])


def _compliance_counts(
    queryset: QuerySet[Activity], width: int, today: date
) -> list[dict[str, Any]]:
    """`queryset` counted by outcome, per branch: the first `width` characters of the unit's
    path. Done on time means done on or before the due date, as the local calendar reads the
    moment it was marked done."""
    done, still_open = Q(status=Activity.Status.DONE), Q(status=Activity.Status.OPEN)
    counts = (
        queryset.annotate(branch=Substr(F("unit__path"), 1, width))
        .values("branch")
        .annotate(
            on_time=Count("pk", filter=done & Q(done_at__date__lte=F("due_on"))),
            late=Count("pk", filter=done & Q(done_at__date__gt=F("due_on"))),
            overdue=Count("pk", filter=still_open & Q(due_on__lt=today)),
            upcoming=Count("pk", filter=still_open & Q(due_on__gte=today)),
        )
        .order_by()
    )
    return [dict(item) for item in counts]


def _in_span(user: AnyUser, first: date, end: date) -> QuerySet[Activity]:
    """The activities due from `first` up to (not including) `end` whose compliance the user
    may see."""
    return access.visible_activities(user, Action.VIEW_YEARPLAN_COMPLIANCE).filter(
        due_on__gte=first, due_on__lt=end
    )


def compliance_rows(
    user: AnyUser, unit: Unit, first: date, end: date, today: date
) -> list[Compliance]:
    """For the activities due from `first` up to `end`: a row for the unit's own activities
    (if it has any) and one per child unit with its whole subtree, like the overview; one
    grouped query for the lot."""
    children = list(unit.children.order_by("name"))  # type: ignore[attr-defined]
    with_children = set(
        Unit.objects.filter(parent__in=children).values_list("parent_id", flat=True).distinct()
    )
    rows = {unit.path: Compliance(unit=unit, own=True)}
    for child in children:
        rows[child.path] = Compliance(unit=child, has_children=child.pk in with_children)
    width = len(unit.path) + tree.SEGMENT
    inside = _in_span(user, first, end).filter(tree.subtree_q(unit.path, "unit__path"))
    for item in _compliance_counts(inside, width, today):
        row = rows.get(item["branch"])
        if row is not None:  # else a unit moved in since the tree was read
            row.add_counts(item)
    own = rows.pop(unit.path)
    return ([own] if own.settled or own.upcoming else []) + list(rows.values())


def compliance_of(
    user: AnyUser, units: list[Unit], first: date, end: date, today: date
) -> list[Compliance]:
    """For each unit, its whole subtree's compliance with the activities due from `first` up
    to `end`; one grouped query per level of the tree the units are on."""
    found = {unit.path: Compliance(unit=unit) for unit in units}
    for width in {len(path) for path in found}:
        inside = Q(pk__in=[])
        for path in found:
            if len(path) == width:
                inside |= tree.subtree_q(path, "unit__path")
        for item in _compliance_counts(_in_span(user, first, end).filter(inside), width, today):
            found[item["branch"]].add_counts(item)
    return list(found.values())


def unit_plan(unit: Unit, year: int) -> list[tuple[int, list[Activity]]]:
    """The unit's own activities of the year, by the month they are due in."""
    activities = _year(Activity.objects.filter(unit=unit), year).select_related(
        "template", "done_by", "assessment", "employment__user"
    )
    by_month: dict[int, list[Activity]] = {month: [] for month in MONTHS}
    for activity in activities.order_by("due_on", "template__title", "pk"):
        by_month[activity.due_on.month].append(activity)
    return [(month, items) for month, items in by_month.items() if items]


def due_for(user: User, today: date, *, days: int = 30) -> QuerySet[Activity]:
    """Open activities of the units where the user holds the activity's responsible role,
    overdue or due within `days`: what the start page shows a manager."""
    return (
        access.visible_activities(user, Action.MANAGE_YEARPLAN)
        .filter(
            status=Activity.Status.OPEN,
            due_on__lte=today + timedelta(days=days),
            unit__role_grants__user=user,
            unit__role_grants__role=F("responsible_role"),
        )
        .select_related("template", "unit")
        .order_by("due_on", "pk")
        .distinct()
    )
