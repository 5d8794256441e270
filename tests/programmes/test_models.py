"""The database refuses impossible rows, whatever code path writes them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from programmes.models import ACCESSIBILITY_VALUES, Course, Venue
from tests.factories import (
    CategoryFactory,
    CourseFactory,
    ProgrammeFactory,
    ProviderMembershipFactory,
    SessionFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db


def refused(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)
    return True


def test_course_cannot_end_before_it_starts(provider):
    programme = ProgrammeFactory(provider=provider)
    today = timezone.localdate()
    assert refused(CourseFactory, programme=programme, starts_on=today, ends_on=today - dt.timedelta(days=1))
    CourseFactory(programme=programme, starts_on=today, ends_on=today)  # one-day course is fine


def test_course_capacity_must_be_positive(provider):
    assert refused(CourseFactory, programme=ProgrammeFactory(provider=provider), capacity=0)


def test_seats_taken_cannot_exceed_capacity(provider):
    programme = ProgrammeFactory(provider=provider)
    assert refused(CourseFactory, programme=programme, capacity=5, seats_taken=6)
    course = CourseFactory(programme=programme, capacity=5, seats_taken=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.filter(pk=course.pk).update(seats_taken=6)


def test_enrolment_must_close_after_it_opens(provider):
    now = timezone.now()
    assert refused(
        CourseFactory,
        programme=ProgrammeFactory(provider=provider),
        enrolment_opens_at=now,
        enrolment_closes_at=now - dt.timedelta(hours=1),
    )


def test_programme_age_range(provider):
    assert refused(ProgrammeFactory, provider=provider, age_min=30, age_max=20)
    assert refused(ProgrammeFactory, provider=provider, age_min=121)
    assert refused(ProgrammeFactory, provider=provider, age_min=0, age_max=150)
    ProgrammeFactory(provider=provider, age_min=60, age_max=None)  # no upper limit


def test_programme_fee_and_title(provider):
    assert refused(ProgrammeFactory, provider=provider, fee=Decimal("-1"))
    assert refused(ProgrammeFactory, provider=provider, title_th="")
    assert refused(ProgrammeFactory, provider=provider, published_at=None)  # published needs a date


def test_category_building_blocks_1_to_6():
    assert refused(CategoryFactory, building_blocks=[7])
    assert refused(CategoryFactory, building_blocks=[0, 1])
    assert refused(CategoryFactory, building_blocks=[])
    assert refused(CategoryFactory, building_blocks=[1], sdg_targets=["5.1"])
    CategoryFactory(building_blocks=[1, 6], sdg_targets=["4.3", "4.a"])


def test_session_must_end_after_start(provider):
    course = CourseFactory(programme=ProgrammeFactory(provider=provider))
    start = timezone.now()
    assert refused(SessionFactory, course=course, starts_at=start, ends_at=start)


def test_venue_coordinates_and_accessibility(city):
    assert refused(VenueFactory, city=city, latitude=Decimal("91"), longitude=Decimal("98.9"))
    assert refused(VenueFactory, city=city, latitude=Decimal("18.8"), longitude=None)
    assert refused(VenueFactory, city=city, accessibility=["teleporter"])
    venue = VenueFactory(city=city, accessibility=["step_free", "hearing_loop"])
    assert Venue.objects.filter(accessibility__contains=["hearing_loop"]).get() == venue


def test_accessibility_constraint_matches_choices():
    assert sorted(ACCESSIBILITY_VALUES) == sorted(Venue.Accessibility.values)


def test_membership_unique_per_user_and_provider(provider):
    membership = ProviderMembershipFactory(provider=provider)
    assert refused(ProviderMembershipFactory, provider=provider, user=membership.user)


def test_places_left_is_derived_from_counters(provider):
    course = CourseFactory(programme=ProgrammeFactory(provider=provider), capacity=12, seats_taken=5)
    assert course.places_left == 7
    assert not course.is_full
    full = CourseFactory(programme=course.programme, capacity=3, seats_taken=3)
    assert full.places_left == 0
    assert full.is_full


def test_bilingual_properties_fall_back_to_thai(provider):
    from django.utils import translation

    programme = ProgrammeFactory(provider=provider, title_th="ภาษาไทย", title_en="", summary_en="English summary")
    with translation.override("en"):
        assert programme.title == "ภาษาไทย"
        assert programme.summary == "English summary"
    with translation.override("th"):
        assert programme.summary == programme.summary_th


def test_database_has_pg_trgm_and_utf8_trigrams():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() == ("pg_trgm",)
        cursor.execute("SELECT show_trgm('ชีวิต')")
        assert cursor.fetchone()[0] != []


def test_enrolment_state_follows_the_window_and_the_end_of_the_course():
    from tests.factories import CourseFactory

    now = timezone.now()
    course = CourseFactory.build(
        status=Course.Status.SCHEDULED,
        starts_on=timezone.localdate(now) - dt.timedelta(days=20),
        ends_on=timezone.localdate(now) - dt.timedelta(days=1),
        capacity=5,
        seats_taken=0,
        enrolment_opens_at=None,
        enrolment_closes_at=None,
    )
    assert course.enrolment_state_at(now=now) == "closed"  # ended, though still "scheduled"
    course.ends_on = timezone.localdate(now) + dt.timedelta(days=10)
    assert course.enrolment_state_at(now=now) == "open"
    course.seats_taken = 5
    assert course.enrolment_state_at(now=now) == "waitlist"
    course.enrolment_opens_at = now + dt.timedelta(days=1)
    assert course.enrolment_state_at(now=now) == "not_yet"
    course.status = Course.Status.CANCELLED
    assert course.enrolment_state_at(now=now) == "closed"
