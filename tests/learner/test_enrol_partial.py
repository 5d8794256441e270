"""The enrol partial as the catalogue includes it: a bounded number of queries whatever the
number of courses on the page, and the right state for each course."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from participants import services

pytestmark = pytest.mark.django_db

PAGE = Template(
    "{% for course in courses %}{% include 'participants/_enrol_button.html' with course=course %}{% endfor %}"
)


def _render(user, courses) -> str:
    request = RequestFactory().get("/en/programmes/x/")
    request.user = user
    with translation.override("en"):  # the page of an /en/ request
        return PAGE.render(Context({"courses": courses, "request": request, "user": user}))


def test_two_queries_for_any_number_of_courses(resident, me, child, make_course, django_assert_max_num_queries):
    courses = [make_course(capacity=1) for _n in range(8)]
    services.enrolment_create(participant=child, course=courses[0], actor=resident)
    services.enrolment_create(participant=me, course=courses[0], actor=resident)  # waitlisted: full
    services.enrolment_create(participant=me, course=courses[3], actor=resident)
    from programmes.models import Course

    courses = list(Course.objects.filter(pk__in=[c.pk for c in courses]).select_related("programme").order_by("pk"))
    with django_assert_max_num_queries(2):
        html = _render(resident, courses)
    assert html.count('class="enrol"') == 8
    assert "ดาว is enrolled." in html
    assert "You are number 1 on the waiting list." in html
    assert "You are enrolled." in html


def test_anonymous_costs_no_query(course, django_assert_num_queries):
    from programmes.models import Course

    course = Course.objects.select_related("programme").get(pk=course.pk)
    with django_assert_num_queries(0):
        html = _render(AnonymousUser(), [course])
    assert "Sign in to enrol" in html


def test_closed_course_shows_no_enrol_form_but_keeps_the_actions(resident, me, make_course):
    import datetime as dt

    from django.utils import timezone

    course = make_course()
    enrolment = services.enrolment_create(participant=me, course=course, actor=resident)
    course.enrolment_closes_at = timezone.now() - dt.timedelta(minutes=1)
    course.enrolment_opens_at = timezone.now() - dt.timedelta(days=3)
    course.save()
    html = _render(resident, [course])
    assert "You are enrolled." in html and f"/me/enrolments/{enrolment.pk}/cancel/" in html
    assert 'name="participant"' not in html
