"""Celery tasks of the accounts app: plain values in, no model instances."""

from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(name="learningcity.accounts.tasks.email_send", acks_late=False, ignore_result=True)
def email_send(
    *,
    subject: str,
    body: str,
    html_body: str | None = None,
    from_email: str | None = None,
    to: list[str],
) -> None:
    """Send one e-mail that was already rendered in the request (in the reader's language).

    Safe to run twice? Not idempotent: running it twice with the same arguments sends the
    message twice. E-mail leaves the system as soon as the SMTP server accepts it and there is
    nothing to record it against that would survive a crash between "sent" and "recorded", so
    delivery is at-least-once by nature. To keep duplicates rare the task keeps early
    acknowledgement (``acks_late=False``, Celery's default): a worker that dies mid-send loses
    that message instead of redelivering it, and a redelivered broker message is the only way
    it runs twice. Every message allauth sends through here is harmless when duplicated (a
    verification link, a password-reset link: every copy carries a working link)."""
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=from_email, to=list(to))
    if html_body:
        message.attach_alternative(html_body, "text/html")
    message.send()
