"""The demo's training: Demo kommun's four courses, who must take which, and a record of
completed courses for its staff that makes the coverage pages worth looking at.

Most units are well covered; the economic-assistance units (Försörjningsstöd, DEMO-FSE*), where
the demo's event rates are highest, are clearly not, so that the follow-up's "where to aim the
next course" points at them. Some courses run out within 90 days, some have run out, and a few
people started recently and are still within their grace. The dates are counted back from the
day the demo is loaded, with a fixed random seed, so every machine gets the same picture.
Grannby kommun has one course of its own (the same code as Demo kommun's: codes are per
municipality).
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from varna.orgs import tree
from varna.orgs.models import Employment, Role, RoleGrant, Unit, User
from varna.training.coverage import per_person, standings
from varna.training.models import Completion, Course, Requirement

DEMO = "DEMO"
GRANN = "GRANN"
BASIC = "grund-hot-vald"
AFFECT = "affekt"
INFLUENCE = "otillaten-paverkan"
HOME_VISIT = "hembesok"

# (code, name, English name, valid for months, description)
COURSES: list[tuple[str, str, str, int, str]] = [
    (
        BASIC,
        "Grundkurs hot och våld",
        "Basic course on threats and violence",
        36,
        "Vad hot och våld i arbetet är, hur du förebygger det, vad du gör när det händer och "
        "hur du rapporterar i Värna efteråt. En halv dag med övningar, sedan repetition vart "
        "tredje år.",
    ),
    (
        AFFECT,
        "Bemötande av personer i affekt",
        "Meeting people in affect",
        36,
        "Lågaffektivt bemötande: att känna igen en upptrappning, att ge utrymme och att "
        "avsluta ett samtal på ett säkert sätt. Två halvdagar med rollspel.",
    ),
    (
        INFLUENCE,
        "Otillåten påverkan och korruption",
        "Unlawful influence and corruption",
        24,
        "Trakasserier, hot, otillbörliga erbjudanden och mutor riktade mot beslut och "
        "handläggning: hur påverkan ser ut, var gränserna går och vem du vänder dig till.",
    ),
    (
        HOME_VISIT,
        "Säkerhet vid hembesök",
        "Safety at home visits",
        36,
        "Planera besöket, bedöm riskerna före och på plats, ha en kollega med när det behövs "
        "och veta när du ska gå därifrån.",
    ),
]

# (course code, role, kind of unit, within months of starting)
REQUIREMENTS: list[tuple[str, str, str, int]] = [
    # Everyone who works with the public, and every manager, takes the basic course within
    # three months of starting (the municipality's answer to the audit).
    (BASIC, Role.EMPLOYEE, "", 3),
    (BASIC, Role.MANAGER, "", 3),
    # Improper influence targets those who prepare decisions on money and support. A requirement
    # picks staff by role and kind of unit, and in Demo kommun the case workers who prepare
    # decisions on economic assistance are the only ones in work groups (the groups below
    # Försörjningsstöd); "enhet" would also take in home care and nursing homes, where the
    # course is less to the point. So: employees in units of the kind "arbetsgrupp".
    (INFLUENCE, Role.EMPLOYEE, Unit.Kind.WORKGROUP, 6),
    # Home visits are made from the units themselves (home care, needs assessment, children
    # and adults, LSS): employees in units of the kind "enhet", within six months.
    (HOME_VISIT, Role.EMPLOYEE, Unit.Kind.UNIT, 6),
]
GRANN_COURSES = [BASIC]
GRANN_REQUIREMENTS = [(BASIC, Role.EMPLOYEE, "", 3)]

# Where the record is poor: the economic-assistance units, whose event rates are the highest.
LOW_COVERAGE = "DEMO-FSE"
# (valid, running out within 90 days, run out, never taken): the odds per required course.
HIGH = (0.80, 0.09, 0.07, 0.04)
LOW = (0.24, 0.10, 0.31, 0.35)
# Units where one or two people started recently and are still within their grace.
NEWCOMERS = {
    "DEMO-FSE1A": 1,
    "DEMO-FSE2A": 1,
    "DEMO-FSE3A": 1,
    "DEMO-MOT": 1,
    "DEMO-BOU": 1,
    "DEMO-HEM": 2,
    "DEMO-BIS": 1,
}
# Where everyone required has held their courses for more than a year: the year plan's training
# activity of these units is ticked off by the completions, this year and last.
FULL_COVERAGE = ("DEMO-SAK",)
# Courses taken without a requirement (meeting people in affect) in these units' subtrees.
AFFECT_UNITS = ("DEMO-MOT", "DEMO-BOU", "DEMO-VUX", "DEMO-FSE", "DEMO-BIS", "DEMO-HEM")


@dataclass(frozen=True)
class Outcome:
    """How a person stands with a course, turned into dates by `_dates`: "valid" (`days`
    since it was taken), "expiring" (`days` left), "lapsed" (`days` since it ran out) or
    "none"."""

    kind: str
    days: int = 0
    again: bool = False  # also an earlier completion, one validity period before


# The named demo people get a record that reads well when they log in.
NAMED: dict[str, dict[str, Outcome]] = {
    "medarbetare": {
        BASIC: Outcome("valid", 410, again=True),
        INFLUENCE: Outcome("expiring", 45),
    },
    "forste": {BASIC: Outcome("valid", 620, again=True), INFLUENCE: Outcome("lapsed", 40)},
    "enhetschef": {BASIC: Outcome("expiring", 60, again=True)},
    "skyddsombud": {BASIC: Outcome("valid", 300), INFLUENCE: Outcome("valid", 150)},
    "forvaltningschef": {BASIC: Outcome("valid", 500, again=True)},
    "chef.mottagning": {BASIC: Outcome("valid", 200, again=True)},
    "avdelningschef": {BASIC: Outcome("valid", 350)},
}
NAMED_AFFECT = {"medarbetare": 220, "forste": 400, "chef.mottagning": 500}


def is_loaded() -> bool:
    return Course.objects.filter(municipality__code=DEMO).exists()


@transaction.atomic
def load() -> bool:
    """Courses, requirements and completed courses for the demo; False when already there
    (or when the demo organisation is not)."""
    demo = Unit.objects.filter(code=DEMO).first()
    if demo is None or is_loaded():
        return False
    rng = random.Random(2026)
    today = timezone.localdate()
    courses = _courses(demo, COURSES, REQUIREMENTS)
    _newcomers(rng, today)
    low = Unit.objects.get(code=LOW_COVERAGE).path
    completions = _record(
        demo, courses, rng, today, lambda path: LOW if path.startswith(low) else HIGH
    )
    completions += _affect(demo, courses[AFFECT], rng, today)
    grann = Unit.objects.filter(code=GRANN).first()
    if grann is not None:
        grann_courses = _courses(
            grann, [c for c in COURSES if c[0] in GRANN_COURSES], GRANN_REQUIREMENTS
        )
        completions += _record(grann, grann_courses, rng, today, lambda _path: HIGH)
    Completion.objects.bulk_create(completions, batch_size=500)
    return True


def _courses(
    municipality: Unit,
    courses: list[tuple[str, str, str, int, str]],
    requirements: Sequence[tuple[str, str, str, int]],
) -> dict[str, Course]:
    made = Course.objects.bulk_create(
        Course(
            municipality=municipality,
            code=code,
            name=name,
            name_en=name_en,
            validity_months=months,
            description=description,
        )
        for code, name, name_en, months, description in courses
    )
    by_code = {course.code: course for course in made}
    Requirement.objects.bulk_create(
        Requirement(course=by_code[code], role=role, unit_kind=kind, within_months=within)
        for code, role, kind, within in requirements
    )
    return by_code


def _newcomers(rng: random.Random, today: date) -> None:
    """A few colleagues (never a named login) started recently: their grace has not ended."""
    changed: list[Employment] = []
    for code, count in NEWCOMERS.items():
        staff = list(
            Employment.objects.filter(unit__code=code, user__username__startswith="anst")
            .select_related("user")
            .order_by("user__username")
        )
        for employment in rng.sample(staff, min(count, len(staff))):
            employment.start_date = today - timedelta(days=rng.randint(20, 80))
            changed.append(employment)
    Employment.objects.bulk_update(changed, ["start_date"])


def _record(
    municipality: Unit,
    courses: dict[str, Course],
    rng: random.Random,
    today: date,
    odds_for: Callable[[str], tuple[float, float, float, float]],
) -> list[Completion]:
    """Completed courses for everyone a requirement applies to, drawn by their unit's odds."""
    subtree = Unit.objects.subtree_of(municipality)
    found = per_person(standings(subtree, today))
    paths = dict(subtree.values_list("pk", "path"))
    by_pk = {course.pk: course for course in courses.values()}
    people = {
        user.pk: user.username
        for user in User.objects.filter(pk__in={standing.person_id for standing in found})
    }
    starts = _starts(municipality)
    full = [
        path for path in Unit.objects.filter(code__in=FULL_COVERAGE).values_list("path", flat=True)
    ]
    # One draw per person and course, though two requirements may ask for the same course.
    wanted: dict[tuple[str, str], tuple[int, str]] = {}
    for standing in found:
        key = (people[standing.person_id], by_pk[standing.course_id].code)
        wanted.setdefault(key, (standing.person_id, paths[standing.unit_id]))
    made: list[Completion] = []
    for (username, code), (person_id, path) in sorted(wanted.items()):
        course = courses[code]
        start = starts.get(person_id)
        newcomer = start is not None and start > today - timedelta(days=120)
        outcome = NAMED.get(username, {}).get(code)
        if outcome is None and any(path.startswith(top) for top in full):
            outcome = Outcome("valid", 430 + person_id % 300)
        if outcome is None:
            outcome = _draw(rng, course, odds_for(path), newcomer)
        for day in _dates(outcome, course, today, start):
            made.append(
                Completion(
                    person_id=person_id,
                    course=course,
                    completed_on=day,
                    source=Completion.Source.IMPORT,
                )
            )
    return made


def _starts(municipality: Unit) -> dict[int, date]:
    starts: dict[int, date] = {}
    for person, start in Employment.objects.filter(
        tree.subtree_q(municipality.path, "unit__path"), start_date__isnull=False
    ).values_list("user_id", "start_date"):
        if start is not None:  # filtered on above; for the type checker
            starts[person] = min(starts.get(person, start), start)
    return starts


def _draw(
    rng: random.Random,
    course: Course,
    odds: tuple[float, float, float, float],
    newcomer: bool,
) -> Outcome:
    months = course.validity_months or 36
    if newcomer:
        # Most newcomers have not had the course yet; some took it in their first weeks.
        return Outcome("valid", rng.randint(3, 15)) if rng.random() < 0.25 else Outcome("none")
    kind = rng.choices(["valid", "expiring", "lapsed", "none"], weights=odds)[0]
    if kind == "valid":
        return Outcome("valid", rng.randint(30, months * 30 - 150), again=rng.random() < 0.4)
    if kind == "expiring":
        return Outcome("expiring", rng.randint(5, 85), again=rng.random() < 0.3)
    if kind == "lapsed":
        return Outcome("lapsed", rng.randint(10, 300))
    return Outcome("none")


def _dates(outcome: Outcome, course: Course, today: date, start: date | None) -> list[date]:
    """The days the course was completed, none before the person started."""
    validity = relativedelta(months=course.validity_months or 36)
    if outcome.kind == "valid":
        last = today - timedelta(days=outcome.days)
    elif outcome.kind == "expiring":
        last = today + timedelta(days=outcome.days) - validity
    elif outcome.kind == "lapsed":
        last = today - timedelta(days=outcome.days) - validity
    else:
        return []
    days = [last]
    if outcome.again:
        days.append(last - validity - timedelta(days=outcome.days % 45))
    return [day for day in days if start is None or day >= start]


def _affect(demo: Unit, course: Course, rng: random.Random, today: date) -> list[Completion]:
    """Meeting people in affect is offered, not required: some have taken it anyway, registered
    by their nearest manager."""
    where = Q()
    for path in Unit.objects.filter(code__in=AFFECT_UNITS).values_list("path", flat=True):
        where |= tree.subtree_q(path, "unit__path")
    managers: dict[str, int] = {}
    for user_id, path in (
        RoleGrant.objects.filter(tree.subtree_q(demo.path, "unit__path"), role=Role.MANAGER)
        .order_by("user__username")
        .values_list("user_id", "unit__path")
    ):
        managers.setdefault(path, user_id)
    staff = (
        Employment.objects.filter(where)
        .order_by("user__username", "unit__path")
        .values_list("user_id", "user__username", "start_date", "unit__path")
    )
    made: list[Completion] = []
    seen: set[int] = set()
    for person, username, start, path in staff:
        if person in seen:
            continue
        seen.add(person)
        days = NAMED_AFFECT.get(username)
        if days is None:
            if username in NAMED or rng.random() >= 0.3:
                continue
            days = rng.randint(60, 1500)
        day = today - timedelta(days=days)
        if start is not None and day < start:
            continue
        nearest = [
            managers[path[:cut]]
            for cut in range(len(path), 0, -tree.SEGMENT)
            if managers.get(path[:cut], person) != person
        ]
        made.append(
            Completion(
                person_id=person,
                course=course,
                completed_on=day,
                source=Completion.Source.MANAGER,
                registered_by_id=nearest[0] if nearest else None,
            )
        )
    return made
