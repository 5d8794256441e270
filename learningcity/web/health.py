"""Checks behind /healthz: each returns None when healthy or a short reason.

They never raise: an unreachable service makes /healthz answer 503 naming it, never 500.
Both are bounded in time (Redis: 1 s; PostgreSQL: the pool's timeout, DB_POOL_TIMEOUT)."""

import logging

from django.conf import settings
from django.db import connection as default_connection

logger = logging.getLogger(__name__)


def check_database(connection=None) -> str | None:
    """`connection` is a Django database connection (the default one when omitted)."""
    conn = connection if connection is not None else default_connection
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "unhealthy", never a 500
        logger.warning("healthz: database unreachable", extra={"error": str(exc)})
        return exc.__class__.__name__
    return None


def check_redis() -> str | None:
    url = settings.REDIS_URL
    if not url:
        return None  # not configured (plain `make run`): nothing to check
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        logger.warning("healthz: redis unreachable", extra={"error": str(exc)})
        return exc.__class__.__name__
    return None
