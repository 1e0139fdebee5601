"""Benchmark submitting reports against the production server (gunicorn) on PostgreSQL.

Creates a fresh database, loads the demo municipality, starts gunicorn and lets N logged-in
clients (threads, each with its own session and connection) hammer the server in two phases:

    A  GET /health/ (a trivial view: the ceiling of the stack on this machine)
    B  POST /rapportera/ (submit a report; every 50th report is also sent twice more with the
       same idempotency key, once while the original is in flight and once after it)

and then checks in the database that every acknowledged report was stored exactly once.
The load generator runs on the same cores as gunicorn and PostgreSQL; a table of CPU used per
request (gunicorn, PostgreSQL, load generator, other processes) shows who used the machine, and
a warning is printed when other processes (someone else's tests) took a large share.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import psycopg

from common import (
    HEALTH_PATH,
    create_database,
    database_url,
    drop_database,
    ensure_postgres,
    free_port,
    machine_cpu,
    manage,
    process_cpu,
    start_gunicorn,
    stop_gunicorn,
)

DB_NAME = "varna_bench_submit"
DATABASE_URL = database_url(DB_NAME)
PASSWORD = "demo-varna-2026"  # noqa: S105 - the public demo password (varna.orgs.demo)
# Named demo accounts that can log in; extra clients reuse them (each with its own session).
ACCOUNTS = [
    "medarbetare",
    "forste",
    "skyddsombud",
    "enhetschef",
    "chef.mottagning",
    "hr",
    "sakerhet",
    "utredare",
    "analytiker",
    "revisor",
    "admin",
    "forvaltningschef",
    "avdelningschef",
    "chef2",
    "chef3",
    "forste2",
    "forste3",
]
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
        self.unit = ""

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
        chosen = [value for value, rest in options if "selected" in rest]
        self.unit = (chosen or [options[0][0]])[0]

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


def make_submitter(ledger: SubmitLedger) -> Work:
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
            "unit": client.unit,
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
    """CPU used by gunicorn, by PostgreSQL, by this load generator and by everything else.

    Processes are sampled twice a second, so that database connections Django closes and
    reopens during a phase (CONN_MAX_AGE) are counted too."""

    INTERVAL = 0.5

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
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
        result = {"gunicorn": 0.0, "postgres": 0.0, "load generator": 0.0}
        for pid, (group, first) in self.first.items():
            result[group] += self.last[pid] - first
        result["machine busy"] = busy - self.machine_start[0]
        result["machine total"] = total - self.machine_start[1]
        result["other processes"] = max(
            result["machine busy"]
            - result["gunicorn"]
            - result["postgres"]
            - result["load generator"],
            0.0,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase")
    parser.add_argument("--clients", type=int, default=16, help="concurrent logged-in clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="varna-bench-submit-"))
    log = data_dir / "gunicorn.log"
    env = child_env(data_dir)
    server: subprocess.Popen | None = None
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

        port = free_port()
        server = start_gunicorn(env, port, log, workers=args.workers)
        print(f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}", flush=True)

        print(f"Logging in {args.clients} clients …", flush=True)
        for index in range(args.clients):
            username = ACCOUNTS[index % len(ACCOUNTS)]
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

        with psycopg.connect(DATABASE_URL, autocommit=True) as db:
            probe = CpuProbe(server.pid)
            print(f"Phase A: GET {HEALTH_PATH} for {args.seconds:g} s …", flush=True)
            phase_a = run_phase(clients, args.seconds, "A trivial GET /health/", trivial, probe)
            rows_before, max_id_before = db_snapshot(db)
            ledger = SubmitLedger()
            print(f"Phase B: POST {REPORT_PATH} for {args.seconds:g} s …", flush=True)
            phase_b = run_phase(
                clients, args.seconds, "B submit POST /rapportera/", make_submitter(ledger), probe
            )
            checks = check_database(db, ledger, rows_before, max_id_before)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        for client in clients:
            client.close()
        stop_gunicorn(server)
        findings = server_log_findings(log) if log.exists() else []
        if sys.exc_info()[0] is not None and log.exists():
            tail = log.read_text(errors="replace").splitlines()[-40:]
            print("gunicorn log (last lines):", *tail, sep="\n  ", file=sys.stderr)
        if database_made:
            drop_database(DB_NAME)
        shutil.rmtree(data_dir, ignore_errors=True)
    report(args, phase_a, phase_b, checks, findings)


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
    tasks: int
    ledger: SubmitLedger


def check_database(
    db: psycopg.Connection, ledger: SubmitLedger, rows_before: int, max_id_before: int
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
    notifications, tasks = db.execute(
        "SELECT (SELECT count(*) FROM reporting_notification),"
        " (SELECT count(*) FROM django_tasks_database_dbtaskresult)"
    ).fetchone()
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


def report(
    args: argparse.Namespace,
    phase_a: PhaseResult,
    phase_b: PhaseResult,
    checks: Checks,
    findings: list[str],
) -> None:
    a, b = describe(phase_a), describe(phase_b)
    print()
    print(
        f"Värna submit benchmark — {args.clients} clients, {args.workers} gunicorn sync workers, "
        f"{args.seconds:g} s per phase, PostgreSQL"
    )
    print(
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}. The load generator "
        "(Python threads, one GIL) shares the cores with gunicorn and PostgreSQL,"
    )
    print("so the figures are a lower bound for the server alone.")
    print()
    header = f"{'phase':<28}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}"
    header += f"{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}"
    print(header)
    print("-" * len(header))
    for name, row in ((phase_a.name, a), (phase_b.name, b)):
        print(
            f"{name:<28}{row['requests']:>9}{row['errors']:>8}{row['rps']:>9.1f}"
            f"{row['p50']:>9.1f}{row['p95']:>9.1f}{row['p99']:>9.1f}{row['mean']:>9.1f}"
        )
    ratio = b["rps"] / a["rps"] if a["rps"] else 0.0
    print("(phase B counts every POST, the duplicate sends included)")
    print()
    print(f"submit / trivial throughput: {ratio:.2f}")
    for result in (phase_a, phase_b):
        for sample in result.error_samples:
            print(f"  error in {result.name}: {sample}")

    print()
    print("CPU used during each phase (ms of CPU per request; % of the machine's capacity):")
    groups = ["gunicorn", "postgres", "load generator", "other processes"]
    header = f"{'phase':<28}" + "".join(f"{g:>17}" for g in groups) + f"{'machine busy':>14}"
    print(header)
    print("-" * len(header))
    for result, row in ((phase_a, a), (phase_b, b)):
        cpu, count = result.cpu, max(row["requests"], 1)
        capacity = cpu.get("machine total") or 1.0
        cells = "".join(
            f"{cpu[g] / count * 1000:>8.2f} ms {cpu[g] / capacity:>4.0%}" for g in groups
        )
        print(f"{result.name:<28}{cells}{cpu['machine busy'] / capacity:>14.0%}")
    print(
        '("other processes" is everything else on the machine, e.g. other people\'s test runs; '
        "when it is large the figures above are depressed)"
    )
    for result in (phase_a, phase_b):
        share = result.cpu["other processes"] / (result.cpu.get("machine total") or 1.0)
        if share > 0.15:
            print(
                f"WARNING: other processes used {share:.0%} of the machine during "
                f"{result.name}; rerun on a quiet machine for comparable figures."
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
    print(
        f"notifications stored: {checks.notifications}; e-mail tasks queued (no worker ran): "
        f"{checks.tasks}"
    )

    print()
    if args.clients != 16:
        print("(the p95 target is defined at 16 clients)")
    errors = phase_a.errors + phase_b.errors
    intact = not (
        checks.lost or checks.duplicated or checks.repeated_numbers or checks.wrong_receipt
    )
    targets = [
        (f"throughput ≥ 0.5 × ceiling (ratio {ratio:.2f})", ratio >= 0.5),
        (f"p95 < 100 ms at {args.clients} clients (submit p95 {b['p95']:.1f} ms)", b["p95"] < 100),
        (f"no errors (A {phase_a.errors}, B {phase_b.errors})", errors == 0),
        (
            f"no loss or duplicates (lost {checks.lost}, duplicated {checks.duplicated}, "
            f"repeated numbers {checks.repeated_numbers})",
            intact,
        ),
    ]
    for label, passed in targets:
        print(f"{'PASS' if passed else 'FAIL'}  {label}")
    print()
    if findings:
        print(f"gunicorn log: {len(findings)} lines mention errors/warnings; the first ones:")
        for line in findings[:20]:
            print(f"  {line[:300]}")
    else:
        print("gunicorn log: no errors or warnings")


if __name__ == "__main__":
    main()
