"""Project-wide fixtures. Tests run against real PostgreSQL and Redis (see
scripts/check_services.py, which `make test` runs first)."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (allauth's rate limits live there)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _celery_broker_pool_usable():
    """A test that force-closes Celery's broker connection pool (to simulate Redis down)
    must not leave later tests publishing into a closed pool ("Acquire on closed pool")."""
    yield
    from learningcity.celery import app

    pool = app._pool
    if pool is not None and getattr(pool, "_closed", False):
        from kombu import pools

        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None
