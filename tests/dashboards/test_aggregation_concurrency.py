"""Refresh runs in real transactions: a run killed half way leaves nothing behind and the next
run equals a clean one; two runs at once count once; a real Celery worker runs the beat
schedule's refresh task."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection, connections

from learningcity.celery import app as celery_app
from learningcity.dashboards import tasks  # noqa: F401 - registers the tasks, as a worker's autodiscovery does
from learningcity.dashboards.models import ActivityChange, ActivityDay, DirtyCourse, DirtyDay, RefreshRun
from learningcity.dashboards.services import aggregates_rebuild, aggregates_refresh
from participants.models import Attendance
from tests.dashboards.test_aggregation_support import GENERATED_NOW, generate_tiny_city, snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def _touch_attendance(n: int = 5) -> None:
    """Turn n absent marks present (the triggers mark their days)."""
    ids = list(
        Attendance.objects.filter(status="absent", session__is_cancelled=False)
        .order_by("pk")[:n]
        .values_list("pk", flat=True)
    )
    Attendance.objects.filter(pk__in=ids).update(status="present")


def pending() -> tuple[set, set, set]:
    """What the triggers wrote for the next refresh: days, activity changes, courses (by id)."""
    return tuple(set(model.objects.values_list("pk", flat=True)) for model in (DirtyDay, ActivityChange, DirtyCourse))


def _in_thread(target):
    errors = []

    def run():
        try:
            target()
        except Exception as exc:  # reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_a_refresh_cancelled_half_way_changes_nothing_and_the_rerun_equals_a_clean_run():
    generate_tiny_city()
    aggregates_rebuild(now=GENERATED_NOW)
    before = snapshot()
    _touch_attendance()
    dirty = pending()
    assert dirty[1] and dirty[2]  # the changes written and the courses marked

    with connection.cursor() as blocker_cursor:
        # Another session holds the learner table: the refresh rewrites its days, then waits.
        blocker = connections.create_connection("default")
        blocker.set_autocommit(False)
        with blocker.cursor() as cur:
            cur.execute("LOCK TABLE dashboards_learnerperiod IN ACCESS EXCLUSIVE MODE")
        thread, errors = _in_thread(lambda: aggregates_refresh(now=GENERATED_NOW))
        deadline = time.monotonic() + 30
        pid = None
        while pid is None:
            assert time.monotonic() < deadline, "the refresh never reached the learner table"
            blocker_cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
                ["%dashboards_learnerperiod%"],
            )
            row = blocker_cursor.fetchone()
            pid = row[0] if row else None
            time.sleep(0.05)
        blocker_cursor.execute("SELECT pg_cancel_backend(%s)", [pid])  # kill it half way
        thread.join(30)
        blocker.rollback()
        blocker.close()
    assert errors and "cancel" in str(errors[0]).lower()
    assert snapshot() == before  # its ActivityDay rewrite was rolled back
    assert pending() == dirty  # and its claims too
    assert not RefreshRun.objects.filter(kind="incremental").exists()

    aggregates_refresh(now=GENERATED_NOW)  # the rerun
    rerun = snapshot()
    assert rerun != before
    aggregates_rebuild(now=GENERATED_NOW)
    assert snapshot() == rerun


def test_two_refreshes_at_once_count_once():
    generate_tiny_city()
    aggregates_rebuild(now=GENERATED_NOW)
    _touch_attendance(20)
    barrier = threading.Barrier(2)

    def refresh():
        barrier.wait()
        aggregates_refresh(now=GENERATED_NOW)

    threads = [_in_thread(refresh) for _ in range(2)]
    for thread, _errors in threads:
        thread.join(60)
    assert [errors for _thread, errors in threads] == [[], []]
    runs = RefreshRun.objects.filter(kind="incremental").order_by("pk")
    assert sorted(run.days_refreshed > 0 for run in runs) == [False, True]  # the second found nothing left
    together = snapshot()
    aggregates_rebuild(now=GENERATED_NOW)
    assert snapshot() == together


@pytest.fixture
def real_broker():
    conf = celery_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = False
    celery_app.control.purge()
    try:
        yield conf.broker_url
    finally:
        conf.task_always_eager = saved


@pytest.mark.celery_worker
def test_a_real_worker_runs_the_beat_refresh_and_the_tables_update(real_broker):
    from celery.contrib.testing.worker import start_worker
    from celery.result import EagerResult

    generate_tiny_city()
    aggregates_rebuild()
    _touch_attendance()
    before = ActivityDay.objects.values_list("attendances", flat=True)
    before_total = sum(before)
    latest = RefreshRun.objects.latest()
    entry = settings.CELERY_BEAT_SCHEDULE["dashboards-refresh-every-5-minutes"]
    assert real_broker.startswith("redis://")
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        result = celery_app.send_task(entry["task"])  # by the name beat sends
        assert not isinstance(result, EagerResult)
        deadline = time.monotonic() + 60
        while not RefreshRun.objects.filter(started_at__gt=latest.started_at).exists():
            assert time.monotonic() < deadline, "the worker did not refresh within 60 s"
            time.sleep(0.2)
    run = RefreshRun.objects.latest()
    assert run.kind == "incremental" and run.days_refreshed > 0
    assert sum(ActivityDay.objects.values_list("attendances", flat=True)) == before_total + 5
    assert not DirtyDay.objects.exists()
    assert "dashboards-refresh-rolling-nightly" in settings.CELERY_BEAT_SCHEDULE


def test_a_refresh_reads_one_snapshot_under_a_lock_taken_before_it():
    """The claim and the raw rows are read in one snapshot (REPEATABLE READ), and the lock is
    held by the session from before the transaction began until after it ended."""
    from learningcity.dashboards import services

    other = connections.create_connection("default")
    other.set_autocommit(True)

    def other_takes_the_lock() -> bool:
        with other.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", [services.REFRESH_LOCK_KEY])
            taken = cur.fetchone()[0]
            if taken:
                cur.execute("SELECT pg_advisory_unlock(%s)", [services.REFRESH_LOCK_KEY])
            return taken

    try:
        with services._refresh_transaction() as cursor:
            cursor.execute("SHOW transaction_isolation")
            assert cursor.fetchone()[0] == "repeatable read"
            assert not other_takes_the_lock()
            cursor.execute("SELECT count(*) FROM dashboards_dirtyday")  # the snapshot is taken here
            seen = cursor.fetchone()[0]
            with other.cursor() as cur:  # a mark committed after it is not claimed by this run
                cur.execute("INSERT INTO dashboards_dirtyday (day, marked_at) VALUES ('2026-01-01', now())")
            cursor.execute("WITH claimed AS (DELETE FROM dashboards_dirtyday RETURNING 1) SELECT count(*) FROM claimed")
            assert cursor.fetchone()[0] == seen
        assert other_takes_the_lock()
        assert DirtyDay.objects.filter(day="2026-01-01").count() == 1  # left for the next run
    finally:
        other.close()


def _vacuums(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_a_rebuild_vacuums_the_tables_it_rewrote_once_committed():
    from learningcity.dashboards.services import REBUILT_TABLES

    generate_tiny_city()
    before = {table: _vacuums(table) for table in REBUILT_TABLES}
    aggregates_rebuild(now=GENERATED_NOW)
    deadline = time.monotonic() + 10  # the statistics of a backend are flushed within a second
    while any(_vacuums(t) == before[t] for t in REBUILT_TABLES) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert {t: _vacuums(t) - before[t] for t in REBUILT_TABLES} == dict.fromkeys(REBUILT_TABLES, 1)
    with connection.cursor() as cursor:  # and the pages are in the visibility map: no heap fetches
        cursor.execute("SELECT relallvisible, relpages FROM pg_class WHERE relname = 'dashboards_learnermonth'")
        all_visible, pages = cursor.fetchone()
    assert pages > 0 and all_visible == pages
