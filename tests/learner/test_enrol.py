"""Enrolling and the enrolment actions through the pages: a plain POST redirects back with a
message (POST-redirect-GET); an htmx POST answers the course's enrol block with the new
state. Refusals are shown, never a 500."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from participants import services
from participants.models import Enrolment
from tests.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def test_enrol_plain_post_redirects_back_with_a_message(client_me, me, course):
    back = f"/en/programmes/{course.programme.slug}/"
    response = client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": me.pk, "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert "You are enrolled. A confirmation has been sent to you." in _messages(response)
    assert me.enrolments.get().status == "confirmed"


def test_enrol_refuses_an_offsite_next(client_me, me, course):
    response = client_me.post(
        f"/en/courses/{course.pk}/enrol/", {"participant": me.pk, "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/en/courses/{course.pk}/enrol/"


def test_enrol_with_htmx_swaps_the_block_with_the_new_state(client_me, me, course):
    response = client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": me.pk}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith(f'<div class="enrol" id="enrol-{course.pk}">')
    assert "You are enrolled." in html
    assert f"/en/me/enrolments/{me.enrolments.get().pk}/cancel/" in html
    assert 'hx-swap="outerHTML"' in html


def test_a_full_course_puts_the_person_on_the_waiting_list(client_me, me, child, make_course, district):
    course = make_course(capacity=1)
    services.enrolment_create(participant=child, course=course, actor=me.account)
    page = client_me.get(f"/en/courses/{course.pk}/enrol/").content.decode()
    assert "Join the waiting list" in page
    response = client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": me.pk}, **HTMX)
    html = response.content.decode()
    assert "You are number 1 on the waiting list." in html
    assert "Leave the waiting list" in html


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"enrolment_closes_at": -1}, "Enrolment closed on"),
        ({"age_min": 60}, "is too young for this course (from 60 years)"),
        ({"status": "cancelled"}, "This course has been cancelled."),
    ],
)
def test_refusal_reasons_are_shown(client_me, me, make_course, setup, message):
    kwargs = {}
    if "enrolment_closes_at" in setup:
        kwargs["enrolment_closes_at"] = timezone.now() - dt.timedelta(hours=1)
        kwargs["enrolment_opens_at"] = timezone.now() - dt.timedelta(days=2)
    if "age_min" in setup:
        kwargs["age_min"] = 60
    if "status" in setup:
        kwargs["status"] = "cancelled"
    course = make_course(**kwargs)
    response = client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": me.pk}, **HTMX)
    assert response.status_code == 200
    assert message in response.content.decode()
    plain = client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": me.pk})
    assert plain.status_code == 302
    assert any(message in m for m in _messages(plain))
    assert not me.enrolments.exists()


def test_enrolling_twice_says_already_enrolled(client_me, me, course):
    client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": me.pk})
    response = client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": me.pk}, **HTMX)
    assert "is already enrolled in this course" in response.content.decode()
    assert me.enrolments.count() == 1


def test_a_missing_guardian_consent_is_explained_with_a_link(client_me, child, course):
    child.consents.filter(purpose="guardian").update(withdrawn_at=timezone.now())
    response = client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": child.pk}, **HTMX)
    html = response.content.decode()
    assert "a parent or guardian must consent before enrolling" in html
    assert 'href="/en/me/consents/"' in html
    plain = client_me.post(f"/en/courses/{course.pk}/enrol/", {"participant": child.pk})
    assert plain["Location"] == "/en/me/consents/"


def test_the_select_lists_only_people_in_the_age_range(client_me, me, child, make_course):
    course = make_course(age_min=5, age_max=12)
    html = client_me.get(f"/en/courses/{course.pk}/enrol/").content.decode()
    assert f'<option value="{child.pk}">' in html
    assert f'<option value="{me.pk}">' not in html


def test_anonymous_visitors_see_sign_in_to_enrol(client, course):
    from django.contrib.auth.models import AnonymousUser
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/en/programmes/x/")
    request.user = AnonymousUser()
    with translation.override("en"):  # the page of an /en/ request
        html = Template('{% include "participants/_enrol_button.html" with course=course %}').render(
            Context({"course": course, "request": request})
        )
    assert "Sign in to enrol" in html and "/accounts/login/?next=/en/programmes/x/" in html


def test_cancel_a_confirmed_place(client_me, me, course):
    enrolment = services.enrolment_create(participant=me, course=course, actor=me.account)
    response = client_me.post(f"/en/me/enrolments/{enrolment.pk}/cancel/")
    assert response.status_code == 302 and response["Location"] == "/en/me/learning/"
    assert "The place has been cancelled." in _messages(response)
    enrolment.refresh_from_db()
    assert enrolment.status == "cancelled"


def test_cancel_after_the_deadline_is_refused_with_the_reason(client_me, me, make_course):
    course = make_course(cancellation_deadline=timezone.now() + dt.timedelta(minutes=1))
    enrolment = services.enrolment_create(participant=me, course=course, actor=me.account)
    course.cancellation_deadline = timezone.now() - dt.timedelta(minutes=1)
    course.save(update_fields=["cancellation_deadline"])
    response = client_me.post(f"/en/me/enrolments/{enrolment.pk}/cancel/", **HTMX)
    assert response.status_code == 200
    assert "Places could be cancelled online until" in response.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.status == "confirmed"


def test_leave_the_waiting_list(client_me, me, child, make_course):
    course = make_course(capacity=1)
    services.enrolment_create(participant=child, course=course, actor=me.account)
    waiting = services.enrolment_create(participant=me, course=course, actor=me.account)
    response = client_me.post(f"/en/me/enrolments/{waiting.pk}/leave/", {"compact": "1"}, **HTMX)
    html = response.content.decode()
    assert "The place on the waiting list has been given up." in html
    assert "on the waiting list." not in html.replace("given up", "")
    waiting.refresh_from_db()
    assert waiting.status == "cancelled"


@pytest.fixture
def offered(me, make_course, district):
    """`me` was second in line on an offer-mode course; the first person cancelled."""
    course = make_course(capacity=1, confirmation_mode="offer")
    first = ParticipantFactory(account=UserFactory(), district=district)
    taken = services.enrolment_create(participant=first, course=course, actor=first.account)
    waiting = services.enrolment_create(participant=me, course=course, actor=me.account)
    services.enrolment_cancel(enrolment=taken, actor=first.account)
    waiting.refresh_from_db()
    assert waiting.status == "offered"
    return waiting


def test_an_open_offer_shows_its_deadline_and_accepts_in_one_click(client_me, offered):
    learning = client_me.get("/en/me/learning/").content.decode()
    assert "Places offered to you" in learning and "A place is offered to you: accept by" in learning
    response = client_me.post(f"/en/me/enrolments/{offered.pk}/accept/", **HTMX)
    assert "Offer accepted: the place is confirmed." in response.content.decode()
    assert "You are enrolled." in response.content.decode()
    offered.refresh_from_db()
    assert offered.status == "confirmed"


def test_the_offer_link_from_the_email_does_not_accept_by_itself(client_me, offered):
    response = client_me.get(f"/en/me/enrolments/{offered.pk}/accept/")
    assert response.status_code == 200 and "Accept the place" in response.content.decode()
    offered.refresh_from_db()
    assert offered.status == "offered"


def test_decline_an_offer(client_me, offered):
    response = client_me.post(f"/en/me/enrolments/{offered.pk}/decline/")
    assert response.status_code == 302
    offered.refresh_from_db()
    assert offered.status == "cancelled" and offered.cancelled_reason == Enrolment.CancelledReason.OFFER_DECLINED


def test_accepting_an_expired_offer_is_refused(client_me, offered):
    Enrolment.objects.filter(pk=offered.pk).update(offer_expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = client_me.post(f"/en/me/enrolments/{offered.pk}/accept/", **HTMX)
    assert response.status_code == 200 and "The offer expired on" in response.content.decode()


def test_get_on_an_action_url_is_not_allowed(client_me, me, course):
    enrolment = services.enrolment_create(participant=me, course=course, actor=me.account)
    assert client_me.get(f"/en/me/enrolments/{enrolment.pk}/cancel/").status_code == 405
    enrolment.refresh_from_db()
    assert enrolment.status == "confirmed"
