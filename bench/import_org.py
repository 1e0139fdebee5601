"""Benchmark the HR imports at national scale: wall time and peak memory of each run.

Generates an organisation file (about 290 municipalities, six levels deep) and a staff file, then
runs each import in its own child process against a fresh database: first import, re-run of the
same file (must change nothing) and, for the organisation, a file with renamed and moved units.
Peak memory is the child's maximum resident set size as the kernel reports it to wait4().

    .venv/bin/python bench/import_org.py                      # 50,000 units, 1,000,000 people
    .venv/bin/python bench/import_org.py --units 2000 --people 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/varna_bench .venv/bin/python bench/import_org.py

SQLite in a temporary directory is the default; a DATABASE_URL must name an empty database.
"""

import argparse
import csv
import os
import platform
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

KINDS = ["kommun", "namnd", "forvaltning", "avdelning", "enhet", "arbetsgrupp"]
KIND_TITLES = ["kommun", "nämnd", "förvaltning", "avdelning", "enhet", "arbetsgrupp"]
# Children per unit at each level (min, max): a kommun has a handful of nämnder, and so on.
BRANCHING = [(5, 9), (1, 2), (2, 6), (3, 8), (0, 3)]
FIRST_NAMES = ["Anna", "Eva", "Maria", "Karin", "Sara", "Lars", "Erik", "Per", "Karl", "Johan"]
LAST_NAMES = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson"]
TITLES = ["Socialsekreterare", "Handläggare", "Undersköterska", "Lärare", "Ekonom", ""]
# Extra roles held by about one person in twenty, with the Swedish names HR systems export.
EXTRA_ROLES = ["chef"] * 12 + ["skyddsombud"] * 5 + ["HR", "säkerhetssamordnare", "utredare"]


@dataclass(frozen=True)
class GeneratedUnit:
    code: str
    parent_code: str
    name: str
    kind: str
    depth: int


@dataclass(frozen=True)
class Run:
    step: str
    seconds: float
    peak_mb: float
    output: str


def build_tree(units: int, rng: random.Random) -> list[GeneratedUnit]:
    """About `units` units under min(290, units // 20) municipalities, breadth first per kommun."""
    roots = max(1, min(290, units // 20))
    budget = [units // roots + (1 if i < units % roots else 0) for i in range(roots)]
    result: list[GeneratedUnit] = []
    for number, size in enumerate(budget):
        prefix = str(1000 + number)
        counter = 0

        def make(parent: GeneratedUnit | None, depth: int, prefix: str = prefix) -> GeneratedUnit:
            nonlocal counter
            code = f"{prefix}-{counter:05d}"
            counter += 1
            unit = GeneratedUnit(
                code=code,
                parent_code=parent.code if parent else "",
                name=f"{KIND_TITLES[depth].capitalize()} {code}",
                kind=KINDS[depth],
                depth=depth,
            )
            result.append(unit)
            return unit

        level = [make(None, 0)]
        made = 1
        while level and made < size:
            below: list[GeneratedUnit] = []
            for parent in level:
                if parent.depth + 1 >= len(KINDS):
                    continue
                low, high = BRANCHING[parent.depth]
                for _ in range(rng.randint(low, high)):
                    if made >= size:
                        break
                    below.append(make(parent, parent.depth + 1))
                    made += 1
            level = below
    return result


def write_org(path: Path, units: list[GeneratedUnit], rng: random.Random) -> None:
    # Shuffled, so that children often come before their parents as in real exports.
    shuffled = units[:]
    rng.shuffle(shuffled)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unit_code", "parent_code", "name", "kind", "valid_from"])
        for unit in shuffled:
            writer.writerow([unit.code, unit.parent_code, unit.name, unit.kind, "2020-01-01"])


def reorganise(units: list[GeneratedUnit], rng: random.Random) -> list[GeneratedUnit]:
    """1 % renamed, and 1 % of the förvaltningar moved to another nämnd of the same kommun."""
    namnder: dict[str, list[str]] = {}
    for unit in units:
        if unit.depth == 1:
            namnder.setdefault(unit.code[:4], []).append(unit.code)
    changed: list[GeneratedUnit] = []
    for unit in units:
        name, parent = unit.name, unit.parent_code
        if rng.random() < 0.01:
            name = f"{name} (nytt namn)"
        if unit.depth == 2 and rng.random() < 0.01:
            others = [code for code in namnder[unit.code[:4]] if code != parent]
            parent = rng.choice(others) if others else parent
        changed.append(GeneratedUnit(unit.code, parent, name, unit.kind, unit.depth))
    return changed


def write_staff(
    path: Path, units: list[GeneratedUnit], people: int, rng: random.Random
) -> tuple[int, int]:
    """Semicolons and a BOM, as Swedish Excel saves; returns (rows, extra role rows)."""
    workplaces = [unit for unit in units if unit.depth >= 3] or units
    parent_of = {unit.code: unit.parent_code for unit in units}
    rows = extra = 0
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(
            ["employee_id", "first_name", "last_name", "email", "unit_code", "role", "title"]
        )
        for number in range(people):
            employee_id = f"E{number:07d}"
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first}.{last}.{number}@kommun.example".lower()
            unit = rng.choice(workplaces).code
            writer.writerow([employee_id, first, last, email, unit, "", rng.choice(TITLES)])
            rows += 1
            if rng.random() < 0.05:
                role = rng.choice(EXTRA_ROLES)
                where = parent_of[unit] if role != "chef" and parent_of[unit] else unit
                writer.writerow([employee_id, first, last, email, where, role, ""])
                rows += 1
                extra += 1
    return rows, extra


def child_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{data_dir / 'bench.sqlite3'}")
    env.update(
        DJANGO_SETTINGS_MODULE="varna.settings",
        VARNA_SECRET_KEY=secrets.token_urlsafe(50),
        VARNA_DATA_DIR=str(data_dir),
        VARNA_LOG_LEVEL="WARNING",
    )
    env.pop("VARNA_DEBUG", None)
    return env


def run(step: str, args: list[str], env: dict[str, str]) -> Run:
    """Run `python -m varna.manage ARGS` and measure its wall time and peak resident memory."""
    command = [sys.executable, "-m", "varna.manage", *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stdout.close()
    if process.returncode:
        sys.exit(f"{step} failed with exit code {process.returncode}:\n{output}")
    # Linux reports ru_maxrss in kilobytes.
    last_line = output.strip().splitlines()[-1] if output.strip() else ""
    return Run(step, seconds, usage.ru_maxrss / 1024, last_line)


def require_empty_database(env: dict[str, str]) -> None:
    check = (
        "import django; django.setup(); "
        "from varna.orgs.models import Unit, User; "
        "raise SystemExit(1 if Unit.objects.exists() or User.objects.exists() else 0)"
    )
    if subprocess.run([sys.executable, "-c", check], env=env, check=False).returncode:
        sys.exit("The database is not empty: point DATABASE_URL at a freshly created database.")


def describe_database(env: dict[str, str]) -> str:
    url = urlsplit(env["DATABASE_URL"])
    if url.scheme.startswith("sqlite"):
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (file in a temporary directory)"
    return f"{url.scheme} on {url.hostname}:{url.port or ''}{url.path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=50_000)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the files and database")
    options = parser.parse_args()
    rng = random.Random(options.seed)

    work = Path(tempfile.mkdtemp(prefix="varna-bench-"))
    env = child_env(work)
    print(f"Database: {describe_database(env)}")
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"Files and data in {work}{'' if options.keep else ' (removed afterwards)'}")

    started = time.perf_counter()
    units = build_tree(options.units, rng)
    org_file, moved_file, staff_file = work / "org.csv", work / "org-moved.csv", work / "staff.csv"
    write_org(org_file, units, rng)
    write_org(moved_file, reorganise(units, rng), rng)
    staff_rows, extra = write_staff(staff_file, units, options.people, rng)
    roots = sum(1 for unit in units if not unit.parent_code)
    print(
        f"Generated {len(units):,} units ({roots} roots, up to {len(KINDS)} levels) and "
        f"{options.people:,} people on {staff_rows:,} rows ({extra:,} extra roles) "
        f"in {time.perf_counter() - started:.1f} s\n"
    )

    run("migrate", ["migrate", "--no-input", "-v", "0"], env)
    require_empty_database(env)
    runs = [
        run("import_org, first run", ["import_org", str(org_file)], env),
        run("import_org, re-run", ["import_org", str(org_file)], env),
        run("import_org, reorganised", ["import_org", str(moved_file)], env),
        run("import_staff, first run", ["import_staff", str(staff_file)], env),
        run("import_staff, re-run", ["import_staff", str(staff_file)], env),
    ]

    width = max(len(r.step) for r in runs)
    print(f"{'step':<{width}}  {'time':>9}  {'peak RSS':>9}")
    for r in runs:
        print(f"{r.step:<{width}}  {r.seconds:>7.1f} s  {r.peak_mb:>6.0f} MB")
    print()
    for r in runs:
        print(f"{r.step:<{width}}  {r.output}")
    database = work / "bench.sqlite3"
    if database.exists():
        print(f"\nSQLite file: {database.stat().st_size / 2**20:.0f} MB")
    if not options.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
