"""Messages to residents: built in the recipient's language, stored as Notification rows in the
same transaction as the change they report (the outbox), e-mailed by a Celery task.

Flow: a service calls `notify(...)` inside its transaction; the row is created and, on commit,
`notifications_send_new` is queued (once for a burst of commits: `dispatch_on_commit`), which
e-mails every row not tried yet. Rendering is split from recording so that a service can
render before it takes a lock: `notification_drafts` renders the messages of the outcomes a
change can have (subject and body in the recipient's language, a lock-dependent waiting-list
position left as a marker) and `notification_record` writes the one that happened (a plain
INSERT, no template, no query but the insert; `notification_build` is the same row unsaved).
`enrolment_create` drafts the outcomes still possible ("confirmed" and/or "waitlisted") before
it locks the course and, under the lock, writes the one that happened in the statement that
inserts the enrolment; `notify` is the two in one call for the services whose outcome is known
when they write.

If the broker is down when a change commits, the change still commits (the error is logged)
and the row stays pending; `notifications_dispatch_pending` (beat, every minute) queues it
again. The task claims the row with a conditional UPDATE
(`email_sent_at IS NULL` and no live claim) before sending and stamps `email_sent_at` after,
so two runs never both send. A worker that dies between sending and stamping leaves a claim
that expires after CLAIM_TIMEOUT, after which the message may be sent again: at-least-once in
that narrow window, never twice otherwise.

Dependants' messages go to their guardian's account, in the guardian's language. Participants
without an account (registered by staff) get no notification: the enrolment is the record."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from learningcity.dates import format_local
from participants.ics import course_calendar
from participants.models import Enrolment, Notification, Participant
from programmes.models import Course

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = dt.timedelta(minutes=10)
PENDING_AFTER = dt.timedelta(minutes=1)
MAX_EMAIL_ATTEMPTS = 5

K = Notification.Kind

SUBJECTS = {
    K.ENROLMENT_CONFIRMED: gettext_lazy("Place confirmed: %(course)s"),
    K.WAITLISTED: gettext_lazy("Waiting list: %(course)s"),
    K.OFFER_MADE: gettext_lazy("A place is free for you: %(course)s"),
    K.OFFER_EXPIRED: gettext_lazy("Offer expired: %(course)s"),
    K.ENROLMENT_CANCELLED: gettext_lazy("Enrolment cancelled: %(course)s"),
    K.COURSE_CANCELLED: gettext_lazy("Course cancelled: %(course)s"),
    K.COURSE_CHANGED: gettext_lazy("Course changed: %(course)s"),
    K.COURSE_REMINDER: gettext_lazy("Tomorrow: %(course)s"),
}


# --- Addresses --------------------------------------------------------------------------


def _path(name: str, pk: int, fallback: str) -> str:
    """A page's path. The resident pages come in a later issue; until their URL names exist
    the documented fallback path is used."""
    try:
        return reverse(name, kwargs={"pk": pk})
    except NoReverseMatch:
        return fallback


def enrolment_path(enrolment: Enrolment) -> str:
    return _path("participants:enrolment-detail", enrolment.pk, f"/me/enrolments/{enrolment.pk}/")


def offer_accept_path(enrolment: Enrolment) -> str:
    return _path("participants:offer-accept", enrolment.pk, f"/me/enrolments/{enrolment.pk}/accept/")


def absolute_url(path: str) -> str:
    if not path or urlsplit(path).scheme:
        return path
    return settings.SITE_URL + path


# --- Building messages ------------------------------------------------------------------


def recipient_for(participant: Participant):
    """(user, language) to write to about `participant`, or (None, None) when nobody can be
    told (no account: assisted or anonymised). A dependant's guardian reads in their own
    language: their own profile's, else their account's."""
    user = participant.account
    if user is None:
        return None, None
    if participant.is_self:
        return user, participant.preferred_language
    own = Participant.objects.filter(account=user, is_self=True).values_list("preferred_language", flat=True).first()
    return user, own or user.preferred_language


# The kinds whose message prints the first meeting and its place (one query to find them).
KINDS_WITH_FIRST_SESSION = {K.ENROLMENT_CONFIRMED, K.COURSE_CHANGED, K.COURSE_REMINDER}


def _course_context(course: Course, *, first_session: bool = True) -> dict:
    context = {
        "course": course.programme.title,
        "provider": course.programme.provider.name,
        "starts_on": format_local(course.starts_on),
        "cancellation_deadline": format_local(course.cancellation_deadline, "datetime"),
    }
    if first_session:
        first = course.sessions.filter(is_cancelled=False).select_related("venue").order_by("starts_at").first()
        venue = (first.venue if first else None) or course.venue
        if venue is not None:
            place = ", ".join(part for part in (venue.name, venue.address) if part)
        else:
            place = course.online_url or _("online")
        context["first_session"] = (
            format_local(first.starts_at, "datetime") if first else format_local(course.starts_on)
        )
        context["place"] = place
    return context


# A waiting-list position only known under the course lock: drafts carry this marker, which
# `notification_record` replaces with the number as the template would have printed it.
POSITION_MARKER = "\u2063position\u2063"  # INVISIBLE SEPARATOR: never typed into a course or a name


@dataclass(frozen=True)
class Draft:
    """A message rendered ahead of the change it reports, ready to be recorded."""

    kind: str
    recipient: object  # the user written to
    participant: Participant
    language: str
    subject: str
    body: str


def notification_drafts(
    *,
    kinds: list[str],
    participant: Participant,
    course: Course,
    enrolment: Enrolment | None = None,
    extra: dict | None = None,
    position_later: bool = False,
) -> dict[str, Draft]:
    """Render the message of each kind in `kinds` about `participant` and `course`, in the
    recipient's language. Empty when nobody can be told. With `position_later`, the
    waiting-list position is left as a marker that `notification_record(position=...)`
    fills in. Reads the course's first session when a message prints it (one query); no
    write, so it can run before a lock is taken."""
    user, language = recipient_for(participant)
    if user is None:
        return {}
    drafts = {}
    with translation.override(language):
        context = {
            **_course_context(course, first_session=bool(KINDS_WITH_FIRST_SESSION.intersection(kinds))),
            "name": participant.full_name,
            "site_url": settings.SITE_URL,
            **(extra or {}),
        }
        if position_later:
            context["position"] = POSITION_MARKER
        elif enrolment is not None:
            context["position"] = enrolment.waitlist_position
        if enrolment is not None:
            context["enrolment_url"] = absolute_url(enrolment_path(enrolment))
            if enrolment.offer_expires_at:
                context["offer_deadline"] = format_local(enrolment.offer_expires_at, "datetime")
                context["accept_url"] = absolute_url(offer_accept_path(enrolment))
        for kind in kinds:
            drafts[kind] = Draft(
                kind=kind,
                recipient=user,
                participant=participant,
                language=language,
                subject=(str(SUBJECTS[kind]) % {"course": context["course"]})[:250],
                body=render_to_string(f"participants/email/{kind}.txt", context).strip(),
            )
    return drafts


def notification_build(
    *, draft: Draft, enrolment: Enrolment | None, now: dt.datetime, position: int | None = None
) -> Notification:
    """The unsaved notification of a drafted message; `position` replaces the draft's
    position marker (without it the marker stays, for SQL to fill: participants.services
    `_enrol_locked`). `enrolment` must have its primary key (the message links to it)."""
    body = draft.body
    if POSITION_MARKER in body and position is not None:
        with translation.override(draft.language):
            body = body.replace(POSITION_MARKER, str(localize(position)))
    url = enrolment_path(enrolment) if enrolment is not None else ""
    if draft.kind == K.OFFER_MADE and enrolment is not None:
        url = offer_accept_path(enrolment)
    user = draft.recipient
    return Notification(
        recipient=user,
        participant=draft.participant,
        enrolment=enrolment,
        kind=draft.kind,
        language=draft.language,
        subject=draft.subject,
        body=body,
        url=url[:300],
        attach_calendar=draft.kind == K.ENROLMENT_CONFIRMED,
        created_at=now,
        email_wanted=bool(user.is_active and user.email),
    )


def notification_record(
    *, draft: Draft, enrolment: Enrolment | None, now: dt.datetime, position: int | None = None
) -> Notification:
    """Write a drafted message (one INSERT) and queue its e-mail on commit. Call inside the
    transaction of the change it reports. `position` replaces the draft's position marker."""
    notification = notification_build(draft=draft, enrolment=enrolment, now=now, position=position)
    notification.save(force_insert=True)
    if notification.email_wanted:
        dispatch_on_commit()
    return notification


def notify(
    *,
    kind: str,
    participant: Participant,
    course: Course,
    enrolment: Enrolment | None = None,
    now: dt.datetime | None = None,
    extra: dict | None = None,
) -> Notification | None:
    """Create the notification about `participant` (in the recipient's language) and queue
    its e-mail on commit. Call inside the transaction of the change it reports."""
    drafts = notification_drafts(kinds=[kind], participant=participant, course=course, enrolment=enrolment, extra=extra)
    if not drafts:
        return None
    return notification_record(draft=drafts[kind], enrolment=enrolment, now=now or timezone.now())


# --- Dispatch and sending ---------------------------------------------------------------


def _dispatch(notification_id: int) -> None:
    """Queue the e-mail task. A broker that cannot be reached must not break the request
    that has just committed: log it; the pending-dispatch job sends the row later."""
    from kombu.exceptions import OperationalError as KombuOperationalError
    from redis.exceptions import RedisError

    from participants.tasks import notification_send_email

    try:
        notification_send_email.delay(notification_id)
    except (KombuOperationalError, RedisError, OSError) as exc:
        logger.warning(
            "notification %s not queued (broker unreachable: %s); the pending-dispatch job will send it",
            notification_id,
            exc,
        )


# The e-mails of new rows are sent by one task per burst of commits, not one task per row: queuing
# a Celery task took ~1 ms of a web worker (an enrol POST runs 13 % fewer instructions without it; a rush
# of 2,000 enrolments now puts one message on the broker, not 2,000; docs/benchmarks.md,
# session 14), a cache `add` is one Redis round trip. The key says "a sender task is queued and
# has not started yet"; it expires after RELAY_SECONDS in case that task is lost (the
# pending-dispatch job covers its rows).
RELAY_KEY = "notifications:sender-queued"
RELAY_SECONDS = 60


def _relay() -> None:
    """Make sure a sender task starts after this commit. Either this call queues one, or the
    key says one is queued and has not started: it deletes the key before it reads the rows,
    so it reads this commit's. A broker or cache that cannot be reached must not break the
    request that has just committed: log it; the pending-dispatch job sends the rows later."""
    from kombu.exceptions import OperationalError as KombuOperationalError
    from redis.exceptions import RedisError

    from participants.tasks import notifications_send_new

    try:
        if not cache.add(RELAY_KEY, 1, RELAY_SECONDS):
            return
        notifications_send_new.delay()
    except (KombuOperationalError, RedisError, OSError) as exc:
        logger.warning(
            "new notifications not queued (broker or cache unreachable: %s); the pending-dispatch job will send them",
            exc,
        )
        with contextlib.suppress(RedisError, OSError):
            cache.delete(RELAY_KEY)  # the next commit tries again


def dispatch_on_commit() -> None:
    """E-mail the notifications written in this transaction once it commits (unless it rolls
    back): by `notifications_send_new`, queued at most once while one is waiting."""
    transaction.on_commit(_relay)


def notifications_send_new() -> int:
    """E-mail every notification never tried yet (new rows, and rows the admin asked to send
    again), oldest first. Deletes RELAY_KEY first: a commit after that queues the next run.
    Each row is claimed before it is sent (notification_email_send), so two runs at once, or
    a run beside a row's own task, send it once. A failed send is left to the pending-dispatch
    job (its task retries with backoff). Returns how many this run sent."""
    cache.delete(RELAY_KEY)
    ids = list(
        Notification.objects.filter(
            email_wanted=True, email_sent_at__isnull=True, email_claimed_at__isnull=True, email_attempts=0
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in ids:
        try:
            sent += notification_email_send(notification_id=pk)
        except OSError as exc:  # SMTP errors included: the claim was released, the attempt counted
            logger.warning("notification %s not sent (%s); the pending-dispatch job will try again", pk, exc)
    return sent


def notifications_pending_dispatch(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Queue again the e-mails still unsent a minute after their creation (broker down at
    commit time, worker lost, or a failed send). Rows with a live claim are being sent; rows
    that failed MAX_EMAIL_ATTEMPTS times are left alone (they stay visible in the site and
    in the admin). Returns how many were queued."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(
            email_wanted=True,
            email_sent_at__isnull=True,
            created_at__lte=now - PENDING_AFTER,
            email_attempts__lt=MAX_EMAIL_ATTEMPTS,
        )
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - CLAIM_TIMEOUT))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        _dispatch(pk)
    return len(ids)


def notification_email_send(*, notification_id: int, now: dt.datetime | None = None) -> bool:
    """Send one notification's e-mail unless it was sent or is being sent. Returns True when
    this call sent it. Safe to run twice, also at the same time (see the module docstring)."""
    now = now or timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, email_wanted=True, email_sent_at__isnull=True)
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(email_claimed_at=now, email_attempts=F("email_attempts") + 1)
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related(
        "recipient", "enrolment__course__programme", "enrolment__course__venue"
    ).get(pk=notification_id)
    user = notification.recipient
    if not (user.is_active and user.email):
        Notification.objects.filter(pk=notification_id).update(email_wanted=False, email_claimed_at=None)
        return False
    try:
        with translation.override(notification.language):
            body = notification.body
            if notification.url:
                body += "\n\n" + absolute_url(notification.url)
            body += "\n\n-- \n" + _(
                "You receive this message because of an enrolment on %(site)s. "
                "Your notifications are also listed on the site."
            ) % {"site": settings.SITE_URL}
            message = EmailMessage(subject=notification.subject, body=body, to=[user.email])
            if notification.attach_calendar and notification.enrolment is not None:
                course = notification.enrolment.course
                message.attach(f"course-{course.pk}.ics", course_calendar(course), "text/calendar")
            message.send()
    except Exception:
        Notification.objects.filter(pk=notification_id).update(email_claimed_at=None)
        raise
    Notification.objects.filter(pk=notification_id).update(email_sent_at=timezone.now())
    return True
