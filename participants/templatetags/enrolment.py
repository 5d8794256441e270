"""The enrol partial's data, for pages of lower layers (the public catalogue) that may not
import participants code:

    {% load enrolment %}{% enrolment_state course as state %}

The first call in a request loads the signed-in account's people and all their active
enrolments (two queries) and keeps them on the request; every later call, for any number of
courses, reads from there. Anonymous visitors cost no query."""

from django import template
from django.utils import timezone

from participants.queries import CourseEnrolState, account_enrolments_for_request, course_enrol_state

register = template.Library()


@register.simple_tag(takes_context=True)
def enrolment_state(context, course) -> CourseEnrolState:
    request = context.get("request")
    user = getattr(request, "user", None)
    return course_enrol_state(
        course=course, user=user, loaded=account_enrolments_for_request(request), now=timezone.now()
    )
