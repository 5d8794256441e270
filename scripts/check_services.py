#!/usr/bin/env python
"""Before `make test`: PostgreSQL and Redis must answer (and, with --browser, Chromium
must be installed for the browser tests). Otherwise stop with a message saying how to
get them; the suite never skips for a missing service.

It also creates the test run's database when missing (UTF-8 LC_CTYPE, from template0)."""

from __future__ import annotations

import os
import sys

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/learningcity"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"

HOW_PG = (
    "Start PostgreSQL (for example `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) "
    "or point DATABASE_URL at a running server (user with CREATEDB)."
)
HOW_REDIS = (
    'Start Redis (for example `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
    "--appendonly no`) or point REDIS_URL at a running server."
)
HOW_CHROMIUM = "The browser tests drive Debian's Chromium: `apt-get install -y --no-install-recommends chromium`."
CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    import environ
    import psycopg
    import redis

    db_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS)
    failures = []

    cfg = environ.Env.db_url_config(db_url)
    params = {
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
        "dbname": "postgres",
        "connect_timeout": 3,
    }
    try:
        with psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True) as conn:
            name = cfg["NAME"]
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(
                    f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                )
    except (psycopg.Error, ValueError) as exc:
        failures.append(f"PostgreSQL at {db_url} is not reachable ({exc.__class__.__name__}: {exc}).\n  {HOW_PG}")

    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
        client.ping()
        client.close()
    except (redis.RedisError, ValueError, OSError) as exc:
        failures.append(f"Redis at {redis_url} is not reachable ({exc}).\n  {HOW_REDIS}")

    if "--browser" in sys.argv[1:] and not os.access(CHROMIUM, os.X_OK):
        failures.append(f"Chromium is not installed at {CHROMIUM}.\n  {HOW_CHROMIUM}")

    if failures:
        print("make test needs real services; nothing was skipped, no test was run:", file=sys.stderr)
        for failure in failures:
            print(f"- {failure}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
