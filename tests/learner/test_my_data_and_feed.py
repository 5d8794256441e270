"""My data (JSON and HTML), erasure, consents, notifications, the calendar feed and the
query count of My learning."""

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from icalendar import Calendar

from participants import services
from participants.models import Attendance, CalendarFeedToken, Consent, Enrolment, Notification, Participant
from tests.factories import EnrolmentFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_json_export_has_me_and_my_dependants_and_nothing_of_others(client_me, me, child, other, course):
    services.enrolment_create(participant=child, course=course, actor=me.account)
    response = client_me.get("/en/me/data.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    assert data["account"]["email"] == "resident@example.org"
    assert data["self"]["id"] == me.pk
    assert [d["id"] for d in data["dependants"]] == [child.pk]
    assert data["enrolments"][0]["participant_id"] == child.pk
    ids = {p.pk for p in Participant.objects.filter(account=other)}
    body = response.content.decode()
    assert "ดาว" in body  # Thai kept readable
    assert "other@example.org" not in body
    assert not ids & {c["participant_id"] for c in data["consents"]}


def test_my_data_page_is_readable_with_links_to_correct(client_me, me, child):
    html = client_me.get("/en/me/data/").content.decode()
    assert me.given_name in html and child.given_name in html
    assert f'href="/en/me/people/{child.pk}/"' in html and 'href="/en/me/profile/"' in html
    assert 'href="/en/me/data.json"' in html


def test_erasure_logs_out_anonymises_and_keeps_counts(client_me, resident, me, child, course, make_course):
    services.enrolment_create(participant=child, course=course, actor=resident)
    past = make_course(
        starts_on=timezone.localdate() - dt.timedelta(days=40),
        enrolment_opens_at=None,
        enrolment_closes_at=None,
        cancellation_deadline=None,
    )
    past.ends_on = timezone.localdate() - dt.timedelta(days=10)
    past.save()
    EnrolmentFactory(participant=me, course=past, status="completed")
    page = client_me.get("/en/me/erase/").content.decode()
    assert "This cannot be undone." in page
    # Without the confirmation box nothing happens.
    response = client_me.post("/en/me/erase/", {})
    assert response.status_code == 200 and "Tick the box to confirm." in response.content.decode()
    assert get_user_model().objects.filter(pk=resident.pk).exists()
    enrolments_before = Enrolment.objects.count()
    response = client_me.post("/en/me/erase/", {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/en/"
    assert not get_user_model().objects.filter(pk=resident.pk).exists()
    assert client_me.get("/en/me/").status_code == 302  # signed out
    follow = client_me.get("/en/")
    assert "Your account has been erased." in follow.content.decode()
    me.refresh_from_db()
    child.refresh_from_db()
    for person in (me, child):
        assert person.anonymised_at and person.account_id is None and person.given_name == ""
    assert Enrolment.objects.count() == enrolments_before
    assert Enrolment.objects.get(participant=me, course=past).status == "completed"
    course.refresh_from_db()
    assert course.seats_taken == 0


def test_consents_page_lists_and_gives_back(client_me, me):
    html = client_me.get("/en/me/consents/").content.decode()
    assert "Processing under the privacy notice" in html
    consent = me.consents.get(purpose=Consent.Purpose.PRIVACY_NOTICE)
    assert client_me.post(f"/en/me/consents/{consent.pk}/withdraw/").status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    html = client_me.get("/en/me/consents/").content.decode()
    assert "Accept the privacy notice (version 1)" in html
    response = client_me.post(f"/en/me/people/{me.pk}/consents/", {"purpose": "privacy_notice"})
    assert response.status_code == 302
    assert me.consents.filter(purpose="privacy_notice", withdrawn_at__isnull=True).count() == 1
    assert client_me.post(f"/en/me/people/{me.pk}/consents/", {"purpose": "<script>"}).status_code == 302
    # A guardian consent makes no sense for the account holder: refused with a message.
    response = client_me.post(f"/en/me/people/{me.pk}/consents/", {"purpose": "guardian"}, follow=True)
    assert "A guardian consents only for a dependant under 20." in response.content.decode()


def test_notifications_are_listed_and_marked_read(client_me, me, course, other):
    services.enrolment_create(participant=me, course=course, actor=me.account)
    mine = Notification.objects.get(recipient=me.account)
    html = client_me.get("/en/me/notifications/").content.decode()
    assert mine.subject in html and "notification--unread" in html
    theirs = Notification.objects.create(
        recipient=other, kind="waitlisted", subject="x", body="y", created_at=timezone.now()
    )
    client_me.post("/en/me/notifications/read/", {"id": [mine.pk, theirs.pk, "nope"]})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None


def test_calendar_feed_token_works_and_revoke_makes_it_404(client, client_me, me, child, course):
    services.enrolment_create(participant=child, course=course, actor=me.account)
    assert client_me.post("/en/me/calendar/new/").status_code == 302
    token = CalendarFeedToken.objects.get(user=me.account).token
    assert token in client_me.get("/en/me/learning/").content.decode()
    client.logout()
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1 and "ดาว" in str(events[0]["summary"])
    client_me.force_login(me.account)
    client_me.post("/en/me/calendar/new/")  # a new address revokes the old one
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    new = CalendarFeedToken.objects.get(user=me.account).token
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    client_me.post("/en/me/calendar/off/")
    assert client.get(f"/calendar/{new}.ics").status_code == 404
    assert client.get("/calendar/unknown-token.ics").status_code == 404


def test_my_learning_shows_sessions_waiting_past_and_hours(client_me, me, child, make_course):
    upcoming = make_course(sessions=2)
    services.enrolment_create(participant=child, course=upcoming, actor=me.account)
    past = make_course(
        starts_on=timezone.localdate() - dt.timedelta(days=30),
        enrolment_opens_at=None,
        enrolment_closes_at=None,
        cancellation_deadline=None,
        sessions=0,
        title_en="Pottery",
    )
    past.ends_on = timezone.localdate() - dt.timedelta(days=2)
    past.save()
    enrolment = EnrolmentFactory(participant=me, course=past, status="completed")
    session = SessionFactory(course=past)
    Attendance.objects.create(
        session=session, participant=me, enrolment=enrolment, status="present", marked_at=timezone.now()
    )
    html = client_me.get("/en/me/learning/").content.decode()
    assert "Learning hours so far: <strong>2.0</strong>" in html
    assert "Pottery" in html and "1 of 1 sessions" in html and "Completed" in html
    assert html.count("ดาว") >= 2  # two upcoming sessions of the child
    assert "is enrolled." in html


def test_my_learning_query_count_does_not_grow_with_enrolments(
    client_me, me, child, make_course, django_assert_max_num_queries
):
    for _n in range(2):
        course = make_course(sessions=2)
        services.enrolment_create(participant=child, course=course, actor=me.account)
    with django_assert_max_num_queries(14) as few:
        assert client_me.get("/en/me/learning/").status_code == 200
    for _n in range(12):
        course = make_course(sessions=3)
        services.enrolment_create(participant=child, course=course, actor=me.account)
        services.enrolment_create(participant=me, course=course, actor=me.account)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client_me.get("/en/me/learning/").status_code == 200
