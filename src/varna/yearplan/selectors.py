"""Reads of the year plan: the overview rolled up the tree, a unit's plan, what is due."""

from dataclasses import dataclass, field
from datetime import date, timedelta

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
    rows = {unit.path: Row(unit=unit, own=True)}
    for child in children:
        rows[child.path] = Row(unit=child, own=False, has_children=child.pk in with_children)
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
