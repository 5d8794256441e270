"""Celery tasks of the site as a whole (housekeeping that belongs to no domain app)."""

from importlib import import_module

from celery import shared_task
from django.conf import settings


@shared_task(acks_late=True)
def sessions_clear_expired() -> None:
    """Delete expired sessions (the ``django_session`` rows past their expiry date).

    Idempotent: it deletes only rows that are already expired, so running it twice, or
    again after a worker died mid-run and the message was redelivered (``acks_late``),
    deletes nothing more and harms nothing. Scheduled nightly in CELERY_BEAT_SCHEDULE."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
