"""Reads for the training pages: a person's own standing, a unit's coverage and who is due.

Every figure comes from varna.training.coverage; this module only puts names to its rows.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from varna.orgs import access, tree
from varna.orgs.access import AnyUser
from varna.orgs.models import Employment, RoleGrant, Unit, User
from varna.training import coverage
from varna.training.coverage import Standing, Status, Tally
from varna.training.models import Completion, Course, Requirement

# Most urgent first: what a person is shown when several requirements name the same course.
_URGENCY = [Status.OVERDUE, Status.NEW, Status.EXPIRING, Status.VALID]


def audience(requirement: Requirement) -> str:
    """Who the requirement is for, in words: "all staff", a role, and the kind of unit."""
    who = [
        str(requirement.get_role_display()) if requirement.role else _("all staff"),
    ]
    if requirement.unit_kind:
        who.append(str(requirement.get_unit_kind_display()))
    return ", ".join(who)


@dataclass(frozen=True)
class OwnCourse:
    """One course a person must hold, with where they stand."""

    course: Course
    standing: Standing

    @property
    def status(self) -> str:
        return self.standing.status.value

    @property
    def due_on(self) -> date | None:
        return self.standing.due_on


def own_courses(person_id: int, today: date) -> list[OwnCourse]:
    """The courses the person must hold, each once (by its most urgent requirement)."""
    found = coverage.of_person(person_id, today)
    courses = Course.objects.in_bulk({standing.course_id for standing in found})
    chosen: dict[int, Standing] = {}
    for standing in found:
        other = chosen.get(standing.course_id)
        if other is None or _more_urgent(standing, other):
            chosen[standing.course_id] = standing
    return sorted(
        (OwnCourse(courses[course_id], standing) for course_id, standing in chosen.items()),
        key=lambda item: (_URGENCY.index(item.standing.status), item.course.name),
    )


def _more_urgent(one: Standing, other: Standing) -> bool:
    if one.status != other.status:
        return _URGENCY.index(one.status) < _URGENCY.index(other.status)
    return (one.due_on or date.max) < (other.due_on or date.max)


def completions_of(person: User) -> QuerySet[Completion]:
    return Completion.objects.filter(person=person).select_related("course")


def top_units(user: AnyUser) -> QuerySet[Unit]:
    """The tops of the subtrees whose training the user follows up."""
    return Unit.objects.filter(
        path__in=access.scope_paths(user, access.Action.VIEW_TRAINING)
    ).order_by("path")


@dataclass(frozen=True)
class RequirementRow:
    requirement: Requirement
    audience: str
    tally: Tally


@dataclass(frozen=True)
class ChildRow:
    unit: Unit
    # One per requirement of the page, in the page's order; None where nobody is required.
    tallies: list[Tally | None]


@dataclass(frozen=True)
class PersonRow:
    person: User
    unit: Unit
    course: Course
    standing: Standing


@dataclass(frozen=True)
class UnitTraining:
    rows: list[RequirementRow]
    children: list[ChildRow]
    overdue: list[PersonRow]
    due_soon: list[PersonRow]


def unit_training(unit: Unit, today: date) -> UnitTraining:
    """The coverage of the unit's subtree per requirement, of each unit directly below it, and
    the people who are overdue or due within coverage.DUE_DAYS, from one read of the
    subtree's standings."""
    found = coverage.standings(Unit.objects.subtree_of(unit), today)
    whole = coverage.summary(unit, found, today)
    requirements = sorted(
        Requirement.objects.filter(pk__in=whole.by_requirement).select_related("course"),
        key=lambda requirement: (requirement.course.name, requirement.role, requirement.unit_kind),
    )
    rows = [
        RequirementRow(requirement, audience(requirement), whole.by_requirement[requirement.pk])
        for requirement in requirements
    ]
    children = [
        ChildRow(child.unit, [child.by_requirement.get(row.requirement.pk) for row in rows])
        for child in coverage.summary_of_children(unit, found, today)
        # A closed unit with nobody left in it is history, not a place to aim a course.
        if child.by_requirement or child.unit.is_active(today)
    ]
    people = coverage.per_person(found)
    overdue = _named([standing for standing in people if standing.status == Status.OVERDUE])
    due_soon = _named([standing for standing in people if standing.due_within(today)])
    return UnitTraining(
        rows=rows,
        children=children,
        overdue=overdue,
        # Sorting is stable: people due the same day stay in the order of their names.
        due_soon=sorted(due_soon, key=lambda row: row.standing.due_on or date.max),
    )


def _named(found: list[Standing]) -> list[PersonRow]:
    """The standings with their people, units and courses, by name; a person held to a course
    by two requirements (all staff, and managers) is named once, by the earlier date."""
    once: dict[tuple[int, int], Standing] = {}
    for standing in found:
        key = (standing.person_id, standing.course_id)
        other = once.get(key)
        if other is None or _more_urgent(standing, other):
            once[key] = standing
    people = User.objects.in_bulk({standing.person_id for standing in once.values()})
    units = Unit.objects.in_bulk({standing.unit_id for standing in once.values()})
    courses = Course.objects.in_bulk({standing.course_id for standing in once.values()})
    rows = [
        PersonRow(
            people[standing.person_id],
            units[standing.unit_id],
            courses[standing.course_id],
            standing,
        )
        for standing in once.values()
    ]
    return sorted(
        rows, key=lambda row: (row.person.last_name, row.person.first_name, row.course.name)
    )


def coverage_version(paths: Iterable[str]) -> tuple[object, ...]:
    """A few figures of the rows that the coverage of the municipalities of `paths` is worked
    out from: a row added or changed raises a last id or time, one removed lowers a count, and
    the units are read whole (a move rewrites paths without touching `updated_at`). A page
    that keeps coverage for the day keys it by these, so that any change shows at once."""
    roots = sorted({path[: tree.SEGMENT] for path in paths})
    units, placed = Q(pk__in=[]), Q(pk__in=[])
    for root in roots:
        units |= tree.subtree_q(root)
        placed |= tree.subtree_q(root, "unit__path")
    courses = Course.objects.filter(municipality__path__in=roots)

    def figures(queryset: QuerySet[Any], *, changed: bool = True) -> tuple[object, ...]:
        # Completions are added and taken back, never changed: their count and last id
        # are read from an index, where the time of the last change would read every row.
        found = queryset.order_by().aggregate(
            n=Count("pk"), top=Max("pk"), **({"last": Max("updated_at")} if changed else {})
        )
        return tuple(found.values())

    tree_rows = Unit.objects.filter(units).order_by("pk").values_list("pk", "path", "kind")
    return (
        hashlib.sha256(repr(list(tree_rows)).encode()).hexdigest(),
        *figures(Employment.objects.filter(placed)),
        *figures(RoleGrant.objects.filter(placed)),
        *figures(courses),
        *figures(Requirement.objects.filter(course__in=courses.values("pk"))),
        *figures(Completion.objects.filter(course__in=courses.values("pk")), changed=False),
    )
