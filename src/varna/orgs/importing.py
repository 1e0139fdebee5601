"""Import the organisation tree and its staff from an HR system's CSV exports.

Both imports are all or nothing: the whole file is checked first, every error is reported with its
row number (the header is row 1, as Excel shows it), and only a clean file is written, in one
transaction. A re-run with the same file changes nothing; a changed file updates what changed.
Nothing is deleted: a unit, person or role missing from the file is left as it is.

They are built for a national scale (50,000 units, 1,000,000 people): the file is streamed, the
database is read in bulk into plain dictionaries and written with batched inserts and upserts,
never one query per row. The staff file is read twice, once to check it and once to write it in
chunks, so that memory holds a few small entries per person instead of the whole file.
"""

import csv
import re
import secrets
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connections, models, router, transaction
from django.db.models import F
from django.utils import timezone, translation
from tqdm import tqdm

from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event
from varna.orgs import tree
from varna.orgs.models import Employment, Role, RoleGrant, Unit, User

BATCH = 1000  # rows per INSERT statement
CHUNK = 5000  # staff rows per round of bulk reads and writes; stays below SQLite's variable limit
DEFAULT_MAX_ERRORS = 1000
# Not digits, so it can never equal a real path; codes are unique, so neither can two of these.
TEMPORARY_PATH_PREFIX = "import:"

KIND_NAMES: dict[str, str] = {
    Unit.Kind.MUNICIPALITY: "kommun",
    Unit.Kind.COMMITTEE: "nämnd",
    Unit.Kind.ADMINISTRATION: "förvaltning",
    Unit.Kind.DEPARTMENT: "avdelning",
    Unit.Kind.UNIT: "enhet",
    Unit.Kind.WORKGROUP: "arbetsgrupp",
}
ROLE_NAMES: dict[str, str] = {
    Role.EMPLOYEE: "medarbetare",
    Role.MANAGER: "chef",
    Role.SAFETY_REP: "skyddsombud",
    Role.HR: "HR",
    Role.SECURITY: "säkerhetssamordnare",
    Role.INVESTIGATOR: "utredare",
    Role.ANALYST: "analytiker",
    Role.AUDITOR: "revisor",
    Role.ADMIN: "administratör",
}
UNIT_COLUMNS = ("unit_code", "parent_code", "name", "kind")
UNIT_FIELDS = ["parent", "name", "kind", "valid_from", "valid_to", "path", "depth", "updated_at"]
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_USERNAME = re.compile(r"[\w.@+-]+")


class ImportRejected(Exception):
    """The file has errors, so nothing was imported."""

    def __init__(self, errors: list[str], total: int | None = None) -> None:
        self.errors = errors
        self.total = len(errors) if total is None else total
        super().__init__(self.report())

    def report(self) -> str:
        """The errors as the command prints them, in Swedish."""
        lines = [f"Filen importerades inte eftersom den har {_count(self.total, 'fel', 'fel')}:"]
        lines += self.errors
        hidden = self.total - len(self.errors)
        if hidden > 0:
            lines.append(f"… och {hidden} fel till (visa alla med --max-errors 0).")
        return "\n".join(lines)


class _Errors:
    """Errors found while checking a file; keeps the first `limit` (0: all) and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.found: list[tuple[int, str]] = []
        self.total = 0

    def add(self, line: int, message: str) -> None:
        self.total += 1
        if not self.limit or len(self.found) < self.limit:
            self.found.append((line, f"Rad {line}: {message}" if line else message))

    def raise_if_any(self) -> None:
        if self.total:
            ordered = sorted(self.found, key=lambda error: error[0])
            raise ImportRejected([message for _line, message in ordered], self.total)


def _count(n: int, one: str, many: str) -> str:
    """'1 ny enhet', '12 nya enheter', '1 000 000 nya personer'."""
    return f"{n:,}".replace(",", " ") + " " + (one if n == 1 else many)


def _fold(text: str) -> str:
    """Lower case without diacritics, '_' and '-' as spaces: 'Förvaltning' -> 'forvaltning'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.replace("_", " ").replace("-", " ").split())


def _aliases(choices: type[models.TextChoices], names: dict[str, str]) -> dict[str, str]:
    """Every spelling we accept for a choice: its value, Swedish name and English label."""
    aliases: dict[str, str] = {}
    with translation.override("en"):
        for value, label in choices.choices:
            for alias in (value, str(label), names[value]):
                aliases[_fold(alias)] = value
    return aliases


@cache
def _kind_aliases() -> dict[str, str]:
    return _aliases(Unit.Kind, KIND_NAMES)


@cache
def _role_aliases() -> dict[str, str]:
    return _aliases(Role, ROLE_NAMES)


def _progress[T](
    items: Iterable[T], *, show: bool, desc: str, total: int | None = None
) -> Iterable[T]:
    # disable=None lets tqdm hide itself when stderr is not a terminal (cron, CI, tests).
    return tqdm(
        items,
        desc=desc,
        total=total,
        unit=" rader",
        unit_scale=True,
        file=sys.stderr,
        disable=None if show else True,
        mininterval=0.5,
    )


# Reading the file


def _records(path: Path) -> Generator[tuple[int, list[str]]]:
    """(row number, cells) for every row, header included; UTF-8 with or without BOM."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ImportRejected([f"Filen {path} kan inte läsas: {error.strerror}."]) from None
    line = 0
    with handle:
        try:
            header = handle.readline()
            # Swedish Excel writes ';', most other tools ','. The header decides.
            delimiter = max(";,\t", key=header.count)
            reader = csv.reader(chain([header], handle), delimiter=delimiter)
            for line, cells in enumerate(reader, start=1):
                yield line, cells
        except UnicodeDecodeError:
            raise ImportRejected(
                [
                    f"Rad {line + 1}: filen är inte sparad som UTF-8. "
                    'Spara den från Excel som "CSV UTF-8 (kommaavgränsad)".'
                ]
            ) from None
        except csv.Error as error:
            raise ImportRejected(
                [f"Rad {line + 1}: raden kan inte läsas som CSV ({error})."]
            ) from None


def _read_header(
    records: Iterator[tuple[int, list[str]]], required: Iterable[str]
) -> dict[str, int]:
    """Column name -> index, names compared without case; rejects a file missing a column."""
    try:
        _line, cells = next(records)
    except StopIteration:
        raise ImportRejected(["Filen är tom."]) from None
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = cell.strip().lstrip("\ufeff").casefold()
        if name:
            columns.setdefault(name, index)
    missing = [name for name in required if name not in columns]
    if missing:
        present = ", ".join(columns) or "inga"
        raise ImportRejected(
            [f'Rad 1: kolumnen "{name}" saknas (filen har: {present}).' for name in missing]
        )
    return columns


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _is_blank(cells: list[str]) -> bool:
    # Excel leaves rows of bare delimiters after the data.
    return not "".join(cells).strip()


def _date(text: str) -> date:
    if not _DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)


def _file_stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


# Units


@dataclass(frozen=True, slots=True)
class UnitImportResult:
    created: int
    changed: int
    unchanged: int
    moved_along: int  # units whose path changed only because a unit above them moved

    def summary(self) -> str:
        """The closing line of the command, in Swedish."""
        text = (
            f"Klart: {_count(self.created, 'ny enhet', 'nya enheter')}, "
            f"{_count(self.changed, 'ändrad', 'ändrade')}, "
            f"{_count(self.unchanged, 'oförändrad', 'oförändrade')}."
        )
        if self.moved_along:
            text += f" {_count(self.moved_along, 'enhet', 'enheter')} följde med vid flytt."
        return text


@dataclass(frozen=True, slots=True)
class _UnitRow:
    line: int
    code: str
    parent_code: str
    name: str
    kind: str
    valid_from: date | None
    valid_to: date | None


class _DbUnit(NamedTuple):
    pk: int
    code: str
    parent_id: int | None
    name: str
    kind: str
    valid_from: date
    valid_to: date | None
    path: str
    depth: int


def import_units(
    path: Path, *, progress: bool = True, max_errors: int = DEFAULT_MAX_ERRORS
) -> UnitImportResult:
    """Create, update and move units as an HR export lists them; all or nothing, safe to re-run."""
    errors = _Errors(max_errors)
    with closing(_records(path)) as records:
        columns = _read_header(records, UNIT_COLUMNS)
        rows = _read_unit_rows(records, columns, errors, progress)
    existing = {
        unit.code: unit
        for unit in map(_DbUnit._make, Unit.objects.order_by().values_list(*_DbUnit._fields))
    }
    has_valid_to = "valid_to" in columns
    parent_of = _check_units(rows, existing, has_valid_to, errors)
    depth_of = _depths(parent_of, rows, errors)
    errors.raise_if_any()
    with transaction.atomic():
        result = _write_units(rows, existing, parent_of, depth_of, has_valid_to)
        record_security_event(
            kind=SecurityEvent.Kind.IMPORT,
            detail={
                "import": "units",
                "file": path.name,
                "created": result.created,
                "changed": result.changed,
                "unchanged": result.unchanged,
                "moved_along": result.moved_along,
            },
        )
    return result


def _read_unit_rows(
    records: Iterator[tuple[int, list[str]]], columns: dict[str, int], errors: _Errors, show: bool
) -> dict[str, _UnitRow]:
    """The file's units by code, each checked on its own; later checks need the whole file."""
    kinds = _kind_aliases()
    kind_names = ", ".join(KIND_NAMES.values())
    at = columns.get
    rows: dict[str, _UnitRow] = {}
    for line, cells in _progress(records, show=show, desc="Kontrollerar enheter"):
        if _is_blank(cells):
            continue
        code = _cell(cells, at("unit_code"))
        parent_code = _cell(cells, at("parent_code"))
        name = _cell(cells, at("name"))
        kind_text = _cell(cells, at("kind"))
        if not code:
            errors.add(line, "enhetskod (unit_code) saknas.")
        elif len(code) > 40:
            errors.add(line, f'enhetskoden "{code}" är längre än 40 tecken.')
        elif "/" in code:
            errors.add(line, f'enhetskoden "{code}" får inte innehålla "/".')
        if not name:
            errors.add(line, "namn (name) saknas.")
        elif len(name) > 200:
            errors.add(line, "namnet är längre än 200 tecken.")
        kind = kinds.get(_fold(kind_text), "")
        if not kind_text:
            errors.add(line, f"enhetstyp (kind) saknas (giltiga: {kind_names}).")
        elif not kind:
            errors.add(line, f'okänd enhetstyp "{kind_text}" (giltiga: {kind_names}).')
        dates: dict[str, date | None] = {}
        for column in ("valid_from", "valid_to"):
            text = _cell(cells, at(column))
            dates[column] = None
            if text:
                try:
                    dates[column] = _date(text)
                except ValueError:
                    errors.add(line, f'ogiltigt datum "{text}" i {column} (skriv ÅÅÅÅ-MM-DD).')
        valid_from, valid_to = dates["valid_from"], dates["valid_to"]
        if valid_from and valid_to and valid_to < valid_from:
            errors.add(line, f"valid_to {valid_to} är före valid_from {valid_from}.")
        if not code:
            continue
        if code in rows:
            errors.add(line, f'enhetskoden "{code}" finns redan på rad {rows[code].line}.')
            continue
        # Kept even with errors so that its children are not also reported as orphans.
        rows[code] = _UnitRow(line, code, parent_code, name, kind, valid_from, valid_to)
    return rows


def _check_units(
    rows: dict[str, _UnitRow], existing: dict[str, _DbUnit], has_valid_to: bool, errors: _Errors
) -> dict[str, str]:
    """Parent code of every unit after the import ("" for a root); reports unknown parents."""
    code_of = {unit.pk: unit.code for unit in existing.values()}
    parent_of = {
        code: code_of[unit.parent_id] if unit.parent_id else "" for code, unit in existing.items()
    }
    parent_of.update((code, row.parent_code) for code, row in rows.items())
    default_from = _default_valid_from()
    for row in rows.values():
        if row.parent_code and row.parent_code not in parent_of:
            errors.add(
                row.line,
                f'överordnad enhet "{row.parent_code}" finns varken i filen eller i Värna.',
            )
            parent_of[row.code] = ""
        old = existing.get(row.code)
        if row.valid_from and row.valid_to:
            continue  # already compared on the row
        valid_from = row.valid_from or (old.valid_from if old else default_from)
        valid_to = row.valid_to if has_valid_to else (old.valid_to if old else None)
        if valid_to is not None and valid_to < valid_from:
            errors.add(
                row.line, f"enheten skulle sluta ({valid_to}) före sin start ({valid_from})."
            )
    return parent_of


def _depths(
    parent_of: dict[str, str], rows: dict[str, _UnitRow], errors: _Errors
) -> dict[str, int]:
    """Depth of every unit after the import; reports cycles and a tree deeper than allowed."""
    depth: dict[str, int] = {}
    broken: set[str] = set()  # in a cycle or below one
    for start in parent_of:
        trail: list[str] = []
        position: dict[str, int] = {}
        code = start
        while code and code not in depth and code not in broken:
            if code in position:
                _report_cycle(trail[position[code] :], rows, errors)
                broken.update(trail)
                trail = []
                break
            position[code] = len(trail)
            trail.append(code)
            code = parent_of[code]
        if not trail:
            continue
        if code in broken:
            broken.update(trail)
            continue
        level = depth[code] + 1 if code else 0
        for member in reversed(trail):
            depth[member] = level
            level += 1
    for code, level in depth.items():
        if level >= tree.MAX_DEPTH:
            row = rows.get(code)
            errors.add(
                row.line if row else 0,
                f'enheten "{code}" skulle hamna på nivå {level + 1}, '
                f"men trädet får ha högst {tree.MAX_DEPTH} nivåer.",
            )
    return depth


def _report_cycle(cycle: list[str], rows: dict[str, _UnitRow], errors: _Errors) -> None:
    # The database holds a tree, so every cycle runs through at least one row of the file.
    line = min(rows[code].line for code in cycle if code in rows)
    if len(cycle) == 1:
        errors.add(line, f'enheten "{cycle[0]}" anges som överordnad till sig själv.')
        return
    chain_text = " → ".join(f'"{code}"' for code in [*cycle, cycle[0]])
    errors.add(line, f"parent_code bildar en cykel: {chain_text} (varje enhet ligger under nästa).")


def _default_valid_from() -> date:
    default = Unit._meta.get_field("valid_from").get_default()
    assert isinstance(default, date)
    return default


def _write_units(
    rows: dict[str, _UnitRow],
    existing: dict[str, _DbUnit],
    parent_of: dict[str, str],
    depth_of: dict[str, int],
    has_valid_to: bool,
) -> UnitImportResult:
    default_from = _default_valid_from()
    # New units first get a temporary path: their final one is built from the id they receive.
    fresh = [
        Unit(
            code=row.code,
            name=row.name,
            kind=row.kind,
            valid_from=row.valid_from or default_from,
            valid_to=row.valid_to,
            path=f"{TEMPORARY_PATH_PREFIX}{row.code}",
        )
        for code, row in rows.items()
        if code not in existing
    ]
    Unit.objects.bulk_create(fresh, batch_size=BATCH)
    pk_of = {code: unit.pk for code, unit in existing.items()}
    pk_of.update((unit.code, unit.pk) for unit in fresh)
    if any(unit.pk is None for unit in fresh):  # a database that returns no ids from bulk inserts
        new_units = Unit.objects.filter(path__startswith=TEMPORARY_PATH_PREFIX)
        pk_of.update(new_units.values_list("code", "pk"))

    path_of: dict[str, str] = {}
    for code in sorted(depth_of, key=depth_of.__getitem__):
        parent = parent_of[code]
        path_of[code] = tree.child_path(path_of[parent] if parent else "", pk_of[code])

    created = changed = unchanged = moved_along = 0
    upserts: list[Unit] = []
    for code in pk_of:
        old, row = existing.get(code), rows.get(code)
        parent_code = parent_of[code]
        parent_pk = pk_of[parent_code] if parent_code else None
        path, depth = path_of[code], depth_of[code]
        if row is None:  # a unit only in the database: its path changes if an ancestor moved
            assert old is not None
            if path == old.path:
                continue
            moved_along += 1
            name, kind, valid_from, valid_to = old.name, old.kind, old.valid_from, old.valid_to
        else:
            name, kind = row.name, row.kind
            valid_from = row.valid_from or (old.valid_from if old else default_from)
            valid_to = row.valid_to if has_valid_to or not old else old.valid_to
            if old is None:
                created += 1
            elif (parent_pk, name, kind, valid_from, valid_to) != (
                old.parent_id,
                old.name,
                old.kind,
                old.valid_from,
                old.valid_to,
            ):
                changed += 1
            elif path != old.path:
                moved_along += 1
            else:
                unchanged += 1
                continue
        upserts.append(
            Unit(
                code=code,
                parent_id=parent_pk,
                name=name,
                kind=kind,
                valid_from=valid_from,
                valid_to=valid_to,
                path=path,
                depth=depth,
            )
        )
    # An upsert on the code is the fastest bulk update on both PostgreSQL and SQLite. No path
    # collides on the way: a path ends in the unit's own id, so two units never share one.
    Unit.objects.bulk_create(
        upserts,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=UNIT_FIELDS,
    )
    return UnitImportResult(created, changed, unchanged, moved_along)


# Staff


@dataclass(slots=True)
class StaffImportResult:
    rows: int = 0
    people_created: int = 0
    people_changed: int = 0
    people_unchanged: int = 0
    employments_created: int = 0
    employments_changed: int = 0
    grants_created: int = 0
    grants_changed: int = 0
    granted: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """The closing line of the command, in Swedish."""
        return (
            f"Klart: {_count(self.people_created, 'ny person', 'nya personer')}, "
            f"{_count(self.people_changed, 'ändrad', 'ändrade')}, "
            f"{_count(self.people_unchanged, 'oförändrad', 'oförändrade')}; "
            f"{_count(self.employments_created, 'ny anställning', 'nya anställningar')}, "
            f"{_count(self.employments_changed, 'ändrad', 'ändrade')}; "
            f"{_count(self.grants_created, 'ny roll', 'nya roller')}, "
            f"{_count(self.grants_changed, 'ändrad', 'ändrade')}."
        )


@dataclass(frozen=True, slots=True)
class _StaffColumns:
    employee_id: int
    unit_code: int
    first_name: int | None
    last_name: int | None
    name: int | None
    email: int | None
    role: int | None
    title: int | None
    # Every value of a row in one call: (employee id, first name or name, last name, e-mail,
    # unit code, role, title); an absent column reads the empty cell padded on at index `width`.
    pick: Callable[[list[str]], tuple[str, ...]]
    width: int


@dataclass(frozen=True, slots=True)
class _StaffRow:
    line: int
    employee_id: str
    first_name: str
    last_name: str
    email: str
    unit_pk: int
    role: str
    title: str


_ROLE_BITS = {role: 1 << index for index, role in enumerate(Role.values)}
_TITLED = 1 << len(Role.values)
_LINE_SHIFT = len(Role.values) + 1
_SIGNATURE = 2**32 - 1


@dataclass(slots=True)
class _StaffPlan:
    """What the check pass learnt, so the write pass handles each thing on exactly one row.

    Values are packed into one integer each: for a million people a few small entries per person
    is what keeps the check pass within a few hundred megabytes.
    """

    rows: int = 0
    # employee id -> (first row << 32) | hash of name and e-mail, so that a different name on a
    # later row is found without keeping every name.
    people: dict[str, int] = field(default_factory=dict)
    # (employee id, unit id) -> (row that sets the employment << _LINE_SHIFT) | _TITLED | role
    # bits. That row is the first with a title (the first row while none has one); the role bits
    # catch a role listed twice.
    employments: dict[tuple[str, int], int] = field(default_factory=dict)

    def first_line(self, employee_id: str) -> int:
        return self.people[employee_id] >> 32

    def employment_line(self, row: _StaffRow) -> int:
        return self.employments[row.employee_id, row.unit_pk] >> _LINE_SHIFT


def import_staff(
    path: Path, *, progress: bool = True, max_errors: int = DEFAULT_MAX_ERRORS
) -> StaffImportResult:
    """Create and update people, employments and roles from an HR export; all or nothing."""
    errors = _Errors(max_errors)
    unit_pks: dict[str, int] = dict(Unit.objects.order_by().values_list("code", "pk"))
    # Employee numbers held by an account under another user name (made by hand, or demo).
    taken = {
        number: username
        for number, username in User.objects.exclude(employee_number=None)
        .exclude(employee_number=F("username"))
        .values_list("employee_number", "username")
        if number
    }
    with closing(_records(path)) as records:
        columns = _staff_columns(_read_header(records, ("employee_id", "unit_code")))
        plan = _check_staff(records, columns, unit_pks, taken, errors, progress)
    errors.raise_if_any()
    stamp = _file_stamp(path)
    result = StaffImportResult(rows=plan.rows)
    with transaction.atomic(), closing(_records(path)) as records:
        _read_header(records, ())
        rows = (
            _parse_staff_row(line, cells, columns, unit_pks, None)
            for line, cells in records
            if not _is_blank(cells)
        )
        chunk: list[_StaffRow] = []
        for row in _progress(rows, show=progress, desc="Importerar personer", total=plan.rows):
            assert row is not None
            chunk.append(row)
            if len(chunk) == CHUNK:
                _write_staff_chunk(chunk, plan, columns, result)
                chunk = []
        _write_staff_chunk(chunk, plan, columns, result)
        if _file_stamp(path) != stamp:
            raise ImportRejected(["Filen ändrades under importen; inget importerades."])
        record_security_event(
            kind=SecurityEvent.Kind.IMPORT,
            detail={
                "import": "staff",
                "file": path.name,
                "rows": result.rows,
                "people_created": result.people_created,
                "people_changed": result.people_changed,
                "employments_created": result.employments_created,
                "employments_changed": result.employments_changed,
                "roles_granted": result.grants_created,
                "roles_granted_by_role": dict(result.granted),
                "roles_changed": result.grants_changed,
            },
        )
    return result


def _staff_columns(columns: dict[str, int]) -> _StaffColumns:
    if "name" not in columns and not ("first_name" in columns and "last_name" in columns):
        raise ImportRejected(
            ['Rad 1: kolumnerna "first_name" och "last_name" (eller "name") saknas.']
        )
    width = max(columns.values()) + 1
    name = None if "first_name" in columns and "last_name" in columns else columns["name"]
    first_name, last_name = columns.get("first_name"), columns.get("last_name")
    email, role, title = columns.get("email"), columns.get("role"), columns.get("title")
    order = [columns["employee_id"], first_name if name is None else name, last_name]
    order += [email, columns["unit_code"], role, title]
    return _StaffColumns(
        employee_id=columns["employee_id"],
        unit_code=columns["unit_code"],
        first_name=first_name,
        last_name=last_name,
        name=name,
        email=email,
        role=role,
        title=title,
        pick=itemgetter(*(width if index is None else index for index in order)),
        width=width,
    )


def _split_name(name: str) -> tuple[str, str]:
    """'Svensson, Anna' or 'Anna Maria Svensson' -> (first names, last name)."""
    if "," in name:
        last, first = name.split(",", 1)
        return first.strip(), last.strip()
    first, _space, last = name.rpartition(" ")
    return first.strip(), last.strip()


def _parse_staff_row(
    line: int,
    cells: list[str],
    columns: _StaffColumns,
    unit_pks: dict[str, int],
    errors: _Errors | None,
) -> _StaffRow | None:
    """One row as written; with `errors`, also checks it (the write pass reads a checked file)."""
    padded = cells + [""] * (columns.width + 1 - len(cells))
    employee_id, first_name, last_name, email, unit_code, role_text, title = map(
        str.strip, columns.pick(padded)
    )
    if columns.name is not None:
        first_name, last_name = _split_name(first_name)
    role = _role_aliases().get(_fold(role_text), "") if role_text else Role.EMPLOYEE.value
    unit_pk = unit_pks.get(unit_code, 0)
    if errors is None:
        return _StaffRow(line, employee_id, first_name, last_name, email, unit_pk, role, title)

    ok = True
    if not employee_id:
        errors.add(line, "anställningsnummer (employee_id) saknas.")
        ok = False
    elif len(employee_id) > 40 or not _USERNAME.fullmatch(employee_id):
        errors.add(
            line,
            f'ogiltigt anställningsnummer "{employee_id}" (högst 40 tecken: '
            "bokstäver, siffror och . @ + - _).",
        )
        ok = False
    if not first_name and not last_name:
        errors.add(line, "namn saknas.")
    elif len(first_name) > 150 or len(last_name) > 150:
        errors.add(line, "förnamn och efternamn får vara högst 150 tecken.")
    if email:
        try:
            if len(email) > 254:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            errors.add(line, f'ogiltig e-postadress "{email}".')
    if not unit_code:
        errors.add(line, "enhetskod (unit_code) saknas.")
        ok = False
    elif not unit_pk:
        errors.add(line, f'okänd enhetskod "{unit_code}" (importera organisationen först).')
        ok = False
    if not role:
        errors.add(line, f'okänd roll "{role_text}" (giltiga: {", ".join(ROLE_NAMES.values())}).')
        ok = False
    if len(title) > 120:
        errors.add(line, "titeln är längre än 120 tecken.")
    if not ok:
        return None
    return _StaffRow(line, employee_id, first_name, last_name, email, unit_pk, role, title)


def _check_staff(
    records: Iterator[tuple[int, list[str]]],
    columns: _StaffColumns,
    unit_pks: dict[str, int],
    taken: dict[str, str],
    errors: _Errors,
    show: bool,
) -> _StaffPlan:
    """Check every row on its own and against the other rows; nothing is written."""
    plan = _StaffPlan()
    role_names = ROLE_NAMES
    for line, cells in _progress(records, show=show, desc="Kontrollerar personer"):
        if _is_blank(cells):
            continue
        plan.rows += 1
        row = _parse_staff_row(line, cells, columns, unit_pks, errors)
        if row is None:
            continue
        employee_id = row.employee_id
        if employee_id in taken:
            errors.add(
                line,
                f'anställningsnummer "{employee_id}" tillhör redan kontot "{taken[employee_id]}".',
            )
        signature = hash((row.first_name, row.last_name, row.email)) & _SIGNATURE
        seen = plan.people.setdefault(employee_id, (line << 32) | signature)
        if seen & _SIGNATURE != signature:
            errors.add(
                line,
                f'anställningsnummer "{employee_id}" har ett annat namn eller en annan '
                f"e-postadress än på rad {seen >> 32}.",
            )
        pair = (employee_id, row.unit_pk)
        role_bit, titled = _ROLE_BITS[row.role], _TITLED if row.title else 0
        packed = plan.employments.get(pair)
        if packed is None:
            plan.employments[pair] = (line << _LINE_SHIFT) | titled | role_bit
            continue
        if packed & role_bit:
            errors.add(
                line,
                f'anställningsnummer "{employee_id}" har redan rollen {role_names[row.role]} '
                "i samma enhet på en tidigare rad.",
            )
        if titled and not packed & _TITLED:
            packed = (line << _LINE_SHIFT) | (packed & (_TITLED - 1)) | _TITLED
        plan.employments[pair] = packed | role_bit
    return plan


def _unusable_password() -> str:
    # What make_password(None) stores, at a fraction of its cost for a million people.
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def _insert(
    model: type[models.Model],
    names: Sequence[str],
    rows: list[tuple[Any, ...]],
    *,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """INSERT plain values (str, int, None) for `names`; every other field gets its default.

    Returns the `returning` columns of the new rows, or [] if the database cannot.

    bulk_create spends most of its time building a model instance and preparing each value of
    each row; for a million people that is minutes. Here defaults and timestamps are prepared
    once per call and the rows go to the database as they are, in multi-row INSERTs.
    """
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    now = timezone.now()
    column_of = {each.name: str(each.column) for each in model._meta.concrete_fields}
    fixed: dict[str, Any] = {}
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.name in names or model_field.generated:
            continue
        stamped = getattr(model_field, "auto_now", False) or getattr(
            model_field, "auto_now_add", False
        )
        value = now if stamped else model_field.get_default()
        fixed[column_of[model_field.name]] = model_field.get_db_prep_save(value, connection)
    columns = [column_of[name] for name in names] + list(fixed)
    tail = tuple(fixed.values())
    quote = connection.ops.quote_name
    per_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    limit = connection.features.max_query_params or BATCH * len(columns)
    size = max(1, min(BATCH, limit // len(columns)))
    # Only quoted identifiers from the model's metadata go into the text; values are parameters.
    table = quote(model._meta.db_table)
    head = f"INSERT INTO {table} ({', '.join(map(quote, columns))}) VALUES "  # noqa: S608
    tail_sql = ""
    if returning and connection.features.can_return_rows_from_bulk_insert:
        tail_sql = " RETURNING " + ", ".join(quote(column_of[name]) for name in returning)
    returned: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            params = [value for row in batch for value in (*row, *tail)]
            cursor.execute(head + ", ".join([per_row] * len(batch)) + tail_sql, params)
            if tail_sql:
                returned += cursor.fetchall()
    return returned


def _write_staff_chunk(
    chunk: list[_StaffRow], plan: _StaffPlan, columns: _StaffColumns, result: StaffImportResult
) -> None:
    """Write one chunk of checked rows with a handful of bulk reads and writes."""
    if not chunk:
        return
    with_email, with_title = columns.email is not None, columns.title is not None
    user_fields = ["first_name", "last_name", "employee_number"] + (["email"] if with_email else [])
    found = {
        username: (pk, (first, last, number) + ((email,) if with_email else ()))
        for pk, username, first, last, number, email in User.objects.filter(
            username__in={row.employee_id for row in chunk}
        ).values_list("pk", "username", "first_name", "last_name", "employee_number", "email")
    }
    user_pk = {username: pk for username, (pk, _values) in found.items()}
    new_users: list[tuple[str, ...]] = []
    changed_users: list[User] = []
    for row in chunk:
        if plan.first_line(row.employee_id) != row.line:
            continue  # the person was written at their first row
        wanted: tuple[str, ...] = (row.first_name, row.last_name, row.employee_id)
        wanted += (row.email,) if with_email else ()
        old = found.get(row.employee_id)
        if old is None:
            new_users.append(
                (
                    row.employee_id,
                    row.employee_id,
                    row.first_name,
                    row.last_name,
                    row.email,
                    _unusable_password(),
                )
            )
        elif old[1] != wanted:
            # The password is only there for the INSERT half of the upsert, which never runs.
            changed_users.append(
                User(
                    username=row.employee_id,
                    employee_number=row.employee_id,
                    first_name=row.first_name,
                    last_name=row.last_name,
                    email=row.email,
                    password=_unusable_password(),
                )
            )
        else:
            result.people_unchanged += 1
    # Whoever existed before this chunk may have employments and roles; new people cannot.
    existing_ids = set(user_pk.values())
    created = _insert(
        User,
        ("username", "employee_number", "first_name", "last_name", "email", "password"),
        new_users,
        returning=("username", "id"),
    )
    if new_users and not created:
        created_users = User.objects.filter(username__in=[user[0] for user in new_users])
        created = list(created_users.values_list("username", "pk"))
    user_pk.update(created)
    User.objects.bulk_create(
        changed_users,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["username"],
        update_fields=user_fields,
    )
    result.people_created += len(new_users)
    result.people_changed += len(changed_users)

    employments = {
        (user_id, unit_id): title
        for user_id, unit_id, title in Employment.objects.filter(user_id__in=existing_ids)
        .order_by()
        .values_list("user_id", "unit_id", "title")
    }
    new_employments: list[tuple[int, int, str]] = []
    changed_employments: list[Employment] = []
    for row in chunk:
        if plan.employment_line(row) != row.line:
            continue
        user_id = user_pk[row.employee_id]
        title = employments.get((user_id, row.unit_pk))
        if title is None:
            new_employments.append((user_id, row.unit_pk, row.title))
        elif with_title and title != row.title:
            changed_employments.append(
                Employment(user_id=user_id, unit_id=row.unit_pk, title=row.title)
            )
    _insert(Employment, ("user", "unit", "title"), new_employments)
    Employment.objects.bulk_create(
        changed_employments,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["user", "unit"],
        update_fields=["title", "updated_at"],
    )
    result.employments_created += len(new_employments)
    result.employments_changed += len(changed_employments)

    grants = {
        (user_id, unit_id, role): title
        for user_id, unit_id, role, title in RoleGrant.objects.filter(user_id__in=existing_ids)
        .order_by()
        .values_list("user_id", "unit_id", "role", "title")
    }
    new_grants: list[tuple[int, int, str, str]] = []
    changed_grants: list[RoleGrant] = []
    for row in chunk:
        user_id = user_pk[row.employee_id]
        title = grants.get((user_id, row.unit_pk, row.role))
        if title is None:
            new_grants.append((user_id, row.unit_pk, row.role, row.title))
            result.granted[row.role] += 1
        elif with_title and title != row.title:
            changed_grants.append(
                RoleGrant(user_id=user_id, unit_id=row.unit_pk, role=row.role, title=row.title)
            )
    _insert(RoleGrant, ("user", "unit", "role", "title"), new_grants)
    RoleGrant.objects.bulk_create(
        changed_grants,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["user", "unit", "role"],
        update_fields=["title", "updated_at"],
    )
    result.grants_created += len(new_grants)
    result.grants_changed += len(changed_grants)
