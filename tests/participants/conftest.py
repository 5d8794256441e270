import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import (
    CityFactory,
    CourseFactory,
    DistrictFactory,
    ParticipantFactory,
    ProgrammeFactory,
    ProviderFactory,
    SessionFactory,
    UserFactory,
)


@pytest.fixture
def city(db):
    return CityFactory(slug="chiang-mai", name_th="เชียงใหม่", name_en="Chiang Mai")


@pytest.fixture
def district(city):
    return DistrictFactory(city=city, code="500101", name_th="ศรีภูมิ", name_en="Si Phum")


@pytest.fixture
def provider(city):
    return ProviderFactory(city=city, name_th="ห้องสมุดประชาชน", name_en="Public Library")


@pytest.fixture
def make_course(provider):
    """A scheduled course of a published programme, open for enrolment now, starting in a
    week, with one session on its first day."""

    def make(*, capacity=10, age_min=0, age_max=None, sessions=1, **kwargs):
        programme = ProgrammeFactory(
            provider=provider,
            age_min=age_min,
            age_max=age_max,
            title_th="การใช้สมาร์ตโฟนสำหรับผู้สูงวัย",
            title_en="Smartphone skills",
        )
        now = timezone.now()
        defaults = {
            "starts_on": timezone.localdate() + dt.timedelta(days=7),
            "enrolment_opens_at": now - dt.timedelta(days=1),
            "enrolment_closes_at": now + dt.timedelta(days=6),
            "cancellation_deadline": now + dt.timedelta(days=5),
        }
        defaults.update(kwargs)
        course = CourseFactory(programme=programme, capacity=capacity, venue__city=provider.city, **defaults)
        for n in range(sessions):
            SessionFactory(
                course=course,
                starts_at=dt.datetime.combine(
                    course.starts_on + dt.timedelta(days=7 * n), dt.time(9, 0), tzinfo=timezone.get_current_timezone()
                ),
            )
        return course

    return make


@pytest.fixture
def course(make_course):
    return make_course(capacity=2)


@pytest.fixture
def resident(district):
    """A user with their own learner profile (30 years old, Thai)."""
    return ParticipantFactory(district=district, account=UserFactory(email="resident@example.org")).account


@pytest.fixture
def make_participant(district):
    def make(**kwargs):
        kwargs.setdefault("district", district)
        return ParticipantFactory(**kwargs)

    return make


@pytest.fixture(autouse=True)
def privacy_notice(db):
    """Migration 0002 publishes version 1; a transactional test elsewhere flushes it."""
    from participants.selectors import privacy_notice_first_ensure

    return privacy_notice_first_ensure()
