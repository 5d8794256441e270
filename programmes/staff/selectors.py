"""Reads for the workspace pages, each with a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from learningcity.audit.models import AuditEntry
from learningcity.city.models import City, District, Population
from programmes.models import Course, Programme, Provider, ProviderMembership, Session, Venue


def workspace_providers(*, provider_ids: Iterable[int] | None) -> QuerySet[Provider]:
    """The providers on the workspace home (all when provider_ids is None: a city
    administrator), each with its programmes (next course and venue joined in): 2 queries."""
    queryset = Provider.objects.all() if provider_ids is None else Provider.objects.filter(pk__in=list(provider_ids))
    programmes = Programme.objects.select_related("next_course__venue").order_by("status", "title_th", "pk")
    return queryset.prefetch_related(Prefetch("programmes", queryset=programmes, to_attr="workspace_programmes"))


def provider_programmes(*, provider: Provider) -> QuerySet[Programme]:
    return (
        Programme.objects.filter(provider=provider)
        .select_related("next_course__venue")
        .annotate(course_count=Count("courses", distinct=True))
        .order_by("status", "title_th", "pk")
    )


def review_queue() -> QuerySet[Programme]:
    """Programmes submitted for a city administrator's review, oldest first, with their
    provider and city: one query."""
    return (
        Programme.objects.filter(status=Programme.Status.PENDING_REVIEW)
        .select_related("provider__city")
        .order_by("submitted_at", "pk")
    )


def programme_courses(*, programme: Programme) -> QuerySet[Course]:
    return (
        programme.courses.select_related("venue")
        .annotate(session_count=Count("sessions", filter=Q(sessions__is_cancelled=False)))
        .order_by("-starts_on", "-pk")
    )


def session_clashes(
    *, venue_id: int | None, intervals: Iterable[tuple[dt.datetime, dt.datetime]], exclude_ids: Iterable[int] = ()
) -> dict[tuple[dt.datetime, dt.datetime], list[Session]]:
    """For each (start, end), the other sessions (any course, not cancelled) at the same venue
    that overlap it. One query for all intervals."""
    intervals = list(intervals)
    if venue_id is None or not intervals:
        return {}
    low = min(start for start, _end in intervals)
    high = max(end for _start, end in intervals)
    others = list(
        Session.objects.filter(venue_id=venue_id, is_cancelled=False, starts_at__lt=high, ends_at__gt=low)
        .exclude(pk__in=list(exclude_ids))
        .select_related("course__programme")
        .order_by("starts_at")
    )
    clashes = {}
    for start, end in intervals:
        hits = [s for s in others if s.starts_at < end and s.ends_at > start]
        if hits:
            clashes[(start, end)] = hits
    return clashes


def course_sessions_with_clashes(*, course: Course) -> list[Session]:
    """The course's sessions, each with `.clashes` (overlapping sessions of other courses at
    its venue): two queries."""
    sessions = list(course.sessions.select_related("venue").order_by("starts_at", "pk"))
    by_venue: dict[int, list[Session]] = {}
    for session in sessions:
        session.clashes = []
        if session.venue_id and not session.is_cancelled:
            by_venue.setdefault(session.venue_id, []).append(session)
    if by_venue:
        low = min(s.starts_at for group in by_venue.values() for s in group)
        high = max(s.ends_at for group in by_venue.values() for s in group)
        others = list(
            Session.objects.filter(venue_id__in=list(by_venue), is_cancelled=False, starts_at__lt=high, ends_at__gt=low)
            .exclude(course=course)
            .select_related("course__programme")
        )
        for other in others:
            for session in by_venue[other.venue_id]:
                if session.starts_at < other.ends_at and session.ends_at > other.starts_at:
                    session.clashes.append(other)
    return sessions


def audit_entries(
    *,
    provider_id: int | None,
    content_type_id: int | None = None,
    actor_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    """Audit entries of one provider (all when provider_id is None), newest first, filtered."""
    from django.utils import timezone

    queryset = AuditEntry.objects.select_related("actor", "content_type")
    if provider_id is not None:
        queryset = queryset.filter(provider_id=provider_id)
    if content_type_id:
        queryset = queryset.filter(content_type_id=content_type_id)
    if actor_id:
        queryset = queryset.filter(actor_id=actor_id)
    tz = timezone.get_default_timezone()
    if date_from:
        queryset = queryset.filter(created_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        queryset = queryset.filter(
            created_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    return queryset.order_by("-created_at", "-pk")


# --- City administration ------------------------------------------------------------------


def admin_provider_list() -> QuerySet[Provider]:
    """Every provider with its city and its numbers of programmes and staff: one query."""
    programmes = Programme.objects.filter(provider=OuterRef("pk")).order_by().values("provider")
    staff = ProviderMembership.objects.filter(provider=OuterRef("pk")).order_by().values("provider")
    return (
        Provider.objects.select_related("city")
        .annotate(
            programme_count=Coalesce(Subquery(programmes.annotate(n=Count("pk")).values("n")), 0),
            staff_count=Coalesce(Subquery(staff.annotate(n=Count("pk")).values("n")), 0),
        )
        .order_by("city__name_th", "name_th", "pk")
    )


def shared_venue_list() -> QuerySet[Venue]:
    """The city-managed venues (no provider), with city and district: one query."""
    return Venue.objects.filter(provider__isnull=True).select_related("city", "district").order_by("name_th", "pk")


def admin_district_rows(*, city: City, year: int | None) -> QuerySet[District]:
    """The city's districts with `residents` (their population in `year`), `has_boundary`
    and `demo_figures`, without loading the boundaries themselves: one query."""
    queryset = (
        District.objects.filter(city=city)
        .defer("boundary")
        .annotate(has_boundary=ExpressionWrapper(Q(boundary__isnull=False), output_field=BooleanField()))
        .order_by("code")
    )
    if year is None:
        return queryset.annotate(residents=Value(None, output_field=IntegerField()), demo_figures=Value(0))
    return queryset.annotate(
        residents=Sum("population__count", filter=Q(population__year=year)),
        demo_figures=Count("population", filter=Q(population__year=year, population__is_demo=True)),
    )


def admin_population_years(*, city: City) -> QuerySet:
    """Per year: residents, figures, districts covered and demo figures, newest first: one query."""
    return (
        Population.objects.filter(district__city=city)
        .values("year")
        .annotate(
            residents=Sum("count"),
            figures=Count("pk"),
            districts=Count("district", distinct=True),
            demo_figures=Count("pk", filter=Q(is_demo=True)),
        )
        .order_by("-year")
    )
