"""Roster and exports (audited, Thai intact), assisted registration and enrolment, capacity
changes, course cancellation, the overview."""

import csv
import datetime as dt
import io

import openpyxl
import pytest

from learningcity.audit.models import AuditEntry
from participants.models import Consent, Enrolment, Notification, Participant
from participants.services import enrolment_create
from tests.factories import DistrictFactory, ParticipantFactory
from tests.running.conftest import en, th

pytestmark = pytest.mark.django_db


def test_roster_shows_contacts_and_guardian_and_is_audited(client, run):
    waiting = ParticipantFactory(given_name="รอคิว")
    run.course.capacity = 3
    run.course.save(update_fields=["capacity"])
    enrolment_create(participant=waiting, course=run.course, actor=waiting.account)
    client.force_login(run.editor_a)
    response = client.get(th("staff-run:roster", run.a.slug, run.course.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert run.alice.account.email in body and "081 234 5678" in body
    assert "น้องดาว" in body and "อลิซ ใจดี" in body  # the dependant, with the guardian's name
    assert body.count(f"mailto:{run.alice.account.email}") == 2  # alice and her dependant
    assert "รอคิว" in body
    english = client.get(en("staff-run:roster", run.a.slug, run.course.pk)).content.decode()
    assert "On the waiting list (number 1)" in english
    entry = AuditEntry.objects.filter(action="roster.view").order_by("pk").first()
    assert AuditEntry.objects.filter(action="roster.view").count() == 2
    assert entry.actor == run.editor_a and entry.provider_id == run.a.pk and entry.object_id == str(run.course.pk)


def test_roster_query_count_is_bounded(client, run, django_assert_max_num_queries):
    for i in range(10):
        p = ParticipantFactory(given_name=f"คน{i}")
        enrolment_create(participant=p, course=run.course, actor=p.account)
    client.force_login(run.editor_a)
    with django_assert_max_num_queries(15):
        assert client.get(th("staff-run:roster", run.a.slug, run.course.pk)).status_code == 200


def test_csv_export_has_bom_and_thai_and_is_audited(client, run):
    Participant.objects.filter(pk=run.bob.pk).update(family_name="=HYPERLINK(1)")
    client.force_login(run.editor_a)
    response = client.get(th("staff-run:roster-csv", run.a.slug, run.course.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    names = {r[2] for r in rows[1:]}
    assert {"อลิซ", "บ๊อบ", "น้องดาว"} <= names
    assert any(r[3] == "'=HYPERLINK(1)" for r in rows[1:])  # no formula injection
    assert AuditEntry.objects.filter(action="roster.export", note="csv", provider_id=run.a.pk).count() == 1


def test_xlsx_export_opens_with_thai(client, run):
    client.force_login(run.editor_a)
    response = client.get(th("staff-run:roster-xlsx", run.a.slug, run.course.pk))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert {"อลิซ", "บ๊อบ", "น้องดาว"} <= {row[2] for row in values[1:]}
    dependant = next(row for row in values if row[2] == "น้องดาว")
    assert dependant[7] == run.alice.account.email and dependant[9] == "อลิซ ใจดี"
    assert AuditEntry.objects.filter(action="roster.export", note="xlsx").count() == 1


def _register_data(run, **extra):
    district = DistrictFactory(city=run.city)
    return {
        "given_name": "ยายมา",
        "family_name": "ศรีสุข",
        "birth_date": "1950-03-02",
        "sex": "female",
        "residence": str(district.pk),
        "phone": "053 123 456",
        "preferred_language": "th",
        "consent": "on",
        **extra,
    }


def test_assisted_registration_and_enrolment_then_slip(client, run):
    client.force_login(run.editor_a)
    response = client.post(th("staff-run:desk", run.a.slug), _register_data(run, course=str(run.course.pk)))
    assert response.status_code == 302
    person = Participant.objects.get(given_name="ยายมา")
    assert person.account is None and person.created_by_staff and person.registered_by == run.editor_a
    consent = person.consents.get()
    assert consent.method == Consent.Method.STAFF_ASSISTED and consent.given_by == run.editor_a
    enrolment = Enrolment.objects.get(participant=person)
    assert enrolment.status == "confirmed" and enrolment.enrolled_by == run.editor_a
    assert response["Location"] == th("staff-run:slip", run.a.slug, enrolment.pk)
    slip = client.get(response["Location"])
    body = slip.content.decode()
    assert slip.status_code == 200 and "ยายมา ศรีสุข" in body and "2570" in body  # B.E. year of 2027
    assert "ห้องประชุม A" in body
    assert {"participant.register_assisted", "enrolment.create_assisted", "slip.view"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )
    # Found again by name, phone digits or birth date; staff of B do not find her.
    link = th("staff-run:participant", run.a.slug, person.pk)
    for query in ({"q": "ยายมา"}, {"q": "ศรีสุข ยายมา"}, {"q": "053123"}, {"birth_date": "1950-03-02"}):
        assert link in client.get(th("staff-run:desk", run.a.slug), query).content.decode(), query
    assert link not in client.get(th("staff-run:desk", run.a.slug), {"q": "ยายมี"}).content.decode()
    client.force_login(run.editor_b)
    body = client.get(th("staff-run:desk", run.b.slug), {"q": "ยายมา"}).content.decode()
    assert f"/participants/{person.pk}/" not in body
    assert client.get(th("staff-run:participant", run.b.slug, person.pk)).status_code == 404
    assert client.get(th("staff-run:slip", run.b.slug, enrolment.pk)).status_code == 404


def test_search_never_shows_city_residents_outside_the_provider(client, run):
    other = ParticipantFactory(given_name="คนอื่น")
    client.force_login(run.editor_a)
    body = client.get(th("staff-run:desk", run.a.slug), {"q": "คนอื่น"}).content.decode()
    assert f"/participants/{other.pk}/" not in body
    assert client.get(th("staff-run:participant", run.a.slug, other.pk)).status_code == 404


def test_assisted_consent_required_translated(client, run):
    client.force_login(run.editor_a)
    data = _register_data(run)
    del data["consent"]
    response = client.post(en("staff-run:desk", run.a.slug), data)
    assert response.status_code == 200
    assert "Read the privacy notice to the person and record their consent." in response.content.decode()
    response = client.post(th("staff-run:desk", run.a.slug), data)
    assert response.status_code == 200
    assert not Participant.objects.filter(given_name="ยายมา").exists()


def test_assisted_enrolment_full_course_waitlists(client, run):
    run.course.capacity = 3
    run.course.save(update_fields=["capacity"])
    client.force_login(run.editor_a)
    response = client.post(th("staff-run:desk", run.a.slug), _register_data(run, course=str(run.course.pk)))
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(participant__given_name="ยายมา")
    assert enrolment.status == "waitlisted" and enrolment.waitlist_position == 1
    run.course.refresh_from_db()
    assert run.course.seats_taken == 3
    # Enrolling her again is refused with the reason shown.
    response = client.post(
        en("staff-run:participant", run.a.slug, enrolment.participant_id), {"course": run.course.pk}, follow=True
    )
    assert response.status_code == 200
    assert "is already on the waiting list of this course (number 1 in line)" in response.content.decode()
    assert Enrolment.objects.filter(participant=enrolment.participant).count() == 1


@pytest.mark.parametrize(
    "field,value",
    [
        ("given_name", "<script>alert(1)</script>"),
        ("given_name", "x" * 10000),
        ("phone", "😀😀😀"),
        ("birth_date", "2569-13-45"),
        ("birth_date", (dt.date.today() + dt.timedelta(days=3)).isoformat()),
        ("residence", "1 OR 1=1"),
        ("course", "<b>"),
    ],
)
def test_assisted_registration_hostile_input(client, run, field, value):
    client.force_login(run.editor_a)
    response = client.post(th("staff-run:desk", run.a.slug), _register_data(run, **{field: value}))
    assert response.status_code == 200, (field, value)
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not Participant.objects.filter(created_by_staff=True).exists()


@pytest.mark.parametrize("query", [{"q": "x" * 10000}, {"q": "' OR 1=1 --"}, {"q": "<script>"}, {"birth_date": "bad"}])
def test_search_hostile_input(client, run, query):
    client.force_login(run.editor_a)
    response = client.get(th("staff-run:desk", run.a.slug), query)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_sql_ish_name_is_stored_as_text(client, run):
    client.force_login(run.editor_a)
    name = "'; DROP TABLE participants_participant; --"
    response = client.post(th("staff-run:desk", run.a.slug), _register_data(run, family_name=name))
    assert response.status_code == 302
    assert Participant.objects.get(created_by_staff=True).family_name == name


def test_minor_without_a_guardian_present_is_refused(client, run):
    """A minor's own "consent" box is not enough: see tests/running/test_desk_minors.py."""
    client.force_login(run.editor_a)
    response = client.post(en("staff-run:desk", run.a.slug), _register_data(run, birth_date="2015-01-01"))
    assert response.status_code == 200
    assert "registered only with a parent or guardian present" in response.content.decode()
    assert not Participant.objects.filter(created_by_staff=True).exists()


def test_capacity_raise_offers_the_first_waitlisted(client, run):
    run.course.capacity = 3
    run.course.confirmation_mode = "offer"
    run.course.save(update_fields=["capacity", "confirmation_mode"])
    first, second = ParticipantFactory(), ParticipantFactory()
    for p in (first, second):
        enrolment_create(participant=p, course=run.course, actor=p.account)
    client.force_login(run.editor_a)
    response = client.post(th("staff-run:capacity", run.a.slug, run.course.pk), {"capacity": "4"})
    assert response.status_code == 302
    statuses = dict(Enrolment.objects.filter(participant__in=[first, second]).values_list("participant_id", "status"))
    assert statuses == {first.pk: "offered", second.pk: "waitlisted"}
    assert Notification.objects.filter(participant=first, kind="offer_made").count() == 1
    assert AuditEntry.objects.filter(action="course.capacity_change", changes={"capacity": [3, 4]}).exists()


def test_capacity_lower_than_taken_is_refused(client, run):
    client.force_login(run.editor_a)
    response = client.post(en("staff-run:capacity", run.a.slug, run.course.pk), {"capacity": "2"})
    assert response.status_code == 200
    assert "cannot be lower than the 3 places already taken" in response.content.decode()
    run.course.refresh_from_db()
    assert run.course.capacity == 20


@pytest.mark.parametrize("value", ["", "abc", "-5", "0", "1e9", "<script>", "9" * 10000, "😀"])
def test_capacity_hostile_input(client, run, value):
    client.force_login(run.editor_a)
    response = client.post(th("staff-run:capacity", run.a.slug, run.course.pk), {"capacity": value})
    assert response.status_code == 200
    run.course.refresh_from_db()
    assert run.course.capacity == 20


def test_cancel_course_notifies_everyone_once(client, run):
    client.force_login(run.editor_a)
    url = th("staff-run:cancel", run.a.slug, run.course.pk)
    assert client.post(url, {}).status_code == 200  # not confirmed: nothing happens
    run.course.refresh_from_db()
    assert run.course.status == "scheduled"
    before = Notification.objects.count()
    assert client.post(url, {"confirm": "on"}).status_code == 302
    sent = Notification.objects.filter(kind="course_cancelled")
    assert sent.count() == 3 == Notification.objects.count() - before
    assert set(sent.values_list("participant_id", flat=True)) == {run.alice.pk, run.bob.pk, run.child.pk}
    assert not Enrolment.objects.filter(course=run.course, status__in=["confirmed", "waitlisted", "offered"]).exists()
    assert client.post(url, {"confirm": "on"}).status_code == 302
    assert sent.count() == 3
    assert AuditEntry.objects.filter(action="course.cancel").count() == 1


def test_overview_figures_and_bounded_queries(client, run, django_assert_max_num_queries):
    from participants.services import attendance_mark

    past = run.sessions[0]
    from django.utils import timezone

    now = timezone.now()
    type(past).objects.filter(pk=past.pk).update(
        starts_at=now - dt.timedelta(days=1, hours=2), ends_at=now - dt.timedelta(days=1)
    )
    past.refresh_from_db()
    attendance_mark(session=past, participant=run.alice, status="present", actor=run.editor_a)
    attendance_mark(session=past, participant=run.bob, status="absent", actor=run.editor_a)
    client.force_login(run.editor_a)
    with django_assert_max_num_queries(15):
        response = client.get(th("staff-run:overview", run.a.slug))
    body = response.content.decode()
    assert response.status_code == 200
    assert "50 %" in body and "3 / 20" in body
