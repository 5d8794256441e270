"""The benchmarks of bench/ run end to end and write their results (not their speed: timings
belong in bench/, see docs/benchmarks.md).

One run of `python -m bench run --scale tiny --quick` against this test's own database (the
runner generates the tiny synthetic city into it): gunicorn with bench.settings, the load
generator process, pgbench, the aggregation jobs and the dashboards, each writing its JSON.
The checks that are about correctness, not speed, are asserted: no failed request, and the
enrolment rush leaves exactly the course's capacity confirmed and a gapless waiting list."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ("catalogue", "enrolment", "aggregation", "dashboards", "memory")
EXPECTED_KEYS = {
    "catalogue": {"overall", "search_and_filters", "by_label", "floors", "ratios", "targets", "web_worker_peak_rss_mb"},
    "enrolment": {"rush", "checks", "floors", "ratios", "targets"},
    "aggregation": {"rebuild", "incremental", "nothing_new", "floors", "ratios", "targets", "worker_peak_rss_mb"},
    "dashboards": {"cold", "warm", "floors", "ratios", "targets"},
    "memory": {"web_worker", "celery_worker", "floors", "ratios", "targets"},
}
COMMON_KEYS = {"benchmark", "scale", "timestamp", "command", "machine", "wall_clock_s"}
MACHINE_KEYS = {"cores", "ram_gb", "postgresql", "git_commit", "database"}


def _database_url() -> str:
    s = connection.settings_dict
    host = quote(s["HOST"] or "127.0.0.1", safe="")
    auth = s["USER"] + (f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_every_benchmark_runs_on_the_tiny_city_and_writes_its_json(tmp_path, settings):
    env = {
        **os.environ,
        "BENCH_RESULTS_DIR": str(tmp_path),
        "BENCH_REDIS_URL": settings.REDIS_URL,
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--scale", "tiny", "--quick", "--database-url", _database_url()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]

    for name in BENCHMARKS:
        files = list(tmp_path.glob(f"{name}-tiny-*.json"))
        assert len(files) == 1, (name, sorted(p.name for p in tmp_path.iterdir()))
        result = json.loads(files[0].read_text())
        assert result.keys() >= COMMON_KEYS, name
        assert EXPECTED_KEYS[name] <= result.keys(), (name, sorted(result))
        assert result["machine"].keys() >= MACHINE_KEYS
        assert result["scale"] == "tiny" and result["quick"] is True
        assert result["machine"]["database"] == connection.settings_dict["NAME"]
        assert name.capitalize() in done.stdout  # its table was printed

    catalogue = json.loads(next(tmp_path.glob("catalogue-*.json")).read_text())
    assert catalogue["overall"]["requests"] > 0 and catalogue["overall"]["errors"] == 0
    assert catalogue["overall"]["queries"]["max"] > 0  # the bench middleware counted SQL
    assert catalogue["floors"]["trivial"]["errors"] == 0 and catalogue["floors"]["sql"]["requests"] > 0

    rush = json.loads(next(tmp_path.glob("enrolment-*.json")).read_text())
    assert rush["rush"]["errors"] == 0
    assert rush["checks"]["ok"], rush["checks"]
    assert rush["checks"]["confirmed"] == 30
    assert rush["floors"]["same_concurrency"].get("tps"), rush["floors"]

    dashboards = json.loads(next(tmp_path.glob("dashboards-*.json")).read_text())
    assert dashboards["warm"]["all"]["errors"] == 0 and dashboards["cold"]["all"]["errors"] == 0

    memory = json.loads(next(tmp_path.glob("memory-*.json")).read_text())
    assert memory["web_worker"]["peak_rss_mb"] > 0 and memory["celery_worker"]["rebuild_peak_rss_mb"] > 0
