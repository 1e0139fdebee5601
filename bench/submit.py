"""Benchmark submitting reports against the production server (gunicorn) on PostgreSQL.

Creates a fresh database, loads the demo (two municipalities: Demo kommun, about thirty units
under five nämnder, and Grannby kommun, four units), adds N benchmark reporters, starts gunicorn
and the task worker beside it (as scripts/serve does: the worker sends the e-mails and folds new
events into the follow-up's rollups, varna.stats.services.fold) and lets N logged-in clients
(threads, each with its own session and connection) hammer the server in three phases:

    A  GET /health/ (a trivial view: the ceiling of the stack on this machine)
    B  POST /rapportera/ spread: the reports go round every open unit of both municipalities
       (about 30 units, every level from the municipality down to the work groups)
    C  POST /rapportera/ concentrated: every client reports into the units of one förvaltning
       of one municipality (Arbetslivsförvaltningen in Demo kommun and the 8 open units below
       it), the case that used to queue on the municipality's rollup lock

In B and C every 50th report is also sent twice more with the same idempotency key, once while
the original is in flight and once after it. Each reporter is a benchmark account (an employee
role on both municipalities' roots, so it may report in every unit): distinct people, as in real
use, so no two clients queue on the same person's lock. After each submit phase the benchmark
waits until the task worker has folded every pending unit-month (PendingFold is empty) and
prints how long that took; after C it stops the server and the worker and checks in the database
that every acknowledged report was stored exactly once and that the rollups equal a full
recount (a tally of every event, and a rebuild inside a transaction that is rolled back).
The load generator runs on the same cores as gunicorn, the worker and PostgreSQL; a table of CPU
used per request (gunicorn, task worker, PostgreSQL, load generator, other processes) shows who
used the machine, and a warning is printed when other processes (someone else's tests) took a
large share.

    .venv/bin/python bench/submit.py                          # 30 s per phase, 16 clients
    .venv/bin/python bench/submit.py --seconds 10 --clients 4 --workers 2

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth); the database
varna_bench_submit is dropped and created again, and dropped at the end.
"""

import argparse
import http.client
import itertools
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import django
import psycopg
from psycopg import sql

from common import (
    HEALTH_PATH,
    ROOT,
    create_database,
    database_url,
    drop_database,
    ensure_postgres,
    free_port,
    machine_cpu,
    manage,
    process_cpu,
    start_gunicorn,
    start_worker,
    stop_gunicorn,
    stop_process,
)

sys.path.insert(0, str(ROOT / "src"))

DB_NAME = "varna_bench_submit"
DATABASE_URL = database_url(DB_NAME)
PASSWORD = "demo-varna-2026"  # noqa: S105 - the public demo password (varna.orgs.demo)
# The benchmark's reporters, one per client (bench.reporter01, ...), made by `make_reporters`.
REPORTER = "bench.reporter{:02d}"
ROOTS = ["DEMO", "GRANN"]  # the demo's municipalities: every reporter may report in both
CONCENTRATED = "DEMO-ALF"  # phase C: Arbetslivsförvaltningen and the units below it
FOLD_TIMEOUT = 300.0  # seconds to wait for the worker to fold what a phase left pending
LOGIN_PATH = "/konto/logga-in/"
REPORT_PATH = "/rapportera/"
DUPLICATE_EVERY = 50  # every 50th report is sent three times with the same idempotency key
DESCRIPTION = (
    "En man kom till receptionen och krävde att få träffa handläggaren för sin ansökan om "
    "försörjningsstöd. När han fick beskedet att beslutet står fast blev han högljudd, slog "
    "handflatan i disken och sade att han vet var jag bor och att jag borde tänka på min familj. "
    "Väktaren följde honom ut. Ärendet har nummer 2026-1234. Jag ringde min chef direkt efteråt."
)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
UNIT_SELECT = re.compile(r'<select name="unit"[^>]*>(.*?)</select>', re.DOTALL)
OPTION = re.compile(r'<option value="(\d+)"([^>]*)>')
RECEIPT = re.compile(r"/rapporter/([^/]+)/kvitto/")
MAX_ERROR_SAMPLES = 5


# ---------------------------------------------------------------------------------------------
# HTTP client: http.client with keep-alive (when the server allows it) and manual cookies.


class Client:
    """One browser: its own connection(s), cookie jar and session."""

    def __init__(self, host: str, port: int, name: str) -> None:
        self.host, self.port, self.name = host, port, name
        self.cookies: dict[str, str] = {}
        self.cookie_lock = threading.Lock()
        self.conn = self._connect()
        self.spare = self._connect()  # a second tab: for the request sent while one is in flight
        self.csrf = ""
        self.options: list[str] = []  # the units offered on the report form (ids)

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=60)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        referer: str | None = None,
        conn: http.client.HTTPConnection | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = conn or self.conn
        headers = {"Host": f"{self.host}:{self.port}", "Connection": "keep-alive"}
        with self.cookie_lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if referer:
            headers["Referer"] = referer
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()  # the next request opens a new connection
            raise
        with self.cookie_lock:
            for raw in response.msg.get_all("Set-Cookie") or []:
                self._store_cookie(raw)
        # gunicorn's sync workers answer "Connection: close"; http.client then reconnects itself.
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def _store_cookie(self, raw: str) -> None:
        first, *attributes = raw.split(";")
        name, _, value = first.strip().partition("=")
        value = value.strip().strip('"')
        expired = any(
            a.strip().lower() in {"max-age=0"}
            or a.strip().lower().startswith("expires=thu, 01 jan 1970")
            for a in attributes
        )
        if expired or not value:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def login(self, username: str) -> None:
        status, _headers, body = self.request("GET", LOGIN_PATH)
        if status != 200:
            raise RuntimeError(f"{self.name}: GET {LOGIN_PATH} answered {status}")
        token = CSRF_INPUT.search(body.decode())
        if not token or "csrftoken" not in self.cookies:
            raise RuntimeError(f"{self.name}: no CSRF token on the login page")
        form = {
            "login": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": token.group(1),
        }
        status, _headers, body = self.request(
            "POST", LOGIN_PATH, form=form, referer=self.url(LOGIN_PATH)
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(
                f"{self.name}: login as {username} answered {status}: {snippet(body)}"
            )
        status, _headers, body = self.request("GET", REPORT_PATH)
        if status != 200:
            raise RuntimeError(f"{self.name}: GET {REPORT_PATH} answered {status}")
        page = body.decode()
        token = CSRF_INPUT.search(page)
        select = UNIT_SELECT.search(page)
        options = OPTION.findall(select.group(1)) if select else []
        if not token or not options:
            raise RuntimeError(f"{self.name}: {username} has no report form or no unit to report")
        self.csrf = token.group(1)
        self.options = [value for value, _rest in options]

    def close(self) -> None:
        self.conn.close()
        self.spare.close()


def server_today() -> date:
    """Today where the server counts days (TIME_ZONE), for dates and report numbers."""
    return datetime.now(ZoneInfo("Europe/Stockholm")).date()


def snippet(body: bytes) -> str:
    text = re.sub(r"\s+", " ", body.decode(errors="replace")).strip()
    return text[:200]


# ---------------------------------------------------------------------------------------------
# Load phases.


@dataclass
class PhaseResult:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, every request sent
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by process group
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, latency: float) -> None:
        with self.lock:
            self.latencies.append(latency)

    def fail(self, latency: float, what: str) -> None:
        with self.lock:
            self.latencies.append(latency)
            self.errors += 1
            if len(self.error_samples) < MAX_ERROR_SAMPLES:
                self.error_samples.append(what)


Work = Callable[[Client, PhaseResult], None]


@dataclass
class SubmitLedger:
    """What the clients were told: the receipt for each idempotency key."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> report code
    duplicates_sent: int = 0
    duplicates_ok: int = 0
    duplicate_mismatches: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_phase(
    clients: list[Client], seconds: float, name: str, work: Work, probe: "CpuProbe"
) -> PhaseResult:
    result = PhaseResult(name)
    barrier = threading.Barrier(len(clients) + 1)
    ends: list[float] = []
    start_box: list[float] = []

    def loop(client: Client) -> None:
        barrier.wait()
        deadline = start_box[0] + seconds
        while time.perf_counter() < deadline:
            try:
                work(client, result)
            except Exception as error:  # a bug in the client must not end its thread silently
                result.fail(0.0, f"client {client.name}: {error!r}")
        ends.append(time.perf_counter())

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    probe.start()
    start_box.append(time.perf_counter())
    barrier.wait()
    for thread in threads:
        thread.join()
    result.elapsed = max(ends) - start_box[0]
    result.cpu = probe.stop()
    return result


def trivial(client: Client, result: PhaseResult) -> None:
    started = time.perf_counter()
    try:
        status, _headers, body = client.request("GET", HEALTH_PATH)
    except (OSError, http.client.HTTPException) as error:
        result.fail(time.perf_counter() - started, f"GET {HEALTH_PATH}: {error!r}")
        return
    latency = time.perf_counter() - started
    if status == 200:
        result.ok(latency)
    else:
        result.fail(latency, f"GET {HEALTH_PATH} -> {status}: {snippet(body)}")


def make_submitter(ledger: SubmitLedger, units: list[str]) -> Work:
    """Submits going round `units` (ids): the n-th report of the phase, whichever client
    sends it, goes to the n-th unit, so the reports spread evenly over them."""
    counter = itertools.count(1)
    today = server_today().isoformat()

    def post(
        client: Client,
        result: PhaseResult,
        form: dict[str, str],
        conn: http.client.HTTPConnection | None = None,
    ) -> str | None:
        """One POST; the report code on success, None (and an error recorded) otherwise."""
        started = time.perf_counter()
        try:
            status, headers, body = client.request(
                "POST", REPORT_PATH, form=form, referer=client.url(REPORT_PATH), conn=conn
            )
        except (OSError, http.client.HTTPException) as error:
            result.fail(time.perf_counter() - started, f"POST {REPORT_PATH}: {error!r}")
            return None
        latency = time.perf_counter() - started
        location = headers.get("location", "")
        found = RECEIPT.search(location)
        if status == 302 and found:
            result.ok(latency)
            return found.group(1)
        result.fail(
            latency, f"POST {REPORT_PATH} -> {status} Location={location!r}: {snippet(body)}"
        )
        return None

    def submit(client: Client, result: PhaseResult) -> None:
        number = next(counter)
        key = str(uuid.uuid4())
        form = {
            "csrfmiddlewaretoken": client.csrf,
            "idempotency_key": key,
            "main_form": "threat",
            "occurred_on": today,
            "unit": units[number % len(units)],
            "description": DESCRIPTION,
            "action": "submit",
        }
        if number % DUPLICATE_EVERY:
            code = post(client, result, form)
            if code:
                with ledger.lock:
                    ledger.acknowledged[key] = code
            return
        # A double click: the same key from a second tab while the first is in flight,
        # then a retry after the answer came (a network error seen by the browser).
        codes: list[str | None] = [None, None]

        def second_tab() -> None:
            codes[1] = post(client, result, form, conn=client.spare)

        helper = threading.Thread(target=second_tab)
        helper.start()
        codes[0] = post(client, result, form)
        helper.join()
        codes.append(post(client, result, form))
        answered = [code for code in codes if code]
        with ledger.lock:
            ledger.duplicates_sent += 2
            if answered:
                ledger.acknowledged[key] = answered[0]
            ledger.duplicates_ok += max(len(answered) - 1, 0)
            if len(set(answered)) > 1:
                ledger.duplicate_mismatches.append(f"{key}: {answered}")

    return submit


# ---------------------------------------------------------------------------------------------
# CPU accounting: who used the two cores during a phase (the machine may be shared).

GROUPS = ["gunicorn", "task worker", "postgres", "load generator"]


def postgres_pids() -> list[int]:
    """The PostgreSQL server's own processes and the backends connected to our database."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        client = "(" in title or "[local]" in title
        if not client or f" {DB_NAME} " in title:
            pids.append(int(entry.name))
    return pids


class CpuProbe:
    """CPU used by gunicorn, by the task worker, by PostgreSQL, by this load generator and by
    everything else.

    Processes are sampled twice a second, so that database connections Django closes and
    reopens during a phase (CONN_MAX_AGE) are counted too."""

    INTERVAL = 0.5

    def __init__(self, server_pid: int, worker_pid: int) -> None:
        self.server_pid = server_pid
        self.worker_pid = worker_pid
        self.first: dict[int, tuple[str, float]] = {}
        self.last: dict[int, float] = {}
        self.machine_start = (0.0, 0.0)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def groups(self) -> dict[str, list[int]]:
        master = self.server_pid
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            children = []
        return {
            "gunicorn": [master, *(int(pid) for pid in children)],
            "task worker": [self.worker_pid],
            "postgres": postgres_pids(),
            "load generator": [os.getpid()],
        }

    def _record(self, initial: bool = False) -> None:
        for group, pids in self.groups().items():
            for pid in pids:
                used = process_cpu(pid)
                if used is None:
                    continue
                if pid not in self.first:  # one born during the phase counts from zero
                    self.first[pid] = (group, used if initial else 0.0)
                self.last[pid] = used

    def start(self) -> None:
        self.first, self.last = {}, {}
        self.stopping.clear()
        self.machine_start = machine_cpu()
        self._record(initial=True)

        def sample() -> None:
            while not self.stopping.wait(self.INTERVAL):
                self._record()

        self.thread = threading.Thread(target=sample, daemon=True)
        self.thread.start()

    def stop(self) -> dict[str, float]:
        self.stopping.set()
        if self.thread:
            self.thread.join()
        self._record()
        busy, total = machine_cpu()
        result = dict.fromkeys(GROUPS, 0.0)
        for pid, (group, first) in self.first.items():
            result[group] += self.last[pid] - first
        result["machine busy"] = busy - self.machine_start[0]
        result["machine total"] = total - self.machine_start[1]
        result["other processes"] = max(
            result["machine busy"] - sum(result[group] for group in GROUPS), 0.0
        )
        return result


# ---------------------------------------------------------------------------------------------
# Database, server and reporting.


def child_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=DATABASE_URL,
        VARNA_SECRET_KEY=secrets.token_urlsafe(50),
        VARNA_HTTPS="0",
        VARNA_DEMO="1",
        VARNA_DATA_DIR=str(data_dir),
        VARNA_STATIC_ROOT=str(data_dir / "static"),
        VARNA_LOGIN_FAILURE_LIMIT="1000",
        VARNA_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DJANGO_SETTINGS_MODULE="varna.settings",
    )
    env.pop("VARNA_DEBUG", None)
    return env


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def describe(result: PhaseResult) -> dict[str, float]:
    lat = result.latencies
    return {
        "requests": len(lat),
        "errors": result.errors,
        "rps": len(lat) / result.elapsed if result.elapsed else 0.0,
        "p50": percentile(lat, 0.50) * 1000,
        "p95": percentile(lat, 0.95) * 1000,
        "p99": percentile(lat, 0.99) * 1000,
        "mean": statistics.fmean(lat) * 1000 if lat else float("nan"),
    }


def db_snapshot(conn: psycopg.Connection) -> tuple[int, int]:
    count, top = conn.execute(
        "SELECT count(*), coalesce(max(id), 0) FROM reporting_report"
    ).fetchone()
    return count, top


def server_log_findings(log: Path) -> list[str]:
    interesting = re.compile(r"error|exception|traceback|timeout|warning|critical", re.IGNORECASE)
    lines = log.read_text(errors="replace").splitlines()
    return [line for line in lines if interesting.search(line)]


# ---------------------------------------------------------------------------------------------
# The benchmark's reporters and the units each phase reports into.


def make_reporters(count: int) -> list[str]:
    """`count` reporters (bench.reporter01, ...) with the demo password, each an employee on
    both municipalities' roots, so that they may report in every open unit (a grant on a unit
    covers its subtree). Roles are given by the service the admin pages use."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from varna.orgs import services
    from varna.orgs.models import Role, Unit, User

    roots = list(Unit.objects.filter(code__in=ROOTS))
    password = make_password(PASSWORD)  # one hash for all: hashing is deliberately slow
    names = [REPORTER.format(n + 1) for n in range(count)]
    with transaction.atomic():
        for name in names:
            user = User.objects.create(
                username=name,
                first_name="Bench",
                last_name=name[-2:],
                email=f"{name}@bench.varna.example",
                employee_number=f"BENCH-{name}",
                password=password,
                is_demo=True,
            )
            for root in roots:
                services.grant_role(user=user, unit=root, role=Role.EMPLOYEE)
    return names


def phase_units(clients: list[Client]) -> tuple[list[str], list[str], dict[str, str]]:
    """The units of phase B (every unit each client's form offers, in tree order) and of phase
    C (those under CONCENTRATED), as ids, and the code of every unit by id."""
    from varna.orgs.models import Unit

    units = {
        str(pk): (code, path) for pk, code, path in Unit.objects.values_list("pk", "code", "path")
    }
    offered = set.intersection(*(set(client.options) for client in clients))
    spread = sorted(offered, key=lambda pk: units[pk][1])
    top = next(path for code, path in units.values() if code == CONCENTRATED)
    concentrated = [pk for pk in spread if units[pk][1].startswith(top)]
    if not concentrated or len(spread) <= len(concentrated):
        raise SystemExit(f"the reporters may not report in {CONCENTRATED} and elsewhere")
    return spread, concentrated, {pk: code for pk, (code, _path) in units.items()}


# ---------------------------------------------------------------------------------------------
# The fold: what waits to be folded during a phase, and how long the worker takes to catch up.


@dataclass
class FoldLag:
    phase: str
    peak_rows: int = 0  # the most PendingFold rows seen waiting at once
    oldest_wait: float = 0.0  # seconds: the longest a row was seen waiting
    left_at_end: int = 0  # rows waiting when the phase's last request was answered
    catch_up: float | None = None  # seconds from then until none waited (None: timed out)
    deferred: bool = False  # no worker ran after the phase (--worker-after)


class FoldWatch:
    """PendingFold sampled four times a second on its own connection during a phase: how many
    rows wait, and how long the oldest has waited (what the page's "updated" note is about)."""

    INTERVAL = 0.25

    def __init__(self, table: str) -> None:
        self.query = sql.SQL(
            "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM {}"
        ).format(sql.Identifier(table))
        self.lag = FoldLag("")
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, phase: str) -> None:
        self.lag = FoldLag(phase)
        self.stopping.clear()

        def sample() -> None:
            with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
                while not self.stopping.wait(self.INTERVAL):
                    count, age = conn.execute(self.query).fetchone()
                    self.lag.peak_rows = max(self.lag.peak_rows, count)
                    self.lag.oldest_wait = max(self.lag.oldest_wait, float(age))

        self.thread = threading.Thread(target=sample, daemon=True)
        self.thread.start()

    def stop(self) -> FoldLag:
        """Stop sampling; the lag of the phase so far."""
        self.stopping.set()
        if self.thread:
            self.thread.join()
            self.thread = None
        return self.lag

    def catch_up(self, db: psycopg.Connection, timeout: float) -> FoldLag:
        """Stop sampling and wait until no row waits; the lag of the phase."""
        lag = self.stop()
        started = time.perf_counter()
        while True:
            count, age = db.execute(self.query).fetchone()
            if not lag.left_at_end and count:
                lag.left_at_end = count
            lag.oldest_wait = max(lag.oldest_wait, float(age))
            if count == 0:
                lag.catch_up = time.perf_counter() - started
                return lag
            if time.perf_counter() - started > timeout:
                return lag
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase")
    parser.add_argument("--clients", type=int, default=16, help="concurrent logged-in clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--fold-timeout",
        type=float,
        default=FOLD_TIMEOUT,
        help="seconds to wait for the task worker to fold what a phase left",
    )
    parser.add_argument(
        "--worker-after",
        action="store_true",
        help="stop the task worker during the submit phases and start it after them (the"
        " request path alone, as this benchmark ran before issue 16)",
    )
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="varna-bench-submit-"))
    log, worker_log = data_dir / "gunicorn.log", data_dir / "worker.log"
    env = child_env(data_dir)
    os.environ.update(env)  # this process reads the database through Django for the checks
    server: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    clients: list[Client] = []
    database_made = False
    try:
        ensure_postgres()
        create_database(DB_NAME)
        database_made = True
        print(f"Preparing {DB_NAME}: migrate, collectstatic, load_demo …", flush=True)
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "collectstatic", "--no-input", "-v", "0")
        manage(env, "load_demo")
        django.setup()
        from django.db import connections

        from varna.stats.models import PendingFold

        names = make_reporters(args.clients)

        port = free_port()
        server = start_gunicorn(env, port, log, workers=args.workers)
        worker = start_worker(env, worker_log, interval=1)
        print(
            f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}; task worker"
            " (db_worker --interval 1)",
            flush=True,
        )

        print(f"Logging in {args.clients} clients …", flush=True)
        for index, username in enumerate(names):
            client = Client("127.0.0.1", port, f"client{index:02d}:{username}")
            for attempt in range(3):  # a reset connection while setting up is not measured
                try:
                    client.login(username)
                    break
                except (OSError, http.client.HTTPException) as error:
                    print(f"  {client.name}: login attempt {attempt + 1}: {error!r}", flush=True)
                    client.cookies.clear()
            else:
                raise SystemExit(f"{client.name} could not log in")
            clients.append(client)
        spread, concentrated, codes = phase_units(clients)
        connections.close_all()  # no idle connection of ours during the phases
        print(
            f"Phase B goes round {len(spread)} units of {len(ROOTS)} municipalities,"
            f" phase C round the {len(concentrated)} units of {CONCENTRATED}"
            f" ({', '.join(codes[pk] for pk in concentrated)})",
            flush=True,
        )

        with psycopg.connect(DATABASE_URL, autocommit=True) as db:
            watch = FoldWatch(PendingFold._meta.db_table)
            # Whatever loading the demo left is folded before anything is measured.
            if watch.catch_up(db, args.fold_timeout).catch_up is None:
                raise SystemExit("the task worker did not fold the demo's pending rows")
            if args.worker_after:
                stop_process(worker)
            probe = CpuProbe(server.pid, worker.pid)
            print(f"Phase A: GET {HEALTH_PATH} for {args.seconds:g} s …", flush=True)
            phase_a = run_phase(clients, args.seconds, "A trivial GET /health/", trivial, probe)
            rows_before, max_id_before = db_snapshot(db)
            ledger = SubmitLedger()
            phases, lags, first_ids = [phase_a], [], []
            (since,) = db.execute("SELECT now()").fetchone()
            for name, units in (
                ("B submit, spread", spread),
                ("C submit, one förvaltning", concentrated),
            ):
                print(f"Phase {name}: POST {REPORT_PATH} for {args.seconds:g} s …", flush=True)
                first_ids.append(db_snapshot(db)[1] + 1)
                watch.start(name)
                phases.append(
                    run_phase(clients, args.seconds, name, make_submitter(ledger, units), probe)
                )
                if args.worker_after:
                    lags.append(watch.stop())
                    lags[-1].deferred = True
                    continue
                lag = watch.catch_up(db, args.fold_timeout)
                lags.append(lag)
                caught = "did not" if lag.catch_up is None else f"{lag.catch_up:.1f} s to"
                print(f"  the fold took {caught} catch up", flush=True)
            if args.worker_after:
                print("Starting the task worker …", flush=True)
                worker = start_worker(env, worker_log, interval=1)
                watch.lag = FoldLag("B and C, worker after them")
                lags.append(watch.catch_up(db, args.fold_timeout))
            # Nothing writes while the database is checked.
            stop_gunicorn(server)
            stop_process(worker)
            checks = check_database(db, ledger, rows_before, max_id_before, since)
            # Where each phase's reports went (ids grow: a phase's reports follow the last's).
            by_unit: dict[str, Counter] = defaultdict(Counter)
            for report_id, unit in db.execute(
                "SELECT id, unit_id FROM reporting_report WHERE id > %s", (max_id_before,)
            ):
                phase = phases[sum(1 for first in first_ids if report_id >= first)]
                by_unit[phase.name][codes[str(unit)]] += 1
        print("Checking the rollups against a full recount …", flush=True)
        rollups = check_rollups()
        connections.close_all()
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        for client in clients:
            client.close()
        stop_gunicorn(server)
        stop_process(worker)
        findings = server_log_findings(log) if log.exists() else []
        findings += server_log_findings(worker_log) if worker_log.exists() else []
        if sys.exc_info()[0] is not None:
            for path in (log, worker_log):
                if path.exists():
                    tail = path.read_text(errors="replace").splitlines()[-40:]
                    print(f"{path.name} (last lines):", *tail, sep="\n  ", file=sys.stderr)
        if database_made:
            from django.db import connections

            connections.close_all()
            drop_database(DB_NAME)
        shutil.rmtree(data_dir, ignore_errors=True)
    report(args, phases, lags, checks, rollups, by_unit, findings)


@dataclass
class Checks:
    acknowledged: int
    created: int
    unacknowledged: int
    lost: int
    duplicated: int
    wrong_receipt: int
    repeated_numbers: int
    year_count: int
    year_last: int | None
    sequence_last: int | None
    notifications: int
    # (task, status) -> how many, and their run time in the worker: in all and the longest (s)
    tasks: dict[tuple[str, str], tuple[int, float, float]]
    ledger: SubmitLedger


def check_database(
    db: psycopg.Connection,
    ledger: SubmitLedger,
    rows_before: int,
    max_id_before: int,
    since: datetime,
) -> Checks:
    """Compare what the clients were told with what the database holds."""
    rows_after, _top = db_snapshot(db)
    stored = db.execute(
        "SELECT idempotency_key::text, code FROM reporting_report WHERE id > %s",
        (max_id_before,),
    ).fetchall()
    stored_codes = dict(stored)
    acked = ledger.acknowledged
    (repeated_numbers,) = db.execute(
        "SELECT count(*) - count(DISTINCT number) FROM reporting_report"
    ).fetchone()
    year = server_today().year
    year_count, year_last, sequence_last = db.execute(
        "SELECT count(*), max(split_part(number, '-', 2)::int),"
        " (SELECT last FROM reporting_reportsequence WHERE year = %s)"
        " FROM reporting_report WHERE number LIKE %s",
        (year, f"{year}-%"),
    ).fetchone()
    (notifications,) = db.execute("SELECT count(*) FROM reporting_notification").fetchone()
    run = "extract(epoch FROM finished_at - started_at)"
    tasks = {
        (path.rsplit(".", 1)[-1], status): (count, float(total), float(longest))
        for path, status, count, total, longest in db.execute(
            f"SELECT task_path, status, count(*), coalesce(sum({run}), 0),"  # noqa: S608
            f" coalesce(max({run}), 0) FROM django_tasks_database_dbtaskresult"
            " WHERE enqueued_at >= %s GROUP BY 1, 2 ORDER BY 1, 2",
            (since,),
        )
    }
    return Checks(
        acknowledged=len(acked),
        created=rows_after - rows_before,
        unacknowledged=sum(1 for key in stored_codes if key not in acked),
        lost=sum(1 for key in acked if key not in stored_codes),
        # Two rows for one key (impossible while the unique constraint holds), or two
        # different receipts for the same key.
        duplicated=(len(stored) - len(stored_codes)) + len(ledger.duplicate_mismatches),
        wrong_receipt=sum(1 for key, code in acked.items() if stored_codes.get(key, code) != code),
        repeated_numbers=repeated_numbers,
        year_count=year_count,
        year_last=year_last,
        sequence_last=sequence_last,
        notifications=notifications,
        tasks=tasks,
        ledger=ledger,
    )


# ---------------------------------------------------------------------------------------------
# The rollups against a full recount.

Rows = dict[tuple, dict[str, int]]


@dataclass
class RollupCheck:
    differences: dict[str, list[str]]  # what differs, by check
    rows: dict[str, int]  # rows per rollup table
    pending: int  # PendingFold rows left

    @property
    def equal(self) -> bool:
        return self.pending == 0 and not any(self.differences.values())


def _rows(model: Any, key: list[str], columns: list[str]) -> Rows:
    return {
        tuple(row[name] for name in key): {column: row[column] for column in columns}
        for row in model.objects.values(*key, *columns).iterator()
    }


def _table(model: Any) -> Counter:
    """Every row of a table but its id, as a multiset of tuples."""
    names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    return Counter(model.objects.values_list(*names).iterator())


def differences(expected: Rows, stored: Rows, what: str) -> list[str]:
    found = []
    for key in sorted(expected.keys() | stored.keys(), key=str):
        want, have = expected.get(key), stored.get(key)
        if want is None:
            found.append(f"{what} {key}: stored, but not in the recount")
        elif have is None:
            found.append(f"{what} {key}: missing (the recount has {want['events']} events)")
        elif wrong := [column for column in want if want[column] != have[column]]:
            found.append(
                f"{what} {key}: "
                + ", ".join(f"{c} {have[c]} instead of {want[c]}" for c in wrong[:4])
            )
    return found


def check_rollups() -> RollupCheck:
    """Three comparisons: the base rollup (counts and key sums) with `services.tally` of every
    event as the engine reads them (and what destroyed events left behind); the subtree
    rollups with sums of the stored base rows, computed here; and all three tables with a
    `services.rebuild()` (fold every unit-month from scratch) made inside a transaction that
    is then rolled back."""
    from django.db import transaction

    from varna.orgs import tree
    from varna.orgs.models import Unit
    from varna.reporting.models import Report
    from varna.stats import services
    from varna.stats.models import (
        KEY_COLUMNS,
        SITUATION_COLUMNS,
        SUBTREE_DEPTH,
        MonthlyCount,
        PendingFold,
        RetiredEvent,
        SubtreeMonthlyCount,
        SubtreeYearlyCount,
    )

    base_columns, subtree_columns = services.BASE_COLUMNS, services.SUBTREE_COLUMNS
    expected = services.tally(services._event_rows(Report.objects.all()))
    for key, columns in services._retired(RetiredEvent.objects.all()).items():
        into = expected.setdefault(key, dict.fromkeys(base_columns, 0))
        for column, value in columns.items():
            into[column] += value
    stored = _rows(
        MonthlyCount, ["unit_id", "month", "form", "situation", "security_routed"], base_columns
    )

    paths = dict(Unit.objects.values_list("pk", "path"))
    tops = {path: pk for pk, path in paths.items() if tree.depth(path) <= SUBTREE_DEPTH}
    situations = {code: column for column, code in SITUATION_COLUMNS.items()}
    monthly: Rows = {}
    for (unit_id, month, form, situation, routed), columns in stored.items():
        path = paths[unit_id]
        for end in range(tree.SEGMENT, len(path) + 1, tree.SEGMENT):
            if path[:end] not in tops:
                continue
            key = (tops[path[:end]], month, form, routed)
            into = monthly.setdefault(key, dict.fromkeys(subtree_columns, 0))
            for column in base_columns:
                into[column] += columns[column]
            if situation in situations:
                into[situations[situation]] += columns["events"]
                into[KEY_COLUMNS[situations[situation]]] += columns["events_key"]
    yearly: Rows = defaultdict(lambda: dict.fromkeys(subtree_columns, 0))
    for (top, month, form, routed), columns in monthly.items():
        into = yearly[(top, date(month.year, 1, 1), form, routed)]
        for column, value in columns.items():
            into[column] += value
    subtree_key = ["unit_id", "month", "form", "security_routed"]
    found = {
        "base rollup = tally of every event": differences(expected, stored, "MonthlyCount"),
        "subtree rollup per month = sums of the base rollup": differences(
            monthly, _rows(SubtreeMonthlyCount, subtree_key, subtree_columns), "SubtreeMonthly"
        ),
        "subtree rollup per year = sums of the base rollup": differences(
            dict(yearly), _rows(SubtreeYearlyCount, subtree_key, subtree_columns), "SubtreeYearly"
        ),
    }

    tables = [MonthlyCount, SubtreeMonthlyCount, SubtreeYearlyCount]
    folded = {model: _table(model) for model in tables}
    with transaction.atomic():
        services.rebuild()
        rebuilt = {model: _table(model) for model in tables}
        transaction.set_rollback(True)
    found["all three tables = services.rebuild()"] = [
        f"{model.__name__}: {(folded[model] - rebuilt[model]).total()} rows only as folded,"
        f" {(rebuilt[model] - folded[model]).total()} only as rebuilt"
        for model in tables
        if folded[model] != rebuilt[model]
    ]
    return RollupCheck(
        differences=found,
        rows={model.__name__: folded[model].total() for model in tables},
        pending=PendingFold.objects.count(),
    )


def report(
    args: argparse.Namespace,
    phases: list[PhaseResult],
    lags: list[FoldLag],
    checks: Checks,
    rollups: RollupCheck,
    by_unit: dict[str, Counter],
    findings: list[str],
) -> None:
    rows = [describe(phase) for phase in phases]
    a, b, c = rows
    print()
    print(
        f"Värna submit benchmark — {args.clients} clients, {args.workers} gunicorn sync workers"
        f" and the task worker, {args.seconds:g} s per phase, PostgreSQL"
    )
    print(
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}. The load generator "
        "(Python threads, one GIL) shares the cores with gunicorn, the worker and PostgreSQL,"
    )
    print("so the figures are a lower bound for the server alone.")
    print()
    header = f"{'phase':<28}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}"
    header += f"{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}"
    print(header)
    print("-" * len(header))
    for phase, row in zip(phases, rows, strict=True):
        print(
            f"{phase.name:<28}{row['requests']:>9}{row['errors']:>8}{row['rps']:>9.1f}"
            f"{row['p50']:>9.1f}{row['p95']:>9.1f}{row['p99']:>9.1f}{row['mean']:>9.1f}"
        )
    ratio_b = b["rps"] / a["rps"] if a["rps"] else 0.0
    ratio_c = c["rps"] / a["rps"] if a["rps"] else 0.0
    ratio_cb = c["rps"] / b["rps"] if b["rps"] else 0.0
    print("(phases B and C count every POST, the duplicate sends included)")
    print()
    print(f"submit / trivial throughput: B {ratio_b:.2f}, C {ratio_c:.2f} (C / B {ratio_cb:.2f})")
    for name, counted in by_unit.items():
        top_code, top_count = counted.most_common(1)[0]
        print(
            f"{name}: reports stored in {len(counted)} units, the most in {top_code}:"
            f" {top_count} of {counted.total()}"
        )
    for phase in phases:
        for sample in phase.error_samples:
            print(f"  error in {phase.name}: {sample}")

    print()
    print("The fold (task worker, varna.stats.tasks.fold_rollups) during and after each phase:")
    header = (
        f"{'phase':<28}{'most rows waiting':>18}{'longest wait s':>16}{'left at end':>13}"
        f"{'caught up after s':>19}"
    )
    print(header)
    print("-" * len(header))
    for lag in lags:
        caught = "TIMEOUT" if lag.catch_up is None else f"{lag.catch_up:.1f}"
        caught = "(no worker)" if lag.deferred else caught
        print(
            f"{lag.phase:<28}{lag.peak_rows:>18}{lag.oldest_wait:>16.1f}{lag.left_at_end:>13}"
            f"{caught:>19}"
        )
    print(
        '(one PendingFold row per report; "caught up": from the phase\'s last answer until no'
        " row waited)"
    )

    print()
    print("CPU used during each phase (ms of CPU per request; % of the machine's capacity):")
    groups = [*GROUPS, "other processes"]
    header = f"{'phase':<28}" + "".join(f"{g:>17}" for g in groups) + f"{'machine busy':>14}"
    print(header)
    print("-" * len(header))
    for phase, row in zip(phases, rows, strict=True):
        cpu, count = phase.cpu, max(row["requests"], 1)
        capacity = cpu.get("machine total") or 1.0
        cells = "".join(
            f"{cpu[g] / count * 1000:>8.2f} ms {cpu[g] / capacity:>4.0%}" for g in groups
        )
        print(f"{phase.name:<28}{cells}{cpu['machine busy'] / capacity:>14.0%}")
    print(
        '("other processes" is everything else on the machine, e.g. other people\'s test runs; '
        "when it is large the figures above are depressed)"
    )
    for phase in phases:
        share = phase.cpu["other processes"] / (phase.cpu.get("machine total") or 1.0)
        if share > 0.15:
            print(
                f"WARNING: other processes used {share:.0%} of the machine during "
                f"{phase.name}; rerun on a quiet machine for comparable figures."
            )
    if b["rps"]:
        print(
            "Clients send without think time, so mean latency ≈ clients ÷ throughput "
            f"(Little's law): {args.clients} ÷ {b['rps']:.1f}/s = "
            f"{args.clients / b['rps'] * 1000:.0f} ms for submits; even a mean below 100 ms "
            f"at {args.clients} clients needs more than {args.clients / 0.1:.0f} submits/s."
        )

    ledger = checks.ledger
    print()
    print(
        f"reports acknowledged (distinct keys): {checks.acknowledged}; rows created: "
        f"{checks.created}; stored without an acknowledgement: {checks.unacknowledged}"
    )
    print(
        f"duplicate sends (same idempotency key): {ledger.duplicates_sent} (half while the "
        f"original was in flight), answered with the same receipt: {ledger.duplicates_ok}, "
        f"with a different receipt: {len(ledger.duplicate_mismatches)}"
    )
    print(f"lost: {checks.lost}, duplicated: {checks.duplicated}")
    if checks.wrong_receipt:
        print(f"  receipts naming another report than the stored one: {checks.wrong_receipt}")
    for mismatch in ledger.duplicate_mismatches[:MAX_ERROR_SAMPLES]:
        print(f"  different receipts for {mismatch}")
    gaps = (checks.year_last or 0) - checks.year_count
    print(
        f"human numbers: {checks.repeated_numbers} repeated; this year {checks.year_count} "
        f"reports, highest number {checks.year_last}, sequence at {checks.sequence_last} "
        f"(gaps: {gaps})"
    )
    print(f"notifications stored: {checks.notifications}")
    print("tasks run by the worker since phase B began (run time in the worker):")
    for (task, status), (count, total, longest) in checks.tasks.items():
        print(
            f"  {task} {status}: {count}, {total:.1f} s in all, mean"
            f" {total / count * 1000:.0f} ms, longest {longest * 1000:.0f} ms"
        )
    folds = sum(total for (task, _s), (_n, total, _l) in checks.tasks.items() if "fold" in task)
    if checks.created:
        print(
            f"  fold run time per report stored: {folds / checks.created * 1000:.1f} ms"
            f" ({checks.created} reports)"
        )

    print()
    print(
        "Rollups after the fold caught up (rows: "
        + ", ".join(f"{name} {n}" for name, n in rollups.rows.items())
        + f"; PendingFold rows left: {rollups.pending}):"
    )
    for label, found in rollups.differences.items():
        print(f"  {label}: {'yes' if not found else f'NO, {len(found)} differences'}")
        for line in found[:MAX_ERROR_SAMPLES]:
            print(f"    {line}")
    print(f"rollups equal a recount: {'yes' if rollups.equal else 'no'}")

    print()
    if args.clients != 16:
        print("(the p95 target is defined at 16 clients)")
    errors = sum(phase.errors for phase in phases)
    intact = not (
        checks.lost or checks.duplicated or checks.repeated_numbers or checks.wrong_receipt
    )
    caught_up = all(lag.catch_up is not None for lag in lags if not lag.deferred)
    targets = [
        (f"submit / trivial ≥ 0.2, spread (B {ratio_b:.2f}; issue 16)", ratio_b >= 0.2),
        (f"submit / trivial ≥ 0.2, one förvaltning (C {ratio_c:.2f})", ratio_c >= 0.2),
        (
            f"the same throughput concentrated as spread (C / B {ratio_cb:.2f} ≥ 0.9)",
            ratio_cb >= 0.9,
        ),
        (f"submit / trivial ≥ 0.5, the bench's first aim (B {ratio_b:.2f})", ratio_b >= 0.5),
        (
            f"p95 < 100 ms at {args.clients} clients (B {b['p95']:.1f} ms, C {c['p95']:.1f} ms)",
            max(b["p95"], c["p95"]) < 100,
        ),
        (f"no errors ({', '.join(str(phase.errors) for phase in phases)})", errors == 0),
        (
            f"no loss or duplicates (lost {checks.lost}, duplicated {checks.duplicated}, "
            f"repeated numbers {checks.repeated_numbers})",
            intact,
        ),
        (f"the fold caught up within {args.fold_timeout:g} s after each phase", caught_up),
        ("the rollups equal a full recount", rollups.equal),
    ]
    for label, passed in targets:
        print(f"{'PASS' if passed else 'FAIL'}  {label}")
    print()
    if findings:
        print(f"gunicorn and worker logs: {len(findings)} lines mention errors/warnings; first:")
        for line in findings[:20]:
            print(f"  {line[:300]}")
    else:
        print("gunicorn and worker logs: no errors or warnings")


if __name__ == "__main__":
    main()
