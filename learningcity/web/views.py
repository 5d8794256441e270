import datetime as dt
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from learningcity.web import health
from learningcity.web.context_processors import city_or_none, site_urls
from programmes.selectors import (
    SORT_SOONEST,
    category_list_with_counts,
    programme_catalogue,
    programme_list_published,
)

HOME_SECTION_SIZE = 3
HOME_CACHE_SECONDS = 60


def _home_sections(*, city, today: dt.date) -> list[dict]:
    """The home page's short lists, each with the catalogue query that shows all of it
    (the same filters, so "See all" and the list agree)."""
    sunday = today + dt.timedelta(days=6 - today.weekday())
    specs = [
        ("this-week", _("Starting this week"), {"date_from": today, "date_to": today + dt.timedelta(days=6)}),
        (
            "free-weekend",
            _("Free this weekend"),
            {"free": True, "weekend": True, "date_from": today, "date_to": sunday},
        ),
        ("older-adults", _("For older adults"), {"band": "60+"}),
        ("children", _("For children"), {"band": "6-14"}),
    ]
    sections = []
    for key, title, params in specs:
        queryset = programme_catalogue(
            city=city,
            sort=SORT_SOONEST,
            date_from=params.get("date_from"),
            date_to=params.get("date_to"),
            free_only=params.get("free", False),
            weekend=params.get("weekend", False),
            age_band=params.get("band"),
        )
        query = urlencode(
            {
                name: ("1" if value is True else value.isoformat() if isinstance(value, dt.date) else value)
                for name, value in params.items()
            }
        )
        sections.append({"key": key, "title": title, "programmes": list(queryset[:HOME_SECTION_SIZE]), "query": query})
    return sections


def _home_catalogue(*, city, today: dt.date) -> tuple[list[dict], list]:
    """(sections with something in them, categories with programmes), cached briefly: the
    home page is the most visited one, and a minute-old "places left" on a teaser card is
    fine (the programme page is live). An empty catalogue costs one EXISTS, also cached."""
    flag_key = f"home:has-programmes:v1:{city.pk}"
    has_programmes = cache.get(flag_key)
    if has_programmes is None:
        has_programmes = programme_list_published(city=city).exists()
        cache.set(flag_key, has_programmes, HOME_CACHE_SECONDS)
    if not has_programmes:
        return [], []
    key = f"home:catalogue:v1:{city.pk}:{today.isoformat()}"
    cached = cache.get(key)
    if cached is None:
        sections = [s for s in _home_sections(city=city, today=today) if s["programmes"]]
        cached = (sections, list(category_list_with_counts(city=city)))
        cache.set(key, cached, HOME_CACHE_SECONDS)
    return cached


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    # The city is cached (city_current); "today" is in Asia/Bangkok. A section with nothing
    # in it is left out; with nothing at all, the page says so honestly.
    today = timezone.localdate()
    city = city_or_none()
    sections, categories = _home_catalogue(city=city, today=today) if city else ([], [])
    return render(request, "web/home.html", {"today": today, "sections": sections, "categories": categories})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when PostgreSQL and Redis answer; 503 naming what failed."""
    checks = {"database": health.check_database(), "redis": health.check_redis()}
    failed = {name: reason for name, reason in checks.items() if reason}
    body = {
        "status": "fail" if failed else "ok",
        "checks": {name: ("fail: " + reason) if reason else "ok" for name, reason in checks.items()},
    }
    return JsonResponse(body, status=503 if failed else 200)


@requires_csrf_token
def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request context processors: the session, the signed-in user,
    messages and the city all need the database or the cache, which may be what failed.
    The layout shows the anonymous header and no city."""
    context = {"request": request, "city": None, **site_urls(request)}
    return HttpResponseServerError(loader.get_template("500.html").render(context))
