"""The offer chain: a freed place is offered to the first in line, held for the course's
hours, accepted in one click, or declined / left to expire and passed to the next person."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from participants import services
from participants.errors import EnrolmentRefused, Reason
from participants.models import Enrolment, Notification
from programmes.models import Course

pytestmark = pytest.mark.django_db
S = Enrolment.Status


@pytest.fixture
def full_offer_course(make_course, make_participant):
    """One place, taken; three people in line; offers held for 48 hours."""
    course = make_course(capacity=1, confirmation_mode=Course.ConfirmationMode.OFFER, offer_hold_hours=48)
    people = [make_participant() for _ in range(4)]
    enrolments = [services.enrolment_create(participant=p, course=course, actor=p.account) for p in people]
    return course, people, enrolments


def fresh(enrolment):
    enrolment.refresh_from_db()
    return enrolment


def test_offer_then_expiry_then_next_person_then_accept(full_offer_course):
    course, people, enrolments = full_offer_course
    now = timezone.now()
    services.enrolment_cancel(enrolment=enrolments[0], actor=people[0].account, now=now)

    offered = fresh(enrolments[1])
    assert offered.status == S.OFFERED
    assert offered.offer_expires_at == now + dt.timedelta(hours=48)
    assert fresh(enrolments[2]).waitlist_position == 1
    course.refresh_from_db()
    assert (course.seats_taken, course.waitlist_count) == (1, 2)  # the offer holds the seat
    offer_note = Notification.objects.get(recipient=people[1].account, kind="offer_made")
    assert f"/me/enrolments/{offered.pk}/accept/" in offer_note.body
    assert offer_note.url.endswith(f"/{offered.pk}/accept/")

    assert services.offers_expire(now=now + dt.timedelta(hours=47)) == 0
    assert services.offers_expire(now=now + dt.timedelta(hours=48, minutes=1)) == 1
    expired = fresh(enrolments[1])
    assert (expired.status, expired.cancelled_reason) == (S.CANCELLED, Enrolment.CancelledReason.OFFER_EXPIRED)
    assert Notification.objects.filter(recipient=people[1].account, kind="offer_expired").count() == 1
    second = fresh(enrolments[2])
    assert second.status == S.OFFERED
    assert fresh(enrolments[3]).waitlist_position == 1
    # running the job again changes nothing
    assert services.offers_expire(now=now + dt.timedelta(hours=48, minutes=2)) == 0

    with pytest.raises(EnrolmentRefused) as info:
        services.offer_accept(enrolment=expired, actor=people[1].account)
    assert info.value.reason == Reason.NO_OPEN_OFFER

    accepted = services.offer_accept(enrolment=second, actor=people[2].account, now=now + dt.timedelta(hours=50))
    assert accepted.status == S.CONFIRMED and second.status == S.CONFIRMED
    # a second click is harmless
    services.offer_accept(enrolment=second, actor=people[2].account, now=now + dt.timedelta(hours=50))
    assert Notification.objects.filter(recipient=people[2].account, kind="enrolment_confirmed").count() == 1
    course.refresh_from_db()
    assert (course.seats_taken, course.waitlist_count) == (1, 1)


def test_decline_passes_the_place_to_the_next_person(full_offer_course):
    course, people, enrolments = full_offer_course
    services.enrolment_cancel(enrolment=enrolments[0], actor=people[0].account)
    services.offer_decline(enrolment=enrolments[1], actor=people[1].account)
    declined = fresh(enrolments[1])
    assert declined.cancelled_reason == Enrolment.CancelledReason.OFFER_DECLINED
    assert fresh(enrolments[2]).status == S.OFFERED
    course.refresh_from_db()
    assert (course.seats_taken, course.waitlist_count) == (1, 1)
    with pytest.raises(EnrolmentRefused) as info:
        services.offer_decline(enrolment=enrolments[1], actor=people[1].account)
    assert info.value.reason == Reason.NO_OPEN_OFFER


def test_an_offer_cannot_be_accepted_after_its_deadline_even_before_the_job_runs(full_offer_course):
    _course, people, enrolments = full_offer_course
    now = timezone.now()
    services.enrolment_cancel(enrolment=enrolments[0], actor=people[0].account, now=now)
    with pytest.raises(EnrolmentRefused) as info, translation.override("en"):
        services.offer_accept(enrolment=enrolments[1], actor=people[1].account, now=now + dt.timedelta(hours=49))
    assert info.value.reason == Reason.OFFER_EXPIRED
    assert info.value.message.startswith("The offer expired on ")


def test_someone_else_cannot_accept_my_offer(full_offer_course):
    _course, people, enrolments = full_offer_course
    services.enrolment_cancel(enrolment=enrolments[0], actor=people[0].account)
    with pytest.raises(EnrolmentRefused) as info:
        services.offer_accept(enrolment=enrolments[1], actor=people[2].account)
    assert info.value.reason == Reason.NOT_ALLOWED
    assert fresh(enrolments[1]).status == S.OFFERED


def test_automatic_mode_confirms_the_next_person_without_an_offer(make_course, make_participant):
    course = make_course(capacity=1, confirmation_mode=Course.ConfirmationMode.AUTOMATIC)
    people = [make_participant() for _ in range(2)]
    first, second = (services.enrolment_create(participant=p, course=course, actor=p.account) for p in people)
    services.enrolment_cancel(enrolment=first, actor=people[0].account)
    assert fresh(second).status == S.CONFIRMED
    assert Notification.objects.filter(recipient=people[1].account, kind="enrolment_confirmed").count() == 1


def test_places_are_not_given_out_once_the_course_has_ended(make_course, make_participant):
    course = make_course(capacity=1, confirmation_mode=Course.ConfirmationMode.OFFER)
    people = [make_participant() for _ in range(2)]
    for p in people:
        services.enrolment_create(participant=p, course=course, actor=p.account)
    Course.objects.filter(pk=course.pk).update(capacity=2)
    after_end = dt.datetime.combine(course.ends_on + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
    assert services.course_places_release(course_id=course.pk, now=after_end) == []
    assert services.course_places_release(course_id=course.pk)[0].status == S.OFFERED
