"""A small catalogue with one programme per interesting case, shared by the catalogue tests
and the browser tests (tests/browser/test_catalogue.py)."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from programmes import services
from programmes.models import Programme
from tests.factories import (
    CategoryFactory,
    CityFactory,
    CourseFactory,
    DistrictFactory,
    ProgrammeFactory,
    ProviderFactory,
    SessionFactory,
    VenueFactory,
)

TZ = timezone.get_current_timezone()


def next_weekday(today: dt.date, iso_weekday: int, *, at_least: int = 2) -> dt.date:
    """The first `iso_weekday` (1 = Monday) at least `at_least` days after today."""
    day = today + dt.timedelta(days=at_least)
    while day.isoweekday() != iso_weekday:
        day += dt.timedelta(days=1)
    return day


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


@dataclass
class Catalogue:
    city: object
    districts: dict = field(default_factory=dict)
    venues: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    providers: dict = field(default_factory=dict)
    programmes: dict = field(default_factory=dict)
    courses: dict = field(default_factory=dict)
    saturday: dt.date | None = None
    tuesday: dt.date | None = None
    wednesday: dt.date | None = None


def build_catalogue() -> Catalogue:
    """Three published programmes that differ in every filter, plus a draft and an archived one.

    yoga     โยคะสำหรับผู้สูงอายุ / Yoga for older adults: 60+, free, Si Phum (step-free,
             hearing loop), Saturday mornings, Thai, in person, health (block 6), places left
    coding   เขียนโปรแกรมสำหรับเด็ก / Coding for children: 7-12, 500 baht, Chang Khlan,
             Tuesday evenings, Thai and English, digital (block 4), FULL
    english  ภาษาอังกฤษเพื่อการทำงาน / English for work: 18-59, 300 baht, online (no venue),
             Wednesday mornings, English, work (block 3), places left"""
    today = timezone.localdate()
    city = CityFactory(slug=settings.CITY_SLUG, name_th="เทศบาลนครเชียงใหม่", name_en="Chiang Mai City")
    cat = Catalogue(city=city)
    cat.saturday = next_weekday(today, 6)
    cat.tuesday = next_weekday(today, 2)
    cat.wednesday = next_weekday(today, 3)
    cat.districts["si_phum"] = DistrictFactory(city=city, code="500101", name_th="ศรีภูมิ", name_en="Si Phum")
    cat.districts["chang_khlan"] = DistrictFactory(city=city, code="500107", name_th="ช้างคลาน", name_en="Chang Khlan")
    cat.venues["library"] = VenueFactory(
        city=city,
        district=cat.districts["si_phum"],
        name_th="ห้องสมุดประชาชนศรีภูมิ",
        name_en="Si Phum Public Library",
        address_th="ถนนราชดำเนิน",
        address_en="Ratchadamnoen Road",
        latitude=Decimal("18.790000"),
        longitude=Decimal("98.990000"),
        accessibility=["hearing_loop", "step_free"],
    )
    cat.venues["school"] = VenueFactory(
        city=city,
        district=cat.districts["chang_khlan"],
        name_th="โรงเรียนเทศบาลช้างคลาน",
        name_en="Chang Khlan Municipal School",
        latitude=Decimal("18.770000"),
        longitude=Decimal("99.000000"),
        accessibility=[],
    )
    cat.categories["health"] = CategoryFactory(slug="health", name_th="สุขภาพ", name_en="Health", building_blocks=[6])
    cat.categories["digital"] = CategoryFactory(
        slug="digital", name_th="ดิจิทัล", name_en="Digital skills", building_blocks=[4]
    )
    cat.categories["work"] = CategoryFactory(slug="work", name_th="อาชีพ", name_en="Work skills", building_blocks=[3])
    cat.providers["library"] = ProviderFactory(
        city=city,
        slug="public-library",
        name_th="ห้องสมุดประชาชน",
        name_en="Public Library",
        description_th="<p>ห้องสมุดของเมือง</p>",
        description_en="<p>The city's library.</p>",
    )
    provider = cat.providers["library"]
    now = timezone.now()

    yoga = ProgrammeFactory(
        provider=provider,
        slug="yoga-older-adults",
        title_th="โยคะสำหรับผู้สูงอายุ",
        title_en="Yoga for older adults",
        summary_th="ยืดเหยียดเบา ๆ ทุกเช้าวันเสาร์",
        summary_en="Gentle stretching every Saturday morning",
        description_th="<p>ฝึกหายใจและทรงตัว</p>",
        description_en="<p>Breathing and balance.</p>",
        age_min=60,
        age_max=None,
        fee=Decimal("0"),
        language=Programme.Language.THAI,
        format=Programme.Format.IN_PERSON,
        categories=[cat.categories["health"]],
        published_at=now - dt.timedelta(days=10),
    )
    coding = ProgrammeFactory(
        provider=provider,
        slug="coding-for-children",
        title_th="เขียนโปรแกรมสำหรับเด็ก",
        title_en="Coding for children",
        summary_th="สร้างเกมด้วย Scratch",
        summary_en="Make games with Scratch",
        age_min=7,
        age_max=12,
        fee=Decimal("500"),
        language=Programme.Language.BOTH,
        format=Programme.Format.IN_PERSON,
        categories=[cat.categories["digital"]],
        published_at=now - dt.timedelta(days=1),
    )
    english = ProgrammeFactory(
        provider=provider,
        slug="english-for-work",
        title_th="ภาษาอังกฤษเพื่อการทำงาน",
        title_en="English for work",
        summary_th="สนทนาภาษาอังกฤษในที่ทำงาน",
        summary_en="Conversation at work",
        age_min=18,
        age_max=59,
        fee=Decimal("300"),
        language=Programme.Language.ENGLISH,
        format=Programme.Format.ONLINE,
        categories=[cat.categories["work"]],
        published_at=now - dt.timedelta(days=5),
    )
    draft = ProgrammeFactory(provider=provider, slug="draft-programme", title_th="ร่างหลักสูตร", draft=True)
    archived = ProgrammeFactory(
        provider=provider, slug="archived-programme", title_th="หลักสูตรเก่า", status=Programme.Status.ARCHIVED
    )
    cat.programmes = {"yoga": yoga, "coding": coding, "english": english, "draft": draft, "archived": archived}

    yoga_course = CourseFactory(
        programme=yoga,
        venue=cat.venues["library"],
        starts_on=cat.saturday,
        ends_on=cat.saturday + dt.timedelta(days=7),
        capacity=20,
        seats_taken=5,
    )
    for week in (0, 1):
        day = cat.saturday + dt.timedelta(days=7 * week)
        SessionFactory(course=yoga_course, starts_at=at(day, 9), ends_at=at(day, 10, 30))
    coding_course = CourseFactory(
        programme=coding,
        venue=cat.venues["school"],
        starts_on=cat.tuesday,
        ends_on=cat.tuesday,
        capacity=10,
        seats_taken=10,
        waitlist_count=3,
    )
    SessionFactory(course=coding_course, starts_at=at(cat.tuesday, 18), ends_at=at(cat.tuesday, 20))
    english_course = CourseFactory(
        programme=english,
        venue=None,
        online_url="https://meet.example.org/english",
        starts_on=cat.wednesday,
        ends_on=cat.wednesday,
        capacity=30,
    )
    SessionFactory(course=english_course, venue=None, starts_at=at(cat.wednesday, 10), ends_at=at(cat.wednesday, 12))
    draft_course = CourseFactory(programme=draft, venue=cat.venues["library"])
    SessionFactory(course=draft_course)
    cat.courses = {"yoga": yoga_course, "coding": coding_course, "english": english_course, "draft": draft_course}

    services.programmes_refresh_schedule()
    services.programme_search_refresh()
    return cat
