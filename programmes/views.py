"""The public catalogue pages: parse (forms), read (selectors), choose a template.

The catalogue renders only its `results` partial for an htmx request (but the whole page for
htmx's history restore, which replaces the body), and varies on HX-Request so that a cache
never serves one for the other."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from learningcity.city.selectors import city_current
from programmes.catalogue_cache import RESULTS_SECONDS, generation, programme_cards, results_key
from programmes.forms import CatalogueFilterForm
from programmes.ics import course_calendar
from programmes.selectors import (
    catalogue_filter_lists,
    catalogue_paginator,
    course_sessions,
    programme_catalogue,
    programme_get,
    programme_list_published,
    provider_get_public,
    venue_get,
    venue_list_with_upcoming,
    venue_upcoming_courses,
)

PAGE_SIZE = 20
MAX_ECHOED_PAGE = 12  # characters of a bad ?page= value repeated in the notice
MAX_ECHOED_QUERY = 60  # characters of the query repeated in the spelling notice


def _language() -> str:
    return (get_language() or settings.LANGUAGE_CODE)[:2]


def _page(request: HttpRequest, paginator: Paginator):
    """The page asked for, or the nearest that exists, with a notice when it differs."""
    asked = request.GET.get("page", "")
    page_obj = paginator.get_page(asked)
    notice = None
    if asked and asked != str(page_obj.number):
        notice = _("There is no page “%(asked)s”; showing page %(shown)s.") % {
            "asked": asked[:MAX_ECHOED_PAGE],
            "shown": page_obj.number,
        }
    return page_obj, notice


def _results(request: HttpRequest, form: CatalogueFilterForm, city, language: str, *, at: int) -> str:
    """The rendered results (count, notices, filter chips, cards, pages) for the request's
    query; `at` is the catalogue generation read before any row (for the cards' store)."""
    paginator = catalogue_paginator(city=city, per_page=PAGE_SIZE, **form.selector_kwargs(language=language))
    page_obj, page_notice = _page(request, paginator)
    parts = form.filter_parts()

    # Nothing found: suggest dropping the filter whose removal finds the most (one COUNT per
    # filter in force, only on an empty result).
    suggestion = None
    if not page_obj.paginator.count and parts:
        counted = [
            (programme_catalogue(city=city, **form.selector_kwargs(without=part, language=language)).count(), part)
            for part in parts
        ]
        best_count, best_part = max(counted, key=lambda item: item[0])
        if best_count:
            suggestion = {"part": best_part, "count": best_count}

    spelling_notice = _spelling_notice(paginator, page_obj, form.values.get("q") or "")
    notices = [
        (form.fields[name].label, error)
        for name, errors in form.errors.items()
        if name in form.fields
        for error in errors
    ]
    context = {
        "catalogue_url": reverse("programmes:catalogue"),
        "page_obj": page_obj,
        "programmes": page_obj.object_list,
        "cards": programme_cards.render(page_obj.object_list, generation=at),
        "parts": parts,
        "suggestion": suggestion,
        "notices": notices,
        "page_notice": page_notice,
        "spelling_notice": spelling_notice,
        "clear_query": form.clear_query(),
    }
    return render_to_string("programmes/catalogue.html#results", context, request=request)


def _spelling_notice(paginator: Paginator, page_obj, query: str) -> str | None:
    """What to tell a resident whose words matched nothing and whose results come from similar
    words (search.py: the misspelling lexicon). The words are named only when the page's cards
    show them (titles and providers as displayed): the lexicon also holds words of programmes
    not published yet."""
    search = getattr(paginator, "search", None)  # CappedPaginator's and RankedPaginator's
    if search is None or not search.spellings or not page_obj.object_list:
        return None
    shown = " ".join(f"{programme.title} {programme.provider.name}" for programme in page_obj.object_list).lower()
    words = [word for word in search.spellings if re.search(rf"\b{re.escape(word)}\b", shown, re.ASCII)]
    values = {"query": query[:MAX_ECHOED_QUERY], "words": ", ".join(words)}
    if words:
        return _("No programme has “%(query)s”. Showing programmes with similar words: %(words)s.") % values
    return _("No programme has “%(query)s”. Showing programmes with similar words.") % values


@require_GET
@vary_on_headers("HX-Request")
def catalogue(request: HttpRequest) -> HttpResponse:
    city = city_current()
    language = _language()
    fragment = bool(request.htmx and not request.htmx.history_restore_request)
    # The same query within a minute, with nothing changed since, reads the rendered results
    # and filter form from the cache (programmes/catalogue_cache.py): one entry, the form added
    # by the first request that shows the whole page. An htmx request answered from it does not
    # even build the form.
    at = generation()  # before any row is read: the results and the cards are kept under it
    key = results_key(city_id=city.pk if city else 0, language=language, query=request.GET.urlencode(), at=at)
    entry = cache.get(key) or {}
    if fragment and "results" in entry:
        return HttpResponse(entry["results"])
    districts, categories = catalogue_filter_lists(city=city, at=at)
    form = CatalogueFilterForm(request.GET, districts=districts, categories=categories)
    form.is_valid()  # bad values are reported beside their fields and left out
    missing = "results" not in entry
    if missing:
        entry["results"] = _results(request, form, city, language, at=at)
    if fragment:
        cache.set(key, entry, RESULTS_SECONDS)
        return HttpResponse(entry["results"])
    if "filters" not in entry:
        missing = True
        filters_context = {
            "catalogue_url": reverse("programmes:catalogue"),
            "form": form,
            "clear_query": form.clear_query(),
        }
        entry["filters"] = render_to_string("programmes/catalogue.html#filters", filters_context, request=request)
    if missing:
        cache.set(key, entry, RESULTS_SECONDS)
    # The fragments were rendered by our template (escaped there); the cache keeps them as strings.
    context = {"form": form, "filters": mark_safe(entry["filters"]), "results": mark_safe(entry["results"])}  # noqa: S308
    return render(request, "programmes/catalogue.html", context)


@require_GET
def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    programme = programme_get(slug=slug, now=now)
    if programme is None:
        raise Http404(_("No such programme."))
    courses = programme.upcoming_courses
    for course in courses:
        course.enrolment_state = course.enrolment_state_at(now=now)
    page_url = request.build_absolute_uri(request.path)
    return render(
        request,
        "programmes/programme_detail.html",
        {
            "programme": programme,
            "courses": courses,
            "categories": list(programme.categories.all()),
            "now": now,
            "page_url": page_url,
            "image_url": request.build_absolute_uri(programme.image.url) if programme.image else "",
            "login_url": f"{reverse('account_login')}?{urlencode({'next': request.path})}",
        },
    )


@require_GET
def course_ics(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    programme = programme_get(slug=slug)
    if programme is None:
        raise Http404(_("No such programme."))
    course = next((c for c in programme.upcoming_courses if c.pk == pk), None)
    if course is None:
        raise Http404(_("No such course."))
    body = course_calendar(
        programme=programme,
        course=course,
        sessions=course_sessions(course),
        url=request.build_absolute_uri(reverse("programmes:programme-detail", args=[programme.slug])),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{programme.slug}-{course.starts_on:%Y%m%d}.ics"'
    return response


def _venue_markers(venues) -> list[dict]:
    return [
        {
            "name": venue.name,
            "lat": float(venue.latitude),
            "lng": float(venue.longitude),
            "url": reverse("programmes:venue-detail", args=[venue.pk]),
            "district": venue.district.name if venue.district_id else "",
        }
        for venue in venues
        if venue.latitude is not None
    ]


def _map_settings() -> dict:
    return {"tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION}


@require_GET
def venue_map(request: HttpRequest) -> HttpResponse:
    venues = list(venue_list_with_upcoming(city=city_current()))
    return render(
        request,
        "programmes/venue_map.html",
        {"venues": venues, "markers": _venue_markers(venues), **_map_settings()},
    )


@require_GET
def venue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    venue = venue_get(pk=pk, city=city_current())
    if venue is None:
        raise Http404(_("No such venue."))
    courses = list(venue_upcoming_courses(venue=venue))
    return render(
        request,
        "programmes/venue_detail.html",
        {"venue": venue, "courses": courses, "markers": _venue_markers([venue]), **_map_settings()},
    )


@require_GET
def provider_detail(request: HttpRequest, slug: str) -> HttpResponse:
    city = city_current()
    provider = provider_get_public(slug=slug, city=city)
    if provider is None:
        raise Http404(_("No such provider."))
    page_obj, page_notice = _page(
        request, Paginator(programme_list_published(city=city).filter(provider=provider), PAGE_SIZE)
    )
    return render(
        request,
        "programmes/provider_detail.html",
        {"provider": provider, "page_obj": page_obj, "programmes": page_obj.object_list, "page_notice": page_notice},
    )
