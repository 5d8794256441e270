"""What the catalogue does so it stays fast at city scale: the capped count ("1,000+") with
pages that still work up to the cap, and the denormalised upcoming sessions the session
filters read, kept in step with sessions added, moved and cancelled and with time passing
(and giving the same programmes as a join over the sessions themselves)."""

import datetime as dt
import itertools
import re

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from programmes import selectors, services, views
from programmes.models import Course, Programme, Session
from programmes.selectors import CappedPaginator, programme_filter, programme_list_published
from tests.catalogue.data import at
from tests.catalogue.test_catalogue_page import _many, found

pytestmark = pytest.mark.django_db
URL = "/en/programmes/"


def _title(response) -> str:
    return re.search(r'id="results-title"[^>]*>(.*?)</h2>', response.content.decode(), re.S).group(1).strip()


# --- The capped count ----------------------------------------------------------------------


def test_paginator_counts_only_up_to_the_cap(catalogue):
    _many(catalogue, 12)
    queryset = programme_list_published()
    with CaptureQueriesContext(connection) as queries:
        paginator = CappedPaginator(queryset, 4, cap=10)
        assert (paginator.count, paginator.capped, paginator.num_pages) == (10, True, 3)
    [count_sql] = [q["sql"] for q in queries.captured_queries]
    assert "COUNT(" in count_sql.upper() and "LIMIT 11" in count_sql
    uncapped = CappedPaginator(queryset, 4, cap=100)
    assert (uncapped.count, uncapped.capped) == (queryset.count(), False)
    # Pages keep the queryset's order and never repeat a row, up to the capped last page.
    pages = [[p.pk for p in paginator.page(n).object_list] for n in (1, 2, 3)]
    assert [len(page) for page in pages] == [4, 4, 2]
    assert list(itertools.chain(*pages)) == list(queryset.values_list("pk", flat=True)[:10])


def test_results_header_and_pagination_show_the_capped_count(client, catalogue, monkeypatch):
    _many(catalogue, 12)  # 12 crafts + yoga in "health"
    monkeypatch.setattr(selectors, "COUNT_CAP", 10)
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    first = client.get(URL, {"category": "health"})
    assert _title(first) == "10+ programmes found"
    assert re.search(r'aria-current="page">\s*Page 1 of 3\+\s*<', first.content.decode())
    seen = found(first)
    for number in (2, 3):
        response = client.get(URL, {"category": "health", "page": number})
        assert f"Page {number} of 3+" in response.content.decode()
        seen += found(response)
    assert len(seen) == len(set(seen)) == 10
    beyond = client.get(URL, {"category": "health", "page": 4})
    assert beyond.status_code == 200
    assert "There is no page “4”; showing page 3." in beyond.content.decode()


def test_count_at_the_cap_exactly_is_not_capped(client, catalogue, monkeypatch):
    _many(catalogue, 9)  # 9 crafts + yoga = 10
    monkeypatch.setattr(selectors, "COUNT_CAP", 10)
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    response = client.get(URL, {"category": "health"})
    assert _title(response) == "10 programmes found"
    assert re.search(r'aria-current="page">\s*Page 1 of 3\s*<', response.content.decode())


def test_search_pages_through_the_reranked_and_the_rest(client, catalogue, monkeypatch):
    """Past the reranked head (RERANK_DEPTH) the order goes on by the quick rank; every
    match appears exactly once across the pages."""
    _many(catalogue, 12)
    monkeypatch.setattr("programmes.search.RERANK_DEPTH", 3)
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    seen = []
    for number in (1, 2, 3):
        seen += found(client.get(URL, {"q": "craft", "page": number}))
    assert len(seen) == len(set(seen)) == 12


# --- Denormalised upcoming sessions --------------------------------------------------------


def _reference(now, *, date_from=None, date_to=None, weekdays=(), evening=False, weekend=False) -> set[int]:
    """The session filters as a join over the sessions (how they were computed before the
    denormalisation): one upcoming session of a scheduled course meets all conditions."""
    tz = timezone.get_current_timezone()
    sessions = Session.objects.filter(
        course__programme=OuterRef("pk"), course__status=Course.Status.SCHEDULED, is_cancelled=False, starts_at__gte=now
    )
    if date_from:
        sessions = sessions.filter(starts_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        sessions = sessions.filter(
            starts_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    days = set(weekdays) | ({6, 7} if weekend else set())
    if days:
        sessions = sessions.annotate(d=ExtractIsoWeekDay("starts_at")).filter(d__in=days)
    if evening:
        sessions = sessions.annotate(h=ExtractHour("starts_at")).filter(h__gte=17)
    return set(programme_list_published().filter(Exists(sessions)).values_list("pk", flat=True))


def _ids(now, **filters) -> set[int]:
    return set(programme_filter(programme_list_published(), now=now, **filters).values_list("pk", flat=True))


def _fresh(programme: Programme) -> Programme:
    return Programme.objects.get(pk=programme.pk)


@pytest.fixture
def english_course(catalogue):
    """A second, longer online course of "English for work" (Wednesday mornings otherwise)."""
    today = timezone.localdate()
    return services.course_create(
        programme=catalogue.programmes["english"],
        starts_on=today,
        ends_on=today + dt.timedelta(days=60),
        capacity=10,
        online_url="https://meet.example.org/english-2",
    )


def test_sessions_added_moved_and_cancelled_update_the_filters(catalogue, english_course):
    english = catalogue.programmes["english"]
    now = timezone.now()
    saturday = catalogue.saturday
    assert english.pk not in _ids(now, weekend=True)

    session = services.session_create(course=english_course, starts_at=at(saturday, 19), ends_at=at(saturday, 21))
    assert _fresh(english).upcoming_slots == [3, 6, 16]
    assert at(saturday, 19) in _fresh(english).upcoming_session_starts
    assert english.pk in _ids(now, weekend=True, evening=True)
    assert english.pk in _ids(now, weekdays=[6], date_from=saturday, date_to=saturday)

    sunday = saturday + dt.timedelta(days=1)
    services.session_update(session=session, starts_at=at(sunday, 10), ends_at=at(sunday, 12))
    assert _fresh(english).upcoming_slots == [3, 7]
    assert english.pk in _ids(now, weekend=True)
    assert english.pk not in _ids(now, weekend=True, evening=True)
    assert english.pk not in _ids(now, date_from=saturday, date_to=saturday)

    services.session_cancel(session=session)
    assert _fresh(english).upcoming_slots == [3]
    assert english.pk not in _ids(now, weekend=True)

    services.session_create(course=english_course, starts_at=at(saturday, 19), ends_at=at(saturday, 21))
    assert english.pk in _ids(now, weekend=True)
    services.course_cancel(course=english_course)
    assert english.pk not in _ids(now, weekend=True)
    assert _fresh(english).upcoming_slots == [3]


def test_a_session_that_has_begun_no_longer_counts_even_before_the_refresh(catalogue):
    yoga = catalogue.programmes["yoga"]  # two Saturday-morning sessions, a week apart
    first, second = catalogue.saturday, catalogue.saturday + dt.timedelta(days=7)
    later = at(first, 9, 30)  # the first has begun; the hourly refresh has not run yet
    assert yoga.pk in _ids(timezone.now(), date_from=first, date_to=first)
    assert yoga.pk not in _ids(later, date_from=first, date_to=first)
    assert yoga.pk in _ids(later, date_from=second, date_to=second)
    assert services.programmes_refresh_schedule(now=later) >= 1
    assert _fresh(yoga).upcoming_session_starts == [at(second, 9)]
    assert services.programmes_refresh_schedule(now=later) == 0  # idempotent


FILTER_CASES = [
    {"weekend": True},
    {"evening": True},
    {"weekend": True, "evening": True},
    {"weekdays": [2]},
    {"weekdays": [2], "evening": True},
    {"weekdays": [1, 3], "weekend": True},
    {"date_from": "saturday"},
    {"date_to": "tuesday"},
    {"date_from": "tuesday", "date_to": "wednesday", "evening": True},
    {"date_from": "saturday", "date_to": "saturday", "weekend": True},
]


@pytest.mark.parametrize("case", FILTER_CASES)
def test_denormalised_filters_match_the_sessions_join(catalogue, english_course, case):
    # More shapes: a late-evening session (23:00 local, the next day in UTC), a cancelled
    # one, one of a cancelled course, and a past one.
    wednesday = catalogue.wednesday
    services.session_create(course=english_course, starts_at=at(wednesday, 23), ends_at=at(wednesday, 23, 45))
    cancelled = services.session_create(
        course=english_course,
        starts_at=at(catalogue.saturday, 18),
        ends_at=at(catalogue.saturday, 19),
    )
    services.session_cancel(session=cancelled)
    now = timezone.now()
    filters = {key: getattr(catalogue, value) if isinstance(value, str) else value for key, value in case.items()}
    assert _ids(now, **filters) == _reference(now, **filters)
    later = now + dt.timedelta(days=8)  # some sessions are over, no refresh yet
    assert _ids(later, **filters) == _reference(later, **filters)
