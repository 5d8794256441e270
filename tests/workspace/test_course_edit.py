"""Editing a course after creation: dates, venue, windows, rules, notes (capacity has its own
page). New dates or venue are told once to everyone enrolled, in each person's language."""

import datetime as dt

import pytest
from django.utils import timezone

from learningcity.audit.models import AuditEntry
from participants.models import Notification
from participants.services import course_changes_notify, enrolment_create
from programmes.models import Course, CourseChange, Programme
from tests.factories import ParticipantFactory, SessionFactory, UserFactory, VenueFactory
from tests.workspace.conftest import en, th

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()


def _form(ws, **changes):
    data = {
        "venue": str(ws.venue.pk),
        "online_url": "",
        "starts_on": "2027-01-04",
        "ends_on": "2027-02-28",
        "enrolment_opens_at": "",
        "enrolment_closes_at": "",
        "cancellation_deadline": "",
        "confirmation_mode": "automatic",
        "completion_min_attendance_pct": "80",
        "offer_hold_hours": "48",
        "notes_th": "",
        "notes_en": "",
    }
    data.update(changes)
    return data


def _enrolled(ws, language):
    Programme.objects.filter(pk=ws.programme.pk).update(status="published", published_at=timezone.now())
    ws.programme.refresh_from_db()
    account = UserFactory(preferred_language=language)
    person = ParticipantFactory(account=account, preferred_language=language)
    enrolment_create(participant=person, course=ws.course, actor=account)
    return account


def test_edit_page_shows_the_course_and_links_to_capacity(client, ws):
    client.force_login(ws.editor_a)
    response = client.get(en("staff:course-edit", [ws.a.slug, ws.course.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="capacity"' not in html
    assert en("staff-run:capacity", [ws.a.slug, ws.course.pk]) in html
    assert 'value="2027-01-04"' in html and 'value="48"' in html
    detail = client.get(en("staff:course-detail", [ws.a.slug, ws.course.pk])).content.decode()
    assert en("staff:course-edit", [ws.a.slug, ws.course.pk]) in detail


def test_new_dates_and_venue_are_saved_audited_and_told_once_in_each_language(client, ws):
    thai, english = _enrolled(ws, "th"), _enrolled(ws, "en")
    later = SessionFactory(
        course=ws.course,
        starts_at=dt.datetime(2027, 1, 11, 9, tzinfo=TZ),
        ends_at=dt.datetime(2027, 1, 11, 11, tzinfo=TZ),
    )
    Notification.objects.all().delete()
    client.force_login(ws.editor_a)
    response = client.post(
        th("staff:course-edit", [ws.a.slug, ws.course.pk]),
        _form(
            ws,
            venue=str(ws.shared.pk),
            ends_on="2027-03-07",
            enrolment_closes_at="2027-01-03T18:00",
            cancellation_deadline="2027-01-02T12:00",
            confirmation_mode="offer",
            offer_hold_hours="24",
            notes_en="Bring your phone",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == th("staff:course-detail", [ws.a.slug, ws.course.pk])
    course = Course.objects.get(pk=ws.course.pk)
    assert course.venue == ws.shared and course.ends_on == dt.date(2027, 3, 7)
    assert course.enrolment_closes_at == dt.datetime(2027, 1, 3, 18, tzinfo=TZ)
    assert (
        course.confirmation_mode == "offer" and course.offer_hold_hours == 24 and course.notes_en == "Bring your phone"
    )
    assert course.capacity == 20 and course.seats_taken == 2  # counters untouched
    # Sessions still to come at the old venue move with the course.
    later.refresh_from_db()
    ws.session.refresh_from_db()
    assert later.venue == ws.shared and ws.session.venue == ws.shared
    # The catalogue's schedule summary follows.
    ws.programme.refresh_from_db()
    assert ws.programme.next_course.venue == ws.shared

    entry = AuditEntry.objects.get(action="update", object_id=str(course.pk))
    assert entry.actor == ws.editor_a and entry.provider_id == ws.a.pk
    assert entry.changes["ends_on"] == ["2027-02-28", "2027-03-07"]
    assert entry.changes["venue"] == [str(ws.venue), str(ws.shared)]
    assert entry.changes["offer_hold_hours"] == [48, 24]

    change = CourseChange.objects.get(course=course)
    assert change.kind == "course_changed" and change.notified_at is None
    assert set(change.details) == {"ends_on", "venue"}

    assert course_changes_notify() == 1
    notes = {n.recipient_id: n for n in Notification.objects.filter(kind="course_changed")}
    assert set(notes) == {thai.pk, english.pk}
    assert "2570" in notes[thai.pk].body and "ศาลากลาง" in notes[thai.pk].body  # B.E. year, Thai venue name
    assert "now runs from" in notes[english.pk].body and "City Hall" in notes[english.pk].body
    assert "2027" in notes[english.pk].body and "Hall A" in notes[english.pk].body  # the old venue
    assert course_changes_notify() == 0  # told once
    assert Notification.objects.filter(kind="course_changed").count() == 2


def test_changing_only_windows_or_notes_tells_nobody(client, ws):
    _enrolled(ws, "th")
    client.force_login(ws.editor_a)
    response = client.post(
        th("staff:course-edit", [ws.a.slug, ws.course.pk]),
        _form(ws, enrolment_opens_at="2026-12-01T08:00", notes_th="นำโทรศัพท์มาด้วย"),
    )
    assert response.status_code == 302
    assert not CourseChange.objects.exists()
    entry = AuditEntry.objects.get(action="update", object_id=str(ws.course.pk))
    assert set(entry.changes) == {"enrolment_opens_at", "notes_th"}
    # Saving the same values again records nothing.
    client.post(
        th("staff:course-edit", [ws.a.slug, ws.course.pk]),
        _form(ws, enrolment_opens_at="2026-12-01T08:00", notes_th="นำโทรศัพท์มาด้วย"),
    )
    assert AuditEntry.objects.filter(action="update", object_id=str(ws.course.pk)).count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_on": "2027-01-01"}, "ends_on", "A course cannot end before it starts."),
        (
            {"enrolment_opens_at": "2027-01-02T10:00", "enrolment_closes_at": "2027-01-01T10:00"},
            "enrolment_closes_at",
            "Enrolment must close after it opens.",
        ),
        (
            {"enrolment_opens_at": "2027-03-01T10:00"},
            "enrolment_opens_at",
            "Enrolment must open before the course ends.",
        ),
        ({"cancellation_deadline": "2027-03-05T10:00"}, "cancellation_deadline", "cannot be after the course ends"),
        ({"starts_on": "2027-01-05"}, "starts_on", "Some sessions still to come fall outside these dates"),
        ({"venue": "", "online_url": ""}, "venue", "Choose a venue, or give an online link"),
        ({"online_url": "javascript:alert(1)"}, "online_url", "Enter a valid URL."),
        ({"starts_on": "2027-02-30"}, "starts_on", "Enter a valid date."),
        ({"offer_hold_hours": "0"}, "offer_hold_hours", "greater than or equal to 1"),
        ({"completion_min_attendance_pct": "101"}, "completion_min_attendance_pct", "less than or equal to 100"),
        ({"confirmation_mode": "<script>"}, "confirmation_mode", "Select a valid choice"),
        ({"notes_en": "x" * 2001}, "notes_en", "at most 2000 characters"),
    ],
)
def test_invalid_edits_are_refused_with_a_message(client, ws, changes, field, message):
    client.force_login(ws.editor_a)
    before = Course.objects.filter(pk=ws.course.pk).values().get()
    response = client.post(en("staff:course-edit", [ws.a.slug, ws.course.pk]), _form(ws, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(message in error for error in errors[field]), errors[field]
    assert Course.objects.filter(pk=ws.course.pk).values().get() == before
    assert not CourseChange.objects.exists() and not AuditEntry.objects.exists()


def test_a_venue_of_another_provider_or_city_is_refused(client, ws):
    b_venue = VenueFactory(city=ws.city, provider=ws.b)
    other_city = VenueFactory(provider=None)
    client.force_login(ws.editor_a)
    for venue in (b_venue, other_city):
        response = client.post(en("staff:course-edit", [ws.a.slug, ws.course.pk]), _form(ws, venue=str(venue.pk)))
        assert response.status_code == 200 and "venue" in response.context["form"].errors
    ws.course.refresh_from_db()
    assert ws.course.venue == ws.venue


def test_the_service_refuses_a_foreign_venue_and_a_cancelled_course(ws):
    from programmes.services import ProgrammeError, course_update

    with pytest.raises(ProgrammeError) as refused:
        course_update(course=ws.course, venue=VenueFactory(city=ws.city, provider=ws.b))
    assert "venue" in refused.value.message_dict
    Course.objects.filter(pk=ws.course.pk).update(status="cancelled")
    with pytest.raises(ProgrammeError):
        course_update(course=ws.course, notes_th="x")


def test_hostile_notes_are_kept_as_text_and_shown_escaped(client, ws):
    client.force_login(ws.editor_a)
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>\u200b'
    response = client.post(th("staff:course-edit", [ws.a.slug, ws.course.pk]), _form(ws, notes_th=hostile))
    assert response.status_code == 302
    ws.course.refresh_from_db()
    assert ws.course.notes_th.startswith("<script>alert(1)</script>")
    html = client.get(th("staff:course-edit", [ws.a.slug, ws.course.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_other_providers_staff_and_residents_cannot_edit(client, ws):
    url = th("staff:course-edit", [ws.a.slug, ws.course.pk])
    data = _form(ws, ends_on="2027-03-07")
    client.force_login(ws.editor_b)
    assert client.post(url, data).status_code == 404
    assert client.post(th("staff:course-edit", [ws.b.slug, ws.course.pk]), data).status_code == 404
    client.force_login(ws.resident)
    assert client.post(url, data).status_code == 403
    client.logout()
    assert client.post(url, data).status_code == 302
    ws.course.refresh_from_db()
    assert ws.course.ends_on == dt.date(2027, 2, 28)
    assert not AuditEntry.objects.exists()
