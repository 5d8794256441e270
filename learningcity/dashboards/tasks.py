"""Celery tasks of the dashboards: call a refresh service, nothing else (no arguments)."""

from celery import shared_task

from learningcity.dashboards import services


@shared_task(acks_late=True)
def aggregates_refresh() -> int:
    """Refresh the summary rows of the days changed since the last run (beat: every 5
    minutes). Safe to run twice or at once: runs take an advisory lock and rewrite whole days
    and periods in one transaction, so a second run finds nothing new to do. Returns the run id."""
    return services.aggregates_refresh().pk


@shared_task(acks_late=True)
def aggregates_refresh_rolling() -> int:
    """The nightly job (beat: 02:30 Asia/Bangkok): completions of courses that ended, the
    current and previous month's learner periods. Safe to run twice: it rewrites the same
    days and periods under the same lock. Returns the run id."""
    return services.aggregates_refresh_rolling().pk


@shared_task(acks_late=True)
def aggregates_rebuild() -> int:
    """Rebuild the summary tables from the raw data. Safe to run twice: the result depends
    only on the raw data and the day. Returns the run id."""
    return services.aggregates_rebuild().pk
