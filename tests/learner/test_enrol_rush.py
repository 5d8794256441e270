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
# The resident's own session is in the cache. Statements: the user (auth), the course with the
# account's people, their consents and their active enrolments (one statement), the course's
# first session (only for a "confirmed" message), then one that locks the course and writes.
# Savepoints (the test's transaction) apart.
MAX_STATEMENTS = {"confirmed": 4, "waitlisted": 3}
# Locked and written in one statement: the lock, then the enrolment, the course's counters, the message.
LOCKED_WRITES = [
    'FROM "programmes_course" c WHERE c.id = ',
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
    # The last statement locks the course and writes; nothing is read after it (the answer's
    # enrol block is drawn from the rows read before).
    shapes = [_shape(sql) for sql in statements]
    writes = statements[-1]
    assert "FOR UPDATE" in writes and not any("FOR UPDATE" in sql for sql in statements[:-1])
    positions = [writes.find(part) for part in LOCKED_WRITES]
    assert -1 not in positions and positions == sorted(positions), writes
    assert shapes.count("SELECT programmes_course") == 1  # the course, the people, their enrolments


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


@pytest.mark.parametrize("language", ["th", "en"])
@pytest.mark.parametrize("full", [False, True], ids=["confirmed", "waitlisted"])
def test_the_message_written_by_the_locked_statement_is_the_message_rendered_whole(
    resident, me, make_course, language, full
):
    """The statement fills the position and the link of a message drafted before the lock:
    the row equals the message rendered in one piece afterwards, in both languages, at a
    four-digit position (no thousands separator in either language)."""
    from programmes.models import Course

    resident.preferred_language = language
    resident.save(update_fields=["preferred_language"])
    me.preferred_language = language
    me.save(update_fields=["preferred_language"])
    course = make_course(capacity=1)
    if full:
        other = ParticipantFactory(account=UserFactory())
        services.enrolment_create(participant=other, course=course, actor=other.account)
        Course.objects.filter(pk=course.pk).update(waitlist_count=1969)  # as after a long rush
        course.refresh_from_db()

    enrolment = services.enrolment_create(participant=me, course=course, actor=resident)

    kind = "waitlisted" if full else "enrolment_confirmed"
    assert enrolment.status == ("waitlisted" if full else "confirmed")
    assert enrolment.waitlist_position == (1970 if full else None)
    note = Notification.objects.get(enrolment=enrolment)
    whole = notification_drafts(kinds=[kind], participant=me, course=course, enrolment=enrolment)[kind]
    assert (note.kind, note.language, note.subject, note.body) == (kind, language, whole.subject, whole.body)
    assert note.url.endswith(f"/{enrolment.pk}/") and note.attach_calendar == (not full)
    if full:
        assert "1970" in note.body and "\u2063" not in note.body
    stored = Enrolment.objects.get(pk=enrolment.pk)
    assert (stored.status, stored.waitlist_position, stored.confirmed_at) == (
        enrolment.status,
        enrolment.waitlist_position,
        enrolment.confirmed_at,
    )


def test_a_course_changed_but_still_open_between_the_read_and_the_lock_is_enrolled_on_the_second_try(
    resident, me, make_course
):
    from django.utils import timezone

    from programmes.models import Course

    course = make_course(capacity=5)  # as read before staff moved the end of the window
    Course.objects.filter(pk=course.pk).update(enrolment_closes_at=timezone.now() + timezone.timedelta(days=30))
    reads = services.EnrolmentReads(consents=frozenset({"privacy_notice"}), active=())

    enrolment = services.enrolment_create(participant=me, course=course, actor=resident, reads=reads)

    assert enrolment.status == Enrolment.Status.CONFIRMED
    assert Enrolment.objects.filter(course_id=course.pk).count() == 1
    assert Notification.objects.filter(participant=me).count() == 1
    fresh = Course.objects.get(pk=course.pk)
    assert (fresh.seats_taken, fresh.waitlist_count) == (1, 0)


def test_a_course_that_keeps_changing_under_the_lock_is_refused_with_nothing_written(
    resident, me, make_course, monkeypatch
):
    """Staff edit the course before every attempt (never seen in practice): after
    ENROL_ATTEMPTS tries the resident is asked to try again; nothing is written."""
    from django.utils import timezone

    from programmes.models import Course

    course = make_course(capacity=5)
    real = services._enrol_locked
    tries = []

    def staff_edit_first(**kwargs):  # the real statement, after a real edit of the course
        tries.append(1)
        Course.objects.filter(pk=course.pk).update(
            enrolment_closes_at=timezone.now() + timezone.timedelta(days=30, seconds=len(tries))
        )
        return real(**kwargs)

    monkeypatch.setattr(services, "_enrol_locked", staff_edit_first)
    reads = services.EnrolmentReads(consents=frozenset({"privacy_notice"}), active=())

    with pytest.raises(EnrolmentRefused) as refused, translation.override("th"):
        services.enrolment_create(participant=me, course=course, actor=resident, reads=reads)

    assert refused.value.reason == "course_changed"
    assert refused.value.message == "หลักสูตรนี้เพิ่งมีการเปลี่ยนแปลง โปรดลองอีกครั้ง"
    assert len(tries) == services.ENROL_ATTEMPTS
    assert not Enrolment.objects.filter(course_id=course.pk).exists()
    assert not Notification.objects.filter(participant=me).exists()
    fresh = Course.objects.get(pk=course.pk)
    assert (fresh.seats_taken, fresh.waitlist_count) == (0, 0)


def test_staff_at_the_desk_meeting_the_constraint_keep_their_transaction(resident, me, make_course):
    """In a caller's transaction the locked statement runs in a savepoint: a duplicate stopped
    by the constraint is refused and the caller's transaction goes on."""
    from django.db import transaction

    course = make_course(capacity=3)
    services.enrolment_create(participant=me, course=course, actor=resident)
    stale = services.EnrolmentReads(consents=frozenset({"privacy_notice"}), active=())
    with transaction.atomic():
        with pytest.raises(EnrolmentRefused):
            services.enrolment_create(participant=me, course=course, actor=resident, reads=stale)
        assert Enrolment.objects.filter(course=course).count() == 1  # the transaction is usable
