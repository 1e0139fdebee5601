"""Benchmark a manager's case inbox over a subtree with 100,000 cases, on PostgreSQL.

Creates a fresh database, migrates it and generates a municipality of about 1,000 units with
100,000 reports and cases in one förvaltning (and 50,000 in the others, so that the scope filter
matters), spread over five years: about 3 % open in the various states, some overdue, the rest
closed. One manager holds a manager grant on that förvaltning. gunicorn (one sync worker,
production settings) then answers the inbox in its main variants and a case page, each requested
N times one after the other; the first request of each is also reported as cold. The SQL queries
of each page are counted, and timed, on one more request in this process (Django test client).

Then, unless --no-trial, the indexes proposed in PROPOSED_INDEXES are tried: the slow queries are
run with EXPLAIN ANALYZE before and after creating them in a transaction that is rolled back
(and the deepest page also with the page's rows fetched by a deferred join), and the pages are
measured once more with the indexes created for real. No application code is changed.

    .venv/bin/python bench/inbox.py                       # 100,000 + 50,000 cases, 20 requests
    .venv/bin/python bench/inbox.py --requests 50 --explain
    .venv/bin/python bench/inbox.py --cases 10000 --elsewhere 5000 --no-trial   # a quick look

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth); the database varna_bench_inbox
is dropped and created again, and dropped at the end (unless --keep).
"""

import argparse
import http.client
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import django
import psycopg

from common import (
    create_database,
    database_url,
    drop_database,
    ensure_postgres,
    free_port,
    manage,
    process_cpu,
    production_env,
    start_gunicorn,
    stop_gunicorn,
)

DB_NAME = "varna_bench_inbox"
DATABASE_URL = database_url(DB_NAME)
TARGET_MS = 150.0
INBOX_PATH = "/arenden/"
CAPTION = re.compile(r"<caption>([^<]*)</caption>")
YEARS = 5
# The tree: one kommun, nämnder, förvaltningar; the measured förvaltning is larger.
NAMNDER = ["Socialnämnden", "Barn- och utbildningsnämnden", "Kommunstyrelsen", "Tekniska nämnden"]
FORVALTNINGAR = [
    ("SOC", "Socialförvaltningen", 0),  # the measured subtree
    ("AO", "Arbetsmarknadsförvaltningen", 0),
    ("BUF", "Barn- och utbildningsförvaltningen", 1),
    ("GYM", "Gymnasieförvaltningen", 1),
    ("KLK", "Kommunledningskontoret", 2),
    ("SBF", "Stadsbyggnadsförvaltningen", 2),
    ("TEK", "Tekniska förvaltningen", 3),
    ("FRI", "Fritidsförvaltningen", 3),
]
# (avdelningar, enheter per avdelning, arbetsgrupper per enhet)
TARGET_SHAPE = (8, 8, 5)  # 392 units below the förvaltning
OTHER_SHAPE = (4, 4, 4)  # 84 units below each of the other seven
PEOPLE = 6_000
DESCRIPTIONS = [
    "En man kom till receptionen och krävde att få träffa handläggaren för sin ansökan. När "
    "han fick beskedet blev han högljudd, slog handflatan i disken och sade att han vet var jag "
    "bor. Väktaren följde honom ut.",
    "Under ett hembesök blev klientens anhörig hotfull och ställde sig i dörren så att jag inte "
    "kunde gå. Min kollega ringde efter hjälp och vi kunde lämna lägenheten efter en stund.",
    "Jag har fått flera meddelanden i sociala medier där någon skriver ut mitt namn och att "
    "beslutet ska ändras, annars kommer det att få konsekvenser för mig och min familj.",
    "Vid utdelning av beslut om återkrav kastade sökanden en stol mot väggen och sparkade på "
    "dörren till mottagningsrummet. Ingen skadades men rummet fick stängas resten av dagen.",
]


# ---------------------------------------------------------------------------------------------
# Database and server.


# ---------------------------------------------------------------------------------------------
# Synthetic data.


@dataclass
class World:
    manager_id: int = 0
    target_path: str = ""
    deep_unit: str = ""  # an enhet deep in the measured subtree
    case_code: str = ""  # an open case in the subtree, for the case page
    server: str = ""
    filled: list[str] = field(default_factory=list)  # columns given a neutral value
    timings: dict[str, float] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)


def build_tree(world: World) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[int]]:
    """The units, through varna.orgs.services.create_unit, and a manager on each unit from the
    förvaltning down. Returns (unit, line manager) for the units that get cases in the
    measured subtree and elsewhere, and the ids of every unit people work in."""
    from varna.orgs import services, tree
    from varna.orgs.models import Role, RoleGrant, Unit, User

    def unit(code: str, name: str, kind: str, parent: Unit | None) -> Unit:
        return services.create_unit(code=code, name=name, kind=kind, parent=parent)

    managers: list[tuple[Unit, str]] = []
    kommun = unit("K", "Exempelkommun", Unit.Kind.MUNICIPALITY, None)
    namnder = [
        unit(f"N{n}", name, Unit.Kind.COMMITTEE, kommun) for n, name in enumerate(NAMNDER, 1)
    ]
    case_units: dict[bool, list[Unit]] = {True: [], False: []}
    for prefix, name, namnd in FORVALTNINGAR:
        target = prefix == FORVALTNINGAR[0][0]
        top = unit(prefix, name, Unit.Kind.ADMINISTRATION, namnder[namnd])
        top.street_address, top.postal_code, top.city = "Stadshusgatan 1", "123 45", "Exempelstad"
        top.save(update_fields=["street_address", "postal_code", "city"])
        managers.append((top, f"{prefix} chef"))
        departments, sections, groups = TARGET_SHAPE if target else OTHER_SHAPE
        for a in range(1, departments + 1):
            dept = unit(f"{prefix}-A{a}", f"{name}, avdelning {a}", Unit.Kind.DEPARTMENT, top)
            managers.append((dept, f"{prefix}-A{a} chef"))
            case_units[target].append(dept)
            for e in range(1, sections + 1):
                code = f"{prefix}-A{a}-E{e}"
                section = unit(code, f"Enhet {a}.{e}", Unit.Kind.UNIT, dept)
                managers.append((section, f"{code} chef"))
                case_units[target].append(section)
                for g in range(1, groups + 1):
                    group = unit(
                        f"{code}-G{g}", f"Arbetsgrupp {a}.{e}.{g}", Unit.Kind.WORKGROUP, section
                    )
                    case_units[target].append(group)
        if target:
            world.target_path = top.path
            world.deep_unit = f"{prefix}-A3-E5"

    # One line manager per unit from the förvaltning down; the förvaltning's is measured.
    users = User.objects.bulk_create(
        User(
            username=f"chef{n:04d}",
            first_name="Chef",
            last_name=label,
            email=f"chef{n:04d}@kommun.example",
            password="!",  # noqa: S106 - unusable: the benchmark logs in with force_login
        )
        for n, (_unit, label) in enumerate(managers)
    )
    manager_of: dict[str, int] = {}
    for user, (where, _label) in zip(users, managers, strict=True):
        services.grant_role(user=user, unit=where, role=Role.MANAGER, title="Chef")
        services.employ(user=user, unit=where, title="Chef")
        manager_of[where.path] = user.pk
    target_top = next(u for u, _ in managers if u.path == world.target_path)
    world.manager_id = manager_of[target_top.path]
    assert RoleGrant.objects.filter(user=world.manager_id, role=Role.MANAGER).count() == 1

    def line_manager(u: Unit) -> int:
        # The nearest manager: a work group's is its enhet's.
        path = u.path
        while path not in manager_of:
            path = path[: -tree.SEGMENT]
        return manager_of[path]

    target = [(u.pk, line_manager(u)) for u in case_units[True]]
    other = [(u.pk, line_manager(u)) for u in case_units[False]]
    workplaces = [u.pk for u in case_units[True] + case_units[False]]
    world.sizes["units in the measured subtree"] = len(case_units[True]) + 1
    return target, other, workplaces


def copy_rows(cur: psycopg.Cursor, statement: str, rows: list[tuple]) -> None:
    with cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


@dataclass(frozen=True)
class Insert:
    """INSERT INTO table (columns) SELECT expressions FROM source, for the columns the table has
    today: a column the models dropped is left out, and a NOT NULL column this script does not
    know yet gets a neutral value of its type (reported), so the benchmark survives model
    changes."""

    table: str
    values: dict[str, str]
    source: str
    note: str = ""


# A neutral value for a NOT NULL column without a default, by PostgreSQL type.
NEUTRAL = {
    "character varying": "''",
    "text": "''",
    "jsonb": "'[]'::jsonb",
    "boolean": "false",
    "smallint": "0",
    "integer": "0",
    "bigint": "0",
    "timestamp with time zone": "now()",
    "date": "current_date",
    "uuid": "gen_random_uuid()",
}


def insert_sql(cur: psycopg.Cursor, insert: Insert, filled: list[str]) -> str:
    cur.execute(
        "SELECT column_name, data_type, is_nullable = 'NO' AND column_default IS NULL"
        " AND is_identity = 'NO' FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
        (insert.table,),
    )
    names, expressions = [], []
    for name, data_type, required in cur.fetchall():
        if name in insert.values:
            names.append(name)
            expressions.append(insert.values[name])
        elif required:
            if data_type not in NEUTRAL:
                raise SystemExit(f"{insert.table}.{name} ({data_type}): no value to generate")
            names.append(name)
            expressions.append(NEUTRAL[data_type])
            filled.append(f"{insert.table}.{name}")
    return (
        f"INSERT INTO {insert.table} ({', '.join(names)})\n"
        f"SELECT {', '.join(expressions)}\n{insert.source}"
    )


# Per case: when it was opened (skewed towards recent years), whether it is still open
# (young cases mostly, a few stragglers: about 3 % overall), its state, deadline and form.
# Ids follow the time of submission, as they do in production.
CASES_TABLE = """
CREATE TEMP TABLE bench_case AS
WITH raw AS (
    SELECT (g.i > %(target)s)::int AS grp,
           now() - make_interval(secs => %(span)s * power(random(), 1.2)) AS opened_at,
           random() AS r_unit, random() AS r_form, random() AS r_open, random() AS r_state,
           random() AS r_due, random() AS r_misc, random() AS r_reporter, random() AS r_affected
    FROM generate_series(1, %(total)s) AS g(i)
), decided AS (
    SELECT raw.*,
           CASE WHEN r_form < 0.40 THEN 'threat' WHEN r_form < 0.70 THEN 'harassment'
                WHEN r_form < 0.85 THEN 'violence' WHEN r_form < 0.96 THEN 'damage'
                ELSE 'corruption' END AS main_form,
           r_open < CASE WHEN opened_at > now() - interval '30 days' THEN 0.5
                         WHEN opened_at > now() - interval '180 days' THEN 0.07
                         ELSE 0.005 END AS is_open,
           extract(year FROM opened_at AT TIME ZONE 'Europe/Stockholm')::int AS year
    FROM raw
), stated AS (
    SELECT decided.*,
           CASE WHEN NOT is_open THEN 'closed'
                WHEN r_state < 0.25 THEN 'received' WHEN r_state < 0.60 THEN 'acknowledged'
                WHEN r_state < 0.75 THEN 'investigated'
                WHEN r_state < 0.90 THEN 'measures_decided'
                ELSE 'followed_up' END AS state
    FROM decided
)
SELECT row_number() OVER (ORDER BY s.opened_at) AS id,
       row_number() OVER (PARTITION BY s.year ORDER BY s.opened_at) AS seq,
       s.*, u.unit_id, u.handler_id, p1.user_id AS reporter_id,
       CASE WHEN s.r_affected < 0.9 THEN p1.user_id ELSE p2.user_id END AS affected_id,
       s.r_misc < 0.03 AS security_routed,
       s.main_form = 'violence' AND s.r_misc > 0.7 AS serious,
       CASE WHEN NOT s.is_open
            THEN least(s.opened_at + make_interval(days => 3 + (s.r_due * 60)::int), now())
       END AS closed_at,
       -- The earliest open deadline: contact the employee (a day after), else a measure's
       -- due date (none for some); about a third of the open cases are overdue.
       CASE WHEN NOT s.is_open THEN NULL
            WHEN s.state = 'received' THEN s.opened_at + interval '1 day'
            WHEN s.r_due < 0.15 THEN NULL
            ELSE date_trunc('day', now() + make_interval(days => (s.r_due * 45)::int - 15))
                 + interval '23 hours 59 minutes' END AS next_due_at
FROM stated s
JOIN bench_group c ON c.grp = s.grp
JOIN bench_unit u ON u.grp = s.grp AND u.idx = floor(s.r_unit * c.n)::int
JOIN bench_person p1 ON p1.idx = floor(s.r_reporter * %(people)s)::int
JOIN bench_person p2 ON p2.idx = floor(s.r_affected * %(people)s)::int
"""
EARLY = "state IN ('received', 'acknowledged')"
LATE = "serious AND NOT is_open"
POLICE = "r_misc < 0.2"
NOW = "now(), now()"
CASES_INSERTS = [
    Insert(
        "reporting_report",
        {
            "id": "id",
            "created_at": "opened_at",
            "updated_at": "opened_at",
            "code": "left(md5('report' || id), 10) || to_hex(id)",
            "number": "year || '-' || lpad(seq::text, greatest(4, length(seq::text)), '0')",
            "status": "CASE WHEN is_open THEN 'received' ELSE 'closed' END",
            "reporter_id": "reporter_id",
            "affected_id": "affected_id",
            "unit_id": "unit_id",
            "idempotency_key": "md5('key' || id)::uuid",
            "main_form": "main_form",
            "other_forms": "CASE WHEN r_misc > 0.8 THEN '[\"harassment\"]'::jsonb"
            " ELSE '[]'::jsonb END",
            "subforms": "CASE main_form WHEN 'threat' THEN '[\"threat_to_life\"]'::jsonb"
            " ELSE '[]'::jsonb END",
            "occurred_on": "(opened_at AT TIME ZONE 'Europe/Stockholm')::date - (r_misc * 3)::int",
            "time_of_day": "(ARRAY['morning', 'afternoon', 'evening', 'night'])"
            "[1 + mod((r_state * 4)::int, 4)]",
            "place": "(ARRAY['office', 'home_visit', 'phone', 'letter', 'online', 'meeting'])"
            "[1 + mod((r_form * 6)::int, 6)]",
            "situation": "(ARRAY['economic_assistance', 'rejection', 'investigation',"
            " 'home_visit', ''])[1 + mod((r_due * 5)::int, 5)]",
            "decision_delivered": "(ARRAY['yes', 'no', ''])[1 + mod((r_open * 3)::int, 3)]",
            "actor_relation": "(ARRAY['client', 'relative', 'unknown', 'representative'])"
            "[1 + mod((r_misc * 4)::int, 4)]",
            "actor_count": "1 + (r_state * 2)::int",
            "actor_known": "(ARRAY['yes', 'no', 'unsure'])[1 + mod((r_due * 3)::int, 3)]",
            "consequences": "CASE WHEN r_due < 0.5 THEN '[\"fear\"]'::jsonb"
            ' ELSE \'["fear", "shock"]\'::jsonb END',
            "targets": "'[\"employee\"]'::jsonb",
            "purpose_to_influence": "'yes'",
            "felt_pressed": "(ARRAY['yes', 'no'])[1 + mod((r_state * 2)::int, 2)]",
            "decision_changed": "'no'",
            "wants_police_report": "r_misc < 0.2",
            "wants_manager_talk": "r_misc < 0.5",
            "wants_occupational_health": "r_misc < 0.1",
            "workplace_address_only": "false",
            "route_to_security": "security_routed",
            "description": "repeat((%(description)s::text[])[1 + mod((r_form * 4)::int, 4)]"
            " || ' ', 1 + (r_due * 3)::int)",
            "kia_type": "CASE WHEN main_form = 'violence' THEN 'olycksfall' ELSE 'tillbud' END",
            "submitted_at": "opened_at",
        },
        "FROM bench_case",
    ),
    Insert(
        "cases_case",
        {
            "report_id": "id",
            "created_at": "opened_at",
            "updated_at": "coalesce(closed_at, opened_at)",
            "unit_id": "unit_id",
            "main_form": "main_form",
            "security_routed": "security_routed",
            "opened_at": "opened_at",
            "state": "state",
            "handler_id": "handler_id",
            "next_due_at": "next_due_at",
            "acknowledge_due_at": "opened_at + interval '1 day'",
            "acknowledged_at": "CASE WHEN state <> 'received'"
            " THEN opened_at + interval '5 hours' END",
            "what_happened": f"CASE WHEN {EARLY} THEN '' ELSE"
            " 'Utredningen visar att händelsen skedde i samband med ett beslut.' END",
            "causes": f"CASE WHEN {EARLY} THEN '[]'::jsonb"
            ' ELSE \'["working_alone", "unprepared_decision"]\'::jsonb END',
            "recurrence_risk": f"CASE WHEN {EARLY} THEN '' ELSE 'medium' END",
            "follow_up_note": "CASE WHEN is_open THEN ''"
            " ELSE 'Åtgärderna följdes upp med arbetsgruppen.' END",
            "outcome": "CASE WHEN is_open THEN '' ELSE 'Ärendet är avslutat.' END",
            "closed_at": "closed_at",
            "police_decision": f"CASE WHEN {POLICE} THEN 'employer_files' ELSE '' END",
            "police_filed_on": f"CASE WHEN {POLICE} THEN (opened_at + interval '2 days')::date END",
            "police_reference": f"CASE WHEN {POLICE} THEN '5000-K' || id ELSE '' END",
            "police_outcome": f"CASE WHEN {POLICE} THEN 'pending' ELSE '' END",
            "serious_reasons": "CASE WHEN serious THEN '[\"violence\"]'::jsonb"
            " ELSE '[]'::jsonb END",
            "notice_due_at": "CASE WHEN serious"
            " THEN date_trunc('day', opened_at) + interval '23 hours 59 minutes' END",
            "notice_sent_at": f"CASE WHEN {LATE} THEN opened_at + interval '3 hours' END",
            "notice_sent_by_id": f"CASE WHEN {LATE} THEN handler_id END",
            "notice_reference": f"CASE WHEN {LATE} THEN 'AV-' || id ELSE '' END",
            "injury": "serious AND r_due < 0.5",
            **dict.fromkeys(
                [
                    "causes_other",
                    "decision_influenced",
                    "no_measures_reason",
                    "police_no_report_reason",
                    "not_serious_reason",
                ],
                "''",
            ),
        },
        "FROM bench_case",
    ),
    Insert(
        "cases_caseevent",
        {
            "case_id": "id",
            "at": "at",
            "actor_id": "actor_id",
            "kind": "kind",
            "from_state": "from_state",
            "to_state": "to_state",
            "note": "''",
            "for_employee": "true",
        },
        """FROM (
    SELECT id, opened_at AS at, reporter_id AS actor_id, 'opened' AS kind, '' AS from_state,
           'received' AS to_state
    FROM bench_case
    UNION ALL
    SELECT id, opened_at + interval '5 hours', handler_id, 'acknowledged', 'received',
           'acknowledged'
    FROM bench_case WHERE state <> 'received'
    UNION ALL
    SELECT id, closed_at, handler_id, 'closed', 'followed_up', 'closed'
    FROM bench_case WHERE state = 'closed'
) AS events""",
        "the timeline: opened, acknowledged and closed where the case got that far",
    ),
    Insert(
        "cases_measure",
        {
            "created_at": "opened_at",
            "updated_at": "opened_at",
            "case_id": "id",
            "scope": "CASE WHEN r_form < 0.5 THEN 'individual' ELSE 'unit' END",
            "kind": "(ARRAY['support', 'routines', 'escort', 'physical_security'])"
            "[1 + mod((r_due * 4)::int, 4)]",
            "what": "'Två handläggare vid möten med sökanden.'",
            "owner_id": "handler_id",
            "due_on": "coalesce(next_due_at, opened_at + interval '14 days')::date",
            "status": "CASE WHEN is_open THEN 'planned' ELSE 'done' END",
            "done_on": "CASE WHEN is_open THEN NULL ELSE closed_at::date END",
            "follow_up": "''",
        },
        "FROM bench_case"
        " WHERE r_open < 0.2 OR (is_open AND next_due_at IS NOT NULL AND state <> 'received')",
        "a measure for a fifth of the cases; the open ones' measures set their deadline",
    ),
    Insert(
        "reporting_notification",
        {
            "created_at": "opened_at",
            "updated_at": "opened_at",
            "recipient_id": "handler_id",
            "report_id": "id",
            "kind": "'new_report'",
            "reason": "'manager'",
            "read_at": "CASE WHEN state = 'received' THEN NULL"
            " ELSE opened_at + interval '5 hours' END",
            "email_status": "'sent'",
            "email_attempts": "1",
            "email_sent_at": "opened_at + interval '1 minute'",
            "topic": "''",
            "in_digest": "false",
            "email_error": "''",
        },
        "FROM bench_case",
        "the handler was told of each new report; the unacknowledged ones are unread",
    ),
    Insert(
        "reporting_reportsequence",
        {"year": "year", "last": "count(*)"},
        "FROM bench_case GROUP BY year",
    ),
]


def build_cases(world: World, target_cases: int, other_cases: int, verbose: bool) -> None:
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic():  # one commit, not one per unit
        target, other, workplaces = build_tree(world)
    world.timings["tree, managers and grants (services)"] = time.perf_counter() - started
    connection.close()

    started = time.perf_counter()
    filled: list[str] = []
    with psycopg.connect(DATABASE_URL) as db, db.cursor() as cur:

        def run(insert: Insert, params: dict | None = None) -> None:
            step = time.perf_counter()
            statement = insert_sql(cur, insert, filled)
            used = {k: v for k, v in (params or {}).items() if f"%({k})s" in statement}
            cur.execute(statement, used)
            if verbose:
                print(
                    f"  {insert.table}: {cur.rowcount:,} rows in "
                    f"{time.perf_counter() - step:.1f} s",
                    flush=True,
                )

        run(
            Insert(
                "orgs_user",
                {
                    "password": "'!'",  # unusable: the benchmark logs in with force_login
                    "username": "'anst' || lpad(n::text, 5, '0')",
                    "first_name": "'Anställd'",
                    "last_name": "'Nummer ' || n",
                    "email": "'anst' || lpad(n::text, 5, '0') || '@kommun.example'",
                    "is_active": "true",
                    "is_staff": "false",
                    "is_superuser": "false",
                    "is_demo": "false",
                    "date_joined": "timestamptz '2020-01-01 08:00+01'",
                    "employee_number": "'E' || lpad(n::text, 6, '0')",
                },
                "FROM generate_series(0, %(people)s - 1) AS n",
            ),
            {"people": PEOPLE},
        )
        cur.execute("CREATE TEMP TABLE bench_person (idx int PRIMARY KEY, user_id bigint)")
        cur.execute(
            "INSERT INTO bench_person SELECT row_number() OVER (ORDER BY id) - 1, id"
            " FROM orgs_user WHERE username LIKE 'anst%'"
        )
        run(
            Insert(
                "orgs_employment",
                {
                    "created_at": "now()",
                    "updated_at": "now()",
                    "user_id": "p.user_id",
                    "unit_id": "(%(units)s::bigint[])[1 + mod(p.idx, %(count)s)]",
                    "title": "'Socialsekreterare'",
                    "start_date": "DATE '2020-01-01'",
                },
                "FROM bench_person p",
            ),
            {"units": workplaces, "count": len(workplaces)},
        )
        cur.execute(
            "CREATE TEMP TABLE bench_unit (grp int, idx int, unit_id bigint,"
            " handler_id bigint, PRIMARY KEY (grp, idx))"
        )
        rows = [(0, i, u, h) for i, (u, h) in enumerate(target)]
        rows += [(1, i, u, h) for i, (u, h) in enumerate(other)]
        copy_rows(cur, "COPY bench_unit FROM STDIN", rows)
        cur.execute(
            "CREATE TEMP TABLE bench_group AS SELECT grp, count(*) AS n FROM bench_unit"
            " GROUP BY grp"
        )
        cur.execute("SELECT setseed(0.2026)")
        params = {
            "target": target_cases,
            "total": target_cases + other_cases,
            "span": YEARS * 365.25 * 86400,
            "people": PEOPLE,
            "description": DESCRIPTIONS,
        }
        step = time.perf_counter()
        cur.execute(CASES_TABLE, {k: v for k, v in params.items() if k != "description"})
        if verbose:
            print(f"  bench_case: {time.perf_counter() - step:.1f} s", flush=True)
        for insert in CASES_INSERTS:
            run(insert, params)
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('reporting_report', 'id'),"
            " (SELECT max(id) FROM bench_case))"
        )
        # A few of the open cases in the subtree are handled by the förvaltning's manager.
        cur.execute(
            "UPDATE cases_case c SET handler_id = %s FROM orgs_unit u WHERE u.id = c.unit_id"
            " AND u.path >= %s AND u.path < %s AND c.state <> 'closed' AND c.report_id %% 20 = 0",
            (world.manager_id, world.target_path, successor(world.target_path)),
        )
        # Requests for measures from safety representatives in the subtree, a few unanswered.
        answered = "g > 6"
        run(
            Insert(
                "cases_safetyrequest",
                {
                    "created_at": "now() - make_interval(days => g * 9)",
                    "updated_at": "now()",
                    "unit_id": "u.unit_id",
                    "requested_by_id": "(SELECT user_id FROM bench_person WHERE idx = g)",
                    "code": "'bench-request-' || g",
                    "demand": "'Larm i mottagningen.'",
                    "answer": f"CASE WHEN {answered} THEN 'Larm installeras.' ELSE '' END",
                    "decision": f"CASE WHEN {answered} THEN 'accepted' ELSE '' END",
                    "answered_on": f"CASE WHEN {answered}"
                    " THEN (now() - make_interval(days => g * 9 - 5))::date END",
                    "answered_by_id": f"CASE WHEN {answered} THEN u.handler_id END",
                },
                "FROM generate_series(1, 150) AS g JOIN bench_unit u ON u.grp = 0 AND u.idx = g",
            )
        )
        # The case page: an open case in the subtree with a measure.
        cur.execute(
            "SELECT r.code FROM cases_case c JOIN reporting_report r ON r.id = c.report_id"
            " JOIN orgs_unit u ON u.id = c.unit_id WHERE u.path >= %s AND u.path < %s"
            " AND c.state = 'measures_decided' AND NOT c.security_routed"
            " AND EXISTS (SELECT 1 FROM cases_measure m WHERE m.case_id = c.report_id)"
            " ORDER BY c.opened_at DESC LIMIT 1",
            (world.target_path, successor(world.target_path)),
        )
        world.case_code = cur.fetchone()[0]
        db.commit()
    world.filled = filled
    world.timings["people, reports, cases, events (SQL)"] = time.perf_counter() - started

    started = time.perf_counter()
    with psycopg.connect(DATABASE_URL, autocommit=True) as db:
        db.execute("VACUUM ANALYZE")
        for table in (
            "orgs_unit",
            "orgs_user",
            "reporting_report",
            "cases_case",
            "cases_caseevent",
            "cases_measure",
            "reporting_notification",
        ):
            (count,) = db.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            world.sizes[table] = count
        (open_cases, overdue, in_scope) = db.execute(
            "SELECT count(*) FILTER (WHERE c.state <> 'closed'),"
            " count(*) FILTER (WHERE c.state <> 'closed' AND c.next_due_at < now()),"
            " count(*) FILTER (WHERE u.path >= %s AND u.path < %s)"
            " FROM cases_case c JOIN orgs_unit u ON u.id = c.unit_id",
            (world.target_path, successor(world.target_path)),
        ).fetchone()
        world.sizes["open cases"] = open_cases
        world.sizes["open and overdue cases"] = overdue
        world.sizes["cases in the measured subtree"] = in_scope
        (size,) = db.execute("SELECT pg_database_size(current_database())").fetchone()
        world.sizes["database MB"] = size // 2**20
        (version,) = db.execute("SHOW server_version").fetchone()
        world.server = f"PostgreSQL {version.split()[0]}"
    world.timings["VACUUM ANALYZE"] = time.perf_counter() - started


def successor(path: str) -> str:
    from varna.orgs import tree

    return tree.successor(path)


# ---------------------------------------------------------------------------------------------
# Measuring.


@dataclass
class Page:
    name: str
    path: str
    latencies: list[float] = field(default_factory=list)  # ms, in request order
    statuses: set[int] = field(default_factory=set)
    app_cpu_ms: float = 0.0  # CPU of the gunicorn worker per request
    background: float = 0.0  # share of the machine busy just before, while we were idle
    queries: int = 0
    sql_ms: float = 0.0
    rows: str = ""
    kb: float = 0.0
    selects: list[tuple[float, str]] = field(default_factory=list)  # (ms, sql) in order

    @property
    def cold(self) -> float:
        return self.latencies[0]

    def stat(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
        return ordered[index]

    @property
    def p95(self) -> float:
        return self.stat(0.95)

    @property
    def ok(self) -> bool:
        return self.p95 < TARGET_MS and self.statuses == {200}


def pages(world: World) -> list[Page]:
    return [
        Page("open, by deadline (default)", INBOX_PATH),
        Page("overdue", f"{INBOX_PATH}?view=overdue"),
        Page("all, newest first", f"{INBOX_PATH}?view=all&sort=-opened"),
        Page("all, newest first, page 2000", f"{INBOX_PATH}?view=all&sort=-opened&sida=2000"),
        Page("closed threats", f"{INBOX_PATH}?view=closed&form=threat"),
        Page("one enhet's subtree", f"{INBOX_PATH}?unit={world.deep_unit}"),
        Page("case page", f"/arenden/{world.case_code}/"),
    ]


def workers_cpu(master: int) -> float:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        children = []
    return sum(process_cpu(int(pid)) or 0.0 for pid in children)


def machine_busy(seconds: float) -> float:
    """The share of the machine's CPU that was busy over `seconds` (while we wait)."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        return sum(values) - values[3] - values[4], sum(values)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(total1 - total0, 1)


def session_cookie(manager_id: int) -> str:
    from django.conf import settings
    from django.test import Client

    from varna.orgs.models import User

    client = Client()
    client.force_login(User.objects.get(pk=manager_id))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def time_over_http(port: int, cookie: str, page: Page, requests: int, master: int) -> None:
    """One client without keep-alive, requests one after the other, as a person clicking."""
    headers = {"Host": f"127.0.0.1:{port}", "Cookie": f"sessionid={cookie}"}
    page.background = machine_busy(0.5)
    cpu_before = workers_cpu(master)
    for _ in range(requests):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        started = time.perf_counter()
        conn.request("GET", page.path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        page.latencies.append((time.perf_counter() - started) * 1000)
        conn.close()
        page.statuses.add(response.status)
        page.kb = len(body) / 1024
    page.app_cpu_ms = (workers_cpu(master) - cpu_before) / requests * 1000


def count_queries(manager_id: int, page: Page) -> None:
    """The page once more in this process, counting its SQL queries and their time."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from varna.orgs.models import User

    client = Client()
    client.force_login(User.objects.get(pk=manager_id))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.path, HTTP_HOST="127.0.0.1")
    page.statuses.add(response.status_code)
    page.queries = len(captured.captured_queries)
    timed = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    page.sql_ms = sum(ms for ms, _ in timed)
    page.selects = [(ms, sql) for ms, sql in timed if sql.lstrip().startswith("SELECT")]
    found = CAPTION.search(response.content.decode())
    if found:
        digits = re.sub(r"\D", "", found.group(1))
        page.rows = f"{int(digits):,}" if digits else found.group(1).strip()


def measure(port: int, cookie: str, world: World, requests: int, master: int) -> list[Page]:
    result = []
    for page in pages(world):
        time_over_http(port, cookie, page, requests, master)
        count_queries(world.manager_id, page)
        result.append(page)
        print(f"  {page.name}: p50 {page.stat(0.5):.0f} ms, p95 {page.p95:.0f} ms", flush=True)
    return result


# ---------------------------------------------------------------------------------------------
# The fix tried on a scratch copy: EXPLAIN ANALYZE of the pages' own queries before and after.

# (name, what PostgreSQL gets, what Case.Meta.indexes would say)
PROPOSED_INDEXES = [
    (
        "case_scope",
        "(unit_id, state, main_form, security_routed)",
        'models.Index(fields=["unit", "state", "main_form", "security_routed"], name="case_scope")',
    ),
    (
        "case_due",
        "(next_due_at, opened_at DESC, report_id)",
        'models.Index(fields=["next_due_at", "-opened_at", "report"], name="case_due")',
    ),
    (
        "case_opened",
        "(opened_at DESC, report_id) INCLUDE (unit_id, security_routed)",
        'models.Index(fields=["-opened_at", "report"], include=["unit", "security_routed"], '
        'name="case_opened")',
    ),
]
PAGE_ROWS = ' FROM "cases_case" INNER JOIN "reporting_report"'
HEADLINE_COUNTS = {"count: new", "count: overdue", "count: mine"}


def create_indexes(db: psycopg.Connection) -> None:
    for name, definition, _django in PROPOSED_INDEXES:
        db.execute(f"CREATE INDEX bench_{name} ON cases_case {definition}")
    db.execute("ANALYZE cases_case")


# The inbox counts its list (the paginator), then the headline: new, overdue, mine.
COUNT_LABELS = ["count for the paginator", "count: new", "count: overdue", "count: mine"]


def labels(selects: list[str]) -> list[str]:
    """A short name for each of a page's SELECTs."""
    names, counts = [], 0
    for sql in selects:
        if sql.startswith("SELECT COUNT(*)") and '"cases_case"' in sql:
            names.append(COUNT_LABELS[counts] if counts < len(COUNT_LABELS) else "count")
            counts += 1
        elif PAGE_ROWS in sql and '"reporting_report"."code" = ' in sql:
            names.append("the case")
        elif PAGE_ROWS in sql:
            names.append("page rows" + (" (OFFSET)" if " OFFSET " in sql else ""))
        else:
            table = re.search(r' FROM "([a-z_]+)"', sql)
            names.append(f"rows of {table.group(1)}" if table else sql[:30])
    return names


def deferred_join(sql: str) -> str | None:
    """The page's rows fetched by the primary keys of the page: the OFFSET walks the narrow
    case rows (an index) instead of joining every skipped case with its report first."""
    if PAGE_ROWS not in sql or " OFFSET " not in sql:
        return None
    head, rest = sql.split(PAGE_ROWS, 1)
    where, order = rest.index(" WHERE "), rest.index(" ORDER BY ")
    limit = rest.index(" LIMIT ")
    # Django's own SQL for the page, rearranged.
    select = 'SELECT "cases_case"."report_id" FROM "cases_case" INNER JOIN "orgs_unit" '
    inner = select + 'ON ("cases_case"."unit_id" = "orgs_unit"."id")' + rest[where:]
    return (
        f'{head}{PAGE_ROWS}{rest[:where]} WHERE "cases_case"."report_id" IN ({inner})'
        f"{rest[order:limit]}"
    )


@dataclass
class Trial:
    page: str
    query: str
    in_page_ms: float
    before_ms: float
    after_ms: float = float("nan")
    deferred_ms: float | None = None
    sql: str = ""
    plan_before: str = ""
    plan_after: str = ""


def explain(db: psycopg.Connection, sql: str, runs: int = 5) -> tuple[float, str]:
    """The median execution time over `runs` and the plan of the last run."""
    times, plan = [], ""
    for _ in range(runs):
        rows = db.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}").fetchall()
        plan = "\n".join(row[0] for row in rows)
        found = re.search(r"Execution Time: ([\d.]+) ms", plan)
        times.append(float(found.group(1)) if found else float("nan"))
    times.sort()
    return times[len(times) // 2], plan


def try_indexes(result: list[Page]) -> list[Trial]:
    """Each page's queries that took 2 ms or more, now and with the proposed indexes (created
    in a transaction that is rolled back), and the deep page with a deferred join."""
    trials: list[Trial] = []
    seen: set[str] = set()
    for page in result:
        for (ms, sql), name in zip(page.selects, labels([q for _, q in page.selects]), strict=True):
            if ms < 2 or '"cases_case"' not in sql or name in seen & HEADLINE_COUNTS:
                continue
            seen.add(name)
            trials.append(Trial(page.name, name, ms, float("nan"), sql=sql))
    with psycopg.connect(DATABASE_URL) as db:
        for trial in trials:
            trial.before_ms, trial.plan_before = explain(db, trial.sql)
        create_indexes(db)
        for trial in trials:
            trial.after_ms, trial.plan_after = explain(db, trial.sql)
            rewritten = deferred_join(trial.sql)
            if rewritten:
                trial.deferred_ms, _plan = explain(db, rewritten)
        db.rollback()
    return trials


# ---------------------------------------------------------------------------------------------
# Report.


def print_pages(title: str, result: list[Page]) -> None:
    print()
    print(f"## {title}")
    print()
    print(
        "| page | URL | cases listed | cold ms | p50 ms | p95 ms | max ms | app CPU ms |"
        " queries | SQL ms | KB | p95 < 150 ms |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|")
    for page in result:
        status = "" if page.statuses == {200} else f" (HTTP {sorted(page.statuses)})"
        print(
            f"| {page.name} | `{page.path}` | {page.rows or '–'} | {page.cold:.0f} |"
            f" {page.stat(0.5):.0f} | {page.p95:.0f} | {max(page.latencies):.0f} |"
            f" {page.app_cpu_ms:.0f} | {page.queries} | {page.sql_ms:.0f} | {page.kb:.0f} |"
            f" {'yes' if page.ok else 'NO'}{status} |"
        )
    shares = sorted(page.background for page in result)
    background = shares[len(shares) // 2]
    print()
    print(
        f"Other processes kept the machine {background:.0%} busy between pages (median; "
        f"{shares[0]:.0%} to {shares[-1]:.0%}; {os.cpu_count()} CPUs)."
        + (
            " WARNING: the machine is shared; latencies include waiting for a CPU. "
            "Compare app CPU and SQL ms, or rerun on a quiet machine."
            if background > 0.15
            else ""
        )
    )


def print_trials(trials: list[Trial], full: bool) -> None:
    print()
    print("## The slow queries on a scratch copy: EXPLAIN ANALYZE, median of 5 runs")
    print()
    print("Proposed indexes on cases_case (created in a transaction, then rolled back):")
    print()
    for name, definition, django_index in PROPOSED_INDEXES:
        print(f"- `{name}`: `CREATE INDEX ... ON cases_case {definition}` — `{django_index}`")
    print()
    print(
        "| page | query | in the page ms | EXPLAIN ANALYZE now ms | with the indexes ms |"
        " with the indexes and a deferred join ms |"
    )
    print("|---|---|--:|--:|--:|--:|")
    for trial in trials:
        if trial.before_ms < 1 and trial.after_ms < 1:
            continue  # fast either way
        deferred = "" if trial.deferred_ms is None else f"{trial.deferred_ms:.1f}"
        print(
            f"| {trial.page} | {trial.query} | {trial.in_page_ms:.0f} | {trial.before_ms:.1f} |"
            f" {trial.after_ms:.1f} | {deferred} |"
        )
    shown = trials if full else [t for t in trials if t.before_ms >= 20]
    for trial in shown:
        print()
        print(f"### {trial.page}, {trial.query}: {trial.before_ms:.1f} → {trial.after_ms:.1f} ms")
        print()
        if full:
            print(f"```sql\n{trial.sql}\n```")
        for title, plan in (("now", trial.plan_before), ("with the indexes", trial.plan_after)):
            lines = [line for line in plan.splitlines() if "Buffers:" not in line]
            if not full:
                lines = lines[:12] + (["…"] if len(lines) > 12 else [])
            print(f"{title}:\n```\n" + "\n".join(lines) + "\n```")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the subtree")
    parser.add_argument("--elsewhere", type=int, default=50_000, help="cases in other subtrees")
    parser.add_argument("--requests", type=int, default=20, help="requests per page")
    parser.add_argument("--no-trial", action="store_true", help="skip trying the proposed indexes")
    parser.add_argument("--explain", action="store_true", help="full SQL and plans")
    parser.add_argument("--verbose", action="store_true", help="time each set-up step")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DB_NAME}")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="varna-bench-inbox-"))
    log = data_dir / "gunicorn.log"
    env = production_env(DATABASE_URL, data_dir)
    os.environ.update(env)
    for name in ("VARNA_DEBUG", "VARNA_DEMO"):
        os.environ.pop(name, None)
    server: subprocess.Popen | None = None
    database_made = False
    world = World()
    try:
        ensure_postgres()
        create_database(DB_NAME)
        database_made = True
        print(f"Preparing {DB_NAME}: migrate, collectstatic …", flush=True)
        started = time.perf_counter()
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "collectstatic", "--no-input", "-v", "0")
        world.timings["migrate and collectstatic"] = time.perf_counter() - started
        django.setup()
        print(f"Generating {args.cases:,} + {args.elsewhere:,} cases …", flush=True)
        build_cases(world, args.cases, args.elsewhere, args.verbose)
        cookie = session_cookie(world.manager_id)

        port = free_port()
        server = start_gunicorn(env, port, log, workers=1, timeout=120)
        print(f"gunicorn on 127.0.0.1:{port}; measuring {args.requests} requests a page …")
        now = measure(port, cookie, world, args.requests, server.pid)
        trials: list[Trial] = []
        after: list[Page] = []
        if not args.no_trial:
            print("Trying the proposed indexes on the slow queries …", flush=True)
            trials = try_indexes(now)
            print("Measuring again with the proposed indexes in place …", flush=True)
            with psycopg.connect(DATABASE_URL, autocommit=True) as db:
                create_indexes(db)
            after = measure(port, cookie, world, args.requests, server.pid)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        stop_gunicorn(server)
        if sys.exc_info()[0] is not None and log.exists():
            tail = log.read_text(errors="replace").splitlines()[-40:]
            print("gunicorn log (last lines):", *tail, sep="\n  ", file=sys.stderr)
        if database_made:
            from django.db import connections

            connections.close_all()
            if not args.keep:
                drop_database(DB_NAME)
        shutil.rmtree(data_dir, ignore_errors=True)

    print()
    print(
        f"# Värna inbox benchmark: {world.sizes['cases in the measured subtree']:,} cases in "
        f"the manager's subtree, {world.sizes['cases_case']:,} in all"
    )
    print()
    print(
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {world.server}; gunicorn "
        f"with one sync worker, production settings. {args.requests} requests per page, one "
        "after the other, without warm-up: p50/p95/max over all of them, the first also shown "
        "as cold. App CPU is the gunicorn worker's CPU time per request; queries and SQL ms "
        "come from one more request in this process (Django test client, CaptureQueriesContext)."
    )
    print()
    print("Data: " + ", ".join(f"{name} {value:,}" for name, value in world.sizes.items()))
    print("Set-up: " + ", ".join(f"{name} {secs:.1f} s" for name, secs in world.timings.items()))
    if world.filled:
        print(
            f"Columns this script does not know, given a neutral value: {', '.join(world.filled)}"
        )
    print_pages("Now", now)
    over = [page for page in now if not page.ok]
    print()
    print(
        f"{'PASS' if not over else 'FAIL'}  p95 < {TARGET_MS:.0f} ms on every page"
        + (f" ({len(over)} of {len(now)} over)" if over else "")
    )
    if after:
        print_pages("With the proposed indexes (no code change)", after)
    if trials:
        print_trials(trials, args.explain)


if __name__ == "__main__":
    main()
