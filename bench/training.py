"""Benchmark training coverage for one large municipality: the reads behind the training pages
and the follow-up's "where to aim the next course" table.

Builds a synthetic kommun in a throwaway database: about 400 units (5 nämnder, each with one
förvaltning of 6 avdelningar of 10 enheter, and work groups under some enheter), 20,000 staff
(some employed in two units, some whose employment has ended, some who started within the
last months), a role grant per employment plus managers and safety representatives, 4 courses
with 5 requirements, and about 60,000 completed courses spread over the last ten years. Then,
in this process, it times `runs` calls each (after one warm-up call) of:

    coverage(kommun)                the whole municipality's coverage (the year plan reads it)
    coverage_of_children(kommun)    each nämnd's, in one pass
    unit_training(enhet)            the unit training page's selector, an enhet of ~40 staff
    unit_training(förvaltning)      the same for a förvaltning of ~4,000 staff
    training_table, worked out      the dashboard's "where to aim" table for an analyst on the
                                    whole kommun, computed from the rows
    coverage_version(kommun)        what the kept table is keyed by
    training_table, kept            the same table as the dashboard reads it: the first page
                                    of the day (or after a change), then again

and prints p50 and max in milliseconds and the number of SQL queries of one call. The kept
table is in Django's default cache (local memory in this process).

    .venv/bin/python bench/training.py                  # SQLite in a temporary directory
    .venv/bin/python bench/training.py --staff 5000 --runs 3
    createdb -h 127.0.0.1 -U postgres varna_bench_training
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/varna_bench_training \\
        .venv/bin/python bench/training.py

A DATABASE_URL must name an empty database (it is left filled: drop it afterwards); the
SQLite file is removed at the end unless --keep.
"""

import argparse
import os
import platform
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

NAMNDER, AVDELNINGAR, ENHETER = 5, 6, 10
GROUPED_ENHETER = 12  # enheter per förvaltning with work groups below them (one each)
BATCH = 5_000


def prepare_environment(work: Path) -> str:
    """Production settings on a benchmark database; returns its description."""
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="varna.settings",
        VARNA_SECRET_KEY=secrets.token_urlsafe(50),
        VARNA_DATA_DIR=str(work),
        VARNA_LOG_LEVEL="WARNING",
        # One connection for the whole run: the timings are of the reads, not of connecting.
        VARNA_DB_CONN_MAX_AGE="600",
    )
    os.environ.pop("VARNA_DEBUG", None)
    os.environ.pop("VARNA_DEMO", None)
    url = urlsplit(os.environ["DATABASE_URL"])
    if url.scheme.startswith("sqlite"):
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (file in a temporary directory)"
    return f"{url.scheme} on {url.hostname}:{url.port or ''}{url.path}"


def build(staff: int, seed: int) -> dict[str, Any]:
    """The municipality; returns what the measurements need."""
    from django.db import transaction

    from varna.orgs import tree
    from varna.orgs.importing.bulk import _refresh_statistics
    from varna.orgs.models import Employment, Headcount, Role, RoleGrant, Unit, User
    from varna.training.models import Completion, Course, Requirement

    rng = random.Random(seed)
    today = date.today()
    if Unit.objects.exists() or User.objects.exists():
        raise SystemExit("The database is not empty: point DATABASE_URL at a new database.")

    with transaction.atomic():

        def unit(code: str, name: str, kind: str, parent: Unit | None) -> Unit:
            made = Unit.objects.create(
                code=code, name=name, kind=kind, parent=parent, path=f"new:{code}"
            )
            made.path = tree.child_path(parent.path if parent else "", made.pk)
            made.depth = tree.depth(made.path)
            made.save(update_fields=["path", "depth"])
            return made

        root = unit("BK", "Benchkommun", Unit.Kind.MUNICIPALITY, None)
        forvaltningar: list[Unit] = []
        managed: list[Unit] = []  # a manager each
        workplaces: list[Unit] = []  # where people are employed
        for n in range(NAMNDER):
            namnd = unit(f"BK-N{n}", f"Nämnd {n}", Unit.Kind.COMMITTEE, root)
            forv = unit(f"BK-F{n}", f"Förvaltning {n}", Unit.Kind.ADMINISTRATION, namnd)
            forvaltningar.append(forv)
            managed.append(forv)
            for a in range(AVDELNINGAR):
                avd = unit(f"BK-F{n}-A{a}", f"Avdelning {n}.{a}", Unit.Kind.DEPARTMENT, forv)
                managed.append(avd)
                for e in range(ENHETER):
                    enhet = unit(f"BK-F{n}-A{a}-E{e}", f"Enhet {n}.{a}.{e}", Unit.Kind.UNIT, avd)
                    managed.append(enhet)
                    workplaces.append(enhet)
                    if a * ENHETER + e < GROUPED_ENHETER:
                        group = unit(
                            f"BK-F{n}-A{a}-E{e}-G", f"Grupp {n}.{a}.{e}", Unit.Kind.WORKGROUP, enhet
                        )
                        workplaces.append(group)

        people = User.objects.bulk_create(
            (
                User(
                    username=f"bench{number:06d}",
                    first_name=rng.choice(["Anna", "Eva", "Lars", "Erik", "Sara", "Per"]),
                    last_name=f"Person{number:06d}",
                    password="!",  # noqa: S106 - an unusable password: nobody logs in
                )
                for number in range(staff)
            ),
            batch_size=BATCH,
        )
        # Sizes vary around the mean, so that some enhet has about forty staff.
        weights = [max(0.2, rng.gauss(1, 0.3)) for _ in workplaces]
        employments: list[Employment] = []
        started: dict[int, date] = {}
        in_enhet: set[int] = set()
        for person in people:
            place = rng.choices(workplaces, weights)[0]
            # Most started long ago; one in twenty within the last three months.
            days = rng.randrange(1, 90) if rng.random() < 0.05 else rng.randrange(120, 15 * 365)
            start = today - timedelta(days=days)
            end = today - timedelta(days=rng.randrange(1, 400)) if rng.random() < 0.03 else None
            employments.append(Employment(user=person, unit=place, start_date=start, end_date=end))
            started[person.pk] = start
            if place.kind == Unit.Kind.UNIT:
                in_enhet.add(person.pk)
            if rng.random() < 0.05:  # a second employment elsewhere
                other = rng.choice(workplaces)
                if other.pk != place.pk:
                    employments.append(Employment(user=person, unit=other, start_date=start))
        Employment.objects.bulk_create(employments, batch_size=BATCH)
        grants = [
            RoleGrant(user_id=employment.user_id, unit_id=employment.unit_id, role=Role.EMPLOYEE)
            for employment in employments
        ]
        chosen = rng.sample(people, len(managed) * 2)
        managers = chosen[: len(managed)]
        grants += [
            RoleGrant(user=person, unit=place, role=Role.MANAGER)
            for person, place in zip(managers, managed, strict=True)
        ]
        grants += [
            RoleGrant(user=person, unit=place, role=Role.SAFETY_REP)
            for person, place in zip(chosen[len(managed) :], managed, strict=True)
        ]
        analyst = User.objects.create(username="bench.analyst", password="!")  # noqa: S106
        grants.append(RoleGrant(user=analyst, unit=root, role=Role.ANALYST))
        RoleGrant.objects.bulk_create(grants, batch_size=BATCH)

        head_counts: dict[int, int] = {}
        for employment in employments:
            head_counts[employment.unit_id] = head_counts.get(employment.unit_id, 0) + 1
        Headcount.objects.bulk_create(
            Headcount(unit_id=pk, year=year, employees=count)
            for pk, count in head_counts.items()
            for year in (today.year - 1, today.year)
        )

        courses = Course.objects.bulk_create(
            [
                Course(municipality=root, code="grund", name="Grundkurs", validity_months=36),
                Course(municipality=root, code="chef", name="Chefskurs", validity_months=24),
                Course(municipality=root, code="enhet", name="Hot och våld", validity_months=12),
                Course(municipality=root, code="so", name="Skyddsombud", validity_months=None),
            ]
        )
        basic, manager, violence, safety = courses
        Requirement.objects.bulk_create(
            [
                Requirement(course=basic, within_months=3),
                Requirement(course=basic, role=Role.MANAGER, within_months=1),
                Requirement(course=manager, role=Role.MANAGER, within_months=6),
                Requirement(course=violence, unit_kind=Unit.Kind.UNIT, within_months=3),
                Requirement(course=safety, role=Role.SAFETY_REP, within_months=6),
            ]
        )

        def history(person: int, course: Course, share: float, every: int) -> list[Completion]:
            """A person's completions of a course, the latest first, back to their start."""
            if rng.random() > share:
                return []
            found: list[Completion] = []
            day = today - timedelta(days=rng.randrange(0, every))
            while day >= started[person] and len(found) < 3:
                found.append(
                    Completion(person_id=person, course=course, completed_on=day, source="import")
                )
                day -= timedelta(days=rng.randrange(every // 2, every * 2))
            return found

        completions: list[Completion] = []
        manager_ids = {person.pk for person in managers}
        safety_ids = {person.pk for person in chosen[len(managed) :]}
        for person in people:
            pk = person.pk
            completions += history(pk, basic, 0.9, 3 * 365)
            if pk in in_enhet or rng.random() < 0.1:
                completions += history(pk, violence, 0.6, 365)
            if pk in manager_ids or rng.random() < 0.02:
                completions += history(pk, manager, 0.8, 2 * 365)
            if pk in safety_ids:
                completions += history(pk, safety, 0.7, 5 * 365)
        Completion.objects.bulk_create(completions, batch_size=BATCH)

    # What the importers do after a load, and autovacuum soon after any: without it PostgreSQL
    # plans for the empty tables of before (a no-op on SQLite).
    _refresh_statistics(Unit, User, Employment, RoleGrant, Headcount, Course, Completion)
    # The enhet (without units below it) whose staff is nearest forty.
    sizes = {
        pk: count
        for pk, count in head_counts.items()
        if not Unit.objects.filter(parent_id=pk).exists()
    }
    small = Unit.objects.get(pk=min(sizes, key=lambda pk: abs(sizes[pk] - 40)))
    return {
        "root": root,
        "small": small,
        "small_staff": sizes[small.pk],
        "forvaltning": forvaltningar[0],
        "analyst": analyst,
        "units": Unit.objects.count(),
        "employments": len(employments),
        "completions": len(completions),
        "grants": len(grants),
    }


def measure(call: Callable[[], Any], runs: int) -> tuple[list[float], int]:
    """Milliseconds of `runs` calls after a warm-up, and the queries of the warm-up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times, len(captured.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--staff", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5, help="timed calls per read (1 to 50)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    options = parser.parse_args()
    runs = max(1, min(options.runs, 50))

    work = Path(tempfile.mkdtemp(prefix="varna-bench-training-"))
    described = prepare_environment(work)
    print(f"Database: {described}")
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    django.setup()

    from django.core.cache import cache
    from django.core.management import call_command

    from varna.stats import selectors as stats
    from varna.stats.figures import Chosen
    from varna.stats.periods import period_of
    from varna.training import coverage
    from varna.training import selectors as training

    call_command("migrate", "--no-input", verbosity=0)
    started = time.perf_counter()
    world = build(options.staff, options.seed)
    print(
        f"Built {world['units']:,} units, {options.staff:,} staff on {world['employments']:,}"
        f" employments, {world['grants']:,} role grants, 4 courses with 5 requirements and"
        f" {world['completions']:,} completions in {time.perf_counter() - started:.1f} s\n"
    )
    today = date.today()
    root, analyst = world["root"], world["analyst"]
    board = stats.dashboard(analyst, Chosen(period=period_of("rolling", today, today), today=today))

    def table() -> Any:
        return stats.training_table(board, today, reader=analyst)

    def kept_table() -> Any:
        return stats.training_table(board, today, reader=analyst, kept=True)

    def first_kept_table() -> Any:
        # The first page of the day, or the first after a change: nothing kept yet.
        cache.clear()
        return kept_table()

    whole = coverage.coverage(root, today)
    print(
        f"Required of the municipality's staff: {whole.total.staff:,} (person, requirement)"
        f" for {whole.people:,} people, {whole.total.covered:,} valid"
    )
    forvaltning = coverage.coverage(world["forvaltning"], today).people
    # The kept table is the table worked out, whoever reads it first.
    assert kept_table().rows == table().rows, "the kept table differs from the worked-out one"
    reads: list[tuple[str, Callable[[], Any]]] = [
        ("coverage(kommun)", lambda: coverage.coverage(root, today)),
        ("coverage_of_children(kommun)", lambda: coverage.coverage_of_children(root, today)),
        (
            f"unit_training(enhet, {world['small_staff']} staff)",
            lambda: training.unit_training(world["small"], today),
        ),
        (
            f"unit_training(förvaltning, {forvaltning:,} staff)",
            lambda: training.unit_training(world["forvaltning"], today),
        ),
        (f"training_table(analyst, kommun: {len(table().rows)} rows), worked out", table),
        ("coverage_version(kommun)", lambda: training.coverage_version([root.path])),
        ("training_table, kept: the first of the day", first_kept_table),
        ("training_table, kept: again the same day", kept_table),
    ]
    print(f"\n{runs} runs each after one warm-up; queries of one call\n")
    print("| read | p50 ms | max ms | queries |")
    print("|---|---|---|---|")
    for name, call in reads:
        times, queries = measure(call, runs)
        print(f"| {name} | {statistics.median(times):.0f} | {max(times):.0f} | {queries} |")
    if options.keep:
        print(f"\nKept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
