"""The personal calendar feed: a secret address (/calendar/<token>.ics) that calendar apps
subscribe to without signing in. It lists the sessions of the courses where the account's
people (self and dependants) hold a confirmed place, from 30 days back on. Revoking the
address deletes the token (the old address answers 404); a new one can be made at once."""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from participants.models import CalendarFeedToken, Enrolment
from participants.notifications import absolute_url
from programmes.models import Session as CourseSession

FEED_PAST_DAYS = 30
FEED_MAX_EVENTS = 500
TOKEN_BYTES = 32


def calendar_feed_token_get(user) -> CalendarFeedToken | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return CalendarFeedToken.objects.filter(user=user).first()


@transaction.atomic
def calendar_feed_token_rotate(*, user, now: dt.datetime | None = None) -> CalendarFeedToken:
    """Create the account's feed address, replacing (and so revoking) any previous one."""
    now = now or timezone.now()
    CalendarFeedToken.objects.filter(user=user).delete()
    return CalendarFeedToken.objects.create(user=user, token=secrets.token_urlsafe(TOKEN_BYTES), created_at=now)


def calendar_feed_token_revoke(*, user) -> bool:
    """Turn the feed off. Returns whether there was one."""
    deleted, _rows = CalendarFeedToken.objects.filter(user=user).delete()
    return bool(deleted)


def calendar_feed_user(token: str):
    """The account whose feed `token` opens, or None (unknown, revoked, inactive account)."""
    if not token or len(token) > 64:
        return None
    row = CalendarFeedToken.objects.filter(token=token, user__is_active=True).select_related("user").first()
    return row.user if row else None


def personal_calendar(user, *, now: dt.datetime | None = None) -> bytes:
    """The feed's iCalendar body: one event per session and person (a parent enrolled with
    two children sees three events), titles in the active language, each linking to the
    enrolment page. One query."""
    from django.urls import reverse

    now = now or timezone.now()
    rows = (
        CourseSession.objects.filter(
            course__enrolments__participant__account=user,
            course__enrolments__status=Enrolment.Status.CONFIRMED,
            is_cancelled=False,
            ends_at__gte=now - dt.timedelta(days=FEED_PAST_DAYS),
        )
        .select_related("course__programme__provider", "venue")
        .annotate(
            enrolment_id=F("course__enrolments__pk"),
            person_name=F("course__enrolments__participant__given_name"),
            person_is_self=F("course__enrolments__participant__is_self"),
        )
        .order_by("starts_at", "pk")[:FEED_MAX_EVENTS]
    )
    cal = Calendar()
    cal.add("prodid", "-//Learning City portal//learningcity//")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", _("My learning"))
    cal.add("x-published-ttl", "PT6H")
    stamp = now.astimezone(dt.UTC)
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    for session in rows:
        title = session.course.programme.title
        if not session.person_is_self and session.person_name:
            title = f"{title} ({session.person_name})"
        event = Event()
        event.add("uid", f"session-{session.pk}-enrolment-{session.enrolment_id}@{host}")
        event.add("dtstamp", stamp)
        event.add("summary", title)
        event.add("dtstart", session.starts_at.astimezone(dt.UTC))
        event.add("dtend", session.ends_at.astimezone(dt.UTC))
        venue = session.venue
        location = ", ".join(p for p in (venue.name, venue.address) if p) if venue else session.online_url
        if location:
            event.add("location", location)
        event.add("description", session.course.programme.provider.name)
        event.add("url", absolute_url(reverse("participants:enrolment-detail", kwargs={"pk": session.enrolment_id})))
        cal.add_component(event)
    return cal.to_ical()
