"""Importing completed courses from the learning platform's CSV export.

The file has one row per completed course: the person's employee number (as the HR import
stores it), the course's code at the learning platform (Course.code in the municipality) and
the day it was completed. It is read like the HR exports (varna.orgs.importing.csvfile: UTF-8,
`,` or `;`, rows numbered as Excel shows them, errors in Swedish) and imported the same way:
every row is checked first, a file with any error imports nothing, and a clean file is written
in one transaction. A person, course and day already registered (by a manager or an earlier
import) is skipped, so a re-run of the same file adds nothing.
"""

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event
from varna.core.forms import EARLIEST_DATE
from varna.orgs import tree
from varna.orgs.importing.bulk import BATCH, _insert, _refresh_statistics
from varna.orgs.importing.csvfile import (
    DEFAULT_MAX_ERRORS,
    ImportRejected,
    _cell,
    _count,
    _date,
    _Errors,
    _fold,
    _is_blank,
    _progress,
    _read_header,
    _records,
)
from varna.orgs.models import Employment, Unit, User
from varna.training.models import Completion, Course
from varna.training.signals import completions_added

# The columns and every spelling of their names we accept, compared folded (no case, no
# diacritics, "_" and "-" as spaces): the learning platform's export may be in English or
# Swedish, and Excel users rename headers.
COLUMNS: dict[str, tuple[str, ...]] = {
    "employee_id": ("employee_id", "employee_number", "anställningsnummer", "anställningsnr"),
    "course": ("course", "course_code", "kurs", "kurskod"),
    "completed_on": ("completed_on", "date", "datum", "genomförd", "slutförd"),
}
_SWEDISH = {"employee_id": "anställningsnummer", "course": "kurs", "completed_on": "datum"}
_ALIASES = {_fold(alias): column for column, aliases in COLUMNS.items() for alias in aliases}
_FIELDS = ("person", "course", "completed_on", "source")
_COURSES_LISTED = 10  # course codes named in the message about an unknown course

# A row is kept as one integer, (person << 52) | (course << 20) | day: for a national export of
# millions of rows the check pass holds a dictionary of small integers, not of tuples.
_DAY_BITS = 20  # date.max.toordinal() is 3,652,059 < 2**22; the days we accept are < 2**20
_COURSE_BITS = 32


def _key(person: int, course: int, day: int) -> int:
    return (((person << _COURSE_BITS) | course) << _DAY_BITS) | day


def _unkey(key: int) -> tuple[int, int, date]:
    day = date.fromordinal(key & ((1 << _DAY_BITS) - 1))
    rest = key >> _DAY_BITS
    return rest >> _COURSE_BITS, rest & ((1 << _COURSE_BITS) - 1), day


@dataclass(slots=True)
class TrainingImportResult:
    municipality: str = ""
    rows: int = 0
    created: int = 0
    existing: int = 0

    def summary(self) -> str:
        """The closing line of the command, in Swedish."""
        return (
            f"Klart ({self.municipality}): {_count(self.rows, 'rad', 'rader')}; "
            f"{_count(self.created, 'ny genomförd kurs', 'nya genomförda kurser')}, "
            f"{_count(self.existing, 'fanns redan', 'fanns redan')}."
        )


@dataclass(frozen=True, slots=True)
class _People:
    number_to_pk: dict[str, int]
    # The earliest start of the person's employments in the municipality, as an ordinal;
    # 0 when one of them has no start date (it may be the earliest, so no day is refused).
    first_day: dict[int, int]


def import_completions(
    path: Path,
    *,
    municipality: str | None = None,
    progress: bool = True,
    max_errors: int = DEFAULT_MAX_ERRORS,
    today: date | None = None,
) -> TrainingImportResult:
    """Add the completed courses in the learning platform's export; all or nothing."""
    today = today or timezone.localdate()
    root = _municipality(municipality)
    errors = _Errors(max_errors)
    with closing(_records(path)) as records:
        columns = _columns(records)
        rows, wanted = _check(records, columns, root, today, errors, progress)
    errors.raise_if_any()
    if not rows:
        raise ImportRejected(["Filen har inga rader under rubrikraden."])

    result = TrainingImportResult(municipality=root.name, rows=rows)
    existing = {
        _key(person, course, day.toordinal())
        for person, course, day in Completion.objects.filter(course__municipality=root)
        .order_by()
        .values_list("person_id", "course_id", "completed_on")
    }
    new = sorted(key for key in wanted if key not in existing)
    result.existing = len(wanted) - len(new)
    result.created = len(new)
    people: set[int] = set()
    # _insert writes with the driver's own COPY on PostgreSQL, past Django's cursor wrapper, so
    # a refused row raises psycopg's error; the wrapper turns it into Django's IntegrityError.
    driver_errors = connections[router.db_for_write(Completion)].wrap_database_errors
    try:
        with driver_errors, transaction.atomic():
            batch: list[tuple[int, int, str, str]] = []
            for key in _progress(new, show=progress, desc="Importerar kurser", total=len(new)):
                person, course, day = _unkey(key)
                people.add(person)
                batch.append((person, course, day.isoformat(), Completion.Source.IMPORT.value))
                if len(batch) == BATCH:
                    _insert(Completion, _FIELDS, batch)
                    batch = []
            _insert(Completion, _FIELDS, batch)
            _refresh_statistics(Completion)
            record_security_event(
                kind=SecurityEvent.Kind.IMPORT,
                detail={
                    "import": "training",
                    "file": path.name,
                    "municipality": root.code,
                    "rows": result.rows,
                    "completions_created": result.created,
                    "completions_existing": result.existing,
                },
            )
    except IntegrityError:
        # Only the unique constraint can refuse a checked row: someone registered the same
        # person, course and day between the check and the write.
        raise ImportRejected(
            [
                "En av kurserna i filen registrerades samtidigt på annat sätt, så inget "
                "importerades. Kör importen igen."
            ]
        ) from None
    if people:
        # The year plan ticks off a unit's training activity when its staff are covered.
        completions_added.send(sender=Completion, units=_units_of(people, root), today=today)
    return result


def _municipality(code: str | None) -> Unit:
    if code:
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise ImportRejected([f'Okänd kommun "{code}".'])
        if unit.parent_id is not None:
            raise ImportRejected(
                [f'"{code}" är inte en kommun; ange kommunens kod (högst upp i trädet).']
            )
        return unit
    roots = list(Unit.objects.roots().order_by("code")[:2])
    if len(roots) == 1:
        return roots[0]
    if not roots:
        raise ImportRejected(["Det finns ingen kommun ännu; importera organisationen först."])
    codes = ", ".join(Unit.objects.roots().order_by("code").values_list("code", flat=True))
    raise ImportRejected([f"Ange kommunen med --municipality (det finns flera: {codes})."])


def _columns(records: Iterator[tuple[int, list[str]]]) -> dict[str, int]:
    """Our column name -> index, whichever accepted spelling the header uses."""
    found: dict[str, int] = {}
    header = _read_header(records, ())
    if not header:
        # An empty file reads as one empty header row.
        if next(records, None) is None:
            raise ImportRejected(["Filen är tom."])
        raise ImportRejected(["Rad 1: rubrikraden är tom (den ska ha kolumnernas namn)."])
    for name, index in header.items():
        column = _ALIASES.get(_fold(name))
        if column is not None:
            found.setdefault(column, index)
    missing = [column for column in COLUMNS if column not in found]
    if missing:
        present = ", ".join(header) or "inga"
        raise ImportRejected(
            [
                f'Rad 1: kolumnen "{column}" (eller "{_SWEDISH[column]}") saknas '
                f"(filen har: {present})."
                for column in missing
            ]
        )
    return found


def _people(root: Unit) -> _People:
    number_to_pk: dict[str, int] = {}
    first_day: dict[int, int] = {}
    employments = Employment.objects.filter(tree.subtree_q(root.path, "unit__path"))
    for number, person, start in (
        employments.exclude(user__employee_number=None)
        .order_by()
        .values_list("user__employee_number", "user_id", "start_date")
    ):
        if number is None:  # excluded above; for the type checker
            continue
        number_to_pk[number] = person
        day = start.toordinal() if start is not None else 0
        first_day[person] = min(first_day.get(person, day), day)
    return _People(number_to_pk, first_day)


def _check(
    records: Iterator[tuple[int, list[str]]],
    columns: dict[str, int],
    root: Unit,
    today: date,
    errors: _Errors,
    show: bool,
) -> tuple[int, dict[int, int]]:
    """Check every row on its own and against the earlier rows; returns the number of rows and
    the rows that passed (key -> row number). Nothing is written."""
    people = _people(root)
    courses = dict(Course.objects.filter(municipality=root).values_list("code", "pk"))
    employee_column, course_column = columns["employee_id"], columns["course"]
    day_column = columns["completed_on"]
    earliest, latest = EARLIEST_DATE.toordinal(), today.toordinal()
    seen: dict[int, int] = {}
    # Employee numbers not employed in the municipality, and their rows: whether they exist
    # elsewhere is asked once at the end, not once per row.
    strangers: dict[str, list[int]] = {}
    rows = 0
    for line, cells in _progress(records, show=show, desc="Kontrollerar kurser"):
        if _is_blank(cells):
            continue
        rows += 1
        number = _cell(cells, employee_column)
        code = _cell(cells, course_column)
        text = _cell(cells, day_column)
        person = 0
        if not number:
            errors.add(line, "anställningsnummer (employee_id) saknas.")
        else:
            person = people.number_to_pk.get(number, 0)
            if not person:
                strangers.setdefault(number, []).append(line)
        course = 0
        if not code:
            errors.add(line, "kurs (course) saknas.")
        else:
            course = courses.get(code, 0)
            if not course:
                errors.add(line, _unknown_course(code, root, courses))
        day = 0
        if not text:
            errors.add(line, "datum (completed_on) saknas.")
        else:
            try:
                day = _date(text).toordinal()
            except ValueError:
                errors.add(line, f'ogiltigt datum "{text}" (skriv ÅÅÅÅ-MM-DD, t.ex. 2025-03-14).')
            else:
                if day > latest:
                    errors.add(line, f"datumet {text} ligger i framtiden.")
                    day = 0
                elif day < earliest:
                    errors.add(line, f"datumet {text} är före {EARLIEST_DATE.isoformat()}.")
                    day = 0
        if person and day:
            started = people.first_day[person]
            if day < started:
                errors.add(
                    line,
                    f"datumet {text} är före anställningens början "
                    f"({date.fromordinal(started).isoformat()}) för anställningsnummer "
                    f'"{number}".',
                )
                day = 0
        if not (person and course and day):
            continue
        key = _key(person, course, day)
        first = seen.setdefault(key, line)
        if first != line:
            errors.add(line, f"samma anställningsnummer, kurs och datum som rad {first}.")
    _strangers(strangers, root, errors)
    return rows, seen


def _unknown_course(code: str, root: Unit, courses: dict[str, int]) -> str:
    if not courses:
        return f'okänd kurs "{code}" ({root.name} har inga kurser ännu).'
    known = sorted(courses)
    listed = ", ".join(known[:_COURSES_LISTED]) + (" …" if len(known) > _COURSES_LISTED else "")
    return f'okänd kurs "{code}" (kurser i {root.name}: {listed}).'


def _strangers(strangers: dict[str, list[int]], root: Unit, errors: _Errors) -> None:
    numbers = list(strangers)
    elsewhere: set[str] = set()
    for start in range(0, len(numbers), BATCH):
        found = User.objects.filter(employee_number__in=numbers[start : start + BATCH])
        elsewhere.update(
            number for number in found.values_list("employee_number", flat=True) if number
        )
    for number, lines in strangers.items():
        message = (
            f'anställningsnummer "{number}" har ingen anställning i {root.name}.'
            if number in elsewhere
            else f'okänt anställningsnummer "{number}".'
        )
        for line in lines:
            errors.add(line, message)


def _units_of(people: set[int], root: Unit) -> list[Unit]:
    """The units in the municipality where these people are employed."""
    ids = sorted(people)
    unit_ids: set[int] = set()
    for start in range(0, len(ids), BATCH):
        unit_ids.update(
            Employment.objects.filter(
                tree.subtree_q(root.path, "unit__path"), user_id__in=ids[start : start + BATCH]
            ).values_list("unit_id", flat=True)
        )
    ordered = sorted(unit_ids)
    units: list[Unit] = []
    for start in range(0, len(ordered), BATCH):
        units += Unit.objects.filter(pk__in=ordered[start : start + BATCH])
    return units
