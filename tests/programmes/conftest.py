import pytest

from tests.factories import CityFactory, ProviderFactory


@pytest.fixture
def city(db):
    return CityFactory(slug="chiang-mai", name_th="เทศบาลนครเชียงใหม่", name_en="Chiang Mai")


@pytest.fixture
def provider(city):
    return ProviderFactory(city=city, name_th="ห้องสมุดประชาชน", name_en="Public Library")
