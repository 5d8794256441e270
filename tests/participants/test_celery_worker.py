"""The e-mail outbox with a REAL Celery worker on the Redis broker: sent exactly once even when
the task is queued twice, and delivered after the broker was unreachable at enrolment time."""

import datetime as dt
import logging
import time

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

import participants.tasks  # noqa: F401 - registers the tasks with the app, as a worker's autodiscovery does
from learningcity.celery import app as celery_app
from participants import notifications, services
from participants.models import Enrolment, Notification
from participants.tasks import notification_send_email, notifications_dispatch_pending

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


def _reset_broker_connections():
    """Forget pooled connections so that the next publish connects to conf.broker_url."""
    from kombu import pools

    pools.reset()  # kombu keeps connection pools per broker URL, process-wide
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def real_broker():
    """Tasks go through the real Redis broker (test settings run them eagerly elsewhere)."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url
    conf.task_always_eager = False
    _reset_broker_connections()
    celery_app.control.purge()  # messages left by earlier tests
    try:
        yield conf.broker_url
    finally:
        conf.task_always_eager, conf.broker_url = saved
        _reset_broker_connections()


def worker():
    from celery.contrib.testing.worker import start_worker

    return start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20)


def wait_for(condition, what: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"the worker did not {what} within {seconds} s"
        time.sleep(0.2)


def me(user):
    return user.participants.get(is_self=True)


def test_confirmation_is_emailed_once_even_when_the_task_runs_twice(real_broker, course, resident, make_participant):
    assert real_broker.startswith("redis://")
    enrolment = services.enrolment_create(participant=me(resident), course=course, actor=resident)  # queued on commit
    note = Notification.objects.get(enrolment=enrolment)
    notification_send_email.delay(note.pk)  # the same task again (a retry, a double dispatch)
    other = make_participant()
    later = services.enrolment_create(participant=other, course=course, actor=other.account)  # queued last
    later_note = Notification.objects.get(enrolment=later)

    with worker():
        # the solo worker takes messages in order: once the last one is sent, both copies ran
        wait_for(lambda: Notification.objects.get(pk=later_note.pk).email_sent_at is not None, "send the e-mails")

    note.refresh_from_db()
    assert note.email_sent_at is not None and note.email_attempts == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([resident.email, other.account.email])
    assert [m.attachments[0][0].endswith(".ics") for m in mail.outbox] == [True, True]


def test_enrolment_succeeds_with_the_broker_down_and_the_message_follows_later(real_broker, course, resident, caplog):
    celery_app.conf.broker_url = CLOSED_PORT_BROKER
    _reset_broker_connections()
    with caplog.at_level(logging.WARNING, logger="participants.notifications"):
        enrolment = services.enrolment_create(participant=me(resident), course=course, actor=resident)
    assert "not queued" in caplog.text
    assert cache.get(notifications.RELAY_KEY) is None  # the next commit tries again
    assert Enrolment.objects.get(pk=enrolment.pk).status == Enrolment.Status.CONFIRMED
    note = Notification.objects.get(enrolment=enrolment)
    assert note.email_sent_at is None and mail.outbox == []

    celery_app.conf.broker_url = real_broker  # the broker is back
    _reset_broker_connections()
    # a minute passes: the row is now "pending" for the periodic job
    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - dt.timedelta(minutes=2))
    with worker():
        notifications_dispatch_pending.delay()  # what beat sends every minute
        wait_for(lambda: Notification.objects.get(pk=note.pk).email_sent_at is not None, "deliver the pending e-mail")
        notifications_dispatch_pending.delay()  # and again: nothing more to send
        time.sleep(1)

    assert len(mail.outbox) == 1 and mail.outbox[0].to == [resident.email]


def _queued() -> int:
    """Messages waiting in the default queue of the real broker (declaring it is how kombu
    reports its size; the worker declares the same queue)."""
    with celery_app.connection_for_read() as conn:
        return conn.default_channel.queue_declare(celery_app.conf.task_default_queue).message_count


def test_a_burst_of_enrolments_queues_one_sender_which_emails_them_all(real_broker, make_course, make_participant):
    course = make_course(capacity=3)
    people = [make_participant() for _ in range(6)]
    for person in people:  # six commits, no worker running yet
        services.enrolment_create(participant=person, course=course, actor=person.account)
    assert _queued() == 1  # one sender task, not one task a message
    assert cache.get(notifications.RELAY_KEY) is not None

    with worker():
        wait_for(lambda: Notification.objects.filter(email_sent_at__isnull=True).count() == 0, "send the e-mails")
        assert cache.get(notifications.RELAY_KEY) is None  # deleted when the sender started
        late = make_participant()
        services.enrolment_create(participant=late, course=course, actor=late.account)  # after it: a new sender
        wait_for(lambda: len(mail.outbox) == 7, "send the late enrolment's e-mail")

    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.account.email for p in [*people, late])
    assert set(Notification.objects.values_list("email_attempts", flat=True)) == {1}
    assert _queued() == 0
