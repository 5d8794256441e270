"""The demo catalogue loads on the demo city, covers what the pages and reports need, and is
idempotent."""

import io

import pytest
from django.utils import timezone, translation

from learningcity.city.models import District
from programmes import demo
from programmes.models import Category, Course, Programme, Provider, Session, Venue
from programmes.search import programme_search
from programmes.selectors import programme_list_published
from tests.factories import CityFactory, DistrictFactory

pytestmark = pytest.mark.django_db

MUEANG_CHIANG_MAI = [f"5001{n:02d}" for n in range(1, 17)]


@pytest.fixture
def demo_city():
    city = CityFactory(slug="chiang-mai", name_th="เชียงใหม่", name_en="Chiang Mai")
    for code in MUEANG_CHIANG_MAI:
        DistrictFactory(city=city, code=code, parent_code="5001")
    return city


def test_demo_loads_a_rich_catalogue_and_is_idempotent(demo_city):
    out = io.StringIO()
    with translation.override("en"):
        demo.load_demo_data(out)
    assert "DEMO" in out.getvalue()

    providers = Provider.objects.filter(city=demo_city)
    assert providers.count() >= 12
    assert {p.kind for p in providers} >= set(Provider.Kind.values) - {Provider.Kind.PRIVATE}
    assert providers.filter(kind=Provider.Kind.COMMUNITY_CENTRE).count() >= 3
    venues = Venue.objects.filter(city=demo_city)
    assert venues.count() >= 20
    assert not venues.filter(district__isnull=True).exists()
    assert venues.values("district").distinct().count() == 16
    for venue in venues:
        assert 18.75 <= venue.latitude <= 18.82 and 98.96 <= venue.longitude <= 99.02
    assert {b for c in Category.objects.all() for b in c.building_blocks} == {1, 2, 3, 4, 5, 6}

    programmes = Programme.objects.filter(provider__city=demo_city)
    assert programmes.count() >= 80
    bands = [(0, 5), (6, 14), (15, 24), (25, 59), (60, 120)]
    for low, high in bands:
        overlapping = programmes.filter(age_min__lte=high).exclude(age_max__lt=low)
        assert overlapping.count() >= 5, (low, high)
    assert programmes.filter(fee=0).exists() and programmes.filter(fee__gt=0).exists()
    assert programmes.filter(format=Programme.Format.ONLINE).exists()

    today = timezone.localdate()
    courses = Course.objects.filter(programme__provider__city=demo_city)
    assert courses.filter(status=Course.Status.COMPLETED, ends_on__lt=today).exists()
    assert courses.filter(status=Course.Status.SCHEDULED, starts_on__lte=today, ends_on__gte=today).exists()
    assert courses.filter(status=Course.Status.SCHEDULED, starts_on__gt=today).count() >= 60
    assert any(c.is_full for c in courses.filter(status=Course.Status.SCHEDULED))
    sessions = Session.objects.filter(course__programme__provider__city=demo_city)
    local_days = {timezone.localtime(s.starts_at).isoweekday() for s in sessions}
    assert {6, 7} <= local_days and {1, 2, 3} <= local_days
    assert any(timezone.localtime(s.starts_at).hour >= 18 for s in sessions)

    catalogue = programme_list_published(city=demo_city)
    assert catalogue.filter(next_course__isnull=False).count() >= 70
    assert catalogue.filter(next_start__lt=timezone.now()).count() == 0
    titles = {p.title_th for p in programme_search(catalogue, "สวน")}
    assert "การปลูกผักสวนครัวสำหรับครอบครัว" in titles
    assert "การถ่ายภาพด้วยมือถือ" in {p.title_th for p in programme_search(catalogue, "fotografy", "en")}

    counts = (Provider.objects.count(), Venue.objects.count(), Programme.objects.count(), Session.objects.count())
    out = io.StringIO()
    demo.load_demo_data(out)
    assert (
        Provider.objects.count(),
        Venue.objects.count(),
        Programme.objects.count(),
        Session.objects.count(),
    ) == counts
    assert District.objects.filter(city=demo_city).count() == 16


def test_demo_is_deterministic(demo_city):
    demo.load_demo_data(io.StringIO())
    first = list(Course.objects.order_by("pk").values_list("starts_on", "capacity", "seats_taken"))
    Session.objects.all().delete()
    Programme.objects.update(next_course=None)
    Course.objects.all().delete()
    Programme.objects.all().delete()
    Venue.objects.all().delete()
    Provider.objects.all().delete()
    demo.load_demo_data(io.StringIO())
    assert list(Course.objects.order_by("pk").values_list("starts_on", "capacity", "seats_taken")) == first


def test_demo_without_city_does_nothing(db):
    out = io.StringIO()
    demo.load_demo_data(out)
    assert not Provider.objects.exists()
