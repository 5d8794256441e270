"""What every benchmark shares: the benchmark database, machine facts, percentiles, the
gunicorn server, process memory, the table and the JSON result.

Nothing here imports Django at module level: the runner prepares the database (and
subprocesses) before any benchmark sets Django up with `django_setup()`."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS_DIR") or ROOT / "bench" / "results")
PYTHON = sys.executable
SCALES = ("tiny", "small", "medium", "large")
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
SEED = 1


# --- configuration shared by the runner, the server and the subprocesses ---------------------
@dataclass
class BenchConfig:
    scale: str
    database_url: str
    redis_url: str = DEFAULT_REDIS_URL
    quick: bool = False
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(64))

    @property
    def city_slug(self) -> str:
        return f"synthetic-{self.scale}"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every process of the run (server, load generator, workers)."""
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "bench.settings",
                "SECRET_KEY": self.secret_key,
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "CELERY_BROKER_URL": self.redis_url,
                "CACHE_KEY_PREFIX": f"bench-{self.scale}",
                "CITY_SLUG": self.city_slug,
                "PYTHAINLP_READ_ONLY": "1",
                "EMAIL_URL": "dummymail://",
                "PYTHONPATH": str(ROOT),
            }
        )
        env.update(extra)
        return env

    def apply_env(self) -> None:
        """Make this process one of the run's (before Django is set up)."""
        os.environ.update({k: v for k, v in self.env().items() if k != "PYTHONPATH"})


def add_common_arguments(parser) -> None:
    parser.add_argument("--scale", choices=SCALES, default="small")
    parser.add_argument(
        "--database-url",
        help="use this (already migrated) database instead of lc_bench_<scale>; "
        "the synthetic city of the scale is generated into it when missing",
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--quick", action="store_true", help="few requests: checks that it runs, not its speed")
    parser.add_argument("--no-prepare", action="store_true", help="skip migrate/generate/collectstatic checks")


def config_from_args(args) -> BenchConfig:
    url = args.database_url or database_url_for(args.scale)
    return BenchConfig(scale=args.scale, database_url=url, redis_url=args.redis_url, quick=args.quick)


# --- the database -------------------------------------------------------------------------------
def database_url_for(scale: str) -> str:
    base = os.environ.get("BENCH_SERVER_URL", DEFAULT_SERVER_URL)
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/lc_bench_{scale}"))


def libpq_url(url: str) -> str:
    """psycopg/libpq accept postgres:// URLs as they are; drop Django-only bits if any."""
    return url


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _maintenance_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def ensure_database(config: BenchConfig, *, log=print) -> None:
    """Create lc_bench_<scale> (UTF-8 ctype, as learningcity/db requires for Thai search)
    when missing, migrate it, and generate the synthetic city of the scale when it is not
    there. A database given with --database-url is migrated by its owner; it only gets the
    city."""
    import psycopg

    name = _database_name(config.database_url)
    with psycopg.connect(_maintenance_url(config.database_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"creating database {name}")
            conn.execute(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            )
    env = config.env()
    env["DJANGO_SETTINGS_MODULE"] = "learningcity.settings.dev"
    if not exists or name.startswith("lc_bench_"):
        log(f"migrating {name}")
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    with psycopg.connect(config.database_url) as conn:
        has_city = conn.execute("SELECT 1 FROM city_city WHERE slug = %s", [config.city_slug]).fetchone()
    if not has_city:
        log(f"generating the {config.scale} city into {name} (large: about 6 minutes)")
        subprocess.run(
            [PYTHON, "manage.py", "generate_city", "--scale", config.scale, "--seed", str(SEED), "--force"],
            cwd=ROOT,
            env=env,
            check=True,
        )


def collect_static(config: BenchConfig) -> None:
    """The production storage needs its manifest: collect into the bench's STATIC_ROOT."""
    manifest = Path(tempfile.gettempdir()) / "lc-bench-staticfiles" / "staticfiles.json"
    dirs = [ROOT / "static", *ROOT.glob("*/static"), *ROOT.glob("*/*/static")]
    sources = [p.stat().st_mtime for d in dirs if ".venv" not in d.parts for p in d.rglob("*") if p.is_file()]
    if manifest.exists() and sources and manifest.stat().st_mtime >= max(sources):
        return
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=config.env(), check=True
    )


def prepare(config: BenchConfig, args=None, *, log=print) -> None:
    if args is not None and getattr(args, "no_prepare", False):
        return
    ensure_database(config, log=log)
    collect_static(config)


def django_setup(config: BenchConfig) -> None:
    config.apply_env()
    import django

    django.setup()


def flush_redis(config: BenchConfig) -> None:
    """The bench's own Redis database (cache, sessions, broker queue) starts empty."""
    import redis

    client = redis.Redis.from_url(config.redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


# --- machine facts --------------------------------------------------------------------------------
def _git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
        return commit + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _ram_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine_facts(config: BenchConfig) -> dict:
    import psycopg

    with psycopg.connect(config.database_url) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
        settings = dict(
            conn.execute(
                "SELECT name, setting || COALESCE(unit, '') FROM pg_settings WHERE name IN "
                "('shared_buffers', 'work_mem', 'max_connections', 'effective_cache_size', "
                "'max_parallel_workers_per_gather')"
            ).fetchall()
        )
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_gb": round(_ram_bytes() / 2**30, 1),
        "load_average_at_start": _load_average(),
        "postgresql": pg_version,
        "postgresql_settings": settings,
        "database": _database_name(config.database_url),
        "database_size_mb": round(size / 2**20),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": _git_commit(),
    }


# --- statistics and output --------------------------------------------------------------------------
def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0-100), linear interpolation; None for no values."""
    data = sorted(values)
    if not data:
        return None
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (pos - low)


def summary(values: list[float]) -> dict:
    """p50/p95/p99/max/mean of a list of milliseconds, rounded to 0.1 ms."""

    def r(x):
        return None if x is None else round(x, 2)

    return {
        "n": len(values),
        "p50": r(percentile(values, 50)),
        "p95": r(percentile(values, 95)),
        "p99": r(percentile(values, 99)),
        "max": r(max(values)) if values else None,
        "mean": r(sum(values) / len(values)) if values else None,
    }


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or not b:
        return None
    return round(a / b, 2)


def print_table(title: str, headers: list[str], rows: list[list], out=sys.stdout) -> None:
    cells = [[("" if c is None else f"{c:,.1f}" if isinstance(c, float) else str(c)) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    print(f"\n{title}", file=out)
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        print(
            "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))),
            file=out,
        )
    out.flush()


def write_result(name: str, config: BenchConfig, payload: dict, *, machine: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{config.scale}-{stamp}.json"
    document = {
        "benchmark": name,
        "scale": config.scale,
        "quick": config.quick,
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine,
        **payload,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"\nwritten {path}")
    return path


# --- process memory ------------------------------------------------------------------------------------
def proc_status_kb(pid: int, key: str) -> int | None:
    """A `/proc/<pid>/status` value in kB (VmRSS, VmHWM), None when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def child_pids(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


# --- the gunicorn server -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log_path: Path
    peak_worker_kb: dict[int, int] = field(default_factory=dict)

    @property
    def workers(self) -> list[int]:
        return child_pids(self.process.pid)

    def sample_memory(self) -> None:
        """Remember each worker's high-water mark (workers are recycled after max_requests,
        so the bench samples while it runs instead of only at the end)."""
        for pid in self.workers:
            hwm = proc_status_kb(pid, "VmHWM")
            if hwm is not None:
                self.peak_worker_kb[pid] = max(hwm, self.peak_worker_kb.get(pid, 0))


@contextmanager
def gunicorn(config: BenchConfig, *, log_dir: Path, workers: int | None = None) -> Iterator[Server]:
    """gunicorn with the project's gunicorn.conf.py (workers: 2 x cores + 1, capped at 8, sync,
    max_requests GUNICORN_MAX_REQUESTS, default 10,000) and bench.settings, on a free loopback
    port. Its JSON log goes to a file."""
    port = free_port()
    log_path = log_dir / "gunicorn.log"
    extra = {"GUNICORN_BIND": f"127.0.0.1:{port}"}
    if workers or config.quick:  # --quick checks that it runs: two workers start faster
        extra["WEB_CONCURRENCY"] = str(workers or 2)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py", "learningcity.wsgi"],
            cwd=ROOT,
            env=config.env(**extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process=process, port=port, log_path=log_path)
    expected = int(extra.get("WEB_CONCURRENCY") or os.environ.get("WEB_CONCURRENCY") or min(2 * os.cpu_count() + 1, 8))
    try:
        _wait_ready(server, workers=expected)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(server: Server, *, workers: int, timeout: float = 60) -> None:
    """Until a worker answers and all `workers` are forked (the master forks them one by one
    after loading the app: the first may answer before the last exists)."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{server.port}/bench/trivial"
    answered = False
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.process.returncode}); see {server.log_path}")
        if not answered:
            try:
                request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 (loopback)
                    answered = response.status == 200
            except OSError:
                pass
        if answered and len(server.workers) >= workers:
            return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer with {workers} workers within {timeout} s; see {server.log_path}")


def warm_up(server: Server, paths: list[str], rounds: int = 1) -> None:
    """Each worker loads templates, translations and pythainlp's dictionary on first use."""
    for _ in range(rounds * max(1, len(server.workers))):
        for path in paths:
            request = urllib.request.Request(
                f"http://127.0.0.1:{server.port}{path}", headers={"X-Forwarded-Proto": "https"}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
                    response.read()
            except OSError:
                pass


def run_load(
    config: BenchConfig,
    *,
    port: int,
    requests: list[dict],
    concurrency: int,
    work_dir: Path,
    name: str,
    server: Server | None = None,
) -> dict:
    """Run bench.loadgen in its own process; sample the server's worker memory meanwhile."""
    spec_path = work_dir / f"{name}-spec.json"
    out_path = work_dir / f"{name}-out.json"
    spec_path.write_text(json.dumps({"port": port, "concurrency": concurrency, "requests": requests}))
    process = subprocess.Popen(
        [PYTHON, "-m", "bench.loadgen", str(spec_path), str(out_path)], cwd=ROOT, env=config.env()
    )
    while process.poll() is None:
        if server is not None:
            server.sample_memory()
        time.sleep(0.25)
    if process.returncode:
        raise RuntimeError(f"the load generator failed ({process.returncode})")
    return json.loads(out_path.read_text())


def load_summary(outcome: dict, *, labels: Iterable[str] | None = None, tag: str | None = None) -> dict:
    """req/s, latency percentiles, server time, SQL statements per request and errors of the
    rows with one of `labels` (all rows when None) and, if given, the request tag `tag`."""
    wanted = None if labels is None else set(labels)
    rows = [
        r
        for r in outcome["results"]
        if (wanted is None or r[0] in wanted) and (tag is None or (len(r) > 6 and r[6] == tag))
    ]
    latencies = [r[2] for r in rows]
    server = [r[3] for r in rows if r[3] is not None]
    queries = [r[4] for r in rows if r[4] is not None]
    errors: dict[str, int] = {}
    for r in rows:
        if r[5]:
            errors[r[5]] = errors.get(r[5], 0) + 1
    share = len(rows) / len(outcome["results"]) if outcome["results"] else 0
    return {
        "requests": len(rows),
        "req_per_s": round(len(rows) / outcome["elapsed_s"], 1) if outcome["elapsed_s"] else None,
        "share_of_run": round(share, 3),
        "latency_ms": summary(latencies),
        "server_ms": summary(server),
        "queries": {
            "max": max(queries) if queries else None,
            "mean": round(sum(queries) / len(queries), 2) if queries else None,
        },
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }
