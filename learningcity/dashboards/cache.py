"""The dashboards' cache: computed page data in Django's cache (Redis when REDIS_URL is set).

Key scheme: ``dash:<scheme>:<page>:<language>:<scope>:<data version>:<filters digest>``
- page:      overview, equity, indicators, gnlc, public
- language:  the labels inside the cached tables are translated
- scope:     Scope.key(): "city-exact-", "provider-supp-<ids>", "public-supp-"
- version:   id of the newest RefreshRun that changed data (selectors.data_state); a refresh
             that lands makes a new version, so every page reads new keys at once and the
             old keys expire on their own (no delete needed, no race with a reader)
- filters:   Filters.key(), a digest of every filter value after parsing and scoping

A cache that does not answer (Redis down) is not an error: the page is computed."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.utils.translation import get_language
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

SCHEME = "v1"
TIMEOUT = 6 * 60 * 60


def cache_key(*, page: str, scope_key: str, version: int, filters_key: str, language: str | None = None) -> str:
    language = (language or get_language() or "th")[:5]
    return f"dash:{SCHEME}:{page}:{language}:{scope_key}:{version}:{filters_key}"


def cached(*, page: str, scope_key: str, version: int, filters_key: str, build: Callable[[], dict]) -> dict:
    key = cache_key(page=page, scope_key=scope_key, version=version, filters_key=filters_key)
    try:
        value = cache.get(key)
    except RedisError:
        logger.warning("dashboards.cache_unavailable", extra={"key": key})
        value = None
    if value is not None:
        return value
    value = build()
    try:
        cache.set(key, value, TIMEOUT)
    except RedisError:
        logger.warning("dashboards.cache_unavailable", extra={"key": key})
    return value
