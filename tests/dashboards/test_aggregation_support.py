"""Independent expectations for the summary tables, computed in Python from ORM rows (not the
SQL of learningcity/dashboards/aggregation.py), and snapshots of the tables to compare.
Completions come from participants.services.completion_compute, the roster's own rule."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.core.management import call_command
from django.utils import timezone

from learningcity.dashboards.models import (
    ActivityDay,
    ActivityMonth,
    ActivityTotal,
    LearnerPeriod,
    LearnerPeriodDelta,
    LearnerTotal,
)
from participants.models import Attendance, Enrolment, Participant
from participants.services import completion_compute
from programmes.models import Course, Programme

BKK = dt.timezone(dt.timedelta(hours=7))
GENERATED_NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=BKK)
NOW = dt.datetime(2026, 6, 20, 12, 0, tzinfo=BKK)  # "now" of the hand-made cases


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    """`hour` o'clock in Bangkok on `day`."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BKK)


MEASURES = ("enrolments", "confirmed", "waitlist_unmet", "attendances", "learning_minutes", "completions")
ACTIVITY_KEY = ("day", "city_id", "district_id", "age_from", "sex", "provider_id", "category_id", "format")
LEARNER_KEY = ("city_id", "kind", "period_start", "period_end", "dimension", "value", "district_id", "age_from", "sex")


def generate_tiny_city() -> None:
    call_command("generate_city", scale="tiny", seed=3, stdout=_Null())


class _Null:
    def write(self, *_args, **_kwargs):
        pass

    def flush(self):
        pass


def age_group(age: int) -> int:
    for bound in (65, 60, 25, 15, 6):
        if age >= bound:
            return bound
    return 0


def activity_snapshot() -> dict:
    """ActivityDay as {key: measures}, after checking that its monthly rollups equal it."""
    rows = {tuple(row[:8]): tuple(row[8:]) for row in ActivityDay.objects.values_list(*ACTIVITY_KEY, *MEASURES)}
    assert_activity_rollups(rows)
    return rows


def learner_snapshot() -> dict:
    """LearnerPeriod as the pages read it, {key: learners}: its rows plus the differences not
    added into it yet (LearnerPeriodDelta), after checking that no cell is below zero and that
    LearnerTotal equals their sums."""
    rows: dict = {}
    for model in (LearnerPeriod, LearnerPeriodDelta):
        for row in model.objects.values_list(*LEARNER_KEY, "learners"):
            rows[tuple(row[:9])] = rows.get(tuple(row[:9]), 0) + row[9]
    assert all(learners >= 0 for learners in rows.values()), {k: v for k, v in rows.items() if v < 0}
    rows = {key: learners for key, learners in rows.items() if learners}
    assert_learner_totals(rows)
    return rows


def learners_sum(**cells) -> int:
    """The learners of the LearnerPeriod cells that `cells` selects, as the pages read them
    (with the differences in LearnerPeriodDelta)."""
    return sum(
        sum(model.objects.filter(**cells).values_list("learners", flat=True))
        for model in (LearnerPeriod, LearnerPeriodDelta)
    )


def _add(target: dict, key, values) -> None:
    target[key] = tuple(a + b for a, b in zip(target.get(key, (0,) * len(values)), values, strict=True))


def assert_activity_rollups(days: dict) -> None:
    """ActivityMonth and ActivityTotal hold exactly the sums of the ActivityDay rows `days`
    (summed here in Python), with no empty cell left behind."""
    months: dict = {}
    totals: dict = {}
    for (day, city, district, age, sex, provider, category, fmt), values in days.items():
        month = day.replace(day=1)
        _add(months, (city, month, district or 0, age, sex, category or 0, fmt), values)
        monday = day - dt.timedelta(days=day.weekday())
        for dimension, value in (
            ("all", ""),
            ("district", str(district) if district else ""),
            ("age", str(age)),
            ("sex", sex),
            ("provider", str(provider)),
            ("category", str(category) if category else ""),
            ("format", fmt),
            ("week", monday.isoformat()),
        ):
            _add(totals, (city, month, dimension, value), values)
    month_key = ("city_id", "month", "district_id", "age_from", "sex", "category_id", "format")
    stored_months = {tuple(row[:7]): tuple(row[7:]) for row in ActivityMonth.objects.values_list(*month_key, *MEASURES)}
    stored_totals = {
        tuple(row[:4]): tuple(row[4:])
        for row in ActivityTotal.objects.values_list("city_id", "month", "dimension", "value", *MEASURES)
    }
    assert stored_months == months, diff(stored_months, months)
    assert stored_totals == totals, diff(stored_totals, totals)


def assert_learner_totals(periods: dict) -> None:
    """LearnerTotal holds exactly the sums of the LearnerPeriod rows `periods` over area x age x sex."""
    totals: dict = {}
    for key, learners in periods.items():
        totals[key[:6]] = totals.get(key[:6], 0) + learners
    stored = {
        tuple(row[:6]): row[6]
        for row in LearnerTotal.objects.values_list(
            "city_id", "kind", "period_start", "period_end", "dimension", "value", "learners"
        )
    }
    assert stored == totals, diff(stored, totals)


def snapshot() -> tuple[dict, dict]:
    return activity_snapshot(), learner_snapshot()


def _programmes() -> dict[int, dict]:
    result = {}
    for programme in Programme.objects.select_related("provider").prefetch_related("categories"):
        categories = sorted(programme.categories.all(), key=lambda c: (c.position, c.id))
        result[programme.pk] = {
            "city": programme.provider.city_id,
            "provider": programme.provider_id,
            "format": programme.format,
            "first_category": categories[0].pk if categories else None,
            "categories": [c.pk for c in categories],
            "blocks": sorted({b for c in categories for b in c.building_blocks}),
        }
    return result


def expected_activity(*, today: dt.date) -> dict:
    people = {p.pk: p for p in Participant.objects.all()}
    programmes = _programmes()
    course_programme = dict(Course.objects.values_list("pk", "programme_id"))
    cells: dict[tuple, Counter] = defaultdict(Counter)

    def cell(day: dt.date, participant_id: int, course_id: int) -> Counter:
        person = people[participant_id]
        programme = programmes[course_programme[course_id]]
        key = (
            day,
            programme["city"],
            None if person.lives_outside_city else person.district_id,
            age_group(person.age_on(day)),
            person.sex,
            programme["provider"],
            programme["first_category"],
            programme["format"],
        )
        return cells[key]

    for e in Enrolment.objects.all():
        cell(timezone.localdate(e.created_at), e.participant_id, e.course_id)["enrolments"] += 1
        if e.confirmed_at is not None:
            cell(timezone.localdate(e.confirmed_at), e.participant_id, e.course_id)["confirmed"] += 1
        waiting = e.status in ("waitlisted", "offered") or (
            e.status == "cancelled" and e.cancelled_reason == "waitlist_left"
        )
        if e.confirmed_at is None and waiting:
            cell(timezone.localdate(e.created_at), e.participant_id, e.course_id)["waitlist_unmet"] += 1
    for a in Attendance.objects.filter(status="present", session__is_cancelled=False).select_related("session"):
        c = cell(timezone.localdate(a.session.starts_at), a.participant_id, a.session.course_id)
        c["attendances"] += 1
        c["learning_minutes"] += int((a.session.ends_at - a.session.starts_at).total_seconds() // 60)
    for course in Course.objects.filter(ends_on__lt=today).exclude(status=Course.Status.CANCELLED):
        for row in completion_compute(course=course):
            done = (
                row.override
                if row.override is not None
                else (row.enrolment.status == "completed" or row.rule_completed)
            )
            if done:
                cell(course.ends_on, row.enrolment.participant_id, course.pk)["completions"] += 1
    return {key: tuple(c[m] for m in MEASURES) for key, c in cells.items() if any(c.values())}


def _month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def expected_learners(*, today: dt.date) -> dict:
    people = {p.pk: p for p in Participant.objects.all()}
    programmes = _programmes()
    marks = [
        (a.participant_id, timezone.localdate(a.session.starts_at), a.session.course.programme_id)
        for a in Attendance.objects.filter(status="present", session__is_cancelled=False).select_related(
            "session__course"
        )
    ]
    if not marks:
        return {}
    current = today.replace(day=1)
    first = min(day for _p, day, _g in marks).replace(day=1)
    periods = set()
    month = first
    while month <= current:
        periods.add(("month", month, _month_end(month)))
        periods.add(("year", dt.date(month.year, 1, 1), dt.date(month.year, 12, 31)))
        periods.add(("rolling12", _add_months(month, -11), _month_end(month)))
        month = _add_months(month, 1)
    result: Counter = Counter()
    for kind, start, end in periods:
        seen = set()
        for participant_id, day, programme_id in marks:
            if not start <= day <= end:
                continue
            programme = programmes[programme_id]
            values = [("all", ""), ("provider", str(programme["provider"])), ("format", programme["format"])]
            values += [("category", str(c)) for c in programme["categories"]]
            values += [("block", str(b)) for b in programme["blocks"]]
            for dimension, value in values:
                seen.add((participant_id, programme["city"], dimension, value))
        for participant_id, city, dimension, value in seen:
            person = people[participant_id]
            district = None if person.lives_outside_city else person.district_id
            key = (city, kind, start, end, dimension, value, district, age_group(person.age_on(end)), person.sex)
            result[key] += 1
    return dict(result)


def expected(*, today: dt.date) -> tuple[dict, dict]:
    return expected_activity(today=today), expected_learners(today=today)


def diff(actual: dict, wanted: dict, limit: int = 5) -> str:
    missing = [(k, wanted[k]) for k in wanted if k not in actual][:limit]
    extra = [(k, actual[k]) for k in actual if k not in wanted][:limit]
    wrong = [(k, actual[k], wanted[k]) for k in wanted if k in actual and actual[k] != wanted[k]][:limit]
    return f"missing={missing} extra={extra} wrong(actual, wanted)={wrong}"
