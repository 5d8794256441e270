"""Dashboard pages. Thin: parse the filters, decide the viewer's scope, read the (cached)
report, draw the charts, choose the template.

Who sees what (checked here, server-side, on every request):
- anonymous: sent to sign in; residents and provider editors: 403;
- a city administrator: the whole city, exact figures, every page;
- a provider manager: the overview (and its exports) for their own provider only, whatever
  provider is asked for, small cells (<5) suppressed; the city-wide pages give 403;
- everyone: the public page "Our learning city" (suppressed, last 12 months).

An invalid filter value is reported beside the form and the default is used; the page answers
400 (200 to an htmx request, so that htmx swaps the message in)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from learningcity.city.selectors import city_current
from learningcity.dashboards import charts, exports, reports
from learningcity.dashboards import selectors as sel
from learningcity.dashboards.forms import BAND_LABELS, DashboardFilterForm, Filters
from learningcity.dates import format_local, format_year
from programmes.models import ProviderMembership

PAGES = ("overview", "equity", "indicators", "gnlc")
CITY_PAGES = ("equity", "indicators", "gnlc")


def viewer_scope(request: HttpRequest) -> sel.Scope:
    """The viewer's scope, or PermissionDenied. Needs a signed-in user."""
    user = request.user
    if user.is_city_admin:
        return sel.Scope("city", exact=True)
    managed = ProviderMembership.objects.filter(
        user=user, role=ProviderMembership.Role.MANAGER, provider__is_active=True
    ).values_list("provider_id", flat=True)
    managed = tuple(sorted(managed))
    if managed:
        return sel.Scope("provider", exact=False, provider_ids=managed)
    raise PermissionDenied


def dashboard_view(*, city_only: bool) -> Callable:
    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            scope = viewer_scope(request)
            if city_only and scope.kind != "city":
                raise PermissionDenied
            return view(request, scope, *args, **kwargs)

        return wrapper

    return decorator


class Page:
    """What every dashboard page needs: the city, lookups, the parsed filters, the data state."""

    def __init__(self, request: HttpRequest, scope: sel.Scope, *, page: str):
        self.request, self.scope, self.page = request, scope, page
        self.city = city_current()
        if self.city is None:
            raise Http404
        self.districts = sel.district_lookup(city=self.city, with_boundary=page == "overview")
        self.categories = sel.category_lookup()
        self.providers = sel.provider_lookup(
            city=self.city, ids=scope.provider_ids if scope.kind == "provider" else None
        )
        data = request.GET
        if scope.kind == "provider" and data.get("provider") not in {str(p) for p in scope.provider_ids}:
            data = data.copy()  # a manager sees their own provider, whatever is asked for
            data.pop("provider", None)
        self.form = DashboardFilterForm(
            data,
            districts=self.districts,
            categories=self.categories,
            providers=self.providers,
            provider_required=scope.kind == "provider",
            today=timezone.localdate(),
        )
        self.form.is_valid()
        self.filters: Filters = self.form.filters()
        if scope.kind == "provider" and self.filters.provider_id not in scope.provider_ids:
            raise PermissionDenied  # unreachable: the form offers only the manager's providers
        self.state = sel.data_state()

    def report(self) -> dict:
        """This page's report for the filters and scope, from the cache (reports.report)."""
        inputs = reports.Inputs(
            city=self.city,
            filters=self.filters,
            scope=self.scope,
            version=self.state["version"],
            districts=self.districts,
            categories=self.categories,
            providers=self.providers,
        )
        return reports.report(self.page, inputs)

    def meta(self) -> list[tuple[str, str]]:
        """Lines above an exported table: what, when, for whom, with which filters."""
        f = self.filters
        lines = [
            (_("City"), self.city.name),
            (_("Period"), sel.period_label(f)),
            (_("Data as of"), format_local(self.state["as_of"], "datetime") or _("not yet computed")),
        ]
        names = {d["id"]: d["name"] for d in self.districts}
        if f.district_id:
            lines.append((_("Area"), names.get(f.district_id, "")))
        if f.band:
            lines.append((_("Age band"), str(BAND_LABELS[f.band])))
        if f.category_id:
            lines.append((_("Category"), {c["id"]: c["name"] for c in self.categories}.get(f.category_id, "")))
        if f.provider_id:
            lines.append((_("Provider"), {p["id"]: p["name"] for p in self.providers}.get(f.provider_id, "")))
        if not self.scope.exact:
            lines.append((_("Small numbers"), _("Counts of people below 5 are shown as <5.")))
        return lines

    def context(self, **extra) -> dict:
        return {
            "page": self.page,
            "scope": self.scope,
            "form": self.form,
            "filters": self.filters,
            "query": self.filters.query(),
            "notices": self.form.notices(),
            "as_of": self.state["as_of"],
            "period_label": sel.period_label(self.filters),
            "city_obj": self.city,
            **extra,
        }

    def respond(self, template: str, context: dict) -> HttpResponse:
        status = 400 if self.form.errors and not self.request.htmx else 200
        name = (
            f"{template}#results" if self.request.htmx and not self.request.htmx.history_restore_request else template
        )
        response = render(self.request, name, context, status=status)
        response["Cache-Control"] = "private, no-store"
        return response


def _charts(tables: dict[str, sel.Table], districts: list[dict] | None = None) -> dict:
    out = {}
    for key, table in tables.items():
        if not table.chart_column:
            continue
        if table.chart_kind == "map" and districts is not None:
            ids = {d["name"]: d["id"] for d in districts}
            index = table.column_index(table.chart_column)
            values = {
                ids[row[0]]: (row[index], sel.format_value(row[index], "per1000"))
                for row in table.rows
                if row[0] in ids
            }
            drawn = charts.choropleth(districts, values, title=table.title, chart_id=f"map-{key}")
            if drawn:
                out[key] = drawn["svg"]
                out[f"{key}_legend"] = [(charts.swatch(colour), text) for colour, text in drawn["legend"]]
                continue
        if table.chart_kind == "column":
            out[key] = charts.column_chart(table)
        else:
            out[key] = charts.bar_chart(table)
    return out


@require_GET
@vary_on_headers("HX-Request")
@dashboard_view(city_only=False)
def overview(request: HttpRequest, scope: sel.Scope) -> HttpResponse:
    page = Page(request, scope, page="overview")
    report = page.report()
    tables = report["tables"]
    order = ["time", "band", "sex", "district", "category", "block", "provider", "format"]
    context = page.context(
        report=report,
        tables=[tables[k] for k in order],
        charts=_charts(tables, page.districts),
        grain_label=sel.grain_label(page.filters.grain),
        provider_name=next((p["name"] for p in page.providers if p["id"] == page.filters.provider_id), "")
        if scope.kind == "provider"
        else "",
    )
    return page.respond("dashboards/overview.html", context)


@require_GET
@vary_on_headers("HX-Request")
@dashboard_view(city_only=True)
def equity(request: HttpRequest, scope: sel.Scope) -> HttpResponse:
    page = Page(request, scope, page="equity")
    report = page.report()
    tables = report["tables"]
    context = page.context(report=report, tables=list(tables.values()), charts=_charts(tables))
    return page.respond("dashboards/equity.html", context)


@require_GET
@vary_on_headers("HX-Request")
@dashboard_view(city_only=True)
def indicators(request: HttpRequest, scope: sel.Scope) -> HttpResponse:
    page = Page(request, scope, page="indicators")
    report = page.report()
    tables = report["tables"]
    start, end = report["window"]
    context = page.context(
        report=report,
        tables=list(tables.values()),
        charts=_charts(tables),
        window_label=_("%(start)s to %(end)s") % {"start": format_local(start), "end": format_local(end)},
    )
    return page.respond("dashboards/indicators.html", context)


@require_GET
@vary_on_headers("HX-Request")
@dashboard_view(city_only=True)
def gnlc(request: HttpRequest, scope: sel.Scope) -> HttpResponse:
    page = Page(request, scope, page="gnlc")
    report = page.report()
    tables = report["tables"]
    context = page.context(report=report, tables=list(tables.values()), charts=_charts(tables))
    return page.respond("dashboards/gnlc.html", context)


def _export(page: Page, report: dict, table_key: str, fmt: str, prefix: str) -> HttpResponse:
    table = report["tables"].get(table_key)
    if table is None or fmt not in ("csv", "xlsx"):
        raise Http404
    if page.form.errors:
        return HttpResponse(
            "; ".join(f"{label}: {message}" for label, message in page.form.notices()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    meta = page.meta()
    if report.get("population_year"):
        meta.append((_("Population data year"), format_year(report["population_year"])))
    filename = f"{prefix}-{table.key}-{page.filters.start:%Y%m%d}-{page.filters.end:%Y%m%d}"
    respond = exports.table_csv_response if fmt == "csv" else exports.table_xlsx_response
    return respond(table=table, meta=meta, filename=filename)


@require_GET
def export(request: HttpRequest, page_name: str, table_key: str, fmt: str) -> HttpResponse:
    if page_name not in PAGES:
        raise Http404

    @dashboard_view(city_only=page_name in CITY_PAGES)
    def inner(request, scope):
        page = Page(request, scope, page=page_name)
        report = page.report()
        return _export(page, report, table_key, fmt, f"dashboard-{page_name}")

    return inner(request)


# --- The public page -----------------------------------------------------------------------


class PublicPage(Page):
    """The public page: always the last 12 months, the whole city, suppressed."""

    def __init__(self, request: HttpRequest):
        self.request, self.scope, self.page = request, sel.Scope("public", exact=False), "public"
        self.city = city_current()
        if self.city is None:
            raise Http404
        self.districts, self.providers = [], []
        self.categories = sel.category_lookup()
        self.form = DashboardFilterForm({}, districts=[], categories=[], providers=[], today=timezone.localdate())
        self.form.is_valid()
        self.filters = reports.public_filters(today=timezone.localdate())
        self.state = sel.data_state()


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    page = PublicPage(request)
    report = page.report()
    tables = report["tables"]
    context = page.context(report=report, tables=list(tables.values()), charts=_charts(tables))
    response = render(request, "dashboards/public.html", context)
    return response


@require_GET
def public_export(request: HttpRequest, table_key: str, fmt: str) -> HttpResponse:
    page = PublicPage(request)
    report = page.report()
    return _export(page, report, table_key, fmt, "our-learning-city")
