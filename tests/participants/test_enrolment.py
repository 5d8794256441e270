"""Enrolling: confirmed or waitlisted, every refusal reason with its own translated message,
double requests, cancelling and leaving the waiting list, staff changes to a course."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from participants import services
from participants.errors import EnrolmentRefused, Reason
from participants.models import Consent, Enrolment, Notification
from programmes.models import Course, Programme
from tests.factories import DependantFactory, ProviderMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Enrolment.Status


def me(user):
    return user.participants.get(is_self=True)


def refused(reason, **kwargs) -> EnrolmentRefused:
    with pytest.raises(EnrolmentRefused) as info:
        services.enrolment_create(**kwargs)
    assert info.value.reason == reason, info.value.message
    assert info.value.message
    return info.value


def assert_counters_true(course):
    course.refresh_from_db()
    rows = Enrolment.objects.filter(course=course)
    assert course.seats_taken == rows.filter(status__in=[S.CONFIRMED, S.OFFERED]).count()
    assert course.waitlist_count == rows.filter(status=S.WAITLISTED).count()
    positions = sorted(rows.filter(status=S.WAITLISTED).values_list("waitlist_position", flat=True))
    assert positions == list(range(1, course.waitlist_count + 1))


def test_free_place_confirms_then_full_course_waitlists_with_a_position(course, make_participant):
    people = [make_participant() for _ in range(4)]
    results = [services.enrolment_create(participant=p, course=course, actor=p.account) for p in people]
    assert [e.status for e in results] == [S.CONFIRMED, S.CONFIRMED, S.WAITLISTED, S.WAITLISTED]
    assert [e.waitlist_position for e in results] == [None, None, 1, 2]
    assert (course.seats_taken, course.waitlist_count) == (2, 2)  # the caller's instance follows
    assert_counters_true(course)
    kinds = list(Notification.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["enrolment_confirmed"] * 2 + ["waitlisted"] * 2
    waiting = Notification.objects.filter(kind="waitlisted").order_by("pk").last()
    assert "2" in waiting.body


def test_the_same_request_twice_gives_one_enrolment_and_a_friendly_refusal(course, resident):
    services.enrolment_create(participant=me(resident), course=course, actor=resident)
    error = refused(Reason.ALREADY_ENROLLED, participant=me(resident), course=course, actor=resident)
    assert me(resident).given_name in error.message
    assert Enrolment.objects.filter(course=course).count() == 1
    assert_counters_true(course)


def test_already_waitlisted_and_already_offered_have_their_own_reasons(make_course, make_participant):
    course = make_course(capacity=1, confirmation_mode=Course.ConfirmationMode.OFFER)
    first, second, third = (make_participant() for _ in range(3))
    confirmed = services.enrolment_create(participant=first, course=course, actor=first.account)
    services.enrolment_create(participant=second, course=course, actor=second.account)
    with translation.override("en"):
        error = refused(Reason.ALREADY_WAITLISTED, participant=second, course=course, actor=second.account)
    assert "number 1 in line" in error.message
    services.enrolment_create(participant=third, course=course, actor=third.account)
    services.enrolment_cancel(enrolment=confirmed, actor=first.account)
    refused(Reason.ALREADY_OFFERED, participant=second, course=course, actor=second.account)


def test_re_enrolling_after_cancelling_works(course, resident):
    enrolment = services.enrolment_create(participant=me(resident), course=course, actor=resident)
    services.enrolment_cancel(enrolment=enrolment, actor=resident)
    again = services.enrolment_create(participant=me(resident), course=course, actor=resident)
    assert again.pk != enrolment.pk and again.status == S.CONFIRMED
    assert_counters_true(course)


def test_every_refusal_reason_has_its_own_translated_message(make_course, make_participant, resident):
    now = timezone.now()
    person = me(resident)
    other = UserFactory()

    course = make_course()
    refused(Reason.NOT_ALLOWED, participant=person, course=course, actor=other)
    refused(Reason.NOT_ALLOWED, participant=person, course=course, actor=None)

    Consent.objects.filter(participant=person).update(withdrawn_at=now)
    refused(Reason.PRIVACY_CONSENT_MISSING, participant=person, course=course, actor=resident)
    services.consent_give(participant=person, purpose=Consent.Purpose.PRIVACY_NOTICE, actor=resident)

    child = DependantFactory(account=resident, birth_date=timezone.localdate() - dt.timedelta(days=12 * 365))
    services.consent_withdraw(participant=child, purpose=Consent.Purpose.GUARDIAN, actor=resident)
    refused(Reason.GUARDIAN_CONSENT_MISSING, participant=child, course=course, actor=resident)

    draft = make_course()
    Programme.objects.filter(pk=draft.programme_id).update(status=Programme.Status.DRAFT, published_at=None)
    refused(Reason.COURSE_NOT_PUBLISHED, participant=person, course=draft, actor=resident)

    cancelled = make_course(status=Course.Status.CANCELLED)
    refused(Reason.COURSE_CANCELLED, participant=person, course=cancelled, actor=resident)

    ended = make_course(
        starts_on=timezone.localdate() - dt.timedelta(days=30),
        ends_on=timezone.localdate() - dt.timedelta(days=1),
        sessions=0,
    )
    refused(Reason.COURSE_ENDED, participant=person, course=ended, actor=resident)

    opens = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
    later = make_course(enrolment_opens_at=opens, enrolment_closes_at=opens + dt.timedelta(days=3))
    with translation.override("th"):
        error = refused(
            Reason.WINDOW_NOT_OPEN, participant=person, course=later, actor=resident, now=opens - dt.timedelta(hours=1)
        )
    assert "2569" in error.message  # the date in the Buddhist Era
    with translation.override("en"):
        error = refused(
            Reason.WINDOW_NOT_OPEN, participant=person, course=later, actor=resident, now=opens - dt.timedelta(hours=1)
        )
    assert error.message == "Enrolment opens on 25 November 2026, 15:00."

    closed = make_course(enrolment_opens_at=now - dt.timedelta(days=5), enrolment_closes_at=now - dt.timedelta(hours=1))
    with translation.override("en"):
        error = refused(Reason.WINDOW_CLOSED, participant=person, course=closed, actor=resident)
    assert error.message.startswith("Enrolment closed on ")

    teens = make_course(age_min=13, age_max=19)
    with translation.override("en"):
        error = refused(Reason.TOO_OLD, participant=person, course=teens, actor=resident)
    assert "up to 19 years" in error.message
    seniors = make_course(age_min=60)
    with translation.override("en"):
        error = refused(Reason.TOO_YOUNG, participant=person, course=seniors, actor=resident)
    assert error.message == f"{person.full_name} is too young for this course (from 60 years)."
    with translation.override("th"):
        error = refused(Reason.TOO_YOUNG, participant=person, course=seniors, actor=resident)
    assert "60" in error.message

    services.enrolment_create(participant=person, course=course, actor=resident)
    refused(Reason.ALREADY_ENROLLED, participant=person, course=course, actor=resident)

    assert not Enrolment.objects.exclude(course=course).exists()


def test_reasons_are_checked_in_a_fixed_order(make_course, resident):
    """A cancelled course for a too-young person: the course state is told first."""
    course = make_course(age_min=60, status=Course.Status.CANCELLED)
    refused(Reason.COURSE_CANCELLED, participant=me(resident), course=course, actor=resident)


def test_age_is_taken_at_the_course_start(make_course, resident):
    course = make_course(age_min=31)
    person = me(resident)
    person.birth_date = course.starts_on.replace(year=course.starts_on.year - 31)  # 31 on the first day
    person.save()
    assert services.enrolment_create(participant=person, course=course, actor=resident).status == S.CONFIRMED
    person.birth_date += dt.timedelta(days=1)  # one day short of 31 on the first day
    person.save()
    course2 = make_course(age_min=31)
    refused(Reason.TOO_YOUNG, participant=person, course=course2, actor=resident)


def test_provider_staff_may_enrol_a_participant_of_another_account(course, resident):
    staff = ProviderMembershipFactory(provider=course.programme.provider).user
    enrolment = services.enrolment_create(participant=me(resident), course=course, actor=staff)
    assert enrolment.enrolled_by == staff


def test_cancelling_a_confirmed_place_frees_it_for_the_first_in_line(course, make_participant):
    people = [make_participant() for _ in range(4)]
    enrolments = [services.enrolment_create(participant=p, course=course, actor=p.account) for p in people]
    services.enrolment_cancel(enrolment=enrolments[0], actor=people[0].account)
    for e in enrolments:
        e.refresh_from_db()
    assert enrolments[0].status == S.CANCELLED
    assert enrolments[0].cancelled_reason == Enrolment.CancelledReason.BY_RESIDENT
    assert enrolments[2].status == S.CONFIRMED  # automatic mode: the first in line gets it
    assert enrolments[3].waitlist_position == 1
    assert_counters_true(course)
    assert Notification.objects.filter(recipient=people[0].account, kind="enrolment_cancelled").exists()
    assert Notification.objects.filter(recipient=people[2].account, kind="enrolment_confirmed").count() == 1


def test_cancelling_after_the_deadline_is_refused_but_leaving_the_waiting_list_is_not(course, make_participant):
    people = [make_participant() for _ in range(4)]
    enrolments = [services.enrolment_create(participant=p, course=course, actor=p.account) for p in people]
    late = course.cancellation_deadline + dt.timedelta(minutes=1)
    with pytest.raises(EnrolmentRefused) as info, translation.override("en"):
        services.enrolment_cancel(enrolment=enrolments[0], actor=people[0].account, now=late)
    assert info.value.reason == Reason.CANCELLATION_CLOSED
    assert "Public Library" in info.value.message
    services.waitlist_leave(enrolment=enrolments[2], actor=people[2].account, now=late)
    enrolments[3].refresh_from_db()
    assert enrolments[3].waitlist_position == 1
    assert_counters_true(course)


def test_waitlist_positions_close_up_behind_someone_who_leaves(make_course, make_participant):
    course = make_course(capacity=1)
    people = [make_participant() for _ in range(6)]
    enrolments = [services.enrolment_create(participant=p, course=course, actor=p.account) for p in people]
    services.waitlist_leave(enrolment=enrolments[2], actor=people[2].account)  # position 2
    positions = {
        e.participant_id: e.waitlist_position for e in Enrolment.objects.filter(course=course, status=S.WAITLISTED)
    }
    assert positions == {people[1].pk: 1, people[3].pk: 2, people[4].pk: 3, people[5].pk: 4}
    assert_counters_true(course)
    with pytest.raises(EnrolmentRefused) as info:
        services.waitlist_leave(enrolment=enrolments[2], actor=people[2].account)
    assert info.value.reason == Reason.NOT_ACTIVE


def test_another_resident_cannot_cancel_my_enrolment(course, resident):
    enrolment = services.enrolment_create(participant=me(resident), course=course, actor=resident)
    with pytest.raises(EnrolmentRefused) as info:
        services.enrolment_cancel(enrolment=enrolment, actor=UserFactory())
    assert info.value.reason == Reason.NOT_ALLOWED
    enrolment.refresh_from_db()
    assert enrolment.status == S.CONFIRMED


def test_raising_the_capacity_fills_places_and_lowering_below_taken_is_refused(course, make_participant):
    people = [make_participant() for _ in range(5)]
    for p in people:
        services.enrolment_create(participant=p, course=course, actor=p.account)
    staff = ProviderMembershipFactory(provider=course.programme.provider).user
    with pytest.raises(EnrolmentRefused) as info:
        services.course_capacity_change(course=course, capacity=1, actor=staff)
    assert info.value.reason == Reason.CAPACITY_TOO_LOW
    services.course_capacity_change(course=course, capacity=4, actor=staff)
    assert (course.capacity, course.seats_taken, course.waitlist_count) == (4, 4, 1)
    assert_counters_true(course)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.course_capacity_change(course=course, capacity=9, actor=people[0].account)


def test_staff_cancelling_a_course_cancels_every_enrolment_and_tells_each_person(course, make_participant):
    people = [make_participant() for _ in range(3)]
    for p in people:
        services.enrolment_create(participant=p, course=course, actor=p.account)
    staff = ProviderMembershipFactory(provider=course.programme.provider).user
    services.course_cancel_with_enrolments(course=course, actor=staff)
    course.refresh_from_db()
    assert course.status == Course.Status.CANCELLED
    assert not Enrolment.objects.filter(course=course).exclude(status=S.CANCELLED).exists()
    assert_counters_true(course)
    assert Notification.objects.filter(kind="course_cancelled").count() == 3


def test_course_change_is_told_to_everyone_active(course, make_participant):
    people = [make_participant() for _ in range(3)]
    for p in people:
        services.enrolment_create(participant=p, course=course, actor=p.account)
    assert services.course_change_notify(course=course, change="ย้ายไปห้อง 2 <b>ชั้นสอง</b>") == 3
    note = Notification.objects.filter(kind="course_changed").first()
    assert "ย้ายไปห้อง 2 <b>ชั้นสอง</b>" in note.body  # plain text, escaped where it is shown
