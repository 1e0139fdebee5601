"""What the benchmark scripts share: the PostgreSQL database, manage.py, gunicorn, CPU readings.

The scripts run as `python bench/NAME.py`, so this folder is on the import path.
"""

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_HOST = "127.0.0.1"
HEALTH_PATH = "/health/"
TICKS = os.sysconf("SC_CLK_TCK")


def database_url(name: str) -> str:
    return f"postgres://postgres@{PG_HOST}:5432/{name}"


def production_env(database: str, data_dir: Path) -> dict[str, str]:
    """Production settings (no VARNA_DEBUG, no demo logins) on a benchmark database, for the
    benchmark process and the gunicorn it starts."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database,
        DJANGO_SETTINGS_MODULE="varna.settings",
        VARNA_SECRET_KEY=secrets.token_urlsafe(50),
        VARNA_HTTPS="0",
        VARNA_DATA_DIR=str(data_dir),
        VARNA_STATIC_ROOT=str(data_dir / "static"),
        VARNA_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        VARNA_LOG_LEVEL="WARNING",
    )
    env.pop("VARNA_DEBUG", None)
    env.pop("VARNA_DEMO", None)
    return env


def ensure_postgres() -> None:
    if subprocess.run(["pg_isready", "-q", "-h", PG_HOST], check=False).returncode == 0:
        return
    print("PostgreSQL is not answering; starting the cluster …", flush=True)
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "start"], check=True
    )
    for _ in range(60):
        if subprocess.run(["pg_isready", "-q", "-h", PG_HOST], check=False).returncode == 0:
            return
        time.sleep(0.5)
    raise SystemExit("PostgreSQL did not start")


def drop_database(name: str) -> None:
    subprocess.run(
        ["dropdb", "--if-exists", "--force", "-h", PG_HOST, "-U", "postgres", name], check=False
    )


def create_database(name: str) -> None:
    """A new, empty database (an old one of the same name is dropped first)."""
    drop_database(name)
    subprocess.run(["createdb", "-h", PG_HOST, "-U", "postgres", name], check=True)


def manage(env: dict[str, str], *args: str) -> None:
    command = [sys.executable, "-m", "varna.manage", *args]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"manage {' '.join(args)} failed ({done.returncode})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    env: dict[str, str], port: int, log: Path, *, workers: int, timeout: int = 30
) -> subprocess.Popen:
    """gunicorn on `port`, returned once it answers the health check."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [
        str(gunicorn),
        "varna.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        str(timeout),
        # Not the shared default (~/.gunicorn/gunicorn.ctl) other servers on the machine use.
        "--control-socket",
        str(log.parent / "gunicorn.ctl"),
    ]
    with log.open("wb") as handle:
        # Its own process group: Ctrl-C reaches only the script, which then stops gunicorn.
        process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", HEALTH_PATH)
            if conn.getresponse().status == 200:
                conn.close()
                return process
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /health/ within 60 s")


def stop_gunicorn(process: subprocess.Popen | None) -> None:
    stop_process(process)


def stop_process(process: subprocess.Popen | None) -> None:
    """SIGTERM, then SIGKILL after 30 s: gunicorn's workers finish their current request, the
    task worker its current task."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_worker(env: dict[str, str], log: Path, *, interval: float = 1) -> subprocess.Popen:
    """The background task worker, as scripts/serve starts it beside gunicorn: it runs the
    e-mails and the folds of new events into the follow-up's rollups (varna.stats.tasks)."""
    command = [sys.executable, "-m", "varna.manage", "db_worker", "--interval", f"{interval:g}"]
    with log.open("ab") as handle:  # a worker started again adds to the same log
        process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    time.sleep(0.5)
    if process.poll() is not None:
        raise SystemExit(f"the task worker exited with {process.returncode}; see {log}")
    return process


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process, None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    total = sum(values)
    idle = values[3] + values[4]  # idle + iowait
    return (total - idle) / TICKS, total / TICKS
