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
