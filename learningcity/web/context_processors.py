import logging
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import DatabaseError
from django.urls import Resolver404, resolve, translate_url
from redis.exceptions import RedisError

from learningcity.city.models import City
from learningcity.city.selectors import city_current

logger = logging.getLogger(__name__)


def site(request) -> dict:
    """What every page needs: the site URL, the contact address, this page in each
    language (url_th, url_en) and the city (None on an empty or unreachable database)."""
    return {**site_urls(request), "city": city_or_none()}


def site_urls(request) -> dict:
    """The part of ``site`` that needs neither the database nor the cache: the 500 page
    renders with this alone."""
    path = request.get_full_path()
    return {
        "SITE_URL": settings.SITE_URL,
        "CONTACT_EMAIL": settings.CONTACT_EMAIL,
        "url_th": language_url(path, "th"),
        "url_en": language_url(path, "en"),
    }


def city_or_none() -> City | None:
    """The current city, or None when there is none yet or the database (or the cache in
    front of it) cannot be reached: the layout must render on an error page too."""
    try:
        return city_current()
    except (DatabaseError, RedisError) as exc:
        logger.warning("layout: city unavailable", extra={"error": exc.__class__.__name__})
        return None


def language_url(path: str, language: str) -> str:
    """``path`` (with its query string) in ``language``: Thai unprefixed, others under
    /<code>/. Pages that do not resolve (a 404) get their language prefix swapped."""
    parts = urlsplit(path)
    try:
        resolve(parts.path)
    except Resolver404:
        prefixes = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        bare = parts.path
        for code in prefixes:
            if bare == f"/{code}" or bare.startswith(f"/{code}/"):
                bare = bare[len(code) + 1 :] or "/"
                break
        new_path = bare if language == settings.LANGUAGE_CODE else f"/{language}{bare}"
        return urlunsplit(("", "", new_path, parts.query, parts.fragment))
    return translate_url(path, language)
