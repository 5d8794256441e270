"""Celery tasks of the catalogue: take ids, call a service, nothing else."""

from celery import shared_task

from programmes.services import programmes_refresh_schedule, search_words_rebuild


@shared_task(acks_late=True)
def programmes_refresh_schedule_all() -> int:
    """Move every programme's `next_course`/`next_start` on as sessions pass (hourly beat
    job). Idempotent: it writes only rows whose summary changed, so running it twice, or
    redelivered after a crash, is harmless."""
    return programmes_refresh_schedule()


@shared_task(acks_late=True)
def search_words_rebuild_all() -> int:
    """Rebuild the misspelling lexicon from the search documents (nightly beat job): drops
    words no document has any more. Idempotent."""
    return search_words_rebuild()
