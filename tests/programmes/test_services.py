"""Catalogue services: sanitising, validation with translated messages, publishing, the
denormalised schedule summary."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone, translation

from programmes import services
from programmes.models import Course, Programme, ProgrammeSearch
from programmes.services import ProgrammeError, sanitize_html
from tests.factories import CourseFactory, ProgrammeFactory, SessionFactory, UserFactory, VenueFactory

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def test_sanitize_html_removes_scripts_and_event_handlers():
    dirty = (
        '<p onclick="steal()">สวัสดี <strong>ครับ</strong></p><script>alert(1)</script>'
        '<img src=x onerror="alert(1)"><a href="javascript:alert(1)">x</a>'
        '<a href="https://example.org" onmouseover="x()" style="color:red">ลิงก์</a><iframe src="//evil"></iframe>'
    )
    clean = sanitize_html(dirty)
    assert "<script" not in clean and "alert(1)" not in clean
    assert "onclick" not in clean and "onerror" not in clean and "onmouseover" not in clean
    assert "javascript:" not in clean and "<iframe" not in clean and "style=" not in clean
    assert "<p>สวัสดี <strong>ครับ</strong></p>" in clean
    assert 'href="https://example.org"' in clean and 'rel="noopener noreferrer nofollow"' in clean


def test_programme_create_sanitises_description_and_builds_search_document(provider):
    programme = services.programme_create(
        provider=provider,
        title_th="การปลูกผักสวนครัวสำหรับครอบครัว",
        title_en="Home vegetable gardening",
        description_th='<p>ปุ๋ยหมัก</p><script>alert("x")</script>',
    )
    programme.refresh_from_db()
    assert programme.description_th == "<p>ปุ๋ยหมัก</p>"
    assert programme.status == Programme.Status.DRAFT
    assert programme.slug == "home-vegetable-gardening"
    document = ProgrammeSearch.objects.get(programme=programme)
    words = _weighted_words(document)
    assert "ปลูก" in words["A"]
    assert {"ปุ๋ยหมัก", "ปุ๋ย"} & words["C"]
    assert "script" not in set().union(*words.values())
    assert "การปลูกผักสวนครัวสำหรับครอบครัว" in document.search_text
    assert not document.listed  # a draft
    assert (document.title_th_lower, document.title_en_lower) == (
        "การปลูกผักสวนครัวสำหรับครอบครัว",
        "home vegetable gardening",
    )


def _weighted_words(document) -> dict[str, set[str]]:
    """The words of a search document's vector by weight (A, B, C)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lexeme, w FROM programmes_programmesearch, unnest(search_vector) AS v(lexeme, positions, weights),"
            " unnest(weights) AS w WHERE programme_id = %s",
            [document.pk],
        )
        rows = cursor.fetchall()
    return {weight: {lexeme for lexeme, w in rows if w == weight} for weight in "ABC"}


def test_programme_slugs_are_unique(provider):
    first = services.programme_create(provider=provider, title_th="ก", title_en="Yoga")
    second = services.programme_create(provider=provider, title_th="ข", title_en="Yoga")
    thai_only = services.programme_create(provider=provider, title_th="โยคะ")
    assert (first.slug, second.slug) == ("yoga", "yoga-2")
    assert thai_only.slug == "programme"


def test_programme_create_refuses_bad_ages_with_a_thai_message(provider):
    with translation.override("th"), pytest.raises(ProgrammeError) as excinfo:
        services.programme_create(provider=provider, title_th="ทดสอบ", age_min=60, age_max=20)
    assert excinfo.value.messages  # a translated, user-facing message
    with pytest.raises(ProgrammeError):
        services.programme_create(provider=provider, title_th="   ")
    with pytest.raises(ProgrammeError):
        services.programme_create(provider=provider, title_th="ทดสอบ", fee=-5)
    assert not Programme.objects.exists()


def test_publish_and_archive(provider):
    programme = services.programme_create(provider=provider, title_th="ทดสอบ")
    now = timezone.now()
    services.programme_publish(programme=programme, now=now)
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PUBLISHED and programme.published_at == now
    services.programme_archive(programme=programme)
    services.programme_publish(programme=programme, now=now + dt.timedelta(days=1))
    programme.refresh_from_db()
    assert programme.published_at == now  # first publication date kept


def test_course_create_validates(provider):
    programme = ProgrammeFactory(provider=provider)
    venue = VenueFactory(city=provider.city)
    today = timezone.localdate()
    with pytest.raises(ProgrammeError) as excinfo:
        services.course_create(
            programme=programme, venue=venue, starts_on=today, ends_on=today - dt.timedelta(days=1), capacity=10
        )
    assert "__all__" in excinfo.value.message_dict
    with pytest.raises(ProgrammeError):
        services.course_create(programme=programme, venue=venue, starts_on=today, ends_on=today, capacity=0)
    with pytest.raises(ProgrammeError):  # in person needs a venue
        services.course_create(programme=programme, starts_on=today, ends_on=today, capacity=10)
    other_city_venue = VenueFactory()
    with pytest.raises(ProgrammeError):
        services.course_create(programme=programme, venue=other_city_venue, starts_on=today, ends_on=today, capacity=5)
    assert not Course.objects.exists()


def test_session_create_defaults_venue_and_checks_dates(provider):
    programme = ProgrammeFactory(provider=provider)
    venue = VenueFactory(city=provider.city)
    start = timezone.localdate() + dt.timedelta(days=3)
    course = services.course_create(
        programme=programme, venue=venue, starts_on=start, ends_on=start + dt.timedelta(days=7), capacity=10
    )
    session = services.session_create(course=course, starts_at=at(start, 18), ends_at=at(start, 20))
    assert session.venue == venue
    with pytest.raises(ProgrammeError):
        services.session_create(course=course, starts_at=at(start, 20), ends_at=at(start, 19))
    with pytest.raises(ProgrammeError):
        day = start + dt.timedelta(days=30)
        services.session_create(course=course, starts_at=at(day, 9), ends_at=at(day, 10))
    with pytest.raises(ProgrammeError):  # same start twice
        services.session_create(course=course, starts_at=at(start, 18), ends_at=at(start, 21))


def test_schedule_summary_follows_courses_and_sessions(provider):
    programme = ProgrammeFactory(provider=provider)
    venue = VenueFactory(city=provider.city)
    now = timezone.now()
    today = timezone.localdate(now)
    later = services.course_create(
        programme=programme,
        venue=venue,
        starts_on=today + dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=30),
        capacity=10,
        now=now,
    )
    programme.refresh_from_db()
    assert programme.next_course == later
    assert programme.next_start == at(today + dt.timedelta(days=20), 0)

    sooner = services.course_create(
        programme=programme,
        venue=venue,
        starts_on=today + dt.timedelta(days=2),
        ends_on=today + dt.timedelta(days=9),
        capacity=10,
        now=now,
    )
    first = services.session_create(
        course=sooner,
        starts_at=at(today + dt.timedelta(days=2), 18),
        ends_at=at(today + dt.timedelta(days=2), 20),
        now=now,
    )
    programme.refresh_from_db()
    assert (programme.next_course, programme.next_start) == (sooner, first.starts_at)

    services.session_cancel(session=first, now=now)  # sooner has no session left to come
    programme.refresh_from_db()
    assert programme.next_course == later

    services.course_cancel(course=later, now=now)
    programme.refresh_from_db()
    assert programme.next_course is None and programme.next_start is None


def test_nightly_refresh_moves_past_sessions_on(provider):
    programme = ProgrammeFactory(provider=provider)
    course = CourseFactory(
        programme=programme, starts_on=timezone.localdate(), ends_on=timezone.localdate() + dt.timedelta(days=14)
    )
    first = SessionFactory(course=course, starts_at=timezone.now() + dt.timedelta(hours=1))
    second = SessionFactory(course=course, starts_at=timezone.now() + dt.timedelta(days=7))
    assert services.programmes_refresh_schedule() >= 1
    programme.refresh_from_db()
    assert programme.next_start == first.starts_at
    services.programmes_refresh_schedule(now=first.ends_at)
    programme.refresh_from_db()
    assert programme.next_start == second.starts_at
    assert services.programmes_refresh_schedule(now=first.ends_at) == 0  # idempotent


def test_provider_membership_set(provider):
    user = UserFactory()
    assert services.provider_membership_set(provider=provider, user=user, role="editor").role == "editor"
    assert services.provider_membership_set(provider=provider, user=user, role="manager").role == "manager"
    assert provider.memberships.count() == 1
    with pytest.raises(ProgrammeError):
        services.provider_membership_set(provider=provider, user=user, role="owner")


def test_venue_and_category_validation(city):
    with pytest.raises(ProgrammeError):
        services.venue_create(city=city, name_th="ห้อง", latitude=95, longitude=98.9)
    with pytest.raises(ProgrammeError):
        services.venue_create(city=city, name_th="ห้อง", accessibility=["lift"])
    venue = services.venue_create(
        city=city, name_th="ห้อง", latitude=18.7883, longitude=98.9853, accessibility=["parking", "step_free", "parking"]
    )
    assert venue.accessibility == ["parking", "step_free"]
    with pytest.raises(ProgrammeError):
        services.category_create(name_th="หมวด", building_blocks=[7])
    assert services.category_create(name_th="หมวด", name_en="Arts", building_blocks=[6, 2]).building_blocks == [2, 6]
