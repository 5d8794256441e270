"""The dashboard reads give the same figures from whichever table answers them: ActivityTotal
(whole months, no filter), ActivityMonth (whole months with an area, age band or category),
ActivityDay (a provider, or dates that cut through a month) and LearnerTotal / LearnerPeriod.
The expectations are summed here in Python from the ActivityDay and LearnerPeriod rows of a
generated city after a rebuild and after an incremental refresh."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from django.db import connection

from learningcity.dashboards import aggregation
from learningcity.dashboards import indicators as ind
from learningcity.dashboards import selectors as sel
from learningcity.dashboards.forms import Filters
from learningcity.dashboards.models import AGE_BANDS, ActivityDay, LearnerPeriod, LearnerPeriodDelta
from learningcity.dashboards.services import aggregates_rebuild, aggregates_refresh
from participants.models import Attendance
from tests.dashboards.test_aggregation_support import GENERATED_NOW, MEASURES, generate_tiny_city

pytestmark = pytest.mark.django_db
TODAY = GENERATED_NOW.date()


@pytest.fixture
def city():
    generate_tiny_city()
    aggregates_rebuild(now=GENERATED_NOW)
    row = ActivityDay.objects.values("city_id", "district_id", "category_id", "provider_id").order_by("id").first()
    return row


def _periods() -> list[tuple[dt.date, dt.date]]:
    last12 = ind.last_12_months(TODAY)
    return [
        last12,  # whole months: the rollups answer
        (dt.date(TODAY.year - 1, 1, 1), dt.date(TODAY.year - 1, 12, 31)),
        (last12[0] + dt.timedelta(days=9), last12[1] - dt.timedelta(days=3)),  # cuts months: ActivityDay
    ]


def _filter_sets(row) -> list[dict]:
    return [
        {},
        {"district_id": row["district_id"]},
        {"band": "25-59"},
        {"category_id": row["category_id"]},
        {"district_id": row["district_id"], "band": "60+"},
        {"provider_id": row["provider_id"]},
    ]


def _day_rows(city_id: int, f: Filters, start: dt.date, end: dt.date) -> list[dict]:
    rows = ActivityDay.objects.filter(city_id=city_id, day__gte=start, day__lte=end)
    if f.district_id:
        rows = rows.filter(district_id=f.district_id)
    if f.band:
        rows = rows.filter(age_from__in=AGE_BANDS[f.band])
    if f.category_id:
        rows = rows.filter(category_id=f.category_id)
    if f.provider_id:
        rows = rows.filter(provider_id=f.provider_id)
    return list(rows.values())


def _sum(rows) -> dict:
    return {m: sum(r[m] for r in rows) for m in MEASURES}


def _by(rows, key) -> dict:
    groups = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return {k: _sum(v) for k, v in groups.items()}


def _bucket(day: dt.date, grain: str) -> dt.date:
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "year":
        return day.replace(month=1, day=1)
    month = day.replace(day=1)
    return ind.term_bounds(*ind.term_of(month))[0] if grain == "term" else month


def _assert_activity_reads(city_id: int, f: Filters) -> None:
    rows = _day_rows(city_id, f, f.start, f.end)
    prev_start, prev_end = ind.previous_period(f.start, f.end)
    totals = sel.activity_totals(city_id=city_id, f=f)
    assert totals["current"] == _sum(rows)
    assert totals["previous"] == _sum(_day_rows(city_id, f, prev_start, prev_end))
    breakdowns = sel.activity_breakdowns(city_id=city_id, f=f)
    for name, column in (
        ("district", "district_id"),
        ("age", "age_from"),
        ("sex", "sex"),
        ("provider", "provider_id"),
        ("category", "category_id"),
        ("format", "format"),
    ):
        assert breakdowns[name] == _by(rows, lambda r, c=column: r[c]), (name, f)
    for grain in ("week", "month", "term", "year"):
        series = sel.activity_over_time(city_id=city_id, f=Filters(**{**f.__dict__, "grain": grain}))
        wanted = sorted(_by(rows, lambda r, g=grain: _bucket(r["day"], g)).items())
        assert series == wanted, (grain, f)


def _learner_rows(**cells) -> list[dict]:
    """LearnerPeriod rows as the pages read them: with the differences not added yet."""
    return [
        row
        for model in (LearnerPeriod, LearnerPeriodDelta)
        for row in model.objects.filter(**cells).values("dimension", "value", "period_start", "learners")
    ]


def _nonzero(sums: dict) -> dict:
    return {key: n for key, n in sums.items() if n}


def _assert_learner_reads(city_id: int, f: Filters) -> None:
    kind = ind.learner_period(f.start, f.end)
    if kind is None or f.provider_id:
        return
    area = {"district_id": f.district_id} if f.district_id else {}
    if f.band:
        area["age_from__in"] = AGE_BANDS[f.band]
    wanted: dict = {"provider": {}, "category": {}, "block": {}, "format": {}}
    for r in _learner_rows(city_id=city_id, kind=kind, period_end=f.end, **area):
        if r["dimension"] != "all":
            wanted[r["dimension"]][r["value"]] = wanted[r["dimension"]].get(r["value"], 0) + r["learners"]
    if not f.category_id:  # split by value only for the whole offer
        wanted = {dimension: _nonzero(values) for dimension, values in wanted.items()}
        assert sel.learners_by_dimension(city_id=city_id, f=f) == wanted, f
    dimension, value = ("category", str(f.category_id)) if f.category_id else ("all", "")
    monthly = _learner_rows(
        city_id=city_id,
        kind="month",
        period_start__gte=f.start,
        period_end__lte=f.end,
        dimension=dimension,
        value=value,
        **area,
    )
    by_month: dict = {}
    for r in monthly:
        by_month[r["period_start"]] = by_month.get(r["period_start"], 0) + r["learners"]
    by_month = _nonzero(by_month)
    assert sel.learners_over_time(city_id=city_id, f=Filters(**{**f.__dict__, "grain": "month"})) == by_month, f


def _assert_all_reads(row) -> None:
    for start, end in _periods():
        for filters in _filter_sets(row):
            f = Filters(start=start, end=end, period="custom", **filters)
            _assert_activity_reads(row["city_id"], f)
            _assert_learner_reads(row["city_id"], f)


def test_every_table_gives_the_same_figures_after_a_rebuild(city):
    _assert_all_reads(city)


def test_every_table_gives_the_same_figures_after_incremental_changes(city):
    # Remove a fifth of the attendance marks of the last twelve months and refresh.
    start, _end = ind.last_12_months(TODAY)
    marks = Attendance.objects.filter(session__starts_at__date__gte=start, status="present").order_by("id")
    ids = list(marks.values_list("id", flat=True)[::5])
    assert ids
    Attendance.objects.filter(id__in=ids).delete()
    aggregates_refresh(now=GENERATED_NOW)
    assert LearnerPeriodDelta.objects.filter(learners__lt=0).exists()  # the pages add the differences
    _assert_all_reads(city)
    # Added into LearnerPeriod (the nightly job): the same figures.
    with connection.cursor() as cursor:
        aggregation.learner_deltas_fold(cursor)
    assert not LearnerPeriodDelta.objects.exists()
    _assert_all_reads(city)
