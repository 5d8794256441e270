"""Reads for the dashboard pages. They touch ONLY the summary tables (ActivityDay,
LearnerPeriod, RefreshRun) and small lookups (District, Category, Provider, Population), plus
one bounded aggregate over programmes/courses for the GNLC report; never enrolments or
attendance. Each function is a fixed number of queries whatever the size of the data: the
breakdowns come from one GROUPING SETS query per table.

Two layers:
- data functions (``activity_*``, ``learners_*``, ``population_cells``, ``offer_by_block``)
  return plain numbers;
- report functions (``overview_rows``, ``equity_rows``, ``indicator_rows``, ``gnlc_rows``,
  ``public_rows``) turn them into ``Table`` objects: the same rows feed the HTML table, the
  SVG chart and the CSV/XLSX export, with small cells already suppressed for the viewer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Max, Q
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from learningcity.city.models import City, District, Population
from learningcity.dashboards import indicators as ind
from learningcity.dashboards.forms import BAND_LABELS, Filters, rolling_window
from learningcity.dashboards.models import (
    AGE_BANDS,
    SDG_AGE_RANGES,
    ActivityDay,
    ActivityMonth,
    ActivityTotal,
    LearnerPeriod,
    LearnerPeriodDelta,
    LearnerTotal,
    RefreshRun,
)
from learningcity.dates import format_local, format_year
from programmes import catalogue_cache
from programmes.models import Category, Course, Programme, Provider

MEASURES = ("enrolments", "confirmed", "waitlist_unmet", "attendances", "learning_minutes", "completions")
SEXES = ("female", "male", "other", "prefer_not")
FORMATS = ("in_person", "online", "hybrid")
AGE_GROUPS = (0, 6, 15, 25, 60, 65)
PROVIDERS_SHOWN = 25  # the provider table on the page; its download has every provider
WORKING_AGE = "25-59"  # the older/working-age parity compares 60+ with 25-59 (no overlap)


# --- Viewer scope --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Who is looking: "city" (a city administrator, exact figures), "provider" (a provider
    manager: their providers' slice, small cells suppressed) or "public" (suppressed)."""

    kind: str
    exact: bool
    provider_ids: tuple[int, ...] = ()

    def key(self) -> str:
        providers = ".".join(str(p) for p in self.provider_ids)
        return f"{self.kind}-{'exact' if self.exact else 'supp'}-{providers}"


# --- Lookups and data state ----------------------------------------------------------------


def data_state() -> dict:
    """{"version": id of the newest run that changed data (0: none), "as_of": newest run's
    start}. One query; the cache keys include the version."""
    row = RefreshRun.objects.aggregate(
        version=Max("id", filter=Q(days_refreshed__gt=0) | Q(periods_refreshed__gt=0)),
        as_of=Max("started_at"),
    )
    return {"version": row["version"] or 0, "as_of": row["as_of"]}


def district_lookup(*, city: City, with_boundary: bool = False) -> list[dict]:
    fields = ["id", "code", "name_th", "name_en"] + (["boundary"] if with_boundary else [])
    rows = list(District.objects.filter(city=city).order_by("code").values(*fields))
    name = _bilingual_namer()
    for row in rows:
        row["name"] = name(row)
    return rows


def category_lookup() -> list[dict]:
    rows = list(Category.objects.order_by("position", "name_th").values("id", "name_th", "name_en", "building_blocks"))
    name = _bilingual_namer()
    for row in rows:
        row["name"] = name(row)
    return rows


# The city's provider list per (city, language, catalogue generation), in this process: read on
# every dashboard page (2,000 rows at Bangkok scale, ~4 ms); the generation moves whenever a
# provider is saved (programmes.catalogue_cache).
_PROVIDER_LISTS = catalogue_cache.GenerationMemo()


def provider_lookup(*, city: City, ids: tuple[int, ...] | None = None) -> list[dict]:
    """The providers of `city` (or those of `ids`) by Thai name, each with its ``name`` in the
    active language. The rows are shared between requests: read them, do not change them."""
    if ids is not None:
        return _provider_rows(city=city, ids=ids)
    return list(_PROVIDER_LISTS.get((city.pk, get_language()), lambda: _provider_rows(city=city, ids=None)))


def _provider_rows(*, city: City, ids: tuple[int, ...] | None) -> list[dict]:
    queryset = Provider.objects.filter(city=city)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    rows = list(queryset.order_by("name_th").values("id", "name_th", "name_en"))
    name = _bilingual_namer()
    for row in rows:
        row["name"] = name(row)
    return rows


def _bilingual_namer():
    """A function giving a row's name in the active language (English when it has one), the
    language looked up once for a whole list (2,000 providers at Bangkok scale)."""
    if (get_language() or "th").startswith("en"):
        return lambda row: row.get("name_en") or row["name_th"]
    return lambda row: row["name_th"]


# --- Population ----------------------------------------------------------------------------


@dataclass
class PopulationCells:
    """Residents by (district id, sex, age group) for one year."""

    year: int | None
    cells: dict[tuple[int, str, int], int] = field(default_factory=dict)

    def count(self, *, district_id: int | None = None, groups=AGE_GROUPS, sex: str | None = None) -> int | None:
        total = 0
        found = False
        for (district, row_sex, group), n in self.cells.items():
            if district_id is not None and district != district_id:
                continue
            if sex is not None and row_sex != sex:
                continue
            if group not in groups:
                continue
            total += n
            found = True
        return total if found else None


def population_cells(*, city: City) -> PopulationCells:
    """One query: the city's population of ``city.population_year`` (else the newest year on
    file) summed into the fine age groups of the summary tables. A row is placed by its
    lower age; bands that cut through a group boundary are placed by their lower bound."""
    pop = Population._meta.db_table
    district = District._meta.db_table
    sql = f"""
        SELECT p.district_id, p.sex,
               CASE WHEN p.age_from >= 65 THEN 65 WHEN p.age_from >= 60 THEN 60 WHEN p.age_from >= 25 THEN 25
                    WHEN p.age_from >= 15 THEN 15 WHEN p.age_from >= 6 THEN 6 ELSE 0 END AS age_group,
               p.year, SUM(p.count)
        FROM {pop} p JOIN {district} d ON d.id = p.district_id
        WHERE d.city_id = %s AND p.year = COALESCE(%s, (
            SELECT MAX(p2.year) FROM {pop} p2 JOIN {district} d2 ON d2.id = p2.district_id WHERE d2.city_id = %s))
        GROUP BY 1, 2, 3, 4
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [city.pk, city.population_year, city.pk])
        rows = cursor.fetchall()
    result = PopulationCells(year=city.population_year)
    for district_id, sex, group, year, count in rows:
        result.year = year
        result.cells[(district_id, sex, group)] = int(count)
    return result


# --- Activity (ActivityDay) ----------------------------------------------------------------


def _whole_months(start: dt.date, end: dt.date) -> bool:
    return start.day == 1 and end == ind.month_end(end)


def _activity_source(f: Filters, start: dt.date, end: dt.date) -> str:
    """Which table answers [start, end] with the filters: "total" (ActivityTotal: whole months,
    no filter), "month" (ActivityMonth: whole months, area/age band/category filters) or "day"
    (ActivityDay: a provider chosen, or a period that cuts through a month)."""
    if f.provider_id or not _whole_months(start, end):
        return "day"
    if f.district_id or f.band or f.category_id:
        return "month"
    return "total"


# The ActivityDay-shaped tables: (table, date column, district, category as stored).
_DAY_TABLE = (ActivityDay._meta.db_table, "day", "district_id", "category_id")
_MONTH_TABLE = (ActivityMonth._meta.db_table, "month", "NULLIF(district_id, 0)", "NULLIF(category_id, 0)")


def _activity_where(
    *, city_id: int, f: Filters, start: dt.date, end: dt.date, date_column: str = "day"
) -> tuple[str, list]:
    clauses = ["city_id = %s", f"{date_column} >= %s", f"{date_column} <= %s"]
    params: list = [city_id, start, end]
    if f.district_id:
        clauses.append("district_id = %s")
        params.append(f.district_id)
    if f.band:
        clauses.append("age_from = ANY(%s)")
        params.append(list(AGE_BANDS[f.band]))
    if f.category_id:
        clauses.append("category_id = %s")
        params.append(f.category_id)
    if f.provider_id:
        clauses.append("provider_id = %s")
        params.append(f.provider_id)
    return " AND ".join(clauses), params


def _sums(values) -> dict:
    return {name: int(v or 0) for name, v in zip(MEASURES, values, strict=True)}


def _empty_sums() -> dict:
    return dict.fromkeys(MEASURES, 0)


_SUM_SQL = ", ".join(f"SUM({m})" for m in MEASURES)
_TOTAL_TABLE = ActivityTotal._meta.db_table


def activity_totals(*, city_id: int, f: Filters) -> dict:
    """{"current": sums, "previous": sums} for the period and the one of the same length
    before it. One query."""
    prev_start, prev_end = ind.previous_period(f.start, f.end)
    source = _activity_source(f, prev_start, f.end)
    n = len(MEASURES)
    if source == "total":
        current = ", ".join(f"SUM({m}) FILTER (WHERE month >= %s)" for m in MEASURES)
        previous = ", ".join(f"SUM({m}) FILTER (WHERE month <= %s)" for m in MEASURES)
        sql = (
            f"SELECT {current}, {previous} FROM {_TOTAL_TABLE} "
            "WHERE city_id = %s AND month >= %s AND month <= %s AND dimension = 'all' AND value = ''"
        )
        params = [f.start] * n + [prev_end] * n + [city_id, prev_start, f.end]
    else:
        table, date_column, _district, _category = _MONTH_TABLE if source == "month" else _DAY_TABLE
        where, params = _activity_where(city_id=city_id, f=f, start=prev_start, end=f.end, date_column=date_column)
        current = ", ".join(f"SUM({m}) FILTER (WHERE {date_column} >= %s)" for m in MEASURES)
        previous = ", ".join(f"SUM({m}) FILTER (WHERE {date_column} <= %s)" for m in MEASURES)
        sql = f"SELECT {current}, {previous} FROM {table} WHERE {where}"
        params = [f.start] * n + [prev_end] * n + params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return {"current": _sums(row[:n]), "previous": _sums(row[n:])}


_BREAKDOWNS = ("district", "age", "sex", "provider", "category", "format")


def _total_key(dimension: str, value: str):
    """An ActivityTotal value as the key the breakdowns use (ids and age groups as int, "" as None)."""
    if dimension in ("sex", "format"):
        return value
    return int(value) if value else None


def activity_breakdowns(*, city_id: int, f: Filters) -> dict[str, dict]:
    """Sums by district, age group, sex, provider, category and format (keys as stored; NULL
    as None). One query (two with an area, age band or category chosen: the provider split
    is not in ActivityMonth)."""
    out: dict[str, dict] = {k: {} for k in _BREAKDOWNS}
    source = _activity_source(f, f.start, f.end)
    if source == "total":
        sql = (
            f"SELECT dimension, value, {_SUM_SQL} FROM {_TOTAL_TABLE} WHERE city_id = %s AND month >= %s "
            "AND month <= %s AND dimension = ANY(%s) GROUP BY dimension, value"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [city_id, f.start, f.end, list(_BREAKDOWNS)])
            for dimension, value, *sums in cursor.fetchall():
                out[dimension][_total_key(dimension, value)] = _sums(sums)
        return out
    table, date_column, district, category = _MONTH_TABLE if source == "month" else _DAY_TABLE
    where, params = _activity_where(city_id=city_id, f=f, start=f.start, end=f.end, date_column=date_column)
    # ActivityMonth has no provider: its provider split is read from ActivityDay below.
    columns = {"district": "district_id", "age": "age_from", "sex": "sex", "provider": "provider_id"}
    columns |= {"category": "category_id", "format": "format"}
    if source == "month":
        del columns["provider"]
    which = " ".join(f"WHEN GROUPING({c}) = 0 THEN '{name}'" for name, c in columns.items())
    provider = "NULL::bigint AS provider_id" if source == "month" else "provider_id"
    sql = f"""
        SELECT CASE {which} END, district_id, age_from, sex, {provider}, category_id, format, {_SUM_SQL}
        FROM (SELECT {district} AS district_id, age_from, sex, {provider}, {category} AS category_id, format,
                     {", ".join(MEASURES)} FROM {table} WHERE {where}) AS rows
        GROUP BY GROUPING SETS ({", ".join(f"({c})" for c in columns.values())})
    """
    positions = {"district": 1, "age": 2, "sex": 3, "provider": 4, "category": 5, "format": 6}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            dim = row[0]
            out[dim][row[positions[dim]]] = _sums(row[7:])
        if source == "month":
            where, params = _activity_where(city_id=city_id, f=f, start=f.start, end=f.end)
            cursor.execute(
                f"SELECT provider_id, {_SUM_SQL} FROM {ActivityDay._meta.db_table} WHERE {where} GROUP BY provider_id",
                params,
            )
            for provider_id, *sums in cursor.fetchall():
                out["provider"][provider_id] = _sums(sums)
    return out


def activity_over_time(*, city_id: int, f: Filters) -> list[tuple[dt.date, dict]]:
    """[(bucket start, sums)] by week, month or year (terms are folded from months). One query."""
    trunc = {"week": "week", "year": "year"}.get(f.grain, "month")
    source = _activity_source(f, f.start, f.end)
    if source == "month" and f.grain == "week":
        source = "day"
    if source == "total":
        if f.grain == "week":
            bucket, dimension = "value::date", "week"
        else:
            bucket, dimension = f"date_trunc('{trunc}', month)::date", "all"
        sql = (
            f"SELECT {bucket} AS bucket, {_SUM_SQL} FROM {_TOTAL_TABLE} WHERE city_id = %s AND month >= %s "
            "AND month <= %s AND dimension = %s GROUP BY 1 ORDER BY 1"
        )
        params = [city_id, f.start, f.end, dimension]
    else:
        table, date_column, _district, _category = _MONTH_TABLE if source == "month" else _DAY_TABLE
        where, params = _activity_where(city_id=city_id, f=f, start=f.start, end=f.end, date_column=date_column)
        sql = (
            f"SELECT date_trunc(%s, {date_column})::date AS bucket, {_SUM_SQL} "
            f"FROM {table} WHERE {where} GROUP BY 1 ORDER BY 1"
        )
        params = [trunc, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [(row[0], _sums(row[1:])) for row in cursor.fetchall()]
    if f.grain != "term":
        return rows
    terms: dict[tuple[int, int], dict] = {}
    for bucket, sums in rows:
        key = ind.term_of(bucket)
        target = terms.setdefault(key, _empty_sums())
        for name in MEASURES:
            target[name] += sums[name]
    return [(ind.term_bounds(*key)[0], sums) for key, sums in sorted(terms.items())]


# --- Distinct learners (LearnerPeriod) -----------------------------------------------------


# LearnerPeriod as the pages read it: its rows and the differences the incremental refresh has
# not added into it yet (models.LearnerPeriodDelta). Every read sums learners per group, so a
# cell counts as its row plus its differences; PostgreSQL pushes the conditions into both.
_LEARNER_COLUMNS = "city_id, kind, period_start, period_end, dimension, value, district_id, age_from, sex, learners"
LEARNER_CELLS = (
    f"(SELECT {_LEARNER_COLUMNS} FROM {LearnerPeriod._meta.db_table} "
    f"UNION ALL SELECT {_LEARNER_COLUMNS} FROM {LearnerPeriodDelta._meta.db_table}) AS lp"
)


def _learner_source(f: Filters) -> str:
    """What answers distinct learners under the filters: LEARNER_CELLS with an area or age band,
    otherwise the whole-city totals (a row per value, not per cell)."""
    return LEARNER_CELLS if f.district_id or f.band else LearnerTotal._meta.db_table


def learner_dimension(f: Filters) -> tuple[str, str] | None:
    """The LearnerPeriod split that answers the filters: "all", or the provider's or the
    category's rows; None when both a provider and a category are chosen (distinct learners
    of the intersection are not stored)."""
    if f.provider_id and f.category_id:
        return None
    if f.provider_id:
        return "provider", str(f.provider_id)
    if f.category_id:
        return "category", str(f.category_id)
    return "all", ""


def _period_clause(*, city_id: int, kind: str, start: dt.date, end: dt.date) -> tuple[str, list]:
    """Rows of the stored period [start, end] (ind.learner_period says that one is stored)."""
    return "city_id = %s AND kind = %s AND period_end = %s AND period_start = %s", [city_id, kind, end, start]


def learners_base(*, city_id: int, f: Filters, start: dt.date | None = None, end: dt.date | None = None) -> dict | None:
    """Distinct learners of [start, end] (default: the filters' period) split by district, age
    group and sex and their pairs, as {"total", "residents", "district": {id: n}, "age": {g: n},
    "sex": {s: n}, "district_age": {(id, g): n}, "age_sex": {(g, s): n} (residents only),
    "district_sex": ...}. None when the period or the filters cannot be answered. One query."""
    start = start or f.start
    end = end or f.end
    kind = ind.learner_period(start, end)
    dimension = learner_dimension(f)
    if kind is None or dimension is None:
        return None
    period_sql, params = _period_clause(city_id=city_id, kind=kind, start=start, end=end)
    clauses = [period_sql, "dimension = %s", "value = %s"]
    params += list(dimension)
    if f.district_id:
        clauses.append("district_id = %s")
        params.append(f.district_id)
    if f.band:
        clauses.append("age_from = ANY(%s)")
        params.append(list(AGE_BANDS[f.band]))
    sql = f"""
        SELECT CASE WHEN GROUPING(district_id) = 0 AND GROUPING(age_from) = 0 THEN 'district_age'
                    WHEN GROUPING(age_from) = 0 AND GROUPING(sex) = 0 THEN 'age_sex'
                    WHEN GROUPING(district_id) = 0 AND GROUPING(sex) = 0 THEN 'district_sex'
                    WHEN GROUPING(district_id) = 0 THEN 'district' WHEN GROUPING(age_from) = 0 THEN 'age'
                    WHEN GROUPING(sex) = 0 THEN 'sex' ELSE 'total' END,
               district_id, age_from, sex, SUM(learners), SUM(learners) FILTER (WHERE district_id IS NOT NULL)
        FROM {LEARNER_CELLS} WHERE {" AND ".join(clauses)}
        GROUP BY GROUPING SETS ((), (district_id), (age_from), (sex), (district_id, age_from), (age_from, sex),
                                (district_id, sex))
        HAVING SUM(learners) <> 0
    """
    out = {
        "kind": kind,
        "total": 0,
        "residents": 0,
        "district": {},
        "age": {},
        "sex": {},
        "district_age": {},
        "age_sex": {},
        "district_sex": {},
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for dim, district_id, age_from, sex, learners, residents in cursor.fetchall():
            learners, residents = int(learners or 0), int(residents or 0)
            if dim == "total":
                out["total"], out["residents"] = learners, residents
            elif dim == "district":
                out["district"][district_id] = learners
            elif dim == "age":
                out["age"][age_from] = learners
            elif dim == "sex":
                out["sex"][sex] = learners
            elif dim == "district_age":
                out["district_age"][(district_id, age_from)] = learners
            elif dim == "age_sex":
                out["age_sex"][(age_from, sex)] = residents
            elif dim == "district_sex":
                out["district_sex"][(district_id, sex)] = learners
    return out


def learners_by_dimension(*, city_id: int, f: Filters) -> dict[str, dict[str, int]] | None:
    """Distinct learners of the period by provider, category, building block and format
    ({dimension: {value: n}}), for the whole city (only without a provider/category filter).
    One query."""
    kind = ind.learner_period(f.start, f.end)
    if kind is None or learner_dimension(f) != ("all", ""):
        return None
    period_sql, params = _period_clause(city_id=city_id, kind=kind, start=f.start, end=f.end)
    clauses = [period_sql, "dimension IN ('provider', 'category', 'block', 'format')"]
    if f.district_id:
        clauses.append("district_id = %s")
        params.append(f.district_id)
    if f.band:
        clauses.append("age_from = ANY(%s)")
        params.append(list(AGE_BANDS[f.band]))
    sql = f"""
        SELECT dimension, value, SUM(learners) FROM {_learner_source(f)}
        WHERE {" AND ".join(clauses)} GROUP BY dimension, value HAVING SUM(learners) <> 0
    """
    out: dict[str, dict[str, int]] = {"provider": {}, "category": {}, "block": {}, "format": {}}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for dimension, value, learners in cursor.fetchall():
            out[dimension][value] = int(learners or 0)
    return out


def learners_over_time(*, city_id: int, f: Filters) -> dict[dt.date, int] | None:
    """Distinct learners per month (grain month) or calendar year (grain year) inside the
    period: {period start: n}. Other grains: None (distinct people do not add up). One query."""
    kind = {"month": "month", "year": "year"}.get(f.grain)
    dimension = learner_dimension(f)
    if kind is None or dimension is None:
        return None
    clauses = ["city_id = %s", "kind = %s", "period_end <= %s", "period_start >= %s", "dimension = %s", "value = %s"]
    params: list = [city_id, kind, f.end, f.start, *dimension]
    if f.district_id:
        clauses.append("district_id = %s")
        params.append(f.district_id)
    if f.band:
        clauses.append("age_from = ANY(%s)")
        params.append(list(AGE_BANDS[f.band]))
    sql = f"""
        SELECT period_start, SUM(learners) FROM {_learner_source(f)}
        WHERE {" AND ".join(clauses)} GROUP BY period_start HAVING SUM(learners) <> 0
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: int(row[1] or 0) for row in cursor.fetchall()}


# --- Offer by building block (GNLC) --------------------------------------------------------


def offer_by_block(*, city_id: int, start: dt.date, end: dt.date) -> dict:
    """{block or "total": (programmes, courses)} with a course running in [start, end] (not
    cancelled). One bounded aggregate over the catalogue (it grows with the offer, not with
    enrolments or attendance)."""
    sql = f"""
        SELECT b.block, GROUPING(b.block), COUNT(DISTINCT p.id), COUNT(DISTINCT c.id)
        FROM {Course._meta.db_table} c
        JOIN {Programme._meta.db_table} p ON p.id = c.programme_id
        JOIN {Provider._meta.db_table} pr ON pr.id = p.provider_id
        JOIN {Programme.categories.through._meta.db_table} pc ON pc.programme_id = p.id
        JOIN {Category._meta.db_table} cat ON cat.id = pc.category_id
        CROSS JOIN LATERAL unnest(cat.building_blocks) AS b(block)
        WHERE pr.city_id = %s AND c.starts_on <= %s AND c.ends_on >= %s AND c.status <> %s
        GROUP BY GROUPING SETS ((b.block), ())
    """
    out: dict = {"total": (0, 0)}
    with connection.cursor() as cursor:
        cursor.execute(sql, [city_id, end, start, Course.Status.CANCELLED])
        for block, grouping, programmes, courses in cursor.fetchall():
            out["total" if grouping else block] = (int(programmes), int(courses))
    return out


# --- Tables --------------------------------------------------------------------------------


@dataclass
class Column:
    key: str
    label: str
    kind: str = "count"  # text | people | count | hours | rate | per1000 | ratio | change


@dataclass
class Table:
    """One table of a page: the HTML table, the export and the chart share it. ``rows`` hold
    display-ready values: int/float, None (not available), or "<5" (suppressed)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list]
    chart_column: str | None = None
    note: str = ""
    chart_kind: str = "bar"  # bar (horizontal) | column (over time) | map
    shown: int | None = None  # rows on the page and in the chart (None: all); exports have all

    def column_index(self, key: str) -> int:
        return [c.key for c in self.columns].index(key)

    def shown_rows(self) -> list[list]:
        return self.rows if self.shown is None else self.rows[: self.shown]

    def hidden_count(self) -> int:
        return len(self.rows) - len(self.shown_rows())

    def display_rows(self) -> list[list[str]]:
        """The shown rows, every cell as text in the columns' formats (the HTML table)."""
        kinds = [c.kind for c in self.columns]
        return [[format_value(v, k) for v, k in zip(row, kinds, strict=True)] for row in self.shown_rows()]


def format_value(value, kind: str) -> str:
    """A cell as text (HTML table and chart labels)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if kind == "rate":
        return f"{value * 100:,.1f}%"
    if kind == "change":
        return f"{value:+,.1f}%"
    if kind == "ratio":
        return f"{value:,.2f}"
    if kind in ("per1000", "hours"):
        return f"{value:,.1f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def _people(value, exact: bool):
    return ind.suppress(value, exact=exact)


def _rate_if_shown(shown, numerator, denominator, *, scale: str = "rate"):
    """A rate, unless its numerator is suppressed (a derived rate would give it away)."""
    if shown == ind.SUPPRESSED or numerator is None:
        return None
    value = ind.rate(numerator, denominator)
    if value is None:
        return None
    return value * 1000 if scale == "per1000" else value


def _activity_columns() -> list[Column]:
    return [
        Column("enrolments", _("Enrolments"), "people"),
        Column("attendances", _("Attendances"), "people"),
        Column("hours", _("Learning hours"), "hours"),
        Column("completions", _("Completions"), "people"),
    ]


def _activity_cells(sums: dict | None, exact: bool) -> list:
    sums = sums or _empty_sums()
    attendances = _people(sums["attendances"], exact)
    return [
        _people(sums["enrolments"], exact),
        attendances,
        ind.SUPPRESSED if attendances == ind.SUPPRESSED else ind.hours(sums["learning_minutes"]),
        _people(sums["completions"], exact),
    ]


def _bucket_label(bucket: dt.date, grain: str) -> str:
    if grain == "week":
        return _("Week of %(date)s") % {"date": format_local(bucket, "short")}
    if grain == "year":
        return format_year(bucket.year)
    if grain == "term":
        year, term = ind.term_of(bucket)
        return _("Term %(term)s/%(year)s") % {"term": term, "year": format_year(year)}
    return format_local(bucket, "month")


def _band_sum(by_group: dict, band: str) -> int:
    return sum(by_group.get(g, 0) for g in AGE_BANDS[band])


def _band_sums(by_group: dict[int, dict], band: str) -> dict:
    out = _empty_sums()
    for g in AGE_BANDS[band]:
        for name in MEASURES:
            out[name] += (by_group.get(g) or {}).get(name, 0)
    return out


def sex_label(sex: str) -> str:
    return {
        "female": _("Female"),
        "male": _("Male"),
        "other": _("Other"),
        "prefer_not": _("Not stated"),
    }.get(sex, sex)


def format_label(value: str) -> str:
    return {"in_person": _("In person"), "online": _("Online"), "hybrid": _("Hybrid")}.get(value, value)


def block_label(block: int) -> str:
    return f"{block}. {Category.BuildingBlock(block).label}"


def _residents(learners: dict | None, split: str, keep) -> int | None:
    """Learners living in the city (district known) of a (district, x) split whose x passes."""
    if learners is None:
        return None
    return sum(n for (district, x), n in learners[split].items() if district is not None and keep(x))


def _groups_for(f: Filters) -> tuple[int, ...]:
    return AGE_BANDS[f.band] if f.band else AGE_GROUPS


def headline_rows(
    *, f: Filters, totals: dict, learners: dict | None, previous: dict | None, population: PopulationCells, exact
):
    """The headline figures with their change against the previous period of the same length."""
    residents = population.count(district_id=f.district_id, groups=_groups_for(f))
    cur, prev = totals["current"], totals["previous"]
    items = []

    def add(key, label, value, before, kind="people"):
        shown = _people(value, exact) if kind == "people" else value
        shown_before = _people(before, exact) if kind == "people" else before
        items.append(
            {
                "key": key,
                "label": label,
                "value": shown,
                "text": format_value(shown, kind),
                "previous_text": format_value(shown_before, kind),
                "change": ind.change(shown, shown_before),
            }
        )

    add("learners", _("Learners"), learners["total"] if learners else None, previous["total"] if previous else None)
    add("enrolments", _("Enrolments"), cur["enrolments"], prev["enrolments"])
    add("attendances", _("Attendances"), cur["attendances"], prev["attendances"])
    add("completions", _("Completions"), cur["completions"], prev["completions"])
    add(
        "hours",
        _("Learning hours"),
        ind.hours(cur["learning_minutes"]),
        ind.hours(prev["learning_minutes"]),
        kind="hours",
    )
    now_residents = _people(learners["residents"], exact) if learners else None
    before_residents = _people(previous["residents"], exact) if previous else None
    add(
        "rate",
        _("Participation rate"),
        _rate_if_shown(now_residents, learners["residents"] if learners else None, residents),
        _rate_if_shown(before_residents, previous["residents"] if previous else None, residents),
        kind="rate",
    )
    for item in items:
        item["change_text"] = format_value(item["change"], "change") if item["change"] is not None else ""
    return items


def overview_rows(
    *, city: City, f: Filters, scope: Scope, districts, categories, providers, population: PopulationCells
) -> dict:
    """Everything the overview shows: headline figures and the tables (over time, age band,
    sex with the parity index, district, category, building block, provider, format)."""
    exact = scope.exact
    totals = activity_totals(city_id=city.pk, f=f)
    breakdowns = activity_breakdowns(city_id=city.pk, f=f)
    series = activity_over_time(city_id=city.pk, f=f)
    learners = learners_base(city_id=city.pk, f=f)
    prev_start, prev_end = ind.previous_period(f.start, f.end)
    previous = learners_base(city_id=city.pk, f=f, start=prev_start, end=prev_end)
    by_dimension = learners_by_dimension(city_id=city.pk, f=f)
    monthly = learners_over_time(city_id=city.pk, f=f)
    no_learners = _(
        "Distinct learners are stored per month, calendar year and 12 months to a month's end, "
        "for the whole city, one provider or one category; this choice has none."
    )

    tables: dict[str, Table] = {}

    # Over time
    columns = [Column("period", _("Period"), "text"), *_activity_columns()]
    if monthly is not None:
        columns.append(Column("learners", _("Learners"), "people"))
    rows = []
    for bucket, sums in series:
        row = [_bucket_label(bucket, f.grain), *_activity_cells(sums, exact)]
        if monthly is not None:
            row.append(_people(monthly.get(bucket), exact))
        rows.append(row)
    tables["time"] = Table(
        "time",
        _("Over time"),
        columns,
        rows,
        chart_column="attendances",
        chart_kind="column",
        note="" if monthly is not None else _("Learners are counted by month or year only."),
    )

    # Age bands
    columns = [
        Column("band", _("Age band"), "text"),
        Column("learners", _("Learners"), "people"),
        Column("residents", _("Residents"), "count"),
        Column("per1000", _("Learners per 1,000 residents"), "per1000"),
        *_activity_columns(),
    ]
    rows = []
    for band in AGE_BANDS:
        if f.band and band != f.band:
            continue
        n = _band_sum(learners["age"], band) if learners else None
        shown = _people(n, exact)
        pop = population.count(district_id=f.district_id, groups=AGE_BANDS[band])
        resident_n = _residents(learners, "district_age", lambda g, band=band: g in AGE_BANDS[band])
        rows.append(
            [
                str(BAND_LABELS[band]),
                shown,
                pop,
                _rate_if_shown(_people(resident_n, exact), resident_n, pop, scale="per1000"),
                *_activity_cells(_band_sums(breakdowns["age"], band), exact),
            ]
        )
    tables["band"] = Table(
        "band", _("By age band"), columns, rows, chart_column="learners", note=no_learners if learners is None else ""
    )

    # Sex, with the female/male parity index
    columns = [
        Column("sex", _("Sex"), "text"),
        Column("learners", _("Learners"), "people"),
        Column("residents", _("Residents"), "count"),
        Column("per1000", _("Learners per 1,000 residents"), "per1000"),
        *_activity_columns(),
    ]
    rows = []
    rates = {}
    for sex in SEXES:
        n = learners["sex"].get(sex, 0) if learners else None
        shown = _people(n, exact)
        pop = (
            population.count(district_id=f.district_id, groups=_groups_for(f), sex=sex)
            if sex in ("female", "male")
            else None
        )
        resident_n = _residents(learners, "district_sex", lambda s, sex=sex: s == sex)
        per1000 = _rate_if_shown(_people(resident_n, exact), resident_n, pop, scale="per1000")
        rates[sex] = per1000
        rows.append([sex_label(sex), shown, pop, per1000, *_activity_cells(breakdowns["sex"].get(sex), exact)])
    r = ind.parity_index(rates.get("female"), rates.get("male"))
    adjusted = ind.adjusted_parity(r)
    tables["sex"] = Table("sex", _("By sex"), columns, rows, chart_column="learners")
    sex_parity = {"r": r, "adjusted": adjusted, "reading": ind.parity_reading(adjusted)}

    # Districts (sorted: most learners per 1,000 residents first; the map shows the same)
    columns = [
        Column("district", _("Area"), "text"),
        Column("learners", _("Learners"), "people"),
        Column("residents", _("Residents"), "count"),
        Column("per1000", _("Learners per 1,000 residents"), "per1000"),
        *_activity_columns(),
        Column("waitlist", _("Waiting-list demand"), "people"),
    ]
    rows = []
    for district in districts:
        if f.district_id and district["id"] != f.district_id:
            continue
        n = learners["district"].get(district["id"], 0) if learners else None
        shown = _people(n, exact)
        pop = population.count(district_id=district["id"], groups=_groups_for(f))
        sums = breakdowns["district"].get(district["id"])
        rows.append(
            [
                district["name"],
                shown,
                pop,
                _rate_if_shown(shown, n, pop, scale="per1000"),
                *_activity_cells(sums, exact),
                _people((sums or {}).get("waitlist_unmet", 0), exact),
            ]
        )
    rows.sort(key=lambda row: (row[3] is None, -(row[3] or 0), row[0]))
    outside = breakdowns["district"].get(None)
    outside_learners = learners["district"].get(None) if learners else None
    if outside or outside_learners:
        shown = _people(outside_learners, exact)
        rows.append(
            [
                _("Outside the city or not known"),
                shown,
                None,
                None,
                *_activity_cells(outside, exact),
                _people((outside or {}).get("waitlist_unmet", 0), exact),
            ]
        )
    tables["district"] = Table("district", _("By area"), columns, rows, chart_column="per1000", chart_kind="map")

    # Categories, building blocks, providers, formats
    dims = by_dimension or {}
    columns = [
        Column("category", _("Category"), "text"),
        Column("learners", _("Learners"), "people"),
        *_activity_columns(),
    ]
    rows = []
    for category in categories:
        sums = breakdowns["category"].get(category["id"])
        n = dims.get("category", {}).get(str(category["id"])) if by_dimension is not None else None
        if not sums and not n:
            continue
        rows.append(
            [
                category["name"],
                _people(n or (0 if by_dimension is not None else None), exact),
                *_activity_cells(sums, exact),
            ]
        )
    if breakdowns["category"].get(None):
        rows.append([_("No category"), None, *_activity_cells(breakdowns["category"][None], exact)])
    tables["category"] = Table("category", _("By category"), columns, rows, chart_column="attendances")

    block_sums = {b: _empty_sums() for b in Category.BuildingBlock.values}
    for category in categories:
        sums = breakdowns["category"].get(category["id"])
        if not sums:
            continue
        for block in category["building_blocks"]:
            for name in MEASURES:
                block_sums[block][name] += sums[name]
    columns = [
        Column("block", _("GNLC building block"), "text"),
        Column("learners", _("Learners"), "people"),
        *_activity_columns(),
    ]
    rows = [
        [
            block_label(block),
            _people(dims["block"].get(str(block), 0), exact) if by_dimension is not None else None,
            *_activity_cells(block_sums[block], exact),
        ]
        for block in Category.BuildingBlock.values
    ]
    tables["block"] = Table(
        "block",
        _("By GNLC building block"),
        columns,
        rows,
        chart_column="learners" if by_dimension is not None else "attendances",
        note=_("A category can serve more than one building block, so the blocks do not add up to the total."),
    )

    columns = [
        Column("provider", _("Provider"), "text"),
        Column("learners", _("Learners"), "people"),
        *_activity_columns(),
    ]
    rows = []
    for provider in providers:
        sums = breakdowns["provider"].get(provider["id"])
        if scope.kind == "provider" and provider["id"] != f.provider_id:
            continue
        if by_dimension is not None:
            n = dims["provider"].get(str(provider["id"]), 0)
        elif f.provider_id == provider["id"] and learners is not None:
            n = learners["total"]
        else:
            n = None
        if not sums and not n:
            continue
        rows.append([provider["name"], _people(n, exact), *_activity_cells(sums, exact)])
    rows.sort(key=lambda row: (-(row[3] if isinstance(row[3], int) else 0), row[0]))
    tables["provider"] = Table(
        "provider",
        _("By provider"),
        columns,
        rows,
        chart_column="attendances",
        note=_("Most attendances first.") if len(rows) > PROVIDERS_SHOWN else "",
        shown=PROVIDERS_SHOWN,
    )

    columns = [Column("format", _("Format"), "text"), Column("learners", _("Learners"), "people"), *_activity_columns()]
    rows = [
        [
            format_label(fmt),
            _people(dims["format"].get(fmt, 0), exact) if by_dimension is not None else None,
            *_activity_cells(breakdowns["format"].get(fmt), exact),
        ]
        for fmt in FORMATS
    ]
    tables["format"] = Table("format", _("By format"), columns, rows, chart_column="attendances")

    return {
        "headline": headline_rows(
            f=f, totals=totals, learners=learners, previous=previous, population=population, exact=exact
        ),
        "tables": tables,
        "sex_parity": sex_parity,
        "learners_note": no_learners if learners is None else "",
        "population_year": population.year,
        "previous": (prev_start, prev_end),
    }


def equity_rows(*, city: City, f: Filters, scope: Scope, districts, population: PopulationCells) -> dict:
    """Learners per 1,000 residents of each district x age band against the city's rate for
    the band, under-served cells first; callouts for older adults and children; waiting-list
    demand by district."""
    exact = scope.exact
    city_f = Filters(start=f.start, end=f.end, period=f.period, category_id=f.category_id, provider_id=f.provider_id)
    learners = learners_base(city_id=city.pk, f=city_f)
    breakdowns = activity_breakdowns(city_id=city.pk, f=city_f)
    bands = [f.band] if f.band else list(AGE_BANDS)
    city_rates = {}
    for band in bands:
        n = (
            sum(v for (d, g), v in learners["district_age"].items() if d is not None and g in AGE_BANDS[band])
            if learners
            else None
        )
        city_rates[band] = ind.per_thousand(n, population.count(groups=AGE_BANDS[band]))
    columns = [
        Column("district", _("Area"), "text"),
        Column("band", _("Age band"), "text"),
        Column("learners", _("Learners"), "people"),
        Column("residents", _("Residents"), "count"),
        Column("per1000", _("Learners per 1,000 residents"), "per1000"),
        Column("city", _("City average per 1,000"), "per1000"),
        Column("gap", _("Difference per 1,000"), "per1000"),
        Column("parity", _("Adjusted parity index (area/city)"), "ratio"),
    ]
    cells = []
    for district in districts:
        if f.district_id and district["id"] != f.district_id:
            continue
        for band in bands:
            n = sum(learners["district_age"].get((district["id"], g), 0) for g in AGE_BANDS[band]) if learners else None
            shown = _people(n, exact)
            pop = population.count(district_id=district["id"], groups=AGE_BANDS[band])
            per1000 = _rate_if_shown(shown, n, pop, scale="per1000")
            city_rate = city_rates[band]
            adjusted = ind.adjusted_parity(ind.parity_index(per1000, city_rate))
            gap = None if per1000 is None or city_rate is None else per1000 - city_rate
            cells.append(
                {
                    "band": band,
                    "district": district["name"],
                    "row": [district["name"], str(BAND_LABELS[band]), shown, pop, per1000, city_rate, gap, adjusted],
                }
            )
    cells.sort(key=lambda c: (c["row"][7] is None, c["row"][7] if c["row"][7] is not None else 0, c["row"][0]))
    table = Table(
        "equity",
        _("Participation by area and age band, under-served first"),
        columns,
        [c["row"] for c in cells],
        chart_column="gap",
        note=_("Population year: %(year)s") % {"year": format_year(population.year) or "—"},
    )
    callouts = []
    for band, title in (
        ("60+", _("Older adults (60+)")),
        ("0-5", _("Early childhood (0-5)")),
        ("6-14", _("School age (6-14)")),
    ):
        if band not in bands:
            continue
        lowest = [c for c in cells if c["band"] == band and c["row"][7] is not None][:3]
        callouts.append(
            {
                "title": title,
                "city_rate": format_value(city_rates[band], "per1000"),
                "lowest": [(c["district"], format_value(c["row"][4], "per1000")) for c in lowest],
            }
        )
    wait_columns = [
        Column("district", _("Area"), "text"),
        Column("waitlist", _("Waiting-list demand (never got a place)"), "people"),
        Column("confirmed", _("Confirmed places"), "people"),
        Column("share", _("Unmet share of requests"), "rate"),
    ]
    wait_rows = []
    for district in districts:
        if f.district_id and district["id"] != f.district_id:
            continue
        sums = breakdowns["district"].get(district["id"]) or _empty_sums()
        unmet = _people(sums["waitlist_unmet"], exact)
        wait_rows.append(
            [
                district["name"],
                unmet,
                _people(sums["confirmed"], exact),
                _rate_if_shown(unmet, sums["waitlist_unmet"], sums["waitlist_unmet"] + sums["confirmed"]),
            ]
        )
    wait_rows.sort(key=lambda row: (-(row[1] if isinstance(row[1], int) else 0), row[0]))
    waitlist = Table("waitlist", _("Waiting-list demand by area"), wait_columns, wait_rows, chart_column="waitlist")
    return {
        "tables": {"equity": table, "waitlist": waitlist},
        "callouts": callouts,
        "population_year": population.year,
        "learners_note": "" if learners else _("Distinct learners are not stored for this period."),
    }


def indicator_rows(*, city: City, month: dt.date, scope: Scope, districts, population: PopulationCells) -> dict:
    """SDG 4.3.1 participation rates (15-24, 25-64, 60+; 12 months to the end of ``month``;
    by sex) and SDG 4.5.1 parity indices (female/male, older 60+/working-age 25-59, each
    district/city), with the adjusted parity index."""
    exact = scope.exact
    start, end = rolling_window(month)
    f = Filters(start=start, end=end, period="custom")
    learners = learners_base(city_id=city.pk, f=f)
    age_sex = learners["age_sex"] if learners else {}

    def residents_learning(groups, sex=None):
        if not learners:
            return None
        return sum(v for (g, s), v in age_sex.items() if g in groups and (sex is None or s == sex))

    def shown_rate(groups, sex=None):
        n = residents_learning(groups, sex)
        return _rate_if_shown(_people(n, exact), n, population.count(groups=groups, sex=sex))

    columns = [
        Column("range", _("Age range"), "text"),
        Column("learners", _("Learners (residents)"), "people"),
        Column("residents", _("Residents"), "count"),
        Column("rate", _("Participation rate"), "rate"),
        Column("female", _("Female"), "rate"),
        Column("male", _("Male"), "rate"),
        Column("parity_r", _("Parity index female/male"), "ratio"),
        Column("parity", _("Adjusted parity index"), "ratio"),
    ]
    rows = []
    for label, groups in SDG_AGE_RANGES.items():
        n = residents_learning(groups)
        female, male = shown_rate(groups, "female"), shown_rate(groups, "male")
        r = ind.parity_index(female, male)
        rows.append(
            [
                label,
                _people(n, exact),
                population.count(groups=groups),
                shown_rate(groups),
                female,
                male,
                r,
                ind.adjusted_parity(r),
            ]
        )
    participation = Table(
        "participation", _("Participation rate (after SDG 4.3.1)"), columns, rows, chart_column="rate"
    )

    parity_columns = [
        Column("comparison", _("Comparison"), "text"),
        Column("first", _("Rate of the first group"), "rate"),
        Column("second", _("Rate of the second group"), "rate"),
        Column("parity_r", _("Parity index"), "ratio"),
        Column("parity", _("Adjusted parity index"), "ratio"),
        Column("reading", _("Reading"), "text"),
    ]
    readings = {
        "parity": _("Parity (0.97-1.03)"),
        "disadvantaged_low": _("First group behind"),
        "reference_low": _("Second group behind"),
        "": "—",
    }
    parity_rows = []

    def add(label, first, second):
        r = ind.parity_index(first, second)
        adjusted = ind.adjusted_parity(r)
        parity_rows.append([label, first, second, r, adjusted, str(readings[ind.parity_reading(adjusted)])])

    add(_("Female / male (all ages)"), shown_rate(AGE_GROUPS, "female"), shown_rate(AGE_GROUPS, "male"))
    add(
        _("Older adults 60+ / working-age adults 25-59"),
        shown_rate(AGE_BANDS["60+"]),
        shown_rate(AGE_BANDS[WORKING_AGE]),
    )
    city_rate = shown_rate(AGE_GROUPS)
    for district in districts:
        n = learners["district"].get(district["id"], 0) if learners else None
        district_rate = _rate_if_shown(_people(n, exact), n, population.count(district_id=district["id"]))
        add(_("%(area)s / city") % {"area": district["name"]}, district_rate, city_rate)
    parity = Table("parity", _("Parity indices (after SDG 4.5.1)"), parity_columns, parity_rows, chart_column="parity")
    return {
        "tables": {"participation": participation, "parity": parity},
        "window": (start, end),
        "population_year": population.year,
        "available": learners is not None and bool(learners["total"]),
    }


def gnlc_rows(*, city: City, f: Filters, scope: Scope, categories, population: PopulationCells, districts) -> dict:
    """Programmes, courses, learners and hours by GNLC building block for the period, and the
    city profile (population, area, data year)."""
    exact = scope.exact
    city_f = Filters(start=f.start, end=f.end, period=f.period)
    offer = offer_by_block(city_id=city.pk, start=f.start, end=f.end)
    breakdowns = activity_breakdowns(city_id=city.pk, f=city_f)
    by_dimension = learners_by_dimension(city_id=city.pk, f=city_f)
    learners = learners_base(city_id=city.pk, f=city_f)
    block_minutes = dict.fromkeys(Category.BuildingBlock.values, 0)
    block_attendances = dict.fromkeys(Category.BuildingBlock.values, 0)
    for category in categories:
        sums = breakdowns["category"].get(category["id"])
        if sums:
            for block in category["building_blocks"]:
                block_minutes[block] += sums["learning_minutes"]
                block_attendances[block] += sums["attendances"]
    columns = [
        Column("block", _("GNLC building block"), "text"),
        Column("programmes", _("Programmes"), "count"),
        Column("courses", _("Courses"), "count"),
        Column("learners", _("Learners"), "people"),
        Column("hours", _("Learning hours"), "hours"),
    ]
    rows = []
    for block in Category.BuildingBlock.values:
        programmes, courses = offer.get(block, (0, 0))
        n = by_dimension["block"].get(str(block), 0) if by_dimension is not None else None
        rows.append([block_label(block), programmes, courses, _people(n, exact), ind.hours(block_minutes[block])])
    all_minutes = sum(s["learning_minutes"] for s in breakdowns["format"].values())
    rows.append(
        [
            _("All learning (each programme and person once)"),
            offer["total"][0],
            offer["total"][1],
            _people(learners["total"], exact) if learners else None,
            ind.hours(all_minutes),
        ]
    )
    residents = population.count()
    area = city.area_km2
    profile = [
        (_("City"), city.name),
        (_("Residents"), format_value(residents, "count")),
        (_("Population data year"), format_year(population.year) or "—"),
        (_("Area (km²)"), format_value(float(area), "per1000") if area is not None else "—"),
        (
            _("Residents per km²"),
            format_value(residents / float(area), "per1000") if area and residents else "—",
        ),
        (_("Areas"), format_value(len(districts), "count")),
        (_("GNLC member since"), format_year(city.gnlc_member_since) or "—"),
    ]
    table = Table(
        "gnlc",
        _("Learning by GNLC building block"),
        columns,
        rows,
        chart_column="learners" if by_dimension is not None else "hours",
        note=_("A programme whose categories serve several building blocks counts under each of them."),
    )
    return {"tables": {"gnlc": table}, "profile": profile, "population_year": population.year}


def public_rows(*, city: City, f: Filters, categories, population: PopulationCells) -> dict:
    """The public page: headline figures (last 12 months) and learners by building block,
    small cells suppressed."""
    scope = Scope("public", exact=False)
    totals = activity_totals(city_id=city.pk, f=f)
    learners = learners_base(city_id=city.pk, f=f)
    prev_start, prev_end = ind.previous_period(f.start, f.end)
    previous = learners_base(city_id=city.pk, f=f, start=prev_start, end=prev_end)
    headline = headline_rows(
        f=f, totals=totals, learners=learners, previous=previous, population=population, exact=scope.exact
    )
    by_dimension = learners_by_dimension(city_id=city.pk, f=f)
    breakdowns = activity_breakdowns(city_id=city.pk, f=f)
    block_minutes = dict.fromkeys(Category.BuildingBlock.values, 0)
    for category in categories:
        sums = breakdowns["category"].get(category["id"])
        if sums:
            for block in category["building_blocks"]:
                block_minutes[block] += sums["learning_minutes"]
    values = [by_dimension["block"].get(str(b), 0) if by_dimension else 0 for b in Category.BuildingBlock.values]
    shown = ind.suppress_complementary(values, exact=False)
    rows = [
        [block_label(b), shown[i], ind.SUPPRESSED if shown[i] == ind.SUPPRESSED else ind.hours(block_minutes[b])]
        for i, b in enumerate(Category.BuildingBlock.values)
    ]
    table = Table(
        "blocks",
        _("Learners by GNLC building block"),
        [
            Column("block", _("GNLC building block"), "text"),
            Column("learners", _("Learners"), "people"),
            Column("hours", _("Learning hours"), "hours"),
        ],
        rows,
        chart_column="learners",
    )
    return {"headline": headline, "tables": {"blocks": table}, "population_year": population.year}


def period_label(f: Filters) -> str:
    return _("%(start)s to %(end)s") % {"start": format_local(f.start), "end": format_local(f.end)}


def grain_label(grain: str) -> str:
    return {
        "week": pgettext("grain", "Week"),
        "month": pgettext("grain", "Month"),
        "term": pgettext("grain", "School term"),
        "year": pgettext("grain", "Year"),
    }[grain]


def groups_of_band(band: str) -> tuple[int, ...]:
    return AGE_BANDS.get(band, AGE_GROUPS)
