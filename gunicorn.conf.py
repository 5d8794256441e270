"""Gunicorn's configuration (the production image: Dockerfile, docker-compose.yml).

Every value can be changed from the environment; the defaults suit a small VM.
Logs go to stdout as one JSON object a line (learningcity/logging.py), access log
included: method, path, status, duration. The client's address and the query string
are left out of the access log (personal data, search terms)."""

import multiprocessing
import os
import sys
from pathlib import Path

from gunicorn.glogging import Logger

sys.path.insert(0, str(Path(__file__).resolve().parent))
from learningcity.logging import JsonFormatter


def _workers() -> int:
    if os.environ.get("WEB_CONCURRENCY"):
        return max(1, int(os.environ["WEB_CONCURRENCY"]))
    # The usual 2 x cores + 1, capped: each worker holds a Django process and its own
    # database pool (DB_POOL_MAX_SIZE connections).
    return min(2 * multiprocessing.cpu_count() + 1, 8)


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _workers()
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then: a slow leak never takes the site down. Not often: a new worker
# starts with its own stores empty (rendered catalogue cards, filter lists) and a new database
# connection. The large catalogue benchmark, in turn: at 1,000 (a recycle per worker in its run)
# 92.8-102.0 requests/s, without 111.4-112.1 in three pairs of four (the fourth 91.6 against
# 93.1): docs/benchmarks.md, "Session 17". A worker's memory stays bounded (those stores are
# capped): 179.6 MB after ~8,000 requests. A leaving worker skips Python's finalization
# (worker_exit below).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
# The app is loaded once, in the master, and warmed up there (URLs, templates, translations,
# pythainlp's dictionary: learningcity/web/warmup.py) before the workers are forked, so a new
# worker (also each one replacing a worker after max_requests) serves at once instead of
# spending ~1.8 s of CPU loading them. A code change needs a restart, not a HUP.
preload_app = True


def when_ready(server):
    from learningcity.web.warmup import process_warm_up

    process_warm_up()


def worker_exit(server, worker):
    # A worker leaving normally ends without Python's finalization (~0.7 s of CPU, a worker
    # less meanwhile): learningcity/web/warmup.py.
    from learningcity.web.warmup import process_exit

    process_exit(worker)


SHM = "/dev/shm"  # noqa: S108 (gunicorn's documented place for its heartbeat files)
if Path(SHM).is_dir():
    worker_tmp_dir = SHM  # the heartbeat file; a container's disk may be slow
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# forwarded_allow_ips: gunicorn reads FORWARDED_ALLOW_IPS itself (default 127.0.0.1).


class JsonLogger(Logger):
    """Gunicorn's logger with JSON lines and a structured access record."""

    def setup(self, cfg):
        super().setup(cfg)
        formatter = JsonFormatter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)

    def access(self, resp, req, environ, request_time):
        if not getattr(self, "access_log_enabled", True):
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        method = environ.get("REQUEST_METHOD", "-")
        path = environ.get("PATH_INFO", "-")
        self.access_log.info(
            "%s %s %s",
            method,
            path,
            status,
            extra={
                "method": method,
                "path": path,
                "status": int(status),
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
                "bytes": getattr(resp, "sent", None),
                "user_agent": environ.get("HTTP_USER_AGENT", ""),
            },
        )


logger_class = JsonLogger
