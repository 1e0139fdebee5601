"""Importing staff: people, their employments and roles from the HR system's staff export."""

import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from pathlib import Path

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F

from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event
from varna.orgs.importing.bulk import BATCH, _insert, _refresh_statistics
from varna.orgs.importing.csvfile import (
    DEFAULT_MAX_ERRORS,
    ImportRejected,
    _aliases,
    _count,
    _Errors,
    _file_stamp,
    _fold,
    _is_blank,
    _progress,
    _read_header,
    _records,
)
from varna.orgs.models import Employment, Role, RoleGrant, Unit, User

CHUNK = 5000  # staff rows per round of bulk reads and writes; stays below SQLite's variable limit
ROLE_NAMES: dict[str, str] = {
    Role.EMPLOYEE: "medarbetare",
    Role.MANAGER: "chef",
    Role.SAFETY_REP: "skyddsombud",
    Role.HR: "HR",
    Role.SECURITY: "säkerhetssamordnare",
    Role.INVESTIGATOR: "utredare",
    Role.ANALYST: "analytiker",
    Role.AUDITOR: "revisor",
    Role.COMMITTEE: "nämndledamot",
    Role.ADMIN: "administratör",
    Role.EDITOR: "redaktör",
}
_USERNAME = re.compile(r"[\w.@+-]+")


@cache
def _role_aliases() -> dict[str, str]:
    return _aliases(Role, ROLE_NAMES)


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
    # Every value of a row in one call: (employee id, first name or name, last name, e-mail,
    # unit code, role, title); an absent column reads the empty cell padded on at index `width`.
    pick: Callable[[list[str]], tuple[str, ...]]
    width: int
    has_full_name: bool  # one "name" column instead of first_name and last_name
    has_email: bool  # without the column, e-mail addresses are left as they are
    has_title: bool  # likewise titles


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
    # The file is read twice; if it changes in between, the write pass would trust unchecked rows.
    stamp = _file_stamp(path)
    with closing(_records(path)) as records:
        columns = _staff_columns(_read_header(records, ("employee_id", "unit_code")))
        plan = _check_staff(records, columns, unit_pks, taken, errors, progress)
    errors.raise_if_any()
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
        _refresh_statistics(User, Employment, RoleGrant)
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
    full_name = not ("first_name" in columns and "last_name" in columns)
    order = [
        columns["employee_id"],
        columns["name"] if full_name else columns["first_name"],
        None if full_name else columns["last_name"],
        columns.get("email"),
        columns["unit_code"],
        columns.get("role"),
        columns.get("title"),
    ]
    return _StaffColumns(
        pick=itemgetter(*(width if index is None else index for index in order)),
        width=width,
        has_full_name=full_name,
        has_email="email" in columns,
        has_title="title" in columns,
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
    if columns.has_full_name:
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


def _write_staff_chunk(
    chunk: list[_StaffRow], plan: _StaffPlan, columns: _StaffColumns, result: StaffImportResult
) -> None:
    """Write one chunk of checked rows with a handful of bulk reads and writes."""
    if not chunk:
        return
    with_email, with_title = columns.has_email, columns.has_title
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
    _insert(
        User,
        ("username", "employee_number", "first_name", "last_name", "email", "password"),
        new_users,
    )
    if new_users:
        created = User.objects.filter(username__in=[user[0] for user in new_users])
        user_pk.update(created.values_list("username", "pk"))
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
