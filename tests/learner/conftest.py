import pytest
from django.utils import timezone

from tests.factories import (
    CityFactory,
    DependantFactory,
    DistrictFactory,
    ParticipantFactory,
    ProviderFactory,
    UserFactory,
    open_course,
)


@pytest.fixture(autouse=True)
def privacy_notice(db):
    """Migration 0002 publishes version 1; a transactional test elsewhere may flush it."""
    from participants.selectors import privacy_notice_first_ensure

    return privacy_notice_first_ensure()


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read English messages unless a test asks for Thai (the /en/ prefix or
    the Thai default): pages are requested under /en/ by the `url` helper."""


@pytest.fixture
def city(db, settings):
    city = CityFactory(slug=settings.CITY_SLUG, name_th="เชียงใหม่", name_en="Chiang Mai")
    from learningcity.city.selectors import city_current_forget

    city_current_forget()
    return city


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
        kwargs.setdefault("title_th", "สมาร์ตโฟน")
        return open_course(provider=provider, **kwargs)

    return make


@pytest.fixture
def course(make_course):
    return make_course(capacity=2)


@pytest.fixture
def resident(district):
    """A user with their own learner profile (30 years old, Thai) and the privacy consent."""
    return ParticipantFactory(district=district, account=UserFactory(email="resident@example.org")).account


@pytest.fixture
def me(resident):
    return resident.participants.get(is_self=True)


@pytest.fixture
def child(resident, district):
    """An 8-year-old dependant with the guardian's consent."""
    today = timezone.localdate()
    return DependantFactory(
        account=resident, district=district, given_name="ดาว", birth_date=today.replace(year=today.year - 8, day=1)
    )


@pytest.fixture
def other(district):
    """Another resident, with a dependant of their own."""
    user = ParticipantFactory(district=district, account=UserFactory(email="other@example.org")).account
    DependantFactory(account=user, district=district, given_name="ไม่ใช่ลูกฉัน")
    return user


@pytest.fixture
def client_me(client, resident):
    client.force_login(resident)
    return client
