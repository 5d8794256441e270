import logging
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.db.models import Exists, OuterRef, Q
from django.urls import Resolver404, resolve, translate_url
from django.utils.functional import SimpleLazyObject
from redis.exceptions import RedisError

from learningcity.accounts.roles import CITY_ADMIN_PERMISSION
from learningcity.city.models import City
from learningcity.city.selectors import city_current
from programmes.models import ProviderMembership

logger = logging.getLogger(__name__)


def site(request) -> dict:
    """What every page needs: the site URL, the contact address, this page in each
    language (url_th, url_en) and the city (None on an empty or unreachable database).
    The page's other-language URLs and the city are worked out when a template first reads
    them (then kept): fragments rendered with the request (the catalogue's results and filter
    form, htmx answers) read neither, and skipped ~1.2 ms of URL resolving and a cache read."""
    path = request.get_full_path()
    return {
        "SITE_URL": settings.SITE_URL,
        "CONTACT_EMAIL": settings.CONTACT_EMAIL,
        "url_th": SimpleLazyObject(lambda: language_url(path, "th")),
        "url_en": SimpleLazyObject(lambda: language_url(path, "en")),
        "city": SimpleLazyObject(city_or_none),
        "can_use_workspace": lambda: can_use_workspace(request),
    }


def can_use_workspace(request) -> bool:
    """Whether the account menu links to the staff workspace. A callable in the context, so
    the query runs only on pages that render the signed-in menu."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    # One query: a membership of an active provider, or the city administrators' permission.
    app_label, codename = CITY_ADMIN_PERMISSION.split(".")
    memberships = ProviderMembership.objects.filter(user=OuterRef("pk"), provider__is_active=True)
    return (
        get_user_model()
        .objects.filter(pk=user.pk, is_active=True)
        .filter(
            Exists(memberships)
            | Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
            | Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
        )
        .exists()
    )


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
