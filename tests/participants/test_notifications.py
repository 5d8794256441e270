"""Telling people: in-site notifications in the recipient's language, e-mail sent once through
the outbox (claim + stamp), the .ics attachment, re-dispatch of pending rows, reminders."""

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.mail.backends import locmem
from django.utils import timezone
from icalendar import Calendar

from participants import notifications, services
from participants.models import Enrolment, Notification
from participants.tasks import enrolment_reminders_send, notification_send_email, notifications_dispatch_pending
from tests.factories import DependantFactory, SessionFactory

pytestmark = pytest.mark.django_db


def me(user):
    return user.participants.get(is_self=True)


def test_confirmation_email_is_sent_once_with_the_calendar_attached(
    course, resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enrolment = services.enrolment_create(participant=me(resident), course=course, actor=resident)
    note = Notification.objects.get(enrolment=enrolment)
    assert note.kind == "enrolment_confirmed" and note.email_sent_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [resident.email]
    assert message.subject == note.subject and "การใช้สมาร์ตโฟนสำหรับผู้สูงวัย" in message.subject
    assert f"/me/enrolments/{enrolment.pk}/" in message.body
    (name, content, mimetype) = message.attachments[0]
    assert name.endswith(".ics") and mimetype == "text/calendar"
    events = Calendar.from_ical(content).walk("VEVENT")
    session = course.sessions.get()
    assert len(events) == 1
    assert events[0].decoded("dtstart") == session.starts_at
    assert str(events[0]["summary"]) == "การใช้สมาร์ตโฟนสำหรับผู้สูงวัย"

    # the task run again (a redelivery, a second dispatch) sends nothing more
    assert notification_send_email.delay(note.pk).get() is False
    assert notifications.notification_email_send(notification_id=note.pk) is False
    assert len(mail.outbox) == 1


def test_a_dependants_message_goes_to_the_guardian_in_the_guardians_language(
    course, resident, django_capture_on_commit_callbacks
):
    guardian_profile = me(resident)
    guardian_profile.preferred_language = "en"
    guardian_profile.save()
    child = DependantFactory(
        account=resident, given_name="น้องฟ้า", preferred_language="th", birth_date=dt.date(2018, 3, 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.enrolment_create(participant=child, course=course, actor=resident)
    note = Notification.objects.get()
    assert note.recipient == resident and note.language == "en"
    assert note.subject == "Place confirmed: Smartphone skills"
    assert note.body.startswith("น้องฟ้า ใจดี has a place in “Smartphone skills” (Public Library).")
    session = course.sessions.get()
    first = timezone.localtime(session.starts_at)
    assert f"First meeting: {first.day} {first:%B %Y, %H:%M}, {session.venue.name_en}." in note.body
    assert mail.outbox[0].to == [resident.email]


def test_thai_recipients_get_thai_dates(course, resident):
    services.enrolment_create(participant=me(resident), course=course, actor=resident)
    note = Notification.objects.get()
    assert note.language == "th"
    assert str(course.starts_on.year + 543) in note.body  # Buddhist Era


def test_participants_without_an_account_get_no_notification(course, make_participant):
    person = make_participant()
    person.account = None
    person.is_self = False
    person.created_by_staff = True
    person.save()
    staff = course.programme.provider.memberships.create(user=make_participant().account, role="editor").user
    services.enrolment_create(participant=person, course=course, actor=staff)
    assert not Notification.objects.exists()


def test_an_inactive_account_gets_the_notification_but_no_email(course, resident, django_capture_on_commit_callbacks):
    services.enrolment_create(participant=me(resident), course=course, actor=resident)
    resident.is_active = False
    resident.save()
    note = Notification.objects.get()
    assert notifications.notification_email_send(notification_id=note.pk) is False
    note.refresh_from_db()
    assert not note.email_wanted and mail.outbox == []


def test_a_failed_send_releases_the_claim_and_the_pending_job_sends_it_later(course, resident, settings):
    services.enrolment_create(participant=me(resident), course=course, actor=resident)  # on_commit not run
    note = Notification.objects.get()
    assert note.email_sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens
    with pytest.raises(OSError):
        notifications.notification_email_send(notification_id=note.pk)
    note.refresh_from_db()
    assert (note.email_claimed_at, note.email_sent_at, note.email_attempts) == (None, None, 1)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.notifications_pending_dispatch(now=note.created_at + dt.timedelta(seconds=30)) == 0
    assert notifications_dispatch_pending.apply().get() == 0  # not yet a minute old
    later = note.created_at + dt.timedelta(minutes=2)
    queued = notifications.notifications_pending_dispatch(now=later)  # eager in tests: sends at once
    note.refresh_from_db()
    assert note.email_sent_at is not None and len(mail.outbox) == 1
    assert queued == 1
    assert notifications.notifications_pending_dispatch(now=later) == 0


def test_a_live_claim_keeps_a_second_sender_away(course, resident):
    services.enrolment_create(participant=me(resident), course=course, actor=resident)
    note = Notification.objects.get()
    now = timezone.now()
    Notification.objects.filter(pk=note.pk).update(email_claimed_at=now)  # another worker is sending
    assert notifications.notification_email_send(notification_id=note.pk, now=now + dt.timedelta(minutes=1)) is False
    assert notifications.notifications_pending_dispatch(now=now + dt.timedelta(minutes=2)) == 0
    # a claim older than the timeout is taken to be a dead worker's
    assert notifications.notification_email_send(notification_id=note.pk, now=now + dt.timedelta(minutes=11)) is True
    assert len(mail.outbox) == 1


def test_reminder_the_day_before_the_first_session_is_sent_once(make_course, make_participant):
    today = timezone.localdate()
    course = make_course(
        capacity=1, starts_on=today + dt.timedelta(days=1), cancellation_deadline=None, enrolment_closes_at=None
    )
    people = [make_participant() for _ in range(2)]
    confirmed, waiting = (services.enrolment_create(participant=p, course=course, actor=p.account) for p in people)
    other = make_course(starts_on=today + dt.timedelta(days=2), enrolment_closes_at=None, cancellation_deadline=None)
    services.enrolment_create(participant=people[1], course=other, actor=people[1].account)
    Notification.objects.all().delete()

    assert enrolment_reminders_send.apply().get() == 1
    assert services.enrolment_reminders_send() == 0
    note = Notification.objects.get()
    assert (note.kind, note.recipient) == ("course_reminder", people[0].account)
    confirmed.refresh_from_db()
    waiting.refresh_from_db()
    assert confirmed.reminder_sent_at is not None and waiting.reminder_sent_at is None

    # A course whose first session was cancelled is reminded by its next one.
    later = make_course(starts_on=today + dt.timedelta(days=1), enrolment_closes_at=None, cancellation_deadline=None)
    later.sessions.update(is_cancelled=True)
    SessionFactory(
        course=later,
        starts_at=dt.datetime.combine(today + dt.timedelta(days=3), dt.time(9), tzinfo=timezone.get_current_timezone()),
    )
    services.enrolment_create(participant=people[0], course=later, actor=people[0].account)
    assert services.enrolment_reminders_send() == 0
    two_days_on = timezone.now() + dt.timedelta(days=2)
    assert services.enrolment_reminders_send(now=two_days_on) == 1
    assert Enrolment.objects.get(course=later).reminder_sent_at is not None


class RefusingBackend(locmem.EmailBackend):
    """The test outbox, except that it refuses messages to REFUSED, as an SMTP server would."""

    REFUSED = "refused@example.org"

    def send_messages(self, messages):
        for message in messages:
            if self.REFUSED in message.to:
                raise smtplib.SMTPRecipientsRefused({self.REFUSED: (550, b"no such mailbox")})
        return super().send_messages(messages)


def test_one_sender_run_emails_every_new_row_and_leaves_a_failed_one_to_the_pending_job(
    course, resident, make_participant, settings
):
    # three commits whose on_commit callbacks did not run: three rows not tried yet
    people = [me(resident), make_participant(), make_participant()]
    people[2].account.email = RefusingBackend.REFUSED
    people[2].account.save(update_fields=["email"])
    for person in people:
        services.enrolment_create(participant=person, course=course, actor=person.account)
    assert Notification.objects.filter(email_attempts=0, email_sent_at__isnull=True).count() == 3
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    assert notifications.notifications_send_new() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.account.email for p in people[:2])
    failed = Notification.objects.get(recipient=people[2].account)
    assert (failed.email_sent_at, failed.email_claimed_at, failed.email_attempts) == (None, None, 1)
    # a second run finds nothing new: the failed row is the pending job's (with its backoff)
    assert notifications.notifications_send_new() == 0
    assert len(mail.outbox) == 2

    people[2].account.email = "back@example.org"
    people[2].account.save(update_fields=["email"])
    assert notifications.notifications_pending_dispatch(now=failed.created_at + dt.timedelta(minutes=2)) == 1
    failed.refresh_from_db()
    assert failed.email_sent_at is not None and failed.email_attempts == 2
    assert [m.to for m in mail.outbox[2:]] == [["back@example.org"]]


def test_the_sender_is_queued_once_while_one_waits_and_again_after_it_started(
    course, resident, make_participant, django_capture_on_commit_callbacks
):
    # (tasks run eagerly in tests: a sender queued runs at once)
    cache.add(notifications.RELAY_KEY, 1, notifications.RELAY_SECONDS)  # a sender is queued, not started
    with django_capture_on_commit_callbacks(execute=True):
        services.enrolment_create(participant=me(resident), course=course, actor=resident)
    assert mail.outbox == []  # left to the queued sender, which reads this row when it starts
    assert notifications.notifications_send_new() == 1  # that sender
    assert cache.get(notifications.RELAY_KEY) is None and len(mail.outbox) == 1

    other = make_participant()
    with django_capture_on_commit_callbacks(execute=True):
        services.enrolment_create(participant=other, course=course, actor=other.account)
    assert [m.to for m in mail.outbox[1:]] == [[other.account.email]]  # a new sender was queued (and ran)
    assert cache.get(notifications.RELAY_KEY) is None


def test_the_admins_resend_goes_through_the_sender(course, resident, admin_client, django_capture_on_commit_callbacks):
    services.enrolment_create(participant=me(resident), course=course, actor=resident)
    note = Notification.objects.get()
    Notification.objects.filter(pk=note.pk).update(email_attempts=5)  # gave up after five failures
    assert notifications.notifications_send_new() == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/participants/notification/", {"action": "resend_email", "_selected_action": [note.pk]}
        )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.email_sent_at is not None and note.email_attempts == 1
    assert [m.to for m in mail.outbox] == [[resident.email]]
