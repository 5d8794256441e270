"""Every resident page: 200 for the owner, 404 on another resident's objects, a redirect to
the sign-in page for anonymous visitors."""

import pytest

from participants import services
from participants.models import Consent

pytestmark = pytest.mark.django_db

OWN_PAGES = [
    "/en/me/",
    "/en/me/profile/",
    "/en/me/dependants/add/",
    "/en/me/consents/",
    "/en/me/data/",
    "/en/me/data.json",
    "/en/me/erase/",
    "/en/me/learning/",
    "/en/me/notifications/",
]


@pytest.fixture
def objects(resident, me, child, course):
    """URLs of the resident's own objects: a dependant, a consent, an enrolment."""
    enrolment = services.enrolment_create(participant=child, course=course, actor=resident)
    consent = child.consents.get(purpose=Consent.Purpose.GUARDIAN)
    return {
        "dependant": f"/en/me/people/{child.pk}/",
        "access-needs": f"/en/me/people/{child.pk}/access-needs/",
        "enrolment": f"/en/me/enrolments/{enrolment.pk}/",
        "offer": f"/en/me/enrolments/{enrolment.pk}/accept/",
        "_consent_pk": consent.pk,
        "_enrolment_pk": enrolment.pk,
    }


@pytest.mark.parametrize("url", OWN_PAGES)
def test_own_pages_answer_the_owner(client_me, url):
    response = client_me.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("url", OWN_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert "next=" in response["Location"]


@pytest.mark.parametrize("name", ["dependant", "access-needs", "enrolment", "offer"])
def test_objects_open_for_the_owner_and_404_for_another_resident(client, resident, other, objects, name):
    client.force_login(resident)
    assert client.get(objects[name]).status_code == 200
    client.force_login(other)
    assert client.get(objects[name]).status_code == 404
    client.logout()
    response = client.get(objects[name])
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_resident_cannot_act_on_my_enrolment_or_consent(client, other, objects, child):
    client.force_login(other)
    pk = objects["_enrolment_pk"]
    for action in ("cancel", "leave", "accept", "decline"):
        assert client.post(f"/en/me/enrolments/{pk}/{action}/").status_code == 404
    assert client.post(f"/en/me/consents/{objects['_consent_pk']}/withdraw/").status_code == 404
    assert client.post(f"/en/me/people/{child.pk}/consents/", {"purpose": "guardian"}).status_code == 404
    assert client.post(f"/en/me/people/{child.pk}/", {"given_name": "x"}).status_code == 404
    child.refresh_from_db()
    assert child.given_name == "ดาว"
    assert child.enrolments.get().status == "confirmed"
    assert child.consents.filter(withdrawn_at__isnull=True).count() == 2


def test_another_resident_cannot_enrol_my_dependant(client, other, child, course):
    client.force_login(other)
    response = client.post(f"/en/courses/{course.pk}/enrol/", {"participant": child.pk})
    assert response.status_code == 404
    assert not child.enrolments.exists()


def test_bad_ids_are_404_not_500(client_me, course):
    assert client_me.get("/en/me/enrolments/999999999/").status_code == 404
    assert client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": "1 OR 1=1"}).status_code == 404
    assert client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": "9" * 50}).status_code in (200, 302)
    assert client_me.get("/en/courses/999999/enrol/").status_code == 404


def test_my_data_json_does_not_leak_another_users_data(client_me, other, child):
    body = client_me.get("/en/me/data.json").content.decode()
    assert "other@example.org" not in body
    assert "ไม่ใช่ลูกฉัน" not in body


def test_privacy_notice_is_public_in_both_languages(client, db):
    english = client.get("/en/privacy/")
    assert english.status_code == 200 and "Privacy notice, version 1" in english.content.decode()
    thai = client.get("/privacy/")
    assert thai.status_code == 200 and "ประกาศความเป็นส่วนตัว ฉบับที่ 1" in thai.content.decode()
    assert client.get("/en/privacy/v1/").status_code == 200
    assert client.get("/en/privacy/v99/").status_code == 404


def test_footer_links_to_the_privacy_notice(client, db):
    assert 'href="/en/privacy/"' in client.get("/en/").content.decode()
