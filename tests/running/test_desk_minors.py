"""Registering a minor at the desk: only with a parent or guardian present, who is read the
privacy notice and consents on the minor's behalf; from 10 to 19 the young person agrees
too; the guardian's name and phone are the contact on the roster."""

import datetime as dt

import pytest
from django.utils import timezone

from learningcity.audit.models import AuditEntry
from participants import services
from participants.errors import ParticipantError
from participants.models import Consent, Enrolment, Participant
from participants.staff.selectors import roster_rows
from tests.factories import DistrictFactory
from tests.running.conftest import en, th

pytestmark = pytest.mark.django_db


def _years_ago(years: int) -> str:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


def _data(run, **extra):
    district = DistrictFactory(city=run.city)
    data = {
        "given_name": "น้องฟ้า",
        "family_name": "ใจงาม",
        "birth_date": _years_ago(14),
        "sex": "female",
        "residence": str(district.pk),
        "phone": "",
        "preferred_language": "th",
        "guardian_name": "สมศรี ใจงาม",
        "guardian_phone": "089 555 1234",
        "guardian_consent": "on",
        "minor_agrees": "on",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def test_a_teenager_with_a_guardian_present_is_registered_and_enrolled(client, run):
    client.force_login(run.editor_a)
    response = client.post(th("staff-run:desk", run.a.slug), _data(run, course=str(run.course.pk)))
    assert response.status_code == 302
    person = Participant.objects.get(given_name="น้องฟ้า")
    assert person.account is None and person.created_by_staff and person.registered_by == run.editor_a
    assert (person.guardian_name, person.guardian_phone) == ("สมศรี ใจงาม", "089 555 1234")
    consents = {c.purpose: c for c in person.consents.all()}
    assert set(consents) == {Consent.Purpose.PRIVACY_NOTICE, Consent.Purpose.GUARDIAN}
    for consent in consents.values():
        assert consent.method == Consent.Method.STAFF_ASSISTED and consent.given_by == run.editor_a
        assert consent.on_behalf is True and consent.subject_agreed is True and consent.withdrawn_at is None
    enrolment = Enrolment.objects.get(participant=person, course=run.course)
    assert enrolment.status == "confirmed"
    assert AuditEntry.objects.filter(action="participant.register_assisted", object_id=str(person.pk)).exists()

    # The roster shows the guardian as the contact (page, CSV and the selector).
    row = next(r for r in roster_rows(course=run.course) if r.participant == person)
    assert row.via_guardian and row.guardian == "สมศรี ใจงาม" and row.phone == "089 555 1234"
    roster = client.get(th("staff-run:roster", run.a.slug, run.course.pk)).content.decode()
    assert "สมศรี ใจงาม" in roster and "089 555 1234" in roster
    csv_body = client.get(th("staff-run:roster-csv", run.a.slug, run.course.pk)).content.decode("utf-8-sig")
    assert "สมศรี ใจงาม" in csv_body and "089 555 1234" in csv_body
    page = client.get(en("staff-run:participant", run.a.slug, person.pk)).content.decode()
    assert "Parent or guardian (contact)" in page and "089 555 1234" in page


def test_a_child_under_10_needs_only_the_guardian(client, run):
    client.force_login(run.editor_a)
    response = client.post(th("staff-run:desk", run.a.slug), _data(run, birth_date=_years_ago(6), minor_agrees=None))
    assert response.status_code == 302
    person = Participant.objects.get(given_name="น้องฟ้า")
    assert {c.subject_agreed for c in person.consents.all()} == {False}
    assert person.consents.filter(purpose=Consent.Purpose.GUARDIAN).exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"guardian_consent": None}, "guardian_consent", "registered only with a parent or guardian present"),
        ({"minor_agrees": None}, "minor_agrees", "has been told about the privacy notice and agrees"),
        ({"guardian_name": ""}, "guardian_name", "This field is required."),
        ({"guardian_phone": ""}, "guardian_phone", "Enter the guardian's phone number"),
        ({"guardian_phone": "<script>1</script>"}, "guardian_phone", "Enter a phone number with digits only"),
        ({"guardian_name": "<img src=x onerror=alert(1)>"}, "guardian_name", "A name cannot contain < or >."),
        ({"guardian_name": "ก" * 101}, "guardian_name", "at most 100 characters"),
        ({"guardian_phone": "0" * 21}, "guardian_phone", "at most 20 characters"),
    ],
)
def test_refusals_save_nothing(client, run, changes, field, message):
    client.force_login(run.editor_a)
    response = client.post(en("staff-run:desk", run.a.slug), _data(run, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(message in e for e in errors[field]), errors[field]
    assert not Participant.objects.filter(created_by_staff=True).exists()
    assert not Consent.objects.filter(method=Consent.Method.STAFF_ASSISTED).exists()
    html = response.content.decode()
    assert "<script>1</script>" not in html and "<img src=x" not in html


def test_the_adults_own_consent_box_does_not_stand_in_for_the_guardian(client, run):
    client.force_login(run.editor_a)
    data = _data(run, guardian_consent=None, minor_agrees=None, guardian_name="", guardian_phone="", consent="on")
    response = client.post(en("staff-run:desk", run.a.slug), data)
    assert response.status_code == 200
    assert {"guardian_consent", "guardian_name", "guardian_phone", "minor_agrees"} <= set(
        response.context["form"].errors
    )
    assert not Participant.objects.filter(created_by_staff=True).exists()


def test_an_adult_needs_their_own_consent_and_guardian_fields_are_not_kept(client, run):
    client.force_login(run.editor_a)
    adult = _data(run, birth_date="1960-05-05", given_name="ลุงมา", consent=None)
    response = client.post(en("staff-run:desk", run.a.slug), adult)
    assert response.status_code == 200 and "consent" in response.context["form"].errors
    response = client.post(en("staff-run:desk", run.a.slug), {**adult, "consent": "on"})
    assert response.status_code == 302
    person = Participant.objects.get(given_name="ลุงมา")
    assert person.guardian_name == "" and person.guardian_phone == ""  # not needed, not stored
    consent = person.consents.get()
    assert consent.purpose == Consent.Purpose.PRIVACY_NOTICE and consent.subject_agreed is True


def test_the_service_checks_the_rules_itself(run):
    district = DistrictFactory(city=run.city)
    base = {
        "given_name": "เด็กชาย",
        "birth_date": timezone.localdate() - dt.timedelta(days=365 * 12),
        "district": district,
    }
    with pytest.raises(ParticipantError) as refused:
        services.participant_register_assisted(actor=run.editor_a, provider=run.a, consent=True, **base)
    assert {"guardian_name", "guardian_phone", "guardian_consent", "minor_agrees"} <= set(refused.value.message_dict)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):  # staff of B registering for A
        services.participant_register_assisted(
            actor=run.editor_b,
            provider=run.a,
            consent=False,
            guardian_name="แม่",
            guardian_phone="081 111 2222",
            guardian_consent=True,
            minor_agrees=True,
            **base,
        )


def test_the_desk_form_is_refused_to_other_providers_and_residents(client, run):
    data = _data(run)
    client.force_login(run.editor_b)
    assert client.post(th("staff-run:desk", run.a.slug), data).status_code == 404
    client.force_login(run.resident)
    assert client.post(th("staff-run:desk", run.a.slug), data).status_code == 403
    client.logout()
    assert client.post(th("staff-run:desk", run.a.slug), data).status_code == 302
    assert not Participant.objects.filter(created_by_staff=True).exists()
