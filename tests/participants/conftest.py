import pytest

from tests.factories import (
    CityFactory,
    DistrictFactory,
    ParticipantFactory,
    ProviderFactory,
    UserFactory,
    open_course,
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
    """A course open for enrolment now, starting in a week (tests/factories.open_course)."""

    def make(**kwargs):
        return open_course(provider=provider, **kwargs)

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
