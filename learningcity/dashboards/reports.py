"""The pages' reports (selectors.*_rows) from their inputs, cached; and the cache warmed with
the default views right after a refresh lands, so that the first visitor of a new data
version does not wait for the summary queries.

``Inputs`` is what a report needs: the city, the parsed filters, the viewer's scope and the
lookups. The views build it from the request (views.Page); ``reports_warm`` builds it for the
default filters of a city administrator and of the public page, in every language."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone, translation

from learningcity.city.models import City
from learningcity.city.selectors import city_current
from learningcity.dashboards import selectors as sel
from learningcity.dashboards.cache import cached
from learningcity.dashboards.forms import DashboardFilterForm, Filters

logger = logging.getLogger(__name__)

PAGES = ("overview", "equity", "indicators", "gnlc")


@dataclass
class Inputs:
    city: City
    filters: Filters
    scope: sel.Scope
    version: int
    districts: list[dict] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)
    providers: list[dict] = field(default_factory=list)

    def population(self) -> sel.PopulationCells:
        return sel.population_cells(city=self.city)


def report_build(page: str, i: Inputs) -> dict:
    """Compute one page's report (no cache)."""
    if page == "overview":
        return sel.overview_rows(
            city=i.city,
            f=i.filters,
            scope=i.scope,
            districts=i.districts,
            categories=i.categories,
            providers=i.providers,
            population=i.population(),
        )
    if page == "equity":
        return sel.equity_rows(
            city=i.city, f=i.filters, scope=i.scope, districts=i.districts, population=i.population()
        )
    if page == "indicators":
        return sel.indicator_rows(
            city=i.city, month=i.filters.month, scope=i.scope, districts=i.districts, population=i.population()
        )
    if page == "gnlc":
        return sel.gnlc_rows(
            city=i.city,
            f=i.filters,
            scope=i.scope,
            categories=i.categories,
            population=i.population(),
            districts=i.districts,
        )
    if page == "public":
        return sel.public_rows(city=i.city, f=i.filters, categories=i.categories, population=i.population())
    raise ValueError(page)


def report(page: str, i: Inputs) -> dict:
    """One page's report from the cache, computed on a miss (key: cache.cache_key)."""
    return cached(
        page=page,
        scope_key=i.scope.key(),
        version=i.version,
        filters_key=i.filters.key(),
        build=lambda: report_build(page, i),
    )


def public_filters(*, today) -> Filters:
    """The public page's filters: always the defaults (the last 12 months, the whole city)."""
    form = DashboardFilterForm({}, districts=[], categories=[], providers=[], today=today)
    form.is_valid()
    return form.filters()


def reports_warm() -> int:
    """Compute and cache the default view of every page for city administrators, and the
    public page, in every language, for the newest data version. Pages already cached are
    not computed again. Returns the number of reports now cached."""
    city = city_current()
    if city is None:
        return 0
    clock = time.monotonic()
    version = sel.data_state()["version"]
    today = timezone.localdate()
    admin = sel.Scope("city", exact=True)
    warmed = 0
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            districts = sel.district_lookup(city=city)
            categories = sel.category_lookup()
            providers = sel.provider_lookup(city=city)
            form = DashboardFilterForm({}, districts=districts, categories=categories, providers=providers, today=today)
            form.is_valid()
            inputs = Inputs(city, form.filters(), admin, version, districts, categories, providers)
            for page in PAGES:
                report(page, inputs)
                warmed += 1
            public = Inputs(city, public_filters(today=today), sel.Scope("public", exact=False), version)
            public.categories = categories
            report("public", public)
            warmed += 1
    logger.info(
        "dashboards cache warmed: %d reports for data version %d in %d ms",
        warmed,
        version,
        round((time.monotonic() - clock) * 1000),
    )
    return warmed
