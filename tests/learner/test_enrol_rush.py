"""The enrol POST under a rush (issue 7): few statements per request, and only the writes
while the course row is locked. Counted through the client, as a resident's htmx button
sends it; the 50-thread no-overbooking tests are in tests/participants/test_concurrency.py."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from participants import services
from participants.errors import EnrolmentRefused
from participants.models import Enrolment, Notification
from participants.notifications import notification_drafts
from tests.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# The resident's own session is in the cache. Statements: the user (auth), the course, the
# account's people with their consents and their active enrolments (one statement), the
# course's first session (only for a "confirmed" message), then the two under the lock.
# Savepoints (the test's transaction) apart.
MAX_STATEMENTS = {"confirmed": 6, "waitlisted": 5}
# Under the lock, in one statement: the enrolment, the course's counters, the message.
LOCKED_WRITES = [
    'INSERT INTO "participants_enrolment"',
    'UPDATE "programmes_course"',
    'INSERT INTO "participants_notification"',
]


def _statements(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].split()[0] not in ("SAVEPOINT", "RELEASE")]


def _shape(sql: str) -> str:
    """ "INSERT participants_enrolment", "SELECT programmes_course FOR UPDATE", ..."""
    words = sql.replace('"', "").split()
    verb = words[0]
    table = words[2] if verb in ("INSERT", "UPDATE") and words[1] == "INTO" else words[1]
    if verb == "SELECT":
        outer = sql.replace('"', "")
        while (inner := re.sub(r"\([^()]*\)", "", outer)) != outer:  # subqueries out
            outer = inner
        table = outer.split()[outer.split().index("FROM") + 1]  # the first table of the outer query
    return f"{verb} {table}" + (" FOR UPDATE" if "FOR UPDATE" in sql else "")


@pytest.mark.parametrize("full", [False, True], ids=["confirmed", "waitlisted"])
def test_the_enrol_post_costs_a_fixed_handful_of_statements(client_me, me, make_course, full):
    course = make_course(capacity=1)
    if full:
        other = ParticipantFactory(account=UserFactory())
        services.enrolment_create(participant=other, course=course, actor=other.account)
    client_me.get(f"/en/courses/{course.pk}/enrol/")  # the session is in the cache, as after sign-in

    with CaptureQueriesContext(connection) as ctx:
        response = client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": me.pk, "compact": "1"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert ("You are number 1 on the waiting list." if full else "You are enrolled.") in html
    statements = _statements(ctx)
    assert len(statements) <= MAX_STATEMENTS["waitlisted" if full else "confirmed"], "\n".join(statements)
    # Under the lock: the locked read, then one statement with the three writes.
    shapes = [_shape(sql) for sql in statements]
    locked = shapes.index("SELECT programmes_course FOR UPDATE")
    assert len(statements) == locked + 2, "\n".join(statements[locked:])
    writes = statements[locked + 1]
    positions = [writes.find(part) for part in LOCKED_WRITES]
    assert -1 not in positions and positions == sorted(positions), writes
    # The answer's enrol block is drawn from the rows read before: no query after the commit.
    assert shapes.count("SELECT participants_participant") == 1


def test_the_enrol_post_for_a_dependant_stays_within_the_bound(client_me, child, make_course):
    course = make_course(capacity=5)
    client_me.get(f"/en/courses/{course.pk}/enrol/")
    with CaptureQueriesContext(connection) as ctx:
        response = client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": child.pk}, **HTMX)
    assert response.status_code == 200 and "is enrolled." in response.content.decode()
    # + the guardian's own language for the message
    assert len(_statements(ctx)) <= MAX_STATEMENTS["confirmed"] + 1


def test_the_waiting_list_message_carries_the_position_taken_under_the_lock(client_me, me, make_course):
    course = make_course(capacity=1)
    others = [ParticipantFactory(account=UserFactory()) for _ in range(3)]
    for person in others:
        services.enrolment_create(participant=person, course=course, actor=person.account)
    client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": me.pk}, **HTMX)

    enrolment = me.enrolments.get(course=course)
    assert enrolment.status == Enrolment.Status.WAITLISTED and enrolment.waitlist_position == 3
    note = Notification.objects.get(enrolment=enrolment)
    assert note.kind == "waitlisted" and note.language == "th"
    assert "3" in note.body and "\u2063" not in note.body  # the marker was replaced
    # The same text as a message rendered in one piece after the fact.
    whole = notification_drafts(kinds=["waitlisted"], participant=me, course=course, enrolment=enrolment)
    assert note.body == whole["waitlisted"].body and note.subject == whole["waitlisted"].subject


def test_a_duplicate_that_passes_the_unlocked_check_is_refused_by_the_constraint(resident, me, make_course):
    """Two clicks at the same moment both find no enrolment before the lock; the second
    INSERT meets the unique constraint, is rolled back, and gets the message of the check."""
    course = make_course(capacity=1)
    other = ParticipantFactory(account=UserFactory())
    services.enrolment_create(participant=other, course=course, actor=other.account)
    first = services.enrolment_create(participant=me, course=course, actor=resident)
    assert first.waitlist_position == 1
    stale = services.EnrolmentReads(consents=frozenset({"privacy_notice"}), active=())  # read before the first

    with pytest.raises(EnrolmentRefused) as refused, translation.override("en"):
        services.enrolment_create(participant=me, course=course, actor=resident, reads=stale)

    assert refused.value.reason == "already_waitlisted"
    assert "number 1 in line" in refused.value.message
    course.refresh_from_db()
    assert course.waitlist_count == 1 and course.seats_taken == 1
    assert Enrolment.objects.filter(course=course).count() == 2
    assert Notification.objects.filter(participant=me).count() == 1


def test_a_place_freed_between_the_read_and_the_lock_gets_the_confirmed_message(resident, me, make_course):
    """The read before the lock saw the course full (only the waiting-list message drafted);
    under the lock a place is free: the person is confirmed and told so."""
    course = make_course(capacity=2)
    course.seats_taken = 2  # as read just before a cancellation committed
    reads = services.EnrolmentReads(consents=frozenset({"privacy_notice"}), active=())

    enrolment = services.enrolment_create(participant=me, course=course, actor=resident, reads=reads)

    assert enrolment.status == Enrolment.Status.CONFIRMED
    note = Notification.objects.get(enrolment=enrolment)
    assert note.kind == "enrolment_confirmed" and note.attach_calendar
    whole = notification_drafts(kinds=["enrolment_confirmed"], participant=me, course=course, enrolment=enrolment)
    assert note.body == whole["enrolment_confirmed"].body
    course.refresh_from_db()
    assert course.seats_taken == 1 and course.waitlist_count == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "cancelled"}, "course_cancelled"),
        ({"enrolment_closes_at": "past"}, "window_closed"),
    ],
    ids=["cancelled", "closed"],
)
def test_a_course_that_changed_between_the_read_and_the_lock_is_checked_again_on_the_locked_row(
    resident, me, make_course, change, reason
):
    """The read before the lock saw the course open; staff cancelled it (or closed enrolment)
    before the lock was taken: the locked row refuses, and nothing is written."""
    from django.utils import timezone

    from programmes.models import Course

    course = make_course(capacity=5)  # as read before the change
    values = {k: (timezone.now() - timezone.timedelta(minutes=1) if v == "past" else v) for k, v in change.items()}
    Course.objects.filter(pk=course.pk).update(**values)
    reads = services.EnrolmentReads(consents=frozenset({"privacy_notice"}), active=())

    with pytest.raises(EnrolmentRefused) as refused:
        services.enrolment_create(participant=me, course=course, actor=resident, reads=reads)

    assert refused.value.reason == reason
    assert not Enrolment.objects.filter(course_id=course.pk).exists()
    assert not Notification.objects.filter(participant=me).exists()
    fresh = Course.objects.get(pk=course.pk)
    assert (fresh.seats_taken, fresh.waitlist_count) == (0, 0)


def test_a_course_deleted_between_the_read_and_the_lock_is_refused_not_an_error(resident, me, make_course):
    from programmes.models import Course

    course = make_course(capacity=5)  # as read before staff deleted it
    Course.objects.filter(pk=course.pk).delete()
    reads = services.EnrolmentReads(consents=frozenset({"privacy_notice"}), active=())

    with pytest.raises(EnrolmentRefused) as refused:
        services.enrolment_create(participant=me, course=course, actor=resident, reads=reads)

    assert refused.value.reason == "course_not_published"
    assert not Enrolment.objects.filter(participant=me).exists()
    assert not Notification.objects.filter(participant=me).exists()
