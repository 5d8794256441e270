"""Reads of the city's geography."""

from django.conf import settings
from django.core.cache import cache

from learningcity.city.models import City, District

CURRENT_CITY_CACHE_KEY = "city:current:v1"


def city_current() -> City | None:
    """The city this deployment serves (settings.CITY_SLUG, else the only/first city),
    or None on an empty database. Cached; city_current_forget() after edits."""
    city = cache.get(CURRENT_CITY_CACHE_KEY)
    if city is None:
        city = City.objects.filter(slug=settings.CITY_SLUG).first() or City.objects.order_by("pk").first()
        if city is not None:
            cache.set(CURRENT_CITY_CACHE_KEY, city, 300)
    return city


def city_current_forget() -> None:
    cache.delete(CURRENT_CITY_CACHE_KEY)


def district_list(*, city: City):
    return District.objects.filter(city=city).order_by("code")
