"""Importing units: the organisation tree from the HR system's unit export."""

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import NamedTuple

from django.db import transaction

from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event
from varna.orgs import tree
from varna.orgs.importing.bulk import BATCH, _refresh_statistics
from varna.orgs.importing.csvfile import (
    DEFAULT_MAX_ERRORS,
    _aliases,
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
from varna.orgs.models import Unit
from varna.orgs.signals import units_created, units_moved

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
UNIT_COLUMNS = ("unit_code", "parent_code", "name", "kind")
UNIT_FIELDS = ["parent", "name", "kind", "valid_from", "valid_to", "path", "depth", "updated_at"]


@cache
def _kind_aliases() -> dict[str, str]:
    return _aliases(Unit.Kind, KIND_NAMES)


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
        _refresh_statistics(Unit)
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
    created_codes: list[str] = []
    upserts: list[Unit] = []
    moves: list[tuple[str, str]] = []  # (old path, new path) of the units given a new parent
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
            if old is not None and parent_pk != old.parent_id:
                moves.append((old.path, path))
            if old is None:
                created += 1
                created_codes.append(code)
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
    if moves:
        # As a move in the admin does: what is summed per subtree follows the units.
        units_moved.send(sender=Unit, moves=moves)
    if created_codes:
        units_created.send(sender=Unit, codes=created_codes)
    return UnitImportResult(created, changed, unchanged, moved_along)
