"""Courses and sessions: weekly patterns in Bangkok time, skipped dates (B.E. years too),
clash warnings, moving/cancelling, duplicating a course as the next run."""

import datetime as dt

import pytest
from django.utils import translation

from learningcity.audit.models import AuditEntry
from programmes.models import Course, Session
from programmes.staff.forms import parse_skip_dates
from tests.factories import CourseFactory, ProgrammeFactory, SessionFactory
from tests.workspace.conftest import en, th

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def _th(text: str) -> str:
    with translation.override("th"):
        return translation.gettext(text)


def test_parse_skip_dates_accepts_buddhist_era_and_reports_garbage():
    dates, bad = parse_skip_dates("2027-01-01\n2570-01-05, 2569-12-31\n<script>x</script> 2027-02-30")
    assert dates == [dt.date(2027, 1, 1), dt.date(2027, 1, 5), dt.date(2026, 12, 31)]
    assert bad == ["<script>x</script>", "2027-02-30"]


def test_weekly_pattern_across_month_boundary_skips_holidays_in_bangkok_time(client, ws):
    course = CourseFactory(
        programme=ws.programme, venue=ws.venue, starts_on=dt.date(2026, 12, 20), ends_on=dt.date(2027, 1, 31)
    )
    client.force_login(ws.editor_a)
    url = th("staff:sessions-weekly", args=[ws.a.slug, course.pk])
    data = {
        "weekdays": ["2", "4"],
        "start_time": "18:00",
        "end_time": "20:00",
        "date_from": "2026-12-28",
        "date_to": "2027-01-08",
        # New Year's Eve written with a Buddhist Era year; 7 January as C.E.
        "skip": "2569-12-31\n2027-01-07",
    }
    preview = client.post(url, {**data, "preview": "1"})
    assert preview.status_code == 200
    assert [item["starts_at"].date() for item in preview.context["preview"]] == [
        dt.date(2026, 12, 29),
        dt.date(2027, 1, 5),
    ]
    assert not course.sessions.exists()  # a preview saves nothing

    response = client.post(url, {**data, "save": "1"})
    assert response.status_code == 302
    stored = list(course.sessions.order_by("starts_at").values_list("starts_at", "ends_at"))
    # 18:00-20:00 in Bangkok (UTC+7) is 11:00-13:00 UTC.
    assert stored == [
        (dt.datetime(2026, 12, 29, 11, 0, tzinfo=UTC), dt.datetime(2026, 12, 29, 13, 0, tzinfo=UTC)),
        (dt.datetime(2027, 1, 5, 11, 0, tzinfo=UTC), dt.datetime(2027, 1, 5, 13, 0, tzinfo=UTC)),
    ]
    entry = AuditEntry.objects.get(action="generate_sessions")
    assert entry.actor == ws.editor_a and entry.provider_id == ws.a.pk


def test_weekly_pattern_errors_are_translated_and_save_nothing(client, ws):
    client.force_login(ws.editor_a)
    url = th("staff:sessions-weekly", args=[ws.a.slug, ws.course.pk])
    before = Session.objects.count()
    response = client.post(
        "/en" + url,
        {
            "weekdays": ["9"],
            "start_time": "20:00",
            "end_time": "18:00",
            "date_from": "2027-01-10",
            "date_to": "2027-01-01",
            "skip": "<b>31/12/2026</b>",
            "save": "1",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"weekdays", "end_time", "date_to", "skip"}
    assert Session.objects.count() == before
    # Thai (the default language) shows Thai messages.
    response = client.post(url, {"weekdays": ["2"], "start_time": "x", "end_time": "", "date_from": "", "date_to": ""})
    assert response.status_code == 200
    assert _th("This field is required.") in response.content.decode()
    # Dates outside the course: nothing is saved (all or nothing).
    response = client.post(
        url,
        {
            "weekdays": ["1", "2"],
            "start_time": "09:00",
            "end_time": "10:00",
            "date_from": "2027-02-20",
            "date_to": "2027-03-10",
            "save": "1",
        },
    )
    assert response.status_code == 200
    assert Session.objects.count() == before


def test_clash_at_the_same_venue_is_warned_not_blocked(client, ws):
    other_programme = ProgrammeFactory(provider=ws.b, title_th="โยคะ", title_en="Yoga")
    other = CourseFactory(
        programme=other_programme, venue=ws.venue, starts_on=dt.date(2027, 1, 4), ends_on=dt.date(2027, 2, 28)
    )
    SessionFactory(
        course=other,
        starts_at=dt.datetime(2027, 1, 12, 17, 30, tzinfo=dt.timezone(dt.timedelta(hours=7))),
        ends_at=dt.datetime(2027, 1, 12, 19, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))),
    )
    client.force_login(ws.editor_a)
    response = client.post(
        en("staff:session-create", args=[ws.a.slug, ws.course.pk]),
        {"day": "2027-01-12", "start_time": "18:00", "end_time": "20:00"},
        follow=True,
    )
    assert response.status_code == 200
    assert ws.course.sessions.filter(starts_at=dt.datetime(2027, 1, 12, 11, 0, tzinfo=UTC)).exists()
    html = response.content.decode()
    assert "another session uses the same venue" in html
    assert 'Clash: "Yoga" uses this venue' in html
    # A session elsewhere at that time, or at this venue at another time, is no clash.
    client.post(
        th("staff:session-create", args=[ws.a.slug, ws.course.pk]),
        {"day": "2027-01-12", "start_time": "19:00", "end_time": "20:00", "venue": ws.shared.pk},
    )
    response = client.get(en("staff:course-detail", args=[ws.a.slug, ws.course.pk]))
    assert response.content.decode().count("Clash:") == 1


def test_move_and_cancel_a_session(client, ws):
    client.force_login(ws.editor_a)
    url = th("staff:session-edit", args=[ws.a.slug, ws.session.pk])
    response = client.post(url, {"day": "2027-01-06", "start_time": "13:00", "end_time": "15:30"})
    assert response.status_code == 302
    ws.session.refresh_from_db()
    assert ws.session.starts_at == dt.datetime(2027, 1, 6, 6, 0, tzinfo=UTC)
    entry = AuditEntry.objects.get(action="update", object_id=str(ws.session.pk))
    assert set(entry.changes) == {"starts_at", "ends_at"}
    # Outside the course: refused, translated, unchanged.
    response = client.post("/en" + url, {"day": "2030-01-06", "start_time": "13:00", "end_time": "15:30"})
    assert response.status_code == 200
    assert "within the course" in response.content.decode()
    ws.session.refresh_from_db()
    assert ws.session.starts_at == dt.datetime(2027, 1, 6, 6, 0, tzinfo=UTC)
    client.post(th("staff:session-cancel", args=[ws.a.slug, ws.session.pk]))
    ws.session.refresh_from_db()
    assert ws.session.is_cancelled


def test_duplicate_course_shifts_dates_and_sessions_with_empty_counters(client, ws):
    Course.objects.filter(pk=ws.course.pk).update(seats_taken=7, waitlist_count=3)
    cancelled = SessionFactory(course=ws.course, starts_at=ws.session.starts_at + dt.timedelta(days=2))
    cancelled.is_cancelled = True
    cancelled.save()
    client.force_login(ws.editor_a)
    response = client.post(th("staff:course-duplicate", args=[ws.a.slug, ws.course.pk]), {"weeks": "10"})
    assert response.status_code == 302
    copy = Course.objects.exclude(pk=ws.course.pk).get(programme=ws.programme)
    assert copy.starts_on == ws.course.starts_on + dt.timedelta(weeks=10)
    assert copy.ends_on == ws.course.ends_on + dt.timedelta(weeks=10)
    assert (copy.capacity, copy.venue_id, copy.seats_taken, copy.waitlist_count) == (20, ws.venue.pk, 0, 0)
    assert list(copy.sessions.values_list("starts_at", flat=True)) == [ws.session.starts_at + dt.timedelta(weeks=10)]
    assert AuditEntry.objects.filter(action="duplicate", object_id=str(copy.pk)).exists()
    for weeks in ["0", "-3", "abc", "99999"]:
        response = client.post(th("staff:course-duplicate", args=[ws.a.slug, ws.course.pk]), {"weeks": weeks})
        assert response.status_code == 200
    assert Course.objects.filter(programme=ws.programme).count() == 2


def test_course_create_offers_own_and_shared_venues_only(client, ws):
    from tests.factories import VenueFactory

    b_venue = VenueFactory(city=ws.city, provider=ws.b)
    client.force_login(ws.editor_a)
    url = th("staff:course-create", args=[ws.a.slug, ws.programme.pk])
    venues = set(client.get(url).context["form"].fields["venue"].queryset)
    assert venues == {ws.venue, ws.shared}
    data = {
        "venue": b_venue.pk,
        "starts_on": "2027-03-01",
        "ends_on": "2027-03-31",
        "capacity": "15",
        "confirmation_mode": "offer",
        "completion_min_attendance_pct": "75",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "venue" in response.context["form"].errors
    response = client.post(url, {**data, "venue": ws.shared.pk, "enrolment_opens_at": "2027-02-01T09:00"})
    assert response.status_code == 302
    course = Course.objects.get(starts_on=dt.date(2027, 3, 1))
    assert course.enrolment_opens_at == dt.datetime(2027, 2, 1, 2, 0, tzinfo=UTC)
    assert course.confirmation_mode == "offer" and course.completion_min_attendance_pct == 75
