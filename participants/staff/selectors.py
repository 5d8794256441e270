"""Reads of the running-a-course pages, scoped to one provider and already joined."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, F, FloatField, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, NullIf, Replace
from django.utils import timezone

from participants.models import Attendance, Enrolment, Participant
from participants.services import ROSTER_ATTENDING
from programmes.models import Course, Provider, Session

ROSTER_STATUSES = ("confirmed", "offered", "waitlisted")
SEARCH_LIMIT = 25


@dataclass(frozen=True)
class RosterRow:
    enrolment: Enrolment
    participant: Participant
    email: str
    phone: str
    via_guardian: bool
    guardian: str


def roster_rows(*, course: Course) -> list[RosterRow]:
    """Confirmed, offered and waitlisted people (in that order; the line by position), with
    the contact to use: their own, the guardian account's for a dependant, or the guardian
    recorded at the desk for a minor registered by staff. One query."""
    guardian = Participant.objects.filter(account=OuterRef("participant__account_id"), is_self=True)
    enrolments = (
        Enrolment.objects.filter(course=course, status__in=ROSTER_STATUSES)
        .select_related("participant__account", "participant__district")
        .annotate(
            guardian_phone=Subquery(guardian.values("phone")[:1]),
            guardian_given=Subquery(guardian.values("given_name")[:1]),
            guardian_family=Subquery(guardian.values("family_name")[:1]),
            rank=Case(
                When(status="confirmed", then=Value(0)),
                When(status="offered", then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
        )
        .order_by("rank", "waitlist_position", "participant__given_name", "participant__family_name", "pk")
    )
    rows = []
    for e in enrolments:
        p = e.participant
        account_email = p.account.email if p.account_id else ""
        if p.guardian_name or p.guardian_phone:  # a minor registered at the desk with a guardian
            rows.append(RosterRow(e, p, account_email, p.guardian_phone or p.phone, True, p.guardian_name))
        elif p.is_dependant:
            guardian_name = " ".join(x for x in (e.guardian_given, e.guardian_family) if x) or account_email
            rows.append(RosterRow(e, p, account_email, e.guardian_phone or p.phone, True, guardian_name))
        else:
            rows.append(RosterRow(e, p, account_email, p.phone, False, ""))
    return rows


def register_rows(*, session: Session, participant_id: int | None = None):
    """The attendance register of a session: each person with a confirmed (or completed)
    enrolment, with this session's mark and note. One query."""
    mark = Attendance.objects.filter(session=session, participant=OuterRef("participant_id"))
    queryset = (
        Enrolment.objects.filter(course_id=session.course_id, status__in=ROSTER_ATTENDING)
        .select_related("participant")
        .annotate(mark=Subquery(mark.values("status")[:1]), mark_note=Subquery(mark.values("note")[:1]))
        .order_by("participant__given_name", "participant__family_name", "pk")
    )
    if participant_id is not None:
        queryset = queryset.filter(participant_id=participant_id)
    return queryset


def provider_participants(*, provider: Provider):
    """People this provider may look up: registered by its staff or enrolled in its courses
    (never the whole city's residents)."""
    ids = Enrolment.objects.filter(course__programme__provider=provider).values("participant_id")
    return Participant.objects.filter(
        Q(registered_by__provider_memberships__provider=provider) | Q(pk__in=ids),
        anonymised_at__isnull=True,
    ).distinct()


def participant_search(*, provider: Provider, q: str = "", birth_date: dt.date | None = None):
    queryset = provider_participants(provider=provider)
    if not q and birth_date is None:
        return queryset.none()
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        words = Q()
        for word in q.split()[:5]:  # every word in the given or the family name
            words &= Q(given_name__icontains=word) | Q(family_name__icontains=word)
        match = words
        if len(digits) >= 3:
            match |= Q(phone_digits__contains=digits)
        phone_digits = Replace(Replace(F("phone"), Value(" "), Value("")), Value("-"), Value(""))
        queryset = queryset.annotate(phone_digits=phone_digits).filter(match)
    if birth_date is not None:
        queryset = queryset.filter(birth_date=birth_date)
    return queryset.select_related("district").order_by("given_name", "family_name", "pk")[:SEARCH_LIMIT]


def enrollable_courses(*, provider: Provider, today: dt.date):
    return (
        Course.objects.filter(programme__provider=provider, status=Course.Status.SCHEDULED, ends_on__gte=today)
        .select_related("programme")
        .order_by("starts_on", "pk")
    )


def overview(*, provider: Provider, now: dt.datetime | None = None) -> dict:
    """The provider's dashboard: upcoming courses with fill rate and waiting list, the
    attendance rate of past sessions (aggregated in SQL), courses with places left starting
    within two weeks. A fixed number of queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    courses = Course.objects.filter(programme__provider=provider, status=Course.Status.SCHEDULED)
    fill = Cast(F("seats_taken"), FloatField()) * 100 / NullIf(F("capacity"), 0)
    upcoming = list(
        courses.filter(ends_on__gte=today)
        .select_related("programme")
        .annotate(fill_pct=fill)
        .order_by("starts_on", "pk")[:50]
    )
    soon = list(
        courses.filter(
            starts_on__gte=today, starts_on__lte=today + dt.timedelta(days=14), seats_taken__lt=F("capacity")
        )
        .select_related("programme")
        .annotate(places=F("capacity") - F("seats_taken"))
        .order_by("starts_on", "pk")[:20]
    )
    past = Session.objects.filter(course__programme__provider=provider, is_cancelled=False, starts_at__lt=now)
    totals = Attendance.objects.filter(session__in=past).aggregate(
        present=Count("pk", filter=Q(status=Attendance.Status.PRESENT)), marked=Count("pk")
    )
    recent = list(
        past.select_related("course__programme")
        .annotate(
            present=Count("attendances", filter=Q(attendances__status=Attendance.Status.PRESENT)),
            marked=Count("attendances"),
        )
        .order_by("-starts_at")[:20]
    )
    rate = round(100 * totals["present"] / totals["marked"]) if totals["marked"] else None
    return {
        "upcoming": upcoming,
        "soon": soon,
        "recent_sessions": recent,
        "attendance": totals,
        "attendance_rate": rate,
    }
