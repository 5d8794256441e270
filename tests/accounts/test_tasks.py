from django.conf import settings
from django.core import mail

from learningcity.accounts.tasks import email_send

MESSAGE = {
    "subject": "ยืนยันอีเมล",
    "body": "สวัสดี\nhttps://example.org/confirm/abc/",
    "html_body": "<p>สวัสดี</p>",
    "from_email": "Learning City <noreply@example.org>",
    "to": ["nok@example.org"],
}


def test_email_send_sends_exactly_the_given_message():
    assert settings.CELERY_TASK_ALWAYS_EAGER
    email_send.delay(**MESSAGE)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == MESSAGE["subject"]
    assert sent.body == MESSAGE["body"]
    assert sent.from_email == MESSAGE["from_email"]
    assert sent.to == MESSAGE["to"]
    assert sent.alternatives[0].content == MESSAGE["html_body"]
    assert sent.alternatives[0].mimetype == "text/html"


def test_email_send_without_html_sends_plain_text():
    email_send(**{**MESSAGE, "html_body": None})
    assert mail.outbox[0].alternatives == []


def test_email_send_twice_sends_twice_and_is_acked_early():
    """Documented: sending e-mail is at-least-once; the task is not idempotent, so it keeps
    early acknowledgement (a redelivery is the only way a message goes out twice)."""
    email_send(**MESSAGE)
    email_send(**MESSAGE)
    assert len(mail.outbox) == 2
    assert email_send.acks_late is False
    assert "not idempotent" in email_send.__doc__.lower()
