"""Where everyone stands with their required training, worked out from the rows each time.

The staff of a unit are the people with an employment in its subtree that has started and
not ended. A requirement applies to a person through an employment when the course belongs
to the employment's municipality, the unit is of the requirement's kind (if it names one) and
the person holds the requirement's role (if it names one) on that unit or a unit above it.
For each person and requirement that applies, the standing is:
- VALID: their latest completion of the course holds today, and for more than DUE_DAYS;
- EXPIRING: it holds today but runs out within DUE_DAYS;
- NEW: they have none that holds, but they started less than `within_months` ago;
  due on the day the grace ends (due soon when that is within DUE_DAYS);
- OVERDUE: they have none that holds, and the grace (if any) is over.
Coverage is the share of (person, requirement) standings that are VALID or EXPIRING.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

from dateutil.relativedelta import relativedelta
from django.db.models import Max, Q, QuerySet

from varna.orgs import tree
from varna.orgs.models import Employment, RoleGrant, Unit
from varna.training.models import Completion, Course, Requirement

# "Due soon": a completion that runs out, or a grace that ends, within this many days.
DUE_DAYS = 90


class Status(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    NEW = "new"
    OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class Standing:
    person_id: int
    unit_id: int  # the unit of the employment through which the requirement applies
    requirement_id: int
    course_id: int
    status: Status
    last_completed: date | None
    # When the completion runs out (VALID, EXPIRING) or when the course must be taken (NEW,
    # OVERDUE: the later of the grace's end and the day the last completion ran out; None when
    # neither is known); None for a course valid for good.
    due_on: date | None

    @property
    def is_valid(self) -> bool:
        return self.status in (Status.VALID, Status.EXPIRING)

    def due_within(self, today: date, days: int = DUE_DAYS) -> bool:
        """Needs the course within `days`: runs out or its grace ends by then."""
        if self.status == Status.OVERDUE or self.due_on is None:
            return False
        return self.due_on <= today + timedelta(days=days)


@lru_cache(maxsize=65_536)
def _months_after(day: date, months: int) -> date:
    """`day` plus `months` calendar months (relativedelta's rule: the 31st becomes the last
    day of a shorter month). Remembered: a municipality's staff share a few thousand start
    and completion days, and relativedelta costs more than the rest of a standing together."""
    return day + relativedelta(months=months)


def valid_until(completed_on: date, course: Course) -> date | None:
    if course.validity_months is None:
        return None
    return _months_after(completed_on, course.validity_months)


def standing_of(
    *,
    person_id: int,
    unit_id: int,
    requirement: Requirement,
    course: Course,
    started: date | None,
    last_completed: date | None,
    today: date,
) -> Standing:
    """The standing of one person for one requirement (the rule in the module's text)."""
    return _standing(
        person_id,
        unit_id,
        _Rule.of(requirement, course),
        started,
        last_completed,
        today,
        today + timedelta(days=DUE_DAYS),
    )


@dataclass(frozen=True, slots=True)
class _Rule:
    """What the standing of a requirement depends on, read off the rows once."""

    requirement_id: int
    course_id: int
    validity_months: int | None
    within_months: int

    @classmethod
    def of(cls, requirement: Requirement, course: Course) -> "_Rule":
        return cls(requirement.pk, course.pk, course.validity_months, requirement.within_months)


def _standing(
    person_id: int,
    unit_id: int,
    rule: _Rule,
    started: date | None,
    last_completed: date | None,
    today: date,
    soon: date,
) -> Standing:
    lapsed: date | None = None
    if last_completed is not None:
        until = (
            None
            if rule.validity_months is None
            else _months_after(last_completed, rule.validity_months)
        )
        if until is None or until > today:
            status = Status.EXPIRING if until is not None and until <= soon else Status.VALID
            return Standing(
                person_id,
                unit_id,
                rule.requirement_id,
                rule.course_id,
                status,
                last_completed,
                until,
            )
        lapsed = until
    grace_end = _months_after(started, rule.within_months) if started is not None else None
    status = Status.NEW if grace_end is not None and grace_end > today else Status.OVERDUE
    # Someone whose course ran out last month became overdue then, not when their grace as a
    # new employee ended years ago: the later of the two is the day it had to be taken.
    due = max((day for day in (grace_end, lapsed) if day is not None), default=None)
    return Standing(
        person_id, unit_id, rule.requirement_id, rule.course_id, status, last_completed, due
    )


def _active_employments(units: QuerySet[Unit], today: date) -> QuerySet[Employment]:
    return Employment.objects.filter(
        Q(start_date__isnull=True) | Q(start_date__lte=today),
        Q(end_date__isnull=True) | Q(end_date__gte=today),
        unit__in=units,
    )


def standings(
    units: QuerySet[Unit], today: date, *, person_id: int | None = None
) -> list[Standing]:
    """Every standing of the staff employed in `units` (one per person, requirement and
    employment through which it applies; see `per_person` to count people once); only the
    person's own with `person_id`."""
    # The requirements first (a few per municipality): where none are kept, no staff is read.
    requirements = list(
        Requirement.objects.filter(course__is_active=True).select_related(
            "course", "course__municipality"
        )
    )
    if not requirements:
        return []
    active = _active_employments(units, today)
    if person_id is not None:
        active = active.filter(user_id=person_id)
    employments = list(
        active.values_list("user_id", "unit_id", "unit__path", "unit__kind", "start_date")
    )
    if not employments:
        return []
    roots = {path[: tree.SEGMENT] for _u, _i, path, _k, _s in employments}
    requirements = [r for r in requirements if r.course.municipality.path in roots]
    if not requirements:
        return []
    # The staff as a subquery, not a list of ids: a municipality's 20,000 ids as parameters
    # cost more to send than the rows they find (and SQLite takes at most 32,766).
    people = active.values("user_id")
    # A new employee's months of grace run from their first day in the municipality, not from
    # each new employment: a move to another unit does not start the time again. Unknown when
    # any of their employments there has no start date.
    first_day: dict[tuple[int, str], date | None] = {}
    unknown: set[tuple[int, str]] = set()
    for user_id, path, start in Employment.objects.filter(user__in=people).values_list(
        "user_id", "unit__path", "start_date"
    ):
        key = (user_id, path[: tree.SEGMENT])
        if start is None:
            unknown.add(key)
        else:
            earlier = first_day.get(key)
            first_day[key] = start if earlier is None else min(earlier, start)
    for key in unknown:
        first_day[key] = None
    # Only the grants of roles some requirement names: everyone's employee grant is no
    # use here, and is most of the rows.
    roles = {requirement.role for requirement in requirements if requirement.role}
    grants: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if roles:
        for user_id, role, path in RoleGrant.objects.filter(
            user__in=people, role__in=roles
        ).values_list("user_id", "role", "unit__path"):
            grants[user_id].append((role, path))
    latest: dict[tuple[int, int], date] = {
        (person, course): day
        for person, course, day in Completion.objects.filter(
            person__in=people,
            course__in={requirement.course_id for requirement in requirements},
            completed_on__lte=today,
        )
        .order_by()
        .values("person", "course")
        .annotate(day=Max("completed_on"))
        .values_list("person", "course", "day")
    }
    # The requirements that may apply in a municipality to a kind of unit, worked out once per
    # pair rather than once per employment, with the role each needs (empty: none).
    applicable: dict[tuple[str, str], list[tuple[str, _Rule]]] = {}
    soon = today + timedelta(days=DUE_DAYS)
    found: list[Standing] = []
    for user_id, unit_id, path, kind, started in employments:
        root = path[: tree.SEGMENT]
        candidates = applicable.get((root, kind))
        if candidates is None:
            candidates = applicable[(root, kind)] = [
                (requirement.role, _Rule.of(requirement, requirement.course))
                for requirement in requirements
                if requirement.course.municipality.path == root
                and (not requirement.unit_kind or requirement.unit_kind == kind)
            ]
        held = grants.get(user_id, ())
        for needed, rule in candidates:
            if needed and not any(
                role == needed and path.startswith(grant_path) for role, grant_path in held
            ):
                continue
            found.append(
                _standing(
                    user_id,
                    unit_id,
                    rule,
                    first_day.get((user_id, root), started),
                    latest.get((user_id, rule.course_id)),
                    today,
                    soon,
                )
            )
    return found


_WORST = [Status.OVERDUE, Status.NEW, Status.EXPIRING, Status.VALID]
_RANK = {status: rank for rank, status in enumerate(_WORST)}


def per_person(found: Iterable[Standing]) -> list[Standing]:
    """One standing per person and requirement: a person employed in two units of the same
    subtree counts once, by the better of their standings."""
    chosen: dict[tuple[int, int], Standing] = {}
    for standing in found:
        key = (standing.person_id, standing.requirement_id)
        other = chosen.get(key)
        if other is None or _RANK[standing.status] > _RANK[other.status]:
            chosen[key] = standing
    return list(chosen.values())


@dataclass
class Tally:
    """The standings of some staff for one requirement."""

    staff: int = 0
    valid: int = 0
    expiring: int = 0
    new: int = 0
    overdue: int = 0
    due_soon: int = 0  # EXPIRING, or NEW with the grace ending within DUE_DAYS

    def add(self, standing: Standing, today: date) -> None:
        self.staff += 1
        setattr(self, standing.status.value, getattr(self, standing.status.value) + 1)
        if standing.due_within(today):
            self.due_soon += 1

    @property
    def covered(self) -> int:
        return self.valid + self.expiring

    @property
    def share(self) -> float | None:
        """The share of the staff with valid training, 0 to 1; None with no staff."""
        return self.covered / self.staff if self.staff else None


@dataclass
class UnitCoverage:
    unit: Unit
    by_requirement: dict[int, Tally] = field(default_factory=dict)
    # The people counted, each once however many requirements apply to them: how many
    # people a share is about (the follow-up shows it only from VARNA_SMALL_NUMBER_K up).
    people: int = 0

    @property
    def total(self) -> Tally:
        """All requirements together: each (person, requirement) counts once."""
        total = Tally()
        for tally in self.by_requirement.values():
            for name in ("staff", "valid", "expiring", "new", "overdue", "due_soon"):
                setattr(total, name, getattr(total, name) + getattr(tally, name))
        return total


def summary(unit: Unit, found: Iterable[Standing], today: date) -> UnitCoverage:
    """The coverage of `unit` from the standings of its subtree already read (`standings`,
    before `per_person`): for a page that also lists the people, so that it reads them once."""
    result = UnitCoverage(unit)
    people: set[int] = set()
    for standing in per_person(found):
        result.by_requirement.setdefault(standing.requirement_id, Tally()).add(standing, today)
        people.add(standing.person_id)
    result.people = len(people)
    return result


def summary_of_children(unit: Unit, found: Iterable[Standing], today: date) -> list[UnitCoverage]:
    """The coverage of each unit directly below `unit` (each for its own subtree), from the
    standings of `unit`'s subtree already read (`standings`, before `per_person`: a person
    employed in two of the units counts in each)."""
    children = list(unit.children.order_by("name"))
    paths = dict(Unit.objects.subtree_of(unit).values_list("pk", "path"))
    grouped: dict[str, list[Standing]] = defaultdict(list)
    for standing in found:
        grouped[paths[standing.unit_id][: len(unit.path) + tree.SEGMENT]].append(standing)
    return [summary(child, grouped.get(child.path, ()), today) for child in children]


def coverage(unit: Unit, today: date) -> UnitCoverage:
    """The coverage of the unit's whole subtree, per requirement."""
    return summary(unit, standings(Unit.objects.subtree_of(unit), today), today)


def coverage_of_children(unit: Unit, today: date) -> list[UnitCoverage]:
    """The coverage of each unit directly below `unit` (each for its own subtree), read in
    one pass over the subtree."""
    return summary_of_children(unit, standings(Unit.objects.subtree_of(unit), today), today)


def of_person(person_id: int, today: date) -> list[Standing]:
    """The person's own standings, across every unit they work in."""
    units = Unit.objects.filter(employments__user_id=person_id)
    return per_person(standings(units, today, person_id=person_id))
