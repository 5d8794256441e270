"""No overbooking, ever: real PostgreSQL transactions in parallel threads (see PITFALLS.md).
`select_for_update` would "pass" inside one test transaction, so these tests commit."""

import random
import threading

import pytest
from django.db import connection

from participants import services
from participants.errors import EnrolmentRefused
from participants.models import Enrolment, Notification
from programmes.models import Course

pytestmark = pytest.mark.django_db(transaction=True)
S = Enrolment.Status


def run_in_threads(jobs):
    """Run each job in its own thread, all released at once by a barrier. Returns
    (results, errors) in job order."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)
    errors = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as exc:  # collected and asserted on below
            errors[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors


def assert_invariants(course):
    course.refresh_from_db()
    rows = Enrolment.objects.filter(course=course)
    seats = rows.filter(status__in=[S.CONFIRMED, S.OFFERED]).count()
    waiting = list(rows.filter(status=S.WAITLISTED).order_by("waitlist_position"))
    assert seats <= course.capacity
    assert course.seats_taken == seats
    assert course.waitlist_count == len(waiting)
    assert [e.waitlist_position for e in waiting] == list(range(1, len(waiting) + 1))
    return seats, waiting


def test_fifty_people_at_once_into_ten_places(make_course, make_participant):
    course = make_course(capacity=10)
    people = [make_participant() for _ in range(50)]

    results, errors = run_in_threads(
        [lambda p=p: services.enrolment_create(participant=p, course=course, actor=p.account) for p in people]
    )

    assert errors == [None] * 50
    seats, waiting = assert_invariants(course)
    assert seats == 10
    assert course.seats_taken == 10 and course.waitlist_count == 40
    assert [e.waitlist_position for e in waiting] == list(range(1, 41))
    assert Enrolment.objects.filter(course=course).count() == 50
    assert sorted(e.status for e in results).count(S.CONFIRMED) == 10
    # First come, first served: positions follow the order requests were committed.
    by_time = list(Enrolment.objects.filter(course=course, status=S.WAITLISTED).order_by("pk"))
    assert [e.waitlist_position for e in by_time] == list(range(1, 41))
    assert Notification.objects.count() == 50


def test_the_same_person_clicking_many_times_at_once_enrols_once(make_course, make_participant):
    course = make_course(capacity=10)
    person = make_participant()
    results, errors = run_in_threads(
        [lambda: services.enrolment_create(participant=person, course=course, actor=person.account)] * 8
    )
    assert sum(r is not None for r in results) == 1
    assert all(isinstance(e, EnrolmentRefused) for e in errors if e is not None)
    assert Enrolment.objects.filter(course=course).count() == 1
    assert_invariants(course)


@pytest.mark.parametrize("mode", [Course.ConfirmationMode.AUTOMATIC, Course.ConfirmationMode.OFFER])
def test_cancelling_and_enrolling_at_the_same_time_keeps_the_invariants(make_course, make_participant, mode):
    course = make_course(capacity=10, confirmation_mode=mode)
    first = [make_participant() for _ in range(25)]
    enrolments = [services.enrolment_create(participant=p, course=course, actor=p.account) for p in first]
    assert_invariants(course)
    newcomers = [make_participant() for _ in range(20)]
    rng = random.Random(7)
    leaving = rng.sample(enrolments, 15)  # confirmed and waitlisted ones

    jobs = [lambda p=p: services.enrolment_create(participant=p, course=course, actor=p.account) for p in newcomers]
    jobs += [lambda e=e: services.enrolment_cancel(enrolment=e, actor=e.participant.account) for e in leaving]
    rng.shuffle(jobs)
    _results, errors = run_in_threads(jobs)

    assert errors == [None] * len(jobs)
    seats, waiting = assert_invariants(course)
    assert seats == 10  # 45 people asked, 15 left: 30 active for 10 places
    assert len(waiting) == 20
    active = Enrolment.objects.filter(course=course, status__in=[S.CONFIRMED, S.OFFERED, S.WAITLISTED])
    assert active.count() == 30
    assert active.values("participant").distinct().count() == 30
