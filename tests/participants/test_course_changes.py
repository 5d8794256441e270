"""Staff move or cancel a session (programmes services write a CourseChange row); the
participants job tells everyone enrolled, once, in each person's language."""

import datetime as dt

import pytest
from django.utils import timezone

from participants import services
from participants.models import Notification
from participants.tasks import course_changes_notify
from programmes import services as programme_services
from programmes.models import CourseChange
from tests.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db


def _enrol(course, district, language):
    account = UserFactory(preferred_language=language)
    participant = ParticipantFactory(district=district, account=account, preferred_language=language)
    services.enrolment_create(participant=participant, course=course, actor=account)
    return account


def test_moving_a_session_tells_each_enrolled_person_once_in_their_language(make_course, district):
    course = make_course(capacity=5, sessions=2)
    thai, english = _enrol(course, district, "th"), _enrol(course, district, "en")
    session = course.sessions.order_by("starts_at").last()
    new_start = session.starts_at + dt.timedelta(days=1)
    Notification.objects.all().delete()  # the enrolment confirmations

    programme_services.session_update(session=session, starts_at=new_start, ends_at=new_start + dt.timedelta(hours=2))
    assert CourseChange.objects.filter(course=course, notified_at__isnull=True).count() == 1

    assert course_changes_notify() == 1
    notes = {n.recipient_id: n for n in Notification.objects.filter(kind="course_changed")}
    assert set(notes) == {thai.pk, english.pk}
    assert str(new_start.astimezone(timezone.get_current_timezone()).year + 543) in notes[thai.pk].body
    assert "has moved to" in notes[english.pk].body
    assert str(new_start.astimezone(timezone.get_current_timezone()).year) in notes[english.pk].body

    # Run again: nothing more is sent.
    assert course_changes_notify() == 0
    assert Notification.objects.filter(kind="course_changed").count() == 2


def test_cancelling_a_session_is_reported_once_and_saving_unchanged_times_reports_nothing(make_course, district):
    course = make_course(capacity=5, sessions=2)
    english = _enrol(course, district, "en")
    session = course.sessions.order_by("starts_at").first()
    Notification.objects.all().delete()

    programme_services.session_update(session=session, starts_at=session.starts_at, ends_at=session.ends_at)
    assert not CourseChange.objects.exists()

    programme_services.session_cancel(session=session)
    programme_services.session_cancel(session=session)  # a double click
    assert CourseChange.objects.count() == 1
    assert course_changes_notify() == 1
    note = Notification.objects.get(kind="course_changed", recipient=english)
    assert "is cancelled" in note.body
