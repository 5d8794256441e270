"""What a web process loads on its first requests, loaded before it serves any; and how it leaves.

gunicorn loads the app once in its master (gunicorn.conf.py: `preload_app`) and calls
`process_warm_up()` there before it forks the workers, so a worker (and each one started after
`max_requests`) begins with the URL patterns, the compiled templates, both languages'
translations and pythainlp's dictionary in memory shared with the master. Without it each new
worker spent ~0.6 s importing the app and ~1.2 s of CPU on its first requests (the dictionary
alone ~0.7 s) while the others waited for the cores.

Nothing here may open a database or cache connection: the workers would inherit its socket.
`process_warm_up()` checks that and closes any it finds.

A worker that leaves after `max_requests` (or when gunicorn stops) ends through
`process_exit()`: its connections closed and its logs flushed, then `os._exit`, without
Python's finalization. Tearing down the preloaded app's objects took ~0.7 s of CPU a worker
(each page it shared with the master copied before being freed), and the master replaced the
worker only once that was done: a worker less for 0.7 s every `max_requests` requests
(docs/benchmarks.md, "Session 17")."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import get_resolver
from django.utils import translation

from programmes.services import segment

logger = logging.getLogger(__name__)

TEMPLATE_SUFFIXES = (".html", ".txt")


def _template_names() -> list[str]:
    """The project's own templates (templates/ and each app's templates/), by loader name."""
    names = []
    for engine in engines.all():
        for directory in engine.template_dirs:
            root = Path(directory)
            if not root.is_dir() or ".venv" in root.parts or "site-packages" in root.parts:
                continue
            names += [
                path.relative_to(root).as_posix()
                for path in sorted(root.rglob("*"))
                if path.suffix in TEMPLATE_SUFFIXES and path.is_file()
            ]
    return names


def process_warm_up() -> dict:
    """Load the URL patterns, every project template, the translations of every language and
    the Thai dictionary into this process. Returns what was loaded (for the log)."""
    started = time.monotonic()
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018 (every urls module and view imported, reversing ready)
            translation.gettext("Programmes")  # the language's catalogues
    segment("สวนครัวสำหรับผู้สูงอายุ")  # pythainlp's dictionary
    templates = 0
    engine = engines["django"]
    for name in _template_names():
        try:
            engine.get_template(name)
            templates += 1
        except (TemplateDoesNotExist, TemplateSyntaxError):  # a fragment that is not a whole template
            continue
    opened = [c.alias for c in connections.all(initialized_only=True) if c.connection is not None]
    if opened:  # never expected: a worker must not share its parent's socket
        logger.warning("warm-up: closing database connections opened in the master", extra={"aliases": opened})
        connections.close_all()
    loaded = {"templates": templates, "seconds": round(time.monotonic() - started, 2)}
    logger.info("web process warmed up", extra=loaded)
    return loaded


def exits_at_once(*, booted: bool, leaving: BaseException | None) -> bool:
    """Whether a gunicorn worker may skip Python's finalization: it served (it booted) and is
    leaving normally (`sys.exit(0)` after max_requests or a graceful stop). A worker that could
    not boot or load the app leaves the usual way: the master reads its exit code (and stops
    rather than start it again and again)."""
    return booted and isinstance(leaving, SystemExit) and leaving.code in (0, None)


def process_exit(worker) -> None:
    """gunicorn's `worker_exit` hook, run in the worker as it leaves: a worker leaving normally
    closes its database connections (and their pool), flushes its logs and ends with
    `os._exit(0)`; its sockets and files close with the process. Any other exit goes on as
    usual."""
    if not exits_at_once(booted=bool(getattr(worker, "booted", False)), leaving=sys.exc_info()[1]):
        return
    for connection in connections.all(initialized_only=True):
        connection.close()
        close_pool = getattr(connection, "close_pool", None)  # PostgreSQL with its pool
        if close_pool is not None:
            close_pool()
    logger.info("web worker left without finalization", extra={"pid": os.getpid()})
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
