"""Reads of the catalogue, already select_related/prefetched/annotated for their page.

Query budget of the catalogue (programme_list_published, any page size): one query for the
page of programmes with provider, next course, its venue and district joined in (only the
columns a card shows: CARD_FIELDS), plus the paginator's COUNT. "Places left" comes from the
next course's counters (capacity - seats_taken), so no card runs a query of its own."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
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
from django.db.models.expressions import Expression
from django.db.models.functions import Cast, Power
from django.utils import timezone
from django.utils.functional import cached_property

from learningcity.city.models import City, District
from programmes import catalogue_cache
from programmes.models import (
    Category,
    Course,
    Programme,
    ProgrammeSearch,
    Provider,
    ProviderMembership,
    Session,
    Venue,
)
from programmes.search import DocumentSearch, normalise_query, programme_search
from programmes.services import EVENING_FROM_HOUR, EVENING_SLOT

# Age bands of DOMAIN.md: (youngest, oldest or None for no upper limit).
AGE_BANDS: dict[str, tuple[int, int | None]] = {
    "0-5": (0, 5),
    "6-14": (6, 14),
    "15-24": (15, 24),
    "25-59": (25, 59),
    "60+": (60, None),
}
WEEKEND_DAYS = (6, 7)  # ISO weekdays: Saturday, Sunday


def programme_list_published(*, city: City | None = None) -> QuerySet[Programme]:
    """Published programmes of active providers, soonest next start first, with everything a
    catalogue card shows (provider, next course with venue and district) and nothing else."""
    queryset = Programme.objects.filter(status=Programme.Status.PUBLISHED, provider__is_active=True)
    if city is not None:
        queryset = queryset.filter(provider__city=city)
    return (
        queryset.select_related("provider", "next_course__venue__district")
        .only(*CARD_FIELDS)
        .order_by(F("next_start").asc(nulls_last=True), "title_th", "pk")
    )


# The columns a card shows (templates/programmes/_programme_card.html), the only ones read: a
# programme row with its four joins was 78 columns (20 timestamps a card to parse, the long
# texts), ~8 ms a page of 20 in Python; a card reading anything else would run one query per
# card (tests/catalogue count the page's queries).
CARD_FIELDS = (
    "slug",
    "title_th",
    "title_en",
    "next_start",
    "age_min",
    "age_max",
    "fee",
    "provider__name_th",
    "provider__name_en",
    "next_course__capacity",
    "next_course__seats_taken",
    "next_course__venue__name_th",
    "next_course__venue__name_en",
    "next_course__venue__district__name_th",
    "next_course__venue__district__name_en",
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

    Filters on courses (district, places left, accessibility) are an EXISTS subquery served by
    the index course(programme, status, starts_on); they consider only scheduled courses that
    have not ended. Filters on sessions (dates, weekdays, evenings, weekends) consider
    sessions still to come, through the programme's denormalised upcoming sessions
    (_upcoming_session_filter): one session must meet all of them at once."""
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

    weekdays = sorted({d for d in weekdays if 1 <= d <= 7})
    if date_from or date_to or weekdays or evening or weekend:
        queryset = queryset.filter(
            _upcoming_session_filter(
                now=now, date_from=date_from, date_to=date_to, weekdays=weekdays, evening=evening, weekend=weekend
            )
        )

    if q is not None and q.strip():
        queryset = programme_search(queryset, q, language)
    return queryset


def _upcoming_session_filter(
    *,
    now: dt.datetime,
    date_from: dt.date | None,
    date_to: dt.date | None,
    weekdays: list[int],
    evening: bool,
    weekend: bool,
) -> Q:
    """Programmes with a session still to come (not cancelled, of a scheduled course) that
    meets every condition at once: on or after `date_from`, on or before `date_to`, on one of
    `weekdays` or the weekend, from EVENING_FROM_HOUR. Reads the programme's denormalised
    `upcoming_session_starts` (services.programmes_refresh_schedule), so it joins no session:
    the GIN-indexed `upcoming_slots` narrows the candidates (weekday/evening), then the starts
    themselves are checked against `now` and the dates (a session that began since the last
    refresh is still in the array, hence `>= now` here)."""
    tz = timezone.get_current_timezone()
    conditions = ["t >= %s"]
    params: list = [now]
    if date_from:
        conditions.append("t >= %s")
        params.append(dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        conditions.append("t < %s")
        params.append(dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    days = set(weekdays) | (set(WEEKEND_DAYS) if weekend else set())
    if days:
        conditions.append("EXTRACT(isodow FROM t AT TIME ZONE %s)::int = ANY(%s)")
        params += [timezone.get_current_timezone_name(), sorted(days)]
    if evening:
        conditions.append("EXTRACT(hour FROM t AT TIME ZONE %s) >= %s")
        params += [timezone.get_current_timezone_name(), EVENING_FROM_HOUR]
    exists = _UpcomingSessionMatch(" AND ".join(conditions), params)
    if days or evening:
        slots = [EVENING_SLOT + day for day in sorted(days or range(1, 8))] if evening else sorted(days)
        prefilter = Q(upcoming_slots__overlap=slots)
    else:
        prefilter = ~Q(upcoming_session_starts=[])
    return prefilter & Q(exists)


class _UpcomingSessionMatch(Expression):
    """`EXISTS (SELECT 1 FROM unnest(<the programme's upcoming_session_starts>) AS upcoming(t)
    WHERE <conditions on t>)`. The column is compiled as a column (so it takes the alias a
    subquery gives the table); `conditions` are fixed SQL fragments, every value in `params`."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, conditions: str, params: list) -> None:
        super().__init__()
        self.starts = F("upcoming_session_starts")
        self.conditions = conditions
        self.params = params

    def get_source_expressions(self):
        return [self.starts]

    def set_source_expressions(self, exprs) -> None:
        (self.starts,) = exprs

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.copy()
        resolved.starts = self.starts.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return resolved

    def as_sql(self, compiler, connection):
        starts, starts_params = compiler.compile(self.starts)
        sql = f"EXISTS (SELECT 1 FROM unnest({starts}) AS upcoming(t) WHERE {self.conditions})"
        return sql, [*starts_params, *self.params]


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

COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """A Paginator that counts at most `cap` rows (`SELECT count(*) FROM (... LIMIT cap + 1)`):
    a search for a common word matches thousands of programmes, and counting them all cost as
    much as finding the page. `capped` says there are more than `cap`; the pages then run up to
    cap / per_page and the page shows "1,000+"."""

    def __init__(
        self, object_list, per_page, *, cap: int | None = None, search: DocumentSearch | None = None, **kwargs
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap
        self.search = search  # the search whose matches object_list holds, if any

    @cached_property
    def counted(self) -> int:
        """The rows up to cap + 1."""
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.cap)

    @property
    def capped(self) -> bool:
        return self.counted > self.cap

    def _get_page(self, object_list, number, paginator):
        """The page's rows in two narrow steps: the ids of the page in the queryset's order (the
        ranking then sorts bare programme rows, not rows with every select_related join),
        then those rows with their joins and prefetches."""
        ids = list(object_list.values_list("pk", flat=True))
        if not ids:
            return super()._get_page([], number, paginator)
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids).order_by()}
        return super()._get_page([rows[pk] for pk in ids if pk in rows], number, paginator)


class RankedPaginator(CappedPaginator):
    """The pages of a search over search documents (search.DocumentSearch): a page's programme
    ids in rank order come with the number of matches, then the cards' rows from `rows` (a
    Programme queryset with its joins). The count is capped like CappedPaginator's; a page
    past the end asks for the count alone, then shows the last."""

    def __init__(self, search: DocumentSearch, rows: QuerySet[Programme], per_page, **kwargs) -> None:
        super().__init__(search.matches.order_by("pk"), per_page, search=search, **kwargs)
        self.rows = rows
        self._fetched: dict[int, list[int]] = {}

    def _ids(self, number: int) -> list[int]:
        """The programme ids of page `number`, fetched once; notes the count when it comes."""
        if number not in self._fetched:
            ids, matches = self.search.page(offset=(number - 1) * self.per_page, limit=self.per_page)
            if matches is not None and "counted" not in self.__dict__:
                self.__dict__["counted"] = min(matches, self.cap + 1)
            self._fetched[number] = ids
        return self._fetched[number]

    def get_page(self, number):
        try:
            asked = int(number)
        except (TypeError, ValueError):
            asked = 1
        if 1 <= asked <= math.ceil(self.cap / self.per_page):
            self._ids(asked)  # the page asked for, and with it the count
        return super().get_page(number)

    def page(self, number):
        number = self.validate_number(number)
        shown = min(self.per_page, self.count - (number - 1) * self.per_page)
        ids = self._ids(number)[: max(shown, 0)]
        rows = {row.pk: row for row in self.rows.filter(pk__in=ids).order_by()} if ids else {}
        return Page([rows[pk] for pk in ids if pk in rows], number, self)


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

    Cards cost no query of their own (programme_list_published's joins). A page of it:
    catalogue_paginator, which ranks a search over the search documents alone."""
    queryset = _instruction_language(
        programme_filter(programme_list_published(city=city), now=now, **filters), instruction_language
    )
    return programme_order(queryset, sort=sort, lat=lat, lng=lng, near_district=near_district, q=filters.get("q"))


def _instruction_language(queryset: QuerySet[Programme], instruction_language: str | None) -> QuerySet[Programme]:
    if not instruction_language:
        return queryset
    languages = [instruction_language]
    if instruction_language in (Programme.Language.THAI, Programme.Language.ENGLISH):
        languages.append(Programme.Language.BOTH)
    return queryset.filter(language__in=languages)


def catalogue_paginator(*, city: City | None, per_page: int, now: dt.datetime | None = None, **kwargs) -> Paginator:
    """The pages of programme_catalogue(city=city, **kwargs). A search in relevance order
    (the default with a query) ranks the narrow search documents (listed, of `city`) and
    reads the programmes' rows only for the filters in force and the page's cards
    (RankedPaginator); a search in another order pages programme_catalogue narrowed to the
    same search's matches, and anything else programme_catalogue (CappedPaginator). A
    paginator's `search` (or None) tells the page which spellings were used."""
    q, sort = kwargs.get("q"), kwargs.get("sort")
    if not normalise_query(q):
        return CappedPaginator(programme_catalogue(city=city, now=now, **kwargs), per_page)
    language = kwargs.get("language", "th")
    documents = ProgrammeSearch.objects.filter(listed=True)
    if city is not None:
        documents = documents.filter(city=city)
    if sort not in (None, "", SORT_RELEVANCE):
        # Another order: the search's matches (the same as in relevance order, misspellings
        # too, so the page can say which spellings it used) in that order.
        search = DocumentSearch(documents, q, language)
        queryset = programme_catalogue(city=city, now=now, **{**kwargs, "q": None})
        return CappedPaginator(queryset.filter(pk__in=search.matches.values("pk")), per_page, search=search)
    filters = {k: v for k, v in kwargs.items() if k not in ("q", "language", "sort", "lat", "lng", "near_district")}
    instruction_language = filters.pop("instruction_language", None)
    narrowed = _instruction_language(
        programme_filter(Programme.objects.all(), now=now, **filters), instruction_language
    )
    if narrowed.query.has_filters():
        documents = documents.filter(programme__in=narrowed.values("pk"))
    return RankedPaginator(DocumentSearch(documents, q, language), programme_list_published(city=city), per_page)


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


# The catalogue filter form's districts and categories, read for every catalogue request (two
# queries and their rows), kept in the process per (city, catalogue generation): the generation
# moves whenever a district, venue or category is saved.
_FILTER_LISTS = catalogue_cache.GenerationMemo()


def catalogue_filter_lists(*, city: City | None, at: int | None = None) -> tuple[list[District], list[Category]]:
    """(catalogue_districts, category_list) as lists, shared between requests: read them, do
    not change them (their names follow the active language when read). `at`: the catalogue
    generation the caller read before any row (else the current one is read)."""
    return _FILTER_LISTS.get(
        (city.pk if city else None,), lambda: (list(catalogue_districts(city=city)), list(category_list())), at=at
    )


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
