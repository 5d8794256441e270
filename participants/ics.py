"""The .ics attached to a confirmation e-mail: the catalogue's own builder
(programmes.ics.course_calendar, icalendar), so the events carry the same UIDs as the
calendar file offered on the programme page and importing both never duplicates them."""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from programmes.ics import course_calendar as _course_calendar
from programmes.models import Course


def course_calendar(course: Course) -> bytes:
    """The course's sessions as an .ics file, titled in the active language."""
    programme = course.programme
    sessions = course.sessions.select_related("venue__district").order_by("starts_at")
    try:
        path = reverse("programmes:programme-detail", kwargs={"slug": programme.slug})
    except NoReverseMatch:
        path = ""
    url = settings.SITE_URL + path if path else settings.SITE_URL
    return _course_calendar(programme=programme, course=course, sessions=sessions, url=url)
