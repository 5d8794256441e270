"""A course's sessions as an iCalendar file (RFC 5545), built with `icalendar`.

Times are written in UTC (the "Z" form): every calendar application converts them to the
reader's zone, and no VTIMEZONE block is needed. Each session has a UID that stays the same
for the session's life (`session-<pk>@<host>`), so re-importing the file updates the events
instead of duplicating them; a cancelled session is written with STATUS:CANCELLED."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from programmes.models import Course, Programme, Session

PRODID = "-//Learning City portal//Catalogue//EN"


def _uid_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "learningcity.local"


def session_uid(session: Session) -> str:
    return f"session-{session.pk}@{_uid_host()}"


def _location(session: Session, course: Course) -> str:
    venue = session.venue or course.venue
    if venue is None:
        return session.online_url or course.online_url or ""
    parts = [venue.name, venue.address]
    if venue.district_id:
        parts.append(venue.district.name)
    return ", ".join(part for part in parts if part)


def course_calendar(
    *,
    programme: Programme,
    course: Course,
    sessions: Iterable[Session],
    url: str,
    now: dt.datetime | None = None,
) -> bytes:
    """The .ics file of `course`'s `sessions` (with venues loaded), one VEVENT each."""
    stamp = (now or timezone.now()).astimezone(dt.UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", programme.title)
    description = "\n\n".join(part for part in (programme.summary, programme.provider.name, url) if part)
    for session in sessions:
        event = Event()
        event.add("uid", session_uid(session))
        event.add("dtstamp", stamp)
        event.add("dtstart", session.starts_at.astimezone(dt.UTC))
        event.add("dtend", session.ends_at.astimezone(dt.UTC))
        event.add("summary", programme.title)
        location = _location(session, course)
        if location:
            event.add("location", location)
        event.add("description", description)
        event.add("url", url)
        event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
