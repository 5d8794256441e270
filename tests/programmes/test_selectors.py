"""Catalogue reads: bounded queries whatever the page size, filters, the detail read."""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from programmes import services
from programmes.selectors import course_sessions, programme_filter, programme_get, programme_list_published
from tests.factories import (
    CategoryFactory,
    CourseFactory,
    DistrictFactory,
    ProgrammeFactory,
    SessionFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


def make_programmes(provider, n):
    district = DistrictFactory(city=provider.city)
    venue = VenueFactory(city=provider.city, district=district)
    categories = [CategoryFactory(), CategoryFactory()]
    for i in range(n):
        programme = ProgrammeFactory(provider=provider, categories=categories)
        course = CourseFactory(programme=programme, venue=venue, capacity=10, seats_taken=i % 11)
        SessionFactory(course=course)
    services.programmes_refresh_schedule()
    services.programme_search_refresh()


def render_cards(queryset):
    """Each programme through the catalogue card's own template (which reads only the columns
    the selector loads: anything else would be a query per card), and what the card shows."""
    cards = []
    for p in queryset:
        html = render_to_string("programmes/_programme_card.html", {"programme": p})
        assert p.title in html and p.provider.name in html
        cards.append((p.title, p.provider.name, p.next_course and p.next_course.places_left, html))
    return cards


@pytest.mark.parametrize("n", [5, 30])
def test_catalogue_query_count_is_bounded(provider, n, django_assert_max_num_queries):
    make_programmes(provider, n)
    with django_assert_max_num_queries(1):
        cards = render_cards(programme_list_published(city=provider.city))
    assert len(cards) == n
    assert all(card[2] is not None for card in cards)
    assert all(provider.city.districts.get().name in card[3] for card in cards)  # the venue's district
    with django_assert_max_num_queries(1):
        found = render_cards(programme_filter(programme_list_published(), q="หลักสูตร", has_places=True, age=30))
    assert 0 < len(found) <= n


def test_places_left_on_cards(provider):
    programme = ProgrammeFactory(provider=provider)
    CourseFactory(programme=programme, capacity=8, seats_taken=3)
    services.programmes_refresh_schedule()
    card = programme_list_published().get()
    assert card.next_course.places_left == 5


def test_drafts_and_inactive_providers_are_hidden(provider):
    ProgrammeFactory(provider=provider, draft=True)
    visible = ProgrammeFactory(provider=provider)
    hidden_provider_programme = ProgrammeFactory(provider__city=provider.city, provider__is_active=False)
    listed = list(programme_list_published())
    assert listed == [visible]
    assert hidden_provider_programme not in listed


def test_filters(provider):
    today = timezone.localdate()
    # next Saturday evening vs. next Monday morning
    saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7 or 7)
    monday = today + dt.timedelta(days=(0 - today.weekday()) % 7 or 7)
    d1, d2 = DistrictFactory(city=provider.city), DistrictFactory(city=provider.city)
    arts = CategoryFactory(building_blocks=[6])
    weekend_kids = ProgrammeFactory(provider=provider, age_min=6, age_max=14, categories=[arts])
    weekday_elders = ProgrammeFactory(provider=provider, age_min=60, age_max=None, fee=200)
    c1 = CourseFactory(
        programme=weekend_kids,
        starts_on=saturday,
        ends_on=saturday,
        capacity=5,
        seats_taken=5,
        venue=VenueFactory(city=provider.city, district=d1, accessibility=["step_free", "hearing_loop"]),
    )
    SessionFactory(course=c1, starts_at=dt.datetime.combine(saturday, dt.time(18), tzinfo=TZ))
    c2 = CourseFactory(
        programme=weekday_elders,
        starts_on=monday,
        ends_on=monday,
        capacity=5,
        venue=VenueFactory(city=provider.city, district=d2, accessibility=[]),
    )
    SessionFactory(course=c2, starts_at=dt.datetime.combine(monday, dt.time(9), tzinfo=TZ))
    services.programmes_refresh_schedule()  # the factories bypass the services that keep it

    def ids(**kwargs):
        return {p.pk for p in programme_filter(programme_list_published(), **kwargs)}

    assert ids(age=10) == {weekend_kids.pk}
    assert ids(age=90) == {weekday_elders.pk}
    assert ids(age_band="60+") == {weekday_elders.pk}
    assert ids(age_band="6-14") == {weekend_kids.pk}
    assert ids(age_band="25-59") == set()
    assert ids(free_only=True) == {weekend_kids.pk}
    assert ids(has_places=True) == {weekday_elders.pk}
    assert ids(districts=[d1.pk]) == {weekend_kids.pk}
    assert ids(accessibility=["hearing_loop"]) == {weekend_kids.pk}
    assert ids(categories=[arts.pk]) == {weekend_kids.pk}
    assert ids(building_block=6) == {weekend_kids.pk}
    assert ids(weekend=True) == {weekend_kids.pk}
    assert ids(evening=True) == {weekend_kids.pk}
    assert ids(weekdays=[1]) == {weekday_elders.pk}
    assert ids(date_from=monday, date_to=monday) == {weekday_elders.pk}


def test_programme_get_has_bounded_queries(provider, django_assert_max_num_queries):
    programme = ProgrammeFactory(provider=provider, categories=[CategoryFactory()])
    for _ in range(3):
        course = CourseFactory(programme=programme)
        for hour in (9, 13, 17):
            SessionFactory(course=course, starts_at=dt.datetime.combine(course.starts_on, dt.time(hour), tzinfo=TZ))
    CourseFactory(
        programme=programme,
        starts_on=timezone.localdate() - dt.timedelta(days=60),
        ends_on=timezone.localdate() - dt.timedelta(days=30),
    )  # past: not shown
    with django_assert_max_num_queries(4):
        found = programme_get(slug=programme.slug)
        rows = [(s.starts_at, s.venue.name, c.venue.district) for c in found.upcoming_courses for s in c.sessions.all()]
        assert [c.name for c in found.categories.all()]
        assert found.provider.name
    assert len(found.upcoming_courses) == 3 and len(rows) == 9
    assert programme_get(slug="does-not-exist") is None
    draft = ProgrammeFactory(provider=provider, draft=True)
    assert programme_get(slug=draft.slug) is None
    assert programme_get(slug=draft.slug, published_only=False) == draft


def test_course_sessions_in_order(provider):
    course = CourseFactory(programme=ProgrammeFactory(provider=provider))
    late = SessionFactory(course=course, starts_at=dt.datetime.combine(course.starts_on, dt.time(15), tzinfo=TZ))
    early = SessionFactory(course=course, starts_at=dt.datetime.combine(course.starts_on, dt.time(8), tzinfo=TZ))
    assert list(course_sessions(course)) == [early, late]
