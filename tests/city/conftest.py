import pytest

from learningcity.city.models import City
from learningcity.city.services import city_ensure, districts_load_from_geothai


@pytest.fixture
def city(db) -> City:
    """Chiang Mai with the 16 subdistricts of Mueang Chiang Mai (5001)."""
    city, _created = city_ensure(slug="chiang-mai", province_code="50", kind=City.Kind.CITY_MUNICIPALITY)
    districts_load_from_geothai(city=city, province_code="50", district_code="5001")
    return city
