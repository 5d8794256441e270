"""Celery: the beat schedule names real tasks, and a real worker on the Redis broker runs
the session clean-up against PostgreSQL."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from learningcity.celery import app as celery_app
from learningcity.web.tasks import sessions_clear_expired


def _registered_task_names() -> set[str]:
    celery_app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    return set(celery_app.tasks.keys())


def test_every_beat_entry_names_a_registered_task():
    registered = _registered_task_names()
    assert settings.CELERY_BEAT_SCHEDULE, "the beat schedule is empty"
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in registered, f"beat entry {name!r} names unknown task {entry['task']!r}"


def test_session_cleanup_is_scheduled_nightly_under_a_name_that_says_what_it_does():
    entry = settings.CELERY_BEAT_SCHEDULE["web-clear-expired-sessions-nightly"]
    assert entry["task"] == "learningcity.web.tasks.sessions_clear_expired"
    assert entry["schedule"].hour == {3}
    assert celery_app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE


def test_session_cleanup_is_late_acked_because_it_is_idempotent():
    assert sessions_clear_expired.acks_late is True
    assert "Idempotent" in sessions_clear_expired.__doc__


def _session(key: str, *, expires_in: timedelta) -> Session:
    return Session.objects.create(session_key=key, session_data="e30:", expire_date=timezone.now() + expires_in)


@pytest.mark.django_db
def test_session_cleanup_deletes_only_expired_sessions_and_is_safe_to_run_twice():
    _session("ops-expired-1", expires_in=-timedelta(seconds=1))
    _session("ops-live-1", expires_in=timedelta(days=1))
    sessions_clear_expired.apply().get()
    sessions_clear_expired.apply().get()
    assert set(Session.objects.values_list("session_key", flat=True)) == {"ops-live-1"}


@pytest.fixture
def real_broker():
    """Send tasks to the real Redis broker (test settings run them eagerly elsewhere)."""
    conf = celery_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = False
    try:
        yield conf.broker_url
    finally:
        conf.task_always_eager = saved


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_clears_expired_sessions_in_postgresql(real_broker):
    from celery.contrib.testing.worker import start_worker
    from celery.result import EagerResult

    assert real_broker.startswith("redis://"), real_broker
    _session("ops-expired-2", expires_in=-timedelta(hours=1))
    _session("ops-live-2", expires_in=timedelta(hours=1))

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        result = sessions_clear_expired.delay()
        assert not isinstance(result, EagerResult)  # went through the broker, not run in-process
        deadline = time.monotonic() + 30
        while Session.objects.filter(session_key="ops-expired-2").exists():
            assert time.monotonic() < deadline, "the worker did not clear the expired session within 30 s"
            time.sleep(0.2)

    assert Session.objects.filter(session_key="ops-live-2").exists()
