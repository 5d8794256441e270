"""The refresh jobs that keep the summary tables (models.ActivityDay, models.LearnerPeriod)
equal to the raw data. The SQL and the definitions of every measure are in aggregation.py.

- ``aggregates_refresh``: incremental, every few minutes. Claims what the database triggers
  wrote (migrations 0002, 0007, 0008): the days marked dirty, whose ActivityDay rows it
  recomputes; the attendance and enrolment changes, which it adds to the ActivityDay rows of
  the other days; the learner months marked, whose LearnerMonth rows it recomputes, and by
  difference the LearnerPeriod rows of every month, year and rolling 12-month window that
  contains a changed month (the differences appended to LearnerPeriodDelta, which the pages
  add; LearnerTotal updated in place).
- ``aggregates_refresh_rolling``: nightly. Marks the last day of every course that ended since
  the previous nightly run (completions count once a course has ended), runs the incremental
  refresh and also recomputes the current and previous month's periods (the rolling window
  ending this month exists from the first night of the month), adds the day's learner
  differences (LearnerPeriodDelta) into LearnerPeriod, then deletes no-op run records older
  than 7 days.
- ``aggregates_rebuild``: both tables from scratch, after a data fix or a bulk load.

Every run is one REPEATABLE READ transaction under one PostgreSQL advisory lock (taken before
the transaction begins: ``_refresh_transaction``): two runs never interleave (the second
waits), a run killed half way leaves nothing behind, and what a run claims is exactly what
changed in the raw rows it reads, so running a job twice gives identical tables. Each run
records a RefreshRun and logs what it did: the newest run's ``started_at`` is the dashboards'
"data as of"."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import time

from django.db import Error, connection, transaction
from django.utils import timezone

from learningcity.dashboards import aggregation
from learningcity.dashboards.models import (
    ActivityDay,
    ActivityMonth,
    ActivityTotal,
    BuiltPeriod,
    LearnerMonth,
    LearnerPeriod,
    LearnerPeriodDelta,
    LearnerTotal,
    RefreshRun,
)

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key of the refresh jobs ("dashbrd" in ASCII, a fixed 64-bit value).
REFRESH_LOCK_KEY = 0x64617368627264
NO_OP_RUNS_KEPT = dt.timedelta(days=7)
WORK_MEM = "256MB"  # per sort or hash of the refresh queries, for this transaction only
MAINTENANCE_WORK_MEM = "512MB"  # the rebuild's index builds (LearnerMonth's, dropped for the load)
PARALLEL_WORKERS = 2  # PostgreSQL's default max_parallel_workers_per_gather (the web connections': 0)
RANDOM_PAGE_COST = 4  # PostgreSQL's default (the web connections': 1.1)


def _log_step(execute, sql, params, many, context):
    """Log each statement of a refresh at DEBUG level: its first words, rows and duration."""
    started = time.monotonic()
    try:
        return execute(sql, params, many, context)
    finally:
        ms = (time.monotonic() - started) * 1000
        step = re.sub(r"\s+", " ", sql).strip()[:90]
        logger.debug("dashboards step %.0f ms, %s rows: %s", ms, context["cursor"].rowcount, step)


def _steps_logged():
    """Time every statement of the run when DEBUG logging is on (a no-op otherwise)."""
    if logger.isEnabledFor(logging.DEBUG):
        return connection.execute_wrapper(_log_step)
    return contextlib.nullcontext()


@contextlib.contextmanager
def _refresh_transaction():
    """One refresh's transaction, after every other refresh has finished, as a cursor.

    REPEATABLE READ: every statement of the run sees the same snapshot, so the marks and changes
    it claims are exactly those of the raw rows it reads (read committed, a change committed
    between the claim and a day's recomputation would be counted by the recomputation and again,
    from its unclaimed change row, by the next run). The lock is a session-level advisory lock
    taken before the transaction begins: taken inside it, the snapshot would date from before
    the wait and miss what the previous run wrote. Inside a caller's transaction (load_demo,
    tests) the caller's isolation stays and the lock is held to the end of that transaction."""
    if connection.in_atomic_block:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_KEY])
            yield cursor
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [REFRESH_LOCK_KEY])
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield cursor
    finally:
        # A broken connection has lost the lock with its session.
        with contextlib.suppress(Error), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [REFRESH_LOCK_KEY])


def _prepare(cursor) -> None:
    """Give this transaction room to sort and hash in memory."""
    cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    # The planner's row estimates for the learner queries are far too high (each LearnerMonth row
    # "expands" to 1000 periods), so PostgreSQL JIT-compiles statements that read a few thousand
    # rows: 0.3-0.7 s of compiling per statement, most of an incremental run. The rebuild, which
    # does read millions of rows, switches it back on.
    cursor.execute("SET LOCAL jit = off")
    # The connection's planner settings are for web requests (settings, DATABASES options); the
    # refresh keeps PostgreSQL's defaults, with which it was measured (docs/benchmarks.md).
    cursor.execute(f"SET LOCAL max_parallel_workers_per_gather = {PARALLEL_WORKERS}")
    cursor.execute(f"SET LOCAL random_page_cost = {RANDOM_PAGE_COST}")
    # Temporary tables go at commit; inside an outer transaction (load_demo, tests) a previous
    # run's are still there.
    cursor.execute(f"DROP TABLE IF EXISTS {', '.join(aggregation.TEMP_TABLES)}")


def _record(*, kind: str, started_at: dt.datetime, clock: float, days: int, periods: int, rows: int) -> RefreshRun:
    duration_ms = round((time.monotonic() - clock) * 1000)
    run = RefreshRun.objects.create(
        kind=kind,
        started_at=started_at,
        finished_at=started_at + dt.timedelta(milliseconds=duration_ms),
        days_refreshed=days,
        periods_refreshed=periods,
        rows_written=rows,
        duration_ms=duration_ms,
    )
    logger.info(
        "dashboards %s refresh: %d days, %d periods, %d rows written in %d ms",
        kind,
        days,
        periods,
        rows,
        duration_ms,
        extra={
            "refresh_kind": kind,
            "days_refreshed": days,
            "periods_refreshed": periods,
            "rows_written": rows,
            "duration_ms": duration_ms,
        },
    )
    return run


def _periods_count(cursor) -> int:
    cursor.execute("SELECT count(*) FROM _dash_periods")
    return cursor.fetchone()[0]


def _learners_rebuild(cursor, *, today: dt.date) -> tuple[int, int]:
    """LearnerMonth from all the attendance, then every LearnerPeriod row from it (all periods
    of the months with sessions, and of the current and previous month), writing only the rows
    that differ. Returns (periods, rows)."""
    aggregation.learner_months_rebuild(cursor)
    months_sql = (
        aggregation.months_with_sessions_sql() + " UNION SELECT %(current)s::date UNION SELECT %(previous)s::date"
    )
    aggregation.periods_prepare(
        cursor,
        today=today,
        months_sql=months_sql,
        params={"current": today.replace(day=1), "previous": _previous_month(today)},
    )
    rows = aggregation.learner_periods_whole(cursor, everything=True)
    return _periods_count(cursor), rows


def _refresh_claimed(cursor, *, today: dt.date, extra_months: list[dt.date]) -> tuple[int, int, int]:
    """Claim the dirty days, the activity changes, the courses to check and the learner months;
    rewrite the days, add the changes and the completions that differ, and update the learner
    months and their periods; compute the periods of `extra_months` whole (their months and
    rolling windows always, their years when not built yet). Returns (days, periods, rows written)."""
    days = aggregation.days_claim(cursor)
    learner_marks = aggregation.learner_marks_claim(cursor)
    changes = aggregation.changes_claim(cursor)
    courses = aggregation.courses_claim(cursor)
    if changes:
        learner_marks += aggregation.learner_changes_claim(cursor)
    if not days and not learner_marks and not changes and not courses and not extra_months:
        return 0, 0, 0
    rows = 0
    if days or changes or courses:
        days, rows = aggregation.activity_incremental_write(cursor, today=today)
    if not aggregation.learner_months_ready(cursor):
        # LearnerPeriod rows from before LearnerMonth existed: derive everything once.
        periods, learner_rows = _learners_rebuild(cursor, today=today)
        return days, periods, rows + learner_rows
    if learner_marks:
        rows += aggregation.learner_months_refresh(cursor, today=today)
    if extra_months:
        months_sql = " UNION ".join(f"SELECT %(month{i})s::date" for i in range(len(extra_months)))
        params = {f"month{i}": month for i, month in enumerate(extra_months)}
        aggregation.periods_prepare(cursor, today=today, months_sql=months_sql, params=params, whole=True)
        rows += aggregation.learner_periods_whole(cursor)
    return days, (_periods_count(cursor) if learner_marks or extra_months else 0), rows


def aggregates_refresh(*, now: dt.datetime | None = None) -> RefreshRun:
    """Refresh the days marked dirty since the last run (and their months, years and rolling
    windows). Costs one small transaction when nothing changed. Safe to run twice or at once."""
    clock = time.monotonic()
    with _steps_logged(), _refresh_transaction() as cursor:
        _prepare(cursor)
        started_at = now or timezone.now()
        days, periods, rows = _refresh_claimed(cursor, today=timezone.localdate(started_at), extra_months=[])
        return _record(
            kind=RefreshRun.Kind.INCREMENTAL, started_at=started_at, clock=clock, days=days, periods=periods, rows=rows
        )


def _previous_month(day: dt.date) -> dt.date:
    first = day.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def aggregates_refresh_rolling(*, now: dt.datetime | None = None) -> RefreshRun:
    """The nightly job: count the completions of courses that ended since the last nightly run
    (or rebuild), refresh what is dirty, recompute the current and previous month's month, year
    and rolling 12-month learner rows, and forget no-op run records older than 7 days.
    Safe to run twice: it rewrites the same days and periods."""
    clock = time.monotonic()
    with _steps_logged(), _refresh_transaction() as cursor:
        _prepare(cursor)
        started_at = now or timezone.now()
        today = timezone.localdate(started_at)
        yesterday = today - dt.timedelta(days=1)
        previous = (
            RefreshRun.objects.filter(
                kind__in=[RefreshRun.Kind.ROLLING, RefreshRun.Kind.REBUILD], started_at__lt=started_at
            )
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        since = timezone.localdate(previous) - dt.timedelta(days=1) if previous else yesterday
        since = max(min(since, yesterday), yesterday - dt.timedelta(days=366))
        # Mark the last days of the courses that ended in between, in the same transaction.
        cursor.execute(
            "INSERT INTO dashboards_dirtyday (day, marked_at) "
            "SELECT DISTINCT c.ends_on, now() FROM programmes_course c "
            "WHERE c.ends_on BETWEEN %s AND %s",
            [since, yesterday],
        )
        days, periods, rows = _refresh_claimed(
            cursor, today=today, extra_months=[today.replace(day=1), _previous_month(today)]
        )
        rows += aggregation.learner_deltas_fold(cursor)
        RefreshRun.objects.filter(
            started_at__lt=started_at - NO_OP_RUNS_KEPT, days_refreshed=0, periods_refreshed=0
        ).delete()
        return _record(
            kind=RefreshRun.Kind.ROLLING, started_at=started_at, clock=clock, days=days, periods=periods, rows=rows
        )


def aggregates_rebuild(*, now: dt.datetime | None = None) -> RefreshRun:
    """Rebuild both summary tables from the raw data in one transaction (readers keep seeing
    the previous tables until it commits) and clear the days marked dirty before it started.
    Safe to run twice: the result depends only on the raw data and the day."""
    clock = time.monotonic()
    own_transaction = not connection.in_atomic_block
    with _steps_logged(), _refresh_transaction() as cursor:
        _prepare(cursor)
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        cursor.execute("SET LOCAL jit = on")  # the connection's default is off (settings)
        started_at = now or timezone.now()
        today = timezone.localdate(started_at)
        aggregation.days_claim(cursor)  # these days and changes are rebuilt with everything else
        aggregation.learner_marks_claim(cursor)
        aggregation.changes_claim(cursor)
        aggregation.courses_claim(cursor)
        rows = aggregation.activity_days_write(cursor, today=today)
        cursor.execute("SELECT count(DISTINCT day) FROM dashboards_activityday")
        days = cursor.fetchone()[0]
        periods, learner_rows = _learners_rebuild(cursor, today=today)
        rows += learner_rows
        # A rebuild always changes the data version (see RefreshRun): count at least one day.
        run = _record(
            kind=RefreshRun.Kind.REBUILD,
            started_at=started_at,
            clock=clock,
            days=max(days, 1),
            periods=periods,
            rows=rows,
        )
    if own_transaction:
        with _steps_logged():
            _summaries_vacuum()
    return run


REBUILT_TABLES = [
    model._meta.db_table
    for model in (
        LearnerMonth,
        ActivityDay,
        LearnerPeriod,
        ActivityMonth,
        ActivityTotal,
        LearnerTotal,
        LearnerPeriodDelta,
        BuiltPeriod,
    )
]


def _summaries_vacuum() -> None:
    """After a rebuild has committed: VACUUM (ANALYZE) the tables it rewrote. Their new pages
    have no hint bits and are not in the visibility map, so the first refresh after a rebuild
    otherwise dirtied every LearnerMonth page it read and visited the heap for every index
    entry (17 s instead of 3 s at Bangkok scale, docs/benchmarks.md "Session 12"), until
    autovacuum, where it is on, came round to the 33M new rows. Pages left unchanged since
    the last vacuum are skipped. Not run inside a caller's transaction (VACUUM cannot)."""
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(REBUILT_TABLES)}")
