"""Production mode is checked in a fresh interpreter, since settings are read at start."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VARNA_", "DJANGO_"))}
    clean |= {"DJANGO_SETTINGS_MODULE": "varna.settings", "VARNA_DATA_DIR": str(ROOT / "var")}
    return subprocess.run(
        [sys.executable, "-m", "varna.manage", *args],
        env=clean | env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check")
    assert result.returncode != 0
    assert "VARNA_SECRET_KEY must be set" in result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        VARNA_SECRET_KEY="a-long-random-production-key-" + "x9Qz" * 12,
        VARNA_ALLOWED_HOSTS="varna.kommun.example",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
