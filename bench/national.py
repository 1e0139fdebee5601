"""Benchmark follow-up at national scale, on PostgreSQL.

Creates a fresh database, migrates it and writes a synthetic country with COPY: 290
municipalities, each a kommun with nämnder, förvaltningar, avdelningar, enheter and work groups
(about 50,000 units), headcounts adding up to about 1,000,000 employees, and about 3,000,000
reported events with their cases spread over ten years, each with a random record key. The base
rollup rows (counts and key sums) are counted by varna.stats.services.tally, the function the
fold uses, as the events are generated; the subtree rollups are then written by the fold's own
subtree step (services._fold_subtrees) for every month and every top near the root.

Then gunicorn (one sync worker, production settings) answers the dashboard for the whole country
(an analyst on every municipality) and for one municipality, N times each, one after the other,
for last year, a quarter and a tertial of it, and an own range of months filtered on one form
and one situation; the first request after start is reported as cold. The committee report's
PDF for one municipality and year is built in this process, and the raw SQL that computes the
dashboard's figures straight from the reports and cases is timed on the same database: the ratio
is our overhead against answering from the events themselves. Last, 10,000 new events (reports
with cases in the last three months, spread over the country) are written with a PendingFold row
each, as the services leave them, and `services.fold()` is timed.

    .venv/bin/python bench/national.py                 # the full country
    .venv/bin/python bench/national.py --scale 0.1     # a tenth: a quick look
    .venv/bin/python bench/national.py --keep          # keep the database for later runs
    .venv/bin/python bench/national.py --reuse         # measure a kept database again

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth); the database
varna_bench_national is dropped and created again, and dropped at the end (unless --keep or
--reuse). --reuse skips the generation (about ten minutes): it migrates the kept database
and measures it (each run's timed fold adds its 10,000 events to it).

The raw SQL is the plain SQL over the reports, cases, measures, units and headcounts that
computes every figure the page shows, for both periods: every category and handling column by
month, form and situation; the events per unit one and two levels down; the employees.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import django
import psycopg

from common import (
    create_database,
    database_url,
    drop_database,
    ensure_postgres,
    free_port,
    manage,
    production_env,
    start_gunicorn,
    stop_gunicorn,
)

DB_NAME = "varna_bench_national"
DATABASE_URL = database_url(DB_NAME)
MUNICIPALITIES = 290
YEARS = 10
EVENTS = 3_000_000
EMPLOYEES = 1_000_000
# Per municipality: nämnder, each with one förvaltning, avdelningar per förvaltning, enheter per
# avdelning, and work groups under the first enheter: 1 + 6 + 6 + 24 + 120 + 15 = 172 units.
NAMNDER, AVDELNINGAR, ENHETER, GROUPS = 6, 4, 5, 15
TARGETS = {"country": 300.0, "municipality": 50.0}  # p95 ms, for every period
FOLD_EVENTS, FOLD_TARGET = 10_000, 5.0  # new events folded at once; seconds

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from varna.core.record_keys import RECORD_KEY_RANGE  # noqa: E402 - after the path is set


def columns_of(model, *, with_id: bool = False) -> list:
    """The model's columns for COPY; the key left to the database unless we give it."""
    from django.db.models import AutoField, BigAutoField

    return [
        field
        for field in model._meta.concrete_fields
        if with_id or not isinstance(field, AutoField | BigAutoField)
    ]


def row_for(fields: list, values: dict, now: datetime) -> tuple:
    """A COPY row: the given values, each other column its model default."""
    from django.db.models import NOT_PROVIDED, JSONField

    row = []
    for field in fields:
        if field.attname in values:
            value = values[field.attname]
        elif field.name in {"created_at", "updated_at"}:
            value = now
        elif field.default is not NOT_PROVIDED:
            value = field.default() if callable(field.default) else field.default
        elif field.null:
            value = None
        else:
            value = ""
        if isinstance(field, JSONField) and value is not None:
            value = json.dumps(value)
        row.append(value)
    return tuple(row)


def copy(cur: psycopg.Cursor, model, rows, *, with_id: bool = False) -> int:
    fields = columns_of(model, with_id=with_id)
    names = ", ".join(f'"{field.column}"' for field in fields)
    count = 0
    with cur.copy(f'COPY "{model._meta.db_table}" ({names}) FROM STDIN') as out:
        for row in rows:
            out.write_row(row)
            count += 1
    return count


class EventMaker:
    """Synthetic events: a report with its closed case as COPY rows, and the row
    varna.stats.services.tally reads for it (the fields the engine's own query selects)."""

    FORMS = {
        "harassment": 0.5,
        "threat": 0.33,
        "violence": 0.05,
        "damage": 0.08,
        "corruption": 0.04,
    }

    def __init__(self, rng: random.Random, now: datetime, reporter_id: int, prefix: str) -> None:
        from varna.cases.models import Case
        from varna.reporting.models import Report
        from varna.reporting.taxonomy import (
            SUBFORMS,
            ActorRelation,
            Answer,
            Consequence,
            Place,
            Purpose,
            Situation,
        )

        self.rng, self.now, self.reporter_id, self.prefix = rng, now, reporter_id, prefix
        self.report_fields = columns_of(Report, with_id=True)
        self.case_fields = columns_of(Case, with_id=True)
        self.places, self.situations = Place.values, [*Situation.values, ""]
        self.actors, self.consequences = ActorRelation.values, Consequence.values
        self.answers, self.purposes = [*Answer.values, ""], Purpose.values
        self.subforms = {
            form: [f"{form}.{code}" for code, _ in items] for form, items in SUBFORMS.items()
        }

    def make(self, report_id: int, unit_id: int, occurred: date) -> tuple[tuple, tuple, dict]:
        rng = self.rng
        form = rng.choices(list(self.FORMS), list(self.FORMS.values()))[0]
        opened = datetime(occurred.year, occurred.month, occurred.day, 12, tzinfo=UTC)
        routed = form == "corruption" and rng.random() < 0.3
        values = {
            "id": report_id,
            "code": secrets.token_urlsafe(12),
            "number": f"{self.prefix}-{report_id:09d}",  # unique, as the ids are
            "reporter_id": self.reporter_id,
            "affected_id": self.reporter_id,
            "unit_id": unit_id,
            "idempotency_key": uuid.uuid4(),
            # Random, as Report's default (new_record_key) gives; drawn from the seeded
            # generator so that the country is the same every time.
            "record_key": rng.randrange(RECORD_KEY_RANGE),
            "main_form": form,
            "subforms": [rng.choice(self.subforms[form])],
            "occurred_on": occurred,
            "place": rng.choice(self.places),
            "situation": rng.choice(self.situations),
            "actor_relation": rng.choice(self.actors),
            "consequences": [rng.choice(self.consequences)],
            "purpose_to_influence": rng.choice(self.answers),
            "purposes": rng.sample(self.purposes, rng.choice([0, 1, 1, 2])),
            "route_to_security": routed,
            "description": "Syntetisk händelse.",
            "kia_type": "tillbud",
            "submitted_at": opened,
        }
        acknowledged = opened + timedelta(hours=rng.randrange(1, 72))
        serious = rng.random() < 0.15
        case = {
            "report_id": report_id,
            "unit_id": unit_id,
            "main_form": form,
            "security_routed": routed,
            "opened_at": opened,
            "state": "closed",
            "acknowledge_due_at": opened + timedelta(hours=24),
            "acknowledged_at": acknowledged,
            "police_decision": rng.choice(
                ["employer_files", "employee_with_help", "no_report", ""]
            ),
            "serious_reasons": ["threat_to_life"] if serious else [],
            "notice_due_at": opened + timedelta(hours=12) if serious else None,
            "notice_sent_at": opened + timedelta(hours=rng.randrange(1, 30)) if serious else None,
            "decision_influenced": rng.choice(["yes", "no", "unsure", ""]),
            "not_unlawful": rng.random() < 0.03,
            "closed_at": acknowledged + timedelta(days=20),
        }
        counted = {
            **{key: values[key] for key in TALLIED_REPORT},
            **{f"case__{key}": case[key] for key in TALLIED_CASE},
            "has_measures": rng.random() < 0.8,
        }
        return (
            row_for(self.report_fields, values, self.now),
            row_for(self.case_fields, case, self.now),
            counted,
        )


# The fields of an event that varna.stats.services.tally reads (services._FIELDS).
TALLIED_REPORT = [
    "unit_id",
    "occurred_on",
    "record_key",
    "main_form",
    "situation",
    "route_to_security",
    "subforms",
    "place",
    "actor_relation",
    "consequences",
    "purpose_to_influence",
    "purposes",
]
TALLIED_CASE = [
    "opened_at",
    "acknowledged_at",
    "acknowledge_due_at",
    "police_decision",
    "serious_reasons",
    "notice_due_at",
    "notice_sent_at",
    "decision_influenced",
    "not_unlawful",
]


def generate(scale: float, seed: int = 2026) -> dict[str, object]:
    """Write the country; returns the ids the measurements need."""
    from django.db import connection

    from varna.cases.models import Case
    from varna.orgs import tree
    from varna.orgs.models import Headcount, Role, RoleGrant, Unit, User
    from varna.reporting.models import Report
    from varna.stats import services
    from varna.stats.models import SUBTREE_DEPTH, MonthlyCount

    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = now.date()
    first_day = today - timedelta(days=365 * YEARS)
    municipalities = max(2, round(MUNICIPALITIES * scale))
    enheter_total = municipalities * NAMNDER * AVDELNINGAR * ENHETER
    events_per_enhet = EVENTS * scale / enheter_total * (MUNICIPALITIES * scale / municipalities)
    staff_per_enhet = EMPLOYEES / (MUNICIPALITIES * NAMNDER * AVDELNINGAR * ENHETER)
    unit_fields, head_fields = columns_of(Unit, with_id=True), columns_of(Headcount)
    count_fields = columns_of(MonthlyCount)
    units: list[tuple] = []
    heads: list[tuple] = []
    leaves: list[tuple[int, str]] = []  # (unit id, path) of the units events happen in
    roots: list[int] = []
    next_id = 1

    def unit(code: str, name: str, kind: str, parent: tuple[int, str] | None) -> tuple[int, str]:
        nonlocal next_id
        pk = next_id
        next_id += 1
        path = tree.child_path(parent[1] if parent else "", pk)
        units.append(
            row_for(
                unit_fields,
                {
                    "id": pk,
                    "code": code,
                    "name": name,
                    "kind": kind,
                    "parent_id": parent[0] if parent else None,
                    "path": path,
                    "depth": tree.depth(path),
                    "valid_from": date(2000, 1, 1),
                },
                now,
            )
        )
        return pk, path

    for m in range(municipalities):
        root = unit(f"K{m:03d}", f"Kommun {m}", "kommun", None)
        roots.append(root[0])
        for n in range(NAMNDER):
            namnd = unit(f"K{m:03d}-N{n}", f"Nämnd {n}", "namnd", root)
            forv = unit(f"K{m:03d}-F{n}", f"Förvaltning {n}", "forvaltning", namnd)
            for a in range(AVDELNINGAR):
                avd = unit(f"K{m:03d}-F{n}-A{a}", f"Avdelning {a}", "avdelning", forv)
                for e in range(ENHETER):
                    enhet = unit(f"K{m:03d}-F{n}-A{a}-E{e}", f"Enhet {e}", "enhet", avd)
                    leaves.append(enhet)
                    size = max(2, round(rng.gauss(staff_per_enhet, staff_per_enhet / 3)))
                    for year in range(today.year - YEARS, today.year + 1):
                        heads.append(
                            row_for(
                                head_fields,
                                {"unit_id": enhet[0], "year": year, "employees": size},
                                now,
                            )
                        )
        for g in range(GROUPS):
            parent = leaves[-(g % len(leaves) + 1)]
            unit(f"K{m:03d}-G{g}", f"Arbetsgrupp {g}", "arbetsgrupp", parent)

    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor  # the psycopg cursor under Django's
        started = time.perf_counter()
        copy(cur, Unit, units, with_id=True)
        cur.execute("SELECT setval(pg_get_serial_sequence('orgs_unit', 'id'), %s)", [next_id])
        copy(cur, Headcount, heads)
        reporter = User.objects.create(username="bench.reporter", is_active=False)
        analyst = User.objects.create(username="bench.analyst")
        local = User.objects.create(username="bench.local")
        RoleGrant.objects.bulk_create(
            [RoleGrant(user=analyst, unit_id=pk, role=Role.ANALYST) for pk in roots]
            + [RoleGrant(user=local, unit_id=roots[0], role=Role.ANALYST)]
        )
        print(
            f"  {len(units):,} units, {len(heads):,} headcounts"
            f" in {time.perf_counter() - started:.0f} s",
            flush=True,
        )

        days = (today - first_day).days
        maker = EventMaker(rng, now, reporter.pk, "B")
        total_events = total_counts = 0
        report_id = 1
        started = time.perf_counter()
        for batch_start in range(0, len(leaves), 2_000):
            batch = leaves[batch_start : batch_start + 2_000]
            reports, cases, tallies = [], [], []
            for unit_id, _path in batch:
                count = max(0, round(rng.gauss(events_per_enhet, events_per_enhet / 4)))
                for _ in range(count):
                    occurred = first_day + timedelta(days=rng.randrange(days))
                    made = maker.make(report_id, unit_id, occurred)
                    reports.append(made[0])
                    cases.append(made[1])
                    tallies.append(made[2])
                    report_id += 1
            total_events += copy(cur, Report, reports, with_id=True)
            copy(cur, Case, cases, with_id=True)
            counted = services.tally(tallies)
            total_counts += copy(
                cur,
                MonthlyCount,
                (
                    row_for(
                        count_fields,
                        {
                            "unit_id": key[0],
                            "month": key[1],
                            "form": key[2],
                            "situation": key[3],
                            "security_routed": key[4],
                            **columns,
                        },
                        now,
                    )
                    for key, columns in counted.items()
                ),
            )
            print(
                f"  {total_events:,} events, {total_counts:,} rollup rows,"
                f" {time.perf_counter() - started:.0f} s",
                flush=True,
            )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('reporting_report', 'id'), %s)", [report_id]
        )
        # The subtree rollups as the fold writes them: every top near the root in every month.
        started = time.perf_counter()
        tops = set(Unit.objects.filter(depth__lte=SUBTREE_DEPTH).values_list("pk", flat=True))
        months = sorted(set(MonthlyCount.objects.values_list("month", flat=True).distinct()))
        services._fold_subtrees(dict.fromkeys(months, tops))
        print(
            f"  subtree rollups (services._fold_subtrees: {len(months)} months ×"
            f" {len(tops):,} tops) in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        # What autovacuum would do soon after a bulk load: statistics, and the visibility map
        # that lets the units' events be read from the index alone.
        started = time.perf_counter()
        cur.execute("VACUUM ANALYZE")
        print(f"  VACUUM ANALYZE in {time.perf_counter() - started:.0f} s", flush=True)
    return {
        "analyst": analyst.pk,
        "local": local.pk,
        "root_code": "K000",
        "units": len(units),
        "employees": sum(row[[f.attname for f in head_fields].index("employees")] for row in heads)
        // (YEARS + 1),
        "events": total_events,
        "rollup_rows": total_counts,
    }


def timed_fold(count: int, seed: int = 16) -> dict[str, Any]:
    """`count` new events (reports with their cases) in the last three months, in enheter
    spread over the country, and a PendingFold row for each as the services leave them
    (varna.stats.services.mark); then the time of `services.fold()`, which folds them all."""
    from django.db import connection
    from django.db.models import Max, Sum

    from varna.cases.models import Case
    from varna.orgs.models import Unit, User
    from varna.reporting.models import Report
    from varna.stats import services
    from varna.stats.models import MonthlyCount, PendingFold, SubtreeMonthlyCount

    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = now.date()
    first = (today.replace(day=1) - timedelta(days=62)).replace(day=1)
    days = (today - first).days + 1
    leaves = list(Unit.objects.filter(kind="enhet").values_list("pk", flat=True))
    reporter = User.objects.get(username="bench.reporter")
    maker = EventMaker(rng, now, reporter.pk, "F")
    report_id = (Report.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    reports, cases, pending = [], [], []
    pending_fields = columns_of(PendingFold)
    for n in range(count):
        unit_id = rng.choice(leaves)
        occurred = first + timedelta(days=rng.randrange(days))
        made = maker.make(report_id + n, unit_id, occurred)
        reports.append(made[0])
        cases.append(made[1])
        pending.append(
            row_for(pending_fields, {"unit_id": unit_id, "month": occurred.replace(day=1)}, now)
        )
    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor
        copy(cur, Report, reports, with_id=True)
        copy(cur, Case, cases, with_id=True)
        copy(cur, PendingFold, pending)
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('reporting_report', 'id'), %s)",
            [report_id + count],
        )
    unit_months = len({(row[0], row[1]) for row in pending})
    started = time.perf_counter()
    folded = services.fold()
    seconds = time.perf_counter() - started
    # The months folded, summed three ways: the events, the base rollup, the country's
    # subtree rollup (its roots).
    events = Report.objects.filter(occurred_on__gte=first, case__not_unlawful=False).count()
    base = MonthlyCount.objects.filter(month__gte=first).aggregate(n=Sum("events"))["n"]
    roots = SubtreeMonthlyCount.objects.filter(month__gte=first, unit__depth=0).aggregate(
        n=Sum("events")
    )["n"]
    return {
        "events": count,
        "unit_months": unit_months,
        "folded": folded,
        "seconds": seconds,
        "left": PendingFold.objects.count(),
        "sums": (events, base, roots),
    }


def existing_world() -> dict[str, object]:
    """What `generate` returns, read back from a kept database."""
    from django.db.models import Max, Sum

    from varna.orgs.models import Headcount, Unit, User
    from varna.reporting.models import Report
    from varna.stats.models import MonthlyCount

    last = Headcount.objects.aggregate(year=Max("year"))["year"]
    return {
        "analyst": User.objects.get(username="bench.analyst").pk,
        "local": User.objects.get(username="bench.local").pk,
        "root_code": "K000",
        "units": Unit.objects.count(),
        "employees": Headcount.objects.filter(year=last).aggregate(n=Sum("employees"))["n"],
        "events": Report.objects.count(),
        "rollup_rows": MonthlyCount.objects.count(),
    }


def session_cookie(user_id: int) -> str:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings
    from django.test import Client

    from varna.orgs.models import User

    user = User.objects.get(pk=user_id)
    # Analysts read many people's data, so Värna wants their second factor set up first.
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def time_pages(port: int, cookie: str, path: str, requests: int) -> tuple[float, list[float], int]:
    headers = {"Host": f"127.0.0.1:{port}", "Cookie": f"sessionid={cookie}"}
    latencies, status = [], 0
    for _ in range(requests + 1):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        status = response.status
        conn.close()
    return latencies[0], latencies[1:], status


def raw_sql(filtered: bool = False) -> str:
    """Every category and handling figure by month, form and situation, from the events
    (`filtered`: of the chosen forms and situations only)."""
    from varna.reporting.taxonomy import SUBFORMS, ActorRelation, Consequence, Place

    def quoted(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    acknowledged = (
        "c.acknowledged_at IS NOT NULL"
        " AND (c.acknowledge_due_at IS NULL OR c.acknowledged_at <= c.acknowledge_due_at)"
    )
    filters = [
        *(
            f"r.subforms ? {quoted(f'{form}.{code}')}"
            for form, items in SUBFORMS.items()
            for code, _label in items
        ),
        *(f"r.place = {quoted(code)}" for code in Place.values),
        *(f"r.actor_relation = {quoted(code)}" for code in ActorRelation.values),
        *(f"r.consequences ? {quoted(code)}" for code in Consequence.values),
        acknowledged,
        f"c.acknowledged_at IS NOT NULL AND NOT ({acknowledged})",
        "EXISTS (SELECT 1 FROM cases_measure m"
        " WHERE m.case_id = c.report_id AND m.status <> 'cancelled')",
        "c.police_decision = 'employer_files'",
        "c.police_decision = 'employee_with_help'",
        "c.police_decision = 'no_report'",
        "c.serious_reasons <> '[]'::jsonb",
        "c.serious_reasons <> '[]'::jsonb AND c.notice_sent_at IS NOT NULL"
        " AND (c.notice_due_at IS NULL OR c.notice_sent_at <= c.notice_due_at)",
        "c.decision_influenced = 'yes'",
    ]
    counts = ",\n".join(f"  count(*) FILTER (WHERE {condition})" for condition in filters)
    # The text holds only the taxonomy's own codes, quoted; the rest are parameters.
    query = f"""
SELECT date_trunc('month', r.occurred_on) AS month, r.main_form, r.situation, count(*),
{counts},
  sum(greatest(floor(extract(epoch FROM c.acknowledged_at - c.opened_at) / 60), 0))
FROM reporting_report r
JOIN cases_case c ON c.report_id = r.id
JOIN orgs_unit u ON u.id = r.unit_id
WHERE u.path >= %(low)s AND u.path < %(high)s
  AND r.occurred_on >= %(previous)s AND r.occurred_on < %(end)s
  {FILTERS if filtered else ""}
GROUP BY 1, 2, 3
"""  # noqa: S608
    return query


FILTERS = "AND r.main_form = ANY(%(forms)s) AND r.situation = ANY(%(situations)s)"
RAW_UNITS = """
SELECT substr(u.path, 1, %(child)s), substr(u.path, 1, %(child)s + 8),
       count(*) FILTER (WHERE r.occurred_on >= %(first)s),
       count(*) FILTER (WHERE r.occurred_on < %(first)s)
FROM reporting_report r JOIN orgs_unit u ON u.id = r.unit_id
WHERE u.path >= %(low)s AND u.path < %(high)s
  AND r.occurred_on >= %(previous)s AND r.occurred_on < %(end)s
  {filters}
GROUP BY 1, 2
"""
RAW_HEADCOUNTS = """
SELECT h.year, substr(u.path, 1, %(child)s), substr(u.path, 1, %(child)s + 8), sum(h.employees)
FROM orgs_headcount h JOIN orgs_unit u ON u.id = h.unit_id
WHERE u.path >= %(low)s AND u.path < %(high)s AND h.year IN (%(year)s, %(year)s - 1)
GROUP BY 1, 2, 3
"""


def raw_sql_ms(
    low: str,
    high: str,
    child: int,
    period,
    forms: tuple[str, ...] = (),
    situations: tuple[str, ...] = (),
    runs: int = 3,
) -> float:
    """The median time of the raw SQL that answers the dashboard's figures from the events."""
    from django.db import connection

    filtered = bool(forms or situations)
    params = {
        "low": low,
        "high": high,
        "child": child,
        "previous": period.previous().first,
        "first": period.first,
        "end": period.end,
        "year": period.last.year,
        "forms": list(forms),
        "situations": list(situations),
    }
    queries = (
        raw_sql(filtered),
        RAW_UNITS.format(filters=FILTERS if filtered else ""),
        RAW_HEADCOUNTS,
    )
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            for query in queries:
                cursor.execute(query, params)
                cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def p(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="share of the full country")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--fold-events", type=int, default=FOLD_EVENTS, help="new events for the timed fold"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database kept by --keep again"
    )
    args = parser.parse_args()

    ensure_postgres()
    if not args.reuse:
        create_database(DB_NAME)
    data_dir = Path(tempfile.mkdtemp(prefix="varna-bench-national-"))
    env = production_env(DATABASE_URL, data_dir)
    os.environ.update(env)
    print(f"# Follow-up at national scale (scale {args.scale:g})", flush=True)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "collectstatic", "--no-input", "-v", "0")
    django.setup()
    if args.reuse:
        world = existing_world()
        print(f"Reused: {world}", flush=True)
    else:
        started = time.perf_counter()
        world = generate(args.scale)
        print(f"Generated in {time.perf_counter() - started:.0f} s: {world}", flush=True)

    from varna.orgs import tree
    from varna.orgs.models import Unit, User
    from varna.stats import committee, selectors
    from varna.stats.figures import Chosen
    from varna.stats.models import ReportJob, SubtreeMonthlyCount, SubtreeYearlyCount
    from varna.stats.periods import period_of

    today = date.today()
    last_year = today.year - 1
    periods = {
        "year": period_of("year", date(last_year, 6, 1)),
        "quarter": period_of("quarter", date(last_year, 6, 1)),
        "tertial": period_of("tertial", date(last_year, 6, 1)),
        "custom": period_of("custom", date(last_year, 10, 1), start=date(last_year, 3, 1)),
    }
    # The custom range is filtered: threats during home visits.
    filters = {"custom": (("threat",), ("home_visit",))}
    root = Unit.objects.get(code=world["root_code"])
    country = ("0", "9", tree.SEGMENT)
    municipality = (root.path, tree.successor(root.path), 2 * tree.SEGMENT)

    def query(kind: str, **extra: str) -> str:
        forms, situations = filters.get(kind, ((), ()))
        params = {**extra, **periods[kind].params, "form": forms, "context": situations}
        return "/uppfoljning/?" + urlencode(params, doseq=True)

    # (page, who, period, user, path, raw SQL's range). The analyst follows every
    # municipality; the local analyst one.
    pages = []
    for kind in periods:
        pages += [
            ("country", "country", kind, world["analyst"], query(kind), country),
            ("municipality", "municipality", kind, world["local"], query(kind), municipality),
        ]
        if kind == "year":
            pages.append(
                (
                    "municipality from the country",
                    "",
                    kind,
                    world["analyst"],
                    query(kind, unit=root.code),
                    municipality,
                )
            )
    port = free_port()
    server = start_gunicorn(env, port, data_dir / "gunicorn.log", workers=1, timeout=300)
    results = []
    cookies: dict[int, str] = {}
    try:
        for name, who, kind, user_id, path, _range in pages:
            if user_id not in cookies:
                cookies[user_id] = session_cookie(user_id)
            cold, warm, status = time_pages(port, cookies[user_id], path, args.requests)
            results.append((name, who, kind, status, cold, p(warm, 0.5), p(warm, 0.95)))
            print(f"  {name}, {kind}: {status}, warm p95 {p(warm, 0.95):.0f} ms", flush=True)
    finally:
        stop_gunicorn(server)

    raw = {}
    for name, _who, kind, _user, _path, (low, high, child) in pages:
        forms, situations = filters.get(kind, ((), ()))
        raw[(name, kind)] = raw_sql_ms(low, high, child, periods[kind], forms, situations)
    # The committee report of one municipality and year, built as the task builds it.
    year = periods["year"]
    job = ReportJob.objects.create(
        owner=User.objects.get(pk=world["local"]),
        query=f"unit={root.code}&period=year&month={year.param}",
        title="bench",
    )
    started = time.perf_counter()
    pdf = committee.build(job, lambda done: None)
    pdf_ms = (time.perf_counter() - started) * 1000
    # The dashboard's own selector in this process, for the overhead beside the raw SQL.
    chosen = Chosen(period=year, unit=root)
    local = User.objects.get(pk=world["local"])
    selector_times = []
    for _ in range(5):
        started = time.perf_counter()
        selectors.dashboard(local, chosen)
        selector_times.append((time.perf_counter() - started) * 1000)
    subtree_rows = (SubtreeMonthlyCount.objects.count(), SubtreeYearlyCount.objects.count())
    print(f"Folding {args.fold_events:,} new events …", flush=True)
    fold = timed_fold(args.fold_events)

    print()
    print(
        f"Units {world['units']:,}, employees {world['employees']:,},"
        f" events {world['events']:,}, rollup rows {world['rollup_rows']:,},"
        f" subtree rollup rows {subtree_rows[0]:,} (per year {subtree_rows[1]:,})"
    )
    print(
        f"Periods: {', '.join(f'{kind} {period.label}' for kind, period in periods.items())};"
        " the custom range filtered on threats at home visits;"
        f" {args.requests} requests per page, one gunicorn worker"
    )
    print()
    print(
        "| page | period | status | cold ms | warm p50 ms | warm p95 ms | target p95 | raw SQL ms"
        " | p50 / raw |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    missed = []
    for name, who, kind, status, cold, p50, p95 in results:
        target = TARGETS.get(who)
        if target is None:
            verdict = "–"
        else:
            verdict = f"{target:.0f} ({'ok' if p95 <= target else 'MISSED'})"
            if p95 > target or status != 200:
                missed.append(f"{name}, {kind}")
        ms = raw[(name, kind)]
        print(
            f"| {name} | {kind} | {status} | {cold:.0f} | {p50:.0f} | {p95:.0f}"
            f" | {verdict} | {ms:.0f} | {p50 / ms:.2f} |"
        )
    print()
    print(
        "Dashboard selector alone, one municipality: median"
        f" {statistics.median(selector_times):.0f} ms"
    )
    print(
        f"Committee report PDF, one municipality and year: {pdf_ms:.0f} ms,"
        f" {len(pdf) / 1024:.0f} kB"
    )
    events, base, roots = fold["sums"]
    agree = events == base == roots and fold["left"] == 0
    print(
        f"Fold of {fold['events']:,} new events ({fold['unit_months']:,} unit-months pending,"
        f" {fold['folded']:,} rows folded): {fold['seconds']:.2f} s, target"
        f" {FOLD_TARGET:.0f} s ({'ok' if fold['seconds'] < FOLD_TARGET else 'MISSED'});"
        f" events in the months folded: {events:,} from the reports, {base:,} in the base"
        f" rollup, {roots:,} in the roots' subtree rollup"
        f" ({'equal' if agree else 'NOT EQUAL'})"
    )
    print(
        "Targets: "
        + (
            "all met"
            if not missed and agree and fold["seconds"] < FOLD_TARGET
            else "missed: "
            + ", ".join(missed + ([] if fold["seconds"] < FOLD_TARGET else ["fold"]))
        )
    )
    if not args.keep and not args.reuse:
        from django.db import connections

        connections.close_all()
        drop_database(DB_NAME)


if __name__ == "__main__":
    main()
