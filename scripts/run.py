#!/usr/bin/env python
"""`make run`: migrate, load the demo city when the database is empty, serve on :8000.

- DATABASE_URL unset: an embedded PostgreSQL in .data/pg (learningcity/devdb.py).
- REDIS_URL unset: tasks run eagerly in the web process, the cache is local memory.
- REDIS_URL set: a Celery worker and beat run beside the web server.
Ctrl-C stops everything it started."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "learningcity.settings.dev")
    env["PYTHAINLP_READ_ONLY"] = "1"
    host = env.get("RUN_HOST", "127.0.0.1")
    port = env.get("RUN_PORT", "8000")

    with contextlib.ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            from learningcity.devdb import embedded_database

            print("DATABASE_URL is not set: starting the embedded PostgreSQL in .data/pg", flush=True)
            env["DATABASE_URL"] = stack.enter_context(embedded_database(ROOT / ".data" / "pg"))
        manage("migrate", "--no-input", env=env)
        manage("load_demo", "--if-empty", env=env)

        children: list[subprocess.Popen] = []
        if env.get("REDIS_URL"):
            print("REDIS_URL is set: starting a Celery worker and beat", flush=True)
            celery = [PYTHON, "-m", "celery", "-A", "learningcity"]
            children.append(subprocess.Popen([*celery, "worker", "-l", "info", "-c", "2"], cwd=ROOT, env=env))
            children.append(
                subprocess.Popen(
                    [*celery, "beat", "-l", "info", "-s", str(ROOT / ".data" / "celerybeat-schedule")],
                    cwd=ROOT,
                    env=env,
                )
            )
        else:
            print("REDIS_URL is not set: tasks run eagerly, cache is local memory", flush=True)
        print(f"Serving the portal at http://{host}:{port}/", flush=True)
        web = subprocess.Popen([PYTHON, "manage.py", "runserver", f"{host}:{port}"], cwd=ROOT, env=env)
        children.append(web)
        try:
            return web.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()


if __name__ == "__main__":
    sys.exit(main())
