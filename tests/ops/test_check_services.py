"""`make test` stops with a message saying how to start a missing service; it never skips."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {"PATH": os.environ["PATH"], **env}
    return subprocess.run(
        [sys.executable, "scripts/check_services.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_passes_when_both_services_answer():
    result = _check(DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=os.environ["REDIS_URL"])
    assert result.returncode == 0, result.stderr


def test_stops_with_how_to_start_postgresql_when_it_is_down():
    result = _check(DATABASE_URL="postgres://postgres@127.0.0.1:1/lc_nowhere", REDIS_URL=os.environ["REDIS_URL"])
    assert result.returncode == 2
    assert "PostgreSQL at postgres://postgres@127.0.0.1:1/lc_nowhere is not reachable" in result.stderr
    assert "pg_ctlcluster" in result.stderr
    assert "Redis" not in result.stderr


def test_stops_with_how_to_start_redis_when_it_is_down():
    result = _check(DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 2
    assert "Redis at redis://127.0.0.1:1/0 is not reachable" in result.stderr
    assert "redis-server --daemonize yes" in result.stderr


def test_names_both_when_both_are_down_and_survives_a_malformed_url():
    result = _check(DATABASE_URL="postgres://postgres@127.0.0.1:1/x", REDIS_URL="not a url")
    assert result.returncode == 2
    assert "PostgreSQL" in result.stderr
    assert "Redis at not a url" in result.stderr
    assert "Traceback" not in result.stderr


def test_browser_flag_requires_chromium():
    result = _check("--browser", DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=os.environ["REDIS_URL"])
    if Path("/usr/bin/chromium").exists():
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 2
        assert "apt-get install -y --no-install-recommends chromium" in result.stderr
