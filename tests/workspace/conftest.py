"""The provider workspace: two providers of one city, their staff, a resident and a city
administrator; provider A owns a programme with a course, a session and a venue."""

import datetime as dt
from types import SimpleNamespace

import pytest

from learningcity.accounts.roles import city_admin_group
from programmes.models import ProviderMembership
from tests.factories import (
    CategoryFactory,
    CityFactory,
    CourseFactory,
    ProgrammeFactory,
    ProviderFactory,
    ProviderMembershipFactory,
    SessionFactory,
    UserFactory,
    VenueFactory,
)


@pytest.fixture
def ws(db):
    city = CityFactory(slug="chiang-mai", name_th="เชียงใหม่", name_en="Chiang Mai")
    a = ProviderFactory(city=city, slug="library-a", name_th="ห้องสมุด A", name_en="Library A")
    b = ProviderFactory(city=city, slug="school-b", name_th="โรงเรียน B", name_en="School B")
    editor_a = UserFactory(email="editor-a@example.org")
    manager_a = UserFactory(email="manager-a@example.org")
    editor_b = UserFactory(email="editor-b@example.org")
    manager_b = UserFactory(email="manager-b@example.org")
    resident = UserFactory(email="resident@example.org")
    admin = UserFactory(email="admin@example.org")
    admin.groups.add(city_admin_group())
    m_editor_a = ProviderMembershipFactory(user=editor_a, provider=a, role=ProviderMembership.Role.EDITOR)
    m_manager_a = ProviderMembershipFactory(user=manager_a, provider=a, role=ProviderMembership.Role.MANAGER)
    ProviderMembershipFactory(user=editor_b, provider=b, role=ProviderMembership.Role.EDITOR)
    ProviderMembershipFactory(user=manager_b, provider=b, role=ProviderMembership.Role.MANAGER)
    venue = VenueFactory(city=city, provider=a, name_th="ห้องประชุม A", name_en="Hall A")
    shared = VenueFactory(city=city, provider=None, name_th="ศาลากลาง", name_en="City Hall")
    category = CategoryFactory(building_blocks=[2, 4])
    programme = ProgrammeFactory(provider=a, draft=True, title_th="หลักสูตร A", title_en="Programme A")
    course = CourseFactory(
        programme=programme,
        venue=venue,
        starts_on=dt.date(2027, 1, 4),
        ends_on=dt.date(2027, 2, 28),
        capacity=20,
    )
    session = SessionFactory(course=course)
    b_programme = ProgrammeFactory(provider=b, title_th="หลักสูตร B")
    return SimpleNamespace(
        city=city,
        a=a,
        b=b,
        editor_a=editor_a,
        manager_a=manager_a,
        editor_b=editor_b,
        manager_b=manager_b,
        resident=resident,
        admin=admin,
        m_editor_a=m_editor_a,
        m_manager_a=m_manager_a,
        venue=venue,
        shared=shared,
        category=category,
        programme=programme,
        course=course,
        session=session,
        b_programme=b_programme,
    )


def th(name: str, args=()) -> str:
    """A staff URL in Thai (unprefixed), whatever language a previous request activated."""
    from django.urls import reverse
    from django.utils import translation

    with translation.override("th"):
        return reverse(name, args=args)


def en(name: str, args=()) -> str:
    from django.urls import reverse
    from django.utils import translation

    with translation.override("en"):
        return reverse(name, args=args)
