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
def _default_language():
    """Each test starts in the site's default language (Thai): a request to an /en/ page through
    the test client leaves English active in the thread, which a later test reading names in
    Thai must not inherit."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


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
