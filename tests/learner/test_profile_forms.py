"""Profile and dependant forms: valid input saves through the services; hostile input gives
a 200 page with translated errors and saves nothing; the first-enrolment step asks only for
what is missing and returns to the same course."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from participants.models import Consent, Participant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(client, district):
    user = UserFactory(email="new@example.org")
    client.force_login(user)
    return user


def _valid(district, **overrides):
    data = {
        "given_name": "สมศรี",
        "family_name": "มีสุข",
        "birth_date": "1980-05-17",
        "sex": "prefer_not",
        "residence": str(district.pk),
        "preferred_language": "th",
        "phone": "081 234 5678",
        "privacy_consent": "on",
    }
    data.update(overrides)
    return data


def test_create_own_profile_records_the_privacy_consent(client, newcomer, district):
    response = client.post("/en/me/profile/", _valid(district))
    assert response.status_code == 302
    me = Participant.objects.get(account=newcomer, is_self=True)
    assert me.given_name == "สมศรี" and me.district == district and me.sex == "prefer_not"
    consent = me.consents.get()
    assert consent.purpose == Consent.Purpose.PRIVACY_NOTICE and consent.notice.version == 1


def test_outside_the_city_is_a_choice(client, newcomer, district):
    assert client.post("/en/me/profile/", _valid(district, residence="outside")).status_code == 302
    me = Participant.objects.get(account=newcomer)
    assert me.lives_outside_city and me.district is None


def test_privacy_consent_is_required_to_create_a_profile(client, newcomer, district):
    data = _valid(district)
    del data["privacy_consent"]
    response = client.post("/en/me/profile/", data)
    assert response.status_code == 200
    assert "Please read and accept the privacy notice." in response.content.decode()
    assert not Participant.objects.exists()


today = timezone.localdate()
HOSTILE = [
    ({"given_name": "<script>alert(1)</script>"}, "A name cannot contain &lt; or &gt;."),
    ({"given_name": "x" * 5000}, "Ensure this value has at most 100 characters"),
    ({"family_name": "Robert'); DROP TABLE participants_participant;--" * 3}, "at most 100 characters"),
    ({"given_name": ""}, "This field is required."),
    ({"birth_date": (today + dt.timedelta(days=3)).isoformat()}, "The birth date cannot be in the future."),
    ({"birth_date": today.replace(year=today.year - 150).isoformat()}, "Please check the birth date."),
    ({"birth_date": "31/02/2020"}, "Enter a valid date."),
    ({"birth_date": today.replace(year=today.year - 12).isoformat()}, "People under 20 are registered by a parent"),
    ({"residence": "999999"}, "Choose your subdistrict, or “outside the city”."),
    ({"residence": "1 OR 1=1"}, "Choose your subdistrict"),
    ({"sex": "attack-helicopter"}, "Select a valid choice."),
    ({"phone": "call me maybe 🙂"}, "Enter a phone number with digits only"),
    ({"preferred_language": "xx"}, "Select a valid choice."),
]


@pytest.mark.parametrize(("overrides", "message"), HOSTILE)
def test_hostile_profile_input_is_refused_with_a_message(client, newcomer, district, overrides, message):
    response = client.post("/en/me/profile/", _valid(district, **overrides))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "<script>alert(1)</script>" not in html
    assert not Participant.objects.exists()


def test_errors_are_translated_in_thai(client, newcomer, district):
    response = client.post("/me/profile/", _valid(district, birth_date=(today + dt.timedelta(days=3)).isoformat()))
    assert response.status_code == 200
    with translation.override("th"):
        expected = translation.gettext("The birth date cannot be in the future.")
    assert expected in response.content.decode()
    assert '<html lang="th">' in response.content.decode()


def test_emoji_and_thai_names_are_kept(client, newcomer, district):
    assert client.post("/en/me/profile/", _valid(district, given_name="ดาว 🌟")).status_code == 302
    assert Participant.objects.get(account=newcomer).given_name == "ดาว 🌟"


def test_edit_own_profile(client_me, me, district):
    response = client_me.post("/en/me/profile/", _valid(district, given_name="แก้ไขแล้ว", residence="outside"))
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.given_name == "แก้ไขแล้ว" and me.lives_outside_city


def test_edit_with_hostile_input_changes_nothing(client_me, me, district):
    before = me.given_name
    response = client_me.post("/en/me/profile/", _valid(district, given_name="<b>x</b>"))
    assert response.status_code == 200
    me.refresh_from_db()
    assert me.given_name == before


def _child(district, years, **overrides):
    born = today.replace(year=today.year - years, day=1)
    data = {"given_name": "น้องฟ้า", "birth_date": born.isoformat(), "residence": str(district.pk), "sex": "female"}
    data.update(overrides)
    return data


def test_a_child_under_ten_needs_the_guardians_consent_only(client_me, resident, district):
    response = client_me.post("/en/me/dependants/add/", _child(district, 7))
    assert response.status_code == 200
    assert "As parent or guardian, you must consent for a person under 20." in response.content.decode()
    assert not Participant.objects.filter(account=resident, is_self=False).exists()
    response = client_me.post("/en/me/dependants/add/", _child(district, 7, guardian_consent="on"))
    assert response.status_code == 302
    child = Participant.objects.get(account=resident, is_self=False)
    purposes = set(child.consents.values_list("purpose", flat=True))
    assert purposes == {"privacy_notice", "guardian"}
    assert not child.consents.get(purpose="guardian").subject_agreed


def test_a_teenager_must_agree_too(client_me, resident, district):
    response = client_me.post("/en/me/dependants/add/", _child(district, 14, guardian_consent="on"))
    assert response.status_code == 200
    assert "has read the privacy notice and agrees" in response.content.decode()
    response = client_me.post(
        "/en/me/dependants/add/", _child(district, 14, guardian_consent="on", dependant_agrees="on")
    )
    assert response.status_code == 302


def test_the_add_dependant_form_shows_the_guardian_consent_box(client_me):
    html = client_me.get("/en/me/dependants/add/").content.decode()
    assert 'name="guardian_consent"' in html and 'name="dependant_agrees"' in html


def test_sensitive_data_needs_its_own_consent_and_is_never_required(client_me, me):
    url = f"/en/me/people/{me.pk}/access-needs/"
    # Nothing given: fine, nothing kept.
    assert client_me.post(url, {}).status_code == 302
    response = client_me.post(url, {"has_disability": "yes", "access_needs": "ramp"})
    assert response.status_code == 200
    assert "Tick the consent box" in response.content.decode()
    me.refresh_from_db()
    assert me.has_disability is None and me.access_needs == ""
    assert client_me.post(url, {"consent": "on", "has_disability": "yes", "access_needs": "ramp"}).status_code == 302
    me.refresh_from_db()
    assert me.has_disability is True and me.access_needs == "ramp"
    consent = me.consents.get(purpose="sensitive_data", withdrawn_at__isnull=True)
    # One click withdraws it and deletes the data.
    assert client_me.post(f"/en/me/consents/{consent.pk}/withdraw/").status_code == 302
    me.refresh_from_db()
    assert me.has_disability is None and me.access_needs == ""


def test_access_needs_of_5000_characters_are_refused(client_me, me):
    response = client_me.post(f"/en/me/people/{me.pk}/access-needs/", {"consent": "on", "access_needs": "ก" * 5000})
    assert response.status_code == 200
    assert "at most 2000 characters" in response.content.decode()
    assert not me.consents.filter(purpose="sensitive_data").exists()


# --- The first-enrolment step -----------------------------------------------------------------


def test_first_enrolment_asks_only_for_what_is_missing_then_returns_to_the_course(client, newcomer, course, district):
    enrol_url = f"/en/courses/{course.pk}/enrol/"
    page = client.get(enrol_url).content.decode()
    assert 'value="self-missing"' in page
    response = client.post(enrol_url, {"participant": "self-missing"})
    assert response.status_code == 302
    step_url = response["Location"]
    assert step_url == f"/en/me/profile/complete/{course.pk}/"
    html = client.get(step_url).content.decode()
    for name in ("given_name", "birth_date", "residence", "privacy_consent"):
        assert f'name="{name}"' in html
    for name in ("sex", "phone", "preferred_language"):
        assert f'name="{name}"' not in html
    response = client.post(
        step_url,
        {"given_name": "สมชาย", "birth_date": "1970-01-02", "residence": str(district.pk), "privacy_consent": "on"},
    )
    assert response.status_code == 302 and response["Location"] == enrol_url
    me = Participant.objects.get(account=newcomer, is_self=True)
    page = client.get(enrol_url).content.decode()
    assert f'<option value="{me.pk}">' in page
    response = client.post(enrol_url, {"participant": me.pk, "next": enrol_url})
    assert response.status_code == 302
    assert me.enrolments.get().status == "confirmed"


def test_the_step_asks_only_for_the_withdrawn_consent(client_me, me, course):
    me.consents.update(withdrawn_at=timezone.now())
    html = client_me.get(f"/en/me/profile/complete/{course.pk}/").content.decode()
    assert 'name="privacy_consent"' in html
    assert 'name="given_name"' not in html and 'name="birth_date"' not in html
    response = client_me.post(f"/en/me/profile/complete/{course.pk}/", {})
    assert response.status_code == 200 and "Please read and accept the privacy notice." in response.content.decode()
    response = client_me.post(f"/en/me/profile/complete/{course.pk}/", {"privacy_consent": "on"})
    assert response.status_code == 302
    assert me.consents.filter(purpose="privacy_notice", withdrawn_at__isnull=True).exists()


def test_the_step_with_nothing_missing_goes_straight_to_the_course(client_me, course):
    response = client_me.get(f"/en/me/profile/complete/{course.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/en/courses/{course.pk}/enrol/"
