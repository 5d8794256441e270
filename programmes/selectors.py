"""Reads of the catalogue, already select_related/prefetched/annotated for their page.

Query budget of the catalogue (programme_list_published, any page size): one query for the
page of programmes with provider, next course, its venue and district joined in, one for the
categories of the whole page (plus the paginator's COUNT). "Places left" comes from the
next course's counters (capacity - seats_taken), so no card runs a query of its own."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, ExtractHour, ExtractIsoWeekDay, Power
from django.utils import timezone

from learningcity.city.models import City, District
from programmes.models import Category, Course, Programme, Provider, ProviderMembership, Session, Venue
from programmes.search import programme_search

# Age bands of DOMAIN.md: (youngest, oldest or None for no upper limit).
AGE_BANDS: dict[str, tuple[int, int | None]] = {
    "0-5": (0, 5),
    "6-14": (6, 14),
    "15-24": (15, 24),
    "25-59": (25, 59),
    "60+": (60, None),
}
EVENING_FROM_HOUR = 17
WEEKEND_DAYS = (6, 7)  # ISO weekdays: Saturday, Sunday


def programme_list_published(*, city: City | None = None) -> QuerySet[Programme]:
    """Published programmes of active providers, soonest next start first, with everything a
    catalogue card shows (provider, categories, next course with venue and district)."""
    queryset = Programme.objects.filter(status=Programme.Status.PUBLISHED, provider__is_active=True)
    if city is not None:
        queryset = queryset.filter(provider__city=city)
    return (
        queryset.select_related("provider", "next_course__venue__district")
        .prefetch_related(Prefetch("categories", queryset=Category.objects.order_by("position", "name_th")))
        .order_by(F("next_start").asc(nulls_last=True), "title_th", "pk")
    )


def _upcoming_courses(now: dt.datetime) -> QuerySet[Course]:
    return Course.objects.filter(
        programme=OuterRef("pk"), status=Course.Status.SCHEDULED, ends_on__gte=timezone.localdate(now)
    )


def programme_filter(
    queryset: QuerySet[Programme],
    *,
    q: str | None = None,
    language: str = "th",
    age: int | None = None,
    age_band: str | None = None,
    categories: Iterable[int] = (),
    building_block: int | None = None,
    districts: Iterable[int] = (),
    formats: Iterable[str] = (),
    free_only: bool = False,
    has_places: bool = False,
    accessibility: Iterable[str] = (),
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    weekdays: Iterable[int] = (),
    evening: bool = False,
    weekend: bool = False,
    now: dt.datetime | None = None,
) -> QuerySet[Programme]:
    """The catalogue's filters on a programme queryset. Inputs are already parsed and
    validated (by the view's form); everything is bound as a parameter.

    Filters on courses (district, places left, accessibility) and on sessions (dates,
    weekdays, evenings, weekends) are EXISTS subqueries served by the indexes
    course(programme, status, starts_on) and session(course, starts_at); they consider only
    scheduled courses that have not ended and sessions still to come."""
    now = now or timezone.now()
    if age is not None:
        queryset = queryset.filter(Q(age_min__lte=age), Q(age_max__isnull=True) | Q(age_max__gte=age))
    if age_band in AGE_BANDS:
        low, high = AGE_BANDS[age_band]
        queryset = queryset.filter(Q(age_max__isnull=True) | Q(age_max__gte=low))
        if high is not None:
            queryset = queryset.filter(age_min__lte=high)
    categories = list(categories)
    if categories:
        queryset = queryset.filter(
            Exists(Programme.categories.through.objects.filter(programme=OuterRef("pk"), category__in=categories))
        )
    if building_block is not None:
        queryset = queryset.filter(
            Exists(
                Programme.categories.through.objects.filter(
                    programme=OuterRef("pk"), category__building_blocks__contains=[building_block]
                )
            )
        )
    formats = list(formats)
    if formats:
        queryset = queryset.filter(format__in=formats)
    if free_only:
        queryset = queryset.filter(fee=0)

    courses = _upcoming_courses(now)
    course_filtered = False
    districts = list(districts)
    if districts:
        courses = courses.filter(venue__district__in=districts)
        course_filtered = True
    accessibility = list(accessibility)
    if accessibility:
        courses = courses.filter(venue__accessibility__contains=accessibility)
        course_filtered = True
    if has_places:
        courses = courses.filter(seats_taken__lt=F("capacity"))
        course_filtered = True
    if course_filtered:
        queryset = queryset.filter(Exists(courses))

    weekdays = [d for d in weekdays if 1 <= d <= 7]
    if date_from or date_to or weekdays or evening or weekend:
        sessions = Session.objects.filter(
            course__programme=OuterRef("pk"),
            course__status=Course.Status.SCHEDULED,
            is_cancelled=False,
            starts_at__gte=now,
        )
        tz = timezone.get_current_timezone()
        if date_from:
            sessions = sessions.filter(starts_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
        if date_to:
            sessions = sessions.filter(
                starts_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
            )
        if weekdays or weekend:
            days = set(weekdays) | (set(WEEKEND_DAYS) if weekend else set())
            sessions = sessions.annotate(local_weekday=ExtractIsoWeekDay("starts_at")).filter(local_weekday__in=days)
        if evening:
            sessions = sessions.annotate(local_hour=ExtractHour("starts_at")).filter(local_hour__gte=EVENING_FROM_HOUR)
        queryset = queryset.filter(Exists(sessions))

    if q is not None and q.strip():
        queryset = programme_search(queryset, q, language)
    return queryset


def programme_get(*, slug: str, published_only: bool = True, now: dt.datetime | None = None) -> Programme | None:
    """One programme for its detail page with a fixed number of queries: the programme
    with its provider (1), categories (2), its scheduled courses that have not ended with
    venue and district (3) and their sessions with venues (4)."""
    now = now or timezone.now()
    queryset = Programme.objects.filter(slug=slug)
    if published_only:
        queryset = queryset.filter(status=Programme.Status.PUBLISHED, provider__is_active=True)
    sessions = Session.objects.select_related("venue").order_by("starts_at", "pk")
    courses = (
        Course.objects.filter(status=Course.Status.SCHEDULED, ends_on__gte=timezone.localdate(now))
        .select_related("venue__district")
        .prefetch_related(Prefetch("sessions", queryset=sessions))
        .order_by("starts_on", "pk")
    )
    return (
        queryset.select_related("provider", "provider__city")
        .prefetch_related(
            Prefetch("categories", queryset=Category.objects.order_by("position", "name_th")),
            Prefetch("courses", queryset=courses, to_attr="upcoming_courses"),
        )
        .first()
    )


def course_sessions(course: Course) -> QuerySet[Session]:
    """A course's sessions in time order, with their venues."""
    return course.sessions.select_related("venue__district").order_by("starts_at", "pk")


def provider_ids_for_user(user, *, roles: Iterable[str] | None = None) -> list[int]:
    """Ids of the active providers `user` is staff of (optionally with one of `roles`)."""
    if not getattr(user, "is_authenticated", False):
        return []
    memberships = ProviderMembership.objects.filter(user=user, provider__is_active=True)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return list(memberships.values_list("provider_id", flat=True))


# --- Catalogue pages (the public side) -----------------------------------------------------

SORT_RELEVANCE = "relevance"
SORT_SOONEST = "soonest"
SORT_NEWEST = "newest"
SORT_NEAREST = "nearest"
SORTS = (SORT_RELEVANCE, SORT_SOONEST, SORT_NEWEST, SORT_NEAREST)


def programme_catalogue(
    *,
    city: City | None,
    instruction_language: str | None = None,
    sort: str | None = None,
    lat: float | None = None,
    lng: float | None = None,
    near_district: int | None = None,
    now: dt.datetime | None = None,
    **filters,
) -> QuerySet[Programme]:
    """The catalogue page's queryset: published programmes of `city` through
    programme_filter(**filters), taught in `instruction_language` (programmes taught in both
    Thai and English count for either), in the order `sort` names:

    - relevance: the search rank (only with a query; otherwise soonest),
    - soonest: next session first, programmes without dates last,
    - newest: most recently published first,
    - nearest: by the distance of the next course's venue from (lat, lng) (an
      equirectangular approximation, fine at city scale; online courses last), or, without
      a location, courses in `near_district` first, then soonest.

    Cards cost no query of their own (programme_list_published's joins)."""
    queryset = programme_filter(programme_list_published(city=city), now=now, **filters)
    if instruction_language:
        languages = [instruction_language]
        if instruction_language in (Programme.Language.THAI, Programme.Language.ENGLISH):
            languages.append(Programme.Language.BOTH)
        queryset = queryset.filter(language__in=languages)
    return programme_order(queryset, sort=sort, lat=lat, lng=lng, near_district=near_district, q=filters.get("q"))


def programme_order(
    queryset: QuerySet[Programme],
    *,
    sort: str | None,
    lat: float | None = None,
    lng: float | None = None,
    near_district: int | None = None,
    q: str | None = None,
) -> QuerySet[Programme]:
    """`queryset` in the order `sort` names (see programme_catalogue)."""
    soonest = (F("next_start").asc(nulls_last=True), "title_th", "pk")
    searched = bool(q and q.strip())
    if sort in (None, "", SORT_RELEVANCE):
        return queryset if searched else queryset.order_by(*soonest)
    if sort == SORT_NEWEST:
        return queryset.order_by(F("published_at").desc(nulls_last=True), "pk")
    if sort == SORT_NEAREST:
        if lat is not None and lng is not None:
            venue_lat = Cast("next_course__venue__latitude", FloatField())
            venue_lng = Cast("next_course__venue__longitude", FloatField())
            scale = math.cos(math.radians(lat))
            distance = Power(venue_lat - Value(lat), 2) + Power((venue_lng - Value(lng)) * Value(scale), 2)
            return queryset.annotate(distance=distance).order_by(F("distance").asc(nulls_last=True), *soonest)
        if near_district is not None:
            in_district = Case(
                When(next_course__venue__district_id=near_district, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
            return queryset.annotate(in_district=in_district).order_by("in_district", *soonest)
    return queryset.order_by(*soonest)


def catalogue_districts(*, city: City | None) -> QuerySet[District]:
    """Districts that have at least one active venue (a province has thousands of
    subdistricts; the filter lists only those where learning happens)."""
    if city is None:
        return District.objects.none()
    return District.objects.filter(
        city=city, pk__in=Venue.objects.filter(city=city, is_active=True).values("district_id")
    ).order_by("code")


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("position", "name_th")


def _upcoming_courses_of_published(now: dt.datetime) -> QuerySet[Course]:
    return Course.objects.filter(
        status=Course.Status.SCHEDULED,
        ends_on__gte=timezone.localdate(now),
        programme__status=Programme.Status.PUBLISHED,
        programme__provider__is_active=True,
    )


def venue_list_with_upcoming(*, city: City | None, now: dt.datetime | None = None) -> QuerySet[Venue]:
    """Active venues of `city` with at least one upcoming course of a published programme,
    annotated with `upcoming_count`, district joined in (one query)."""
    now = now or timezone.now()
    if city is None:
        return Venue.objects.none()
    upcoming = _upcoming_courses_of_published(now).filter(venue=OuterRef("pk"))
    count = upcoming.order_by().values("venue").annotate(n=Count("pk")).values("n")
    return (
        Venue.objects.filter(city=city, is_active=True)
        .annotate(upcoming_count=Subquery(count, output_field=IntegerField()))
        .filter(upcoming_count__gt=0)
        .select_related("district")
        .order_by("district__code", "name_th", "pk")
    )


def venue_get(*, pk: int, city: City | None) -> Venue | None:
    if city is None:
        return None
    return Venue.objects.filter(pk=pk, city=city, is_active=True).select_related("district", "provider").first()


def venue_upcoming_courses(*, venue: Venue, now: dt.datetime | None = None) -> QuerySet[Course]:
    """Upcoming courses of published programmes at `venue`, soonest first, with programme and
    provider joined in (one query)."""
    now = now or timezone.now()
    return (
        _upcoming_courses_of_published(now)
        .filter(venue=venue)
        .select_related("programme__provider")
        .order_by("starts_on", "pk")
    )


def provider_get_public(*, slug: str, city: City | None) -> Provider | None:
    if city is None:
        return None
    return Provider.objects.filter(slug=slug, city=city, is_active=True).first()


def category_list_with_counts(*, city: City | None) -> QuerySet[Category]:
    """Categories with at least one published programme of `city`, annotated with
    `programme_count` (one query)."""
    if city is None:
        return Category.objects.none()
    published = Q(
        programmes__status=Programme.Status.PUBLISHED,
        programmes__provider__city=city,
        programmes__provider__is_active=True,
    )
    return (
        Category.objects.annotate(programme_count=Count("programmes", filter=published, distinct=True))
        .filter(programme_count__gt=0)
        .order_by("position", "name_th")
    )
