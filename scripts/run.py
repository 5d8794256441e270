#!/usr/bin/env python
"""`make run`: migrate, load the demo city when the database is empty, serve on :8000.

- DATABASE_URL unset: an embedded PostgreSQL in .data/pg (learningcity/devdb.py),
  reused by the next run.
- REDIS_URL unset: tasks run eagerly in the web process, the cache is local memory.
- REDIS_URL set: a Celery worker and beat run beside the web server.

Ctrl-C (SIGINT) or SIGTERM stops everything it started: the web server, the worker,
beat, and then the embedded PostgreSQL. If any child stops on its own, the others are
stopped too and its exit code is returned."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))

STOP_TIMEOUT = 20  # seconds a child gets to stop before it is killed


class Stop(Exception):
    """Raised by the signal handler so that every `finally` and context manager runs."""


def _on_signal(signum, frame):
    raise Stop(signum)


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    # Each child leads its own process group: a terminal's Ctrl-C reaches only this
    # script, which then stops each child (and its own children: runserver's reloader,
    # the worker's pool) in order.
    return subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, process_group=0)


def stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"run.py: process {child.pid} did not stop in time, killing it", file=sys.stderr, flush=True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "learningcity.settings.dev")
    env["PYTHAINLP_READ_ONLY"] = "1"
    host = env.get("RUN_HOST", "127.0.0.1")
    port = env.get("RUN_PORT", "8000")
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _on_signal)

    children: list[subprocess.Popen] = []
    with contextlib.ExitStack() as stack:
        try:
            if not env.get("DATABASE_URL"):
                from learningcity.devdb import embedded_database

                print("DATABASE_URL is not set: starting the embedded PostgreSQL in .data/pg", flush=True)
                env["DATABASE_URL"] = stack.enter_context(embedded_database(ROOT / ".data" / "pg"))
            manage("migrate", "--no-input", env=env)
            manage("load_demo", "--if-empty", env=env)

            if env.get("REDIS_URL"):
                print("REDIS_URL is set: starting a Celery worker and beat", flush=True)
                celery = [PYTHON, "-m", "celery", "-A", "learningcity"]
                (ROOT / ".data").mkdir(exist_ok=True)
                children.append(spawn([*celery, "worker", "-l", "info", "-c", "2"], env))
                children.append(
                    spawn([*celery, "beat", "-l", "info", "-s", str(ROOT / ".data" / "celerybeat-schedule")], env)
                )
            else:
                print("REDIS_URL is not set: tasks run eagerly, the cache is local memory", flush=True)
            print(f"Serving the portal at http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
            children.append(spawn([PYTHON, "manage.py", "runserver", f"{host}:{port}"], env))
            while True:
                for child in children:
                    code = child.poll()
                    if code is not None:
                        print(f"run.py: {' '.join(child.args[1:4])} exited ({code}); stopping", flush=True)
                        return code or 1
                time.sleep(0.5)
        except Stop:
            print("run.py: stopping", flush=True)
            return 0
        except subprocess.CalledProcessError as exc:
            print(f"run.py: {' '.join(map(str, exc.cmd[1:3]))} failed ({exc.returncode})", file=sys.stderr, flush=True)
            return exc.returncode or 1
        finally:
            # Children first, then (on leaving the ExitStack) the embedded PostgreSQL.
            # A second signal during shutdown must not cut it short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            stop(children)
    return 0


if __name__ == "__main__":
    sys.exit(main())
