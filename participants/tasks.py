"""Celery tasks of the participants app: take ids, call a service, nothing else."""

from celery import shared_task

from participants import notifications, services


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def notification_send_email(notification_id: int) -> bool:
    """E-mail one notification. Idempotent: the row is claimed with a conditional UPDATE
    (`email_sent_at IS NULL`, no live claim) and stamped when sent, so running twice, or a
    redelivery, sends once. A failed send releases the claim and is retried."""
    return notifications.notification_email_send(notification_id=notification_id)


@shared_task(acks_late=True)
def notifications_send_new() -> int:
    """E-mail the notifications not tried yet, queued once for a burst of commits
    (notifications.dispatch_on_commit). Idempotent: each row is claimed before it is sent."""
    return notifications.notifications_send_new()


@shared_task(acks_late=True)
def notifications_dispatch_pending() -> int:
    """Queue the e-mails still unsent a minute after their creation (e.g. the broker was down
    when the enrolment committed). Idempotent: sending claims each row, so a row queued twice
    is sent once."""
    return notifications.notifications_pending_dispatch()


@shared_task(acks_late=True)
def enrolment_offers_expire() -> int:
    """Expire offers past their deadline and offer the places to the next in line.
    Idempotent: offers are re-read under the course lock."""
    return services.offers_expire()


@shared_task(acks_late=True)
def enrolment_reminders_send() -> int:
    """Remind confirmed participants the day before a course's first session. Idempotent:
    each enrolment's reminder is stamped (`reminder_sent_at`) and sent once."""
    return services.enrolment_reminders_send()


@shared_task(acks_late=True)
def course_changes_notify() -> int:
    """Tell enrolled people about sessions staff moved or cancelled. Idempotent: each
    CourseChange row is claimed (SKIP LOCKED) and stamped `notified_at` once."""
    return services.course_changes_notify()
