"""Celery tasks of the dashboards: call a refresh service (no arguments); a run that changed
the data queues ``reports_warm`` for the new data version."""

from celery import shared_task

from learningcity.dashboards import reports, services


def _warm_if_changed(run) -> int:
    if run.days_refreshed or run.periods_refreshed:
        reports_warm.delay()
    return run.pk


@shared_task(acks_late=True)
def reports_warm() -> int:
    """Cache the default view of every dashboard page (city administrators, the public page,
    each language) for the newest data version. Safe to run twice: cached pages are kept."""
    return reports.reports_warm()


@shared_task(acks_late=True)
def aggregates_refresh() -> int:
    """Refresh the summary rows of the days changed since the last run (beat: every 5
    minutes). Safe to run twice or at once: runs take an advisory lock and rewrite whole days
    and periods in one transaction, so a second run finds nothing new to do. Returns the run id."""
    return _warm_if_changed(services.aggregates_refresh())


@shared_task(acks_late=True)
def aggregates_refresh_rolling() -> int:
    """The nightly job (beat: 02:30 Asia/Bangkok): completions of courses that ended, the
    current and previous month's learner periods. Safe to run twice: it rewrites the same
    days and periods under the same lock. Returns the run id."""
    return _warm_if_changed(services.aggregates_refresh_rolling())


@shared_task(acks_late=True)
def aggregates_rebuild() -> int:
    """Rebuild the summary tables from the raw data. Safe to run twice: the result depends
    only on the raw data and the day. Returns the run id."""
    return _warm_if_changed(services.aggregates_rebuild())
