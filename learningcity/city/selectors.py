"""Reads of the city's geography."""

import threading

from django.conf import settings
from django.core.cache import cache

from learningcity.city.models import City, District

CURRENT_CITY_CACHE_KEY = "city:current:v1"

# The current city read once per request: a page asks for it in its view and again in the
# layout's context processor, each a cache round trip. Set up and dropped by the
# request_started / request_finished signals (apps.py); outside a request (Celery tasks,
# commands) every call reads the cache.
_request = threading.local()


def city_current() -> City | None:
    """The city this deployment serves (settings.CITY_SLUG, else the only/first city),
    or None on an empty database. Cached (once per request, and in the shared cache);
    city_current_forget() after edits."""
    memo = getattr(_request, "memo", None)
    if memo is not None and "city" in memo:
        return memo["city"]
    city = cache.get(CURRENT_CITY_CACHE_KEY)
    if city is None:
        city = City.objects.filter(slug=settings.CITY_SLUG).first() or City.objects.order_by("pk").first()
        if city is not None:
            cache.set(CURRENT_CITY_CACHE_KEY, city, 300)
    if memo is not None and city is not None:
        memo["city"] = city
    return city


def city_current_forget() -> None:
    cache.delete(CURRENT_CITY_CACHE_KEY)
    memo = getattr(_request, "memo", None)
    if memo is not None:
        memo.pop("city", None)


def request_memo_start(**kwargs) -> None:
    """request_started: this request's reads start empty."""
    _request.memo = {}


def request_memo_end(**kwargs) -> None:
    """request_finished: nothing read in a request outlives it."""
    _request.memo = None


def district_list(*, city: City):
    return District.objects.filter(city=city).order_by("code")
