"""The current city: read from the shared cache, and once per request (selectors.city_current)."""

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from learningcity.city.models import City
from learningcity.city.selectors import CURRENT_CITY_CACHE_KEY, city_current, city_current_forget


@pytest.fixture
def city(db, settings):
    settings.CITY_SLUG = "phuket"
    return City.objects.create(slug="phuket", name_th="ภูเก็ต", name_en="Phuket")


@pytest.fixture
def signals():
    """request_started/finished as a server sends them, without Django's own
    close_old_connections (the test's transaction holds the connection), as the test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_outside_a_request_every_call_reads_the_cache(city):
    assert city_current().name_en == "Phuket"
    City.objects.filter(pk=city.pk).update(name_en="Phuket City")
    cache.delete(CURRENT_CITY_CACHE_KEY)  # a worker's own read is never kept past the call
    assert city_current().name_en == "Phuket City"


def test_a_request_reads_the_city_once(city, signals):
    request_started.send(sender=None)
    try:
        first = city_current()
        City.objects.filter(pk=city.pk).update(name_en="Phuket City")
        cache.delete(CURRENT_CITY_CACHE_KEY)
        assert city_current() is first  # the layout's call: no second read
    finally:
        request_finished.send(sender=None)
    assert city_current().name_en == "Phuket City"  # the next request reads again


def test_an_edit_in_the_request_is_read_back_in_it(city, signals):
    request_started.send(sender=None)
    try:
        assert city_current().name_en == "Phuket"
        City.objects.filter(pk=city.pk).update(name_en="Phuket City")
        city_current_forget()  # what the city services do once the edit commits
        assert city_current().name_en == "Phuket City"
    finally:
        request_finished.send(sender=None)


def test_a_page_reads_the_city_of_its_request(client, city):
    """Through the test client (which sends both signals): the page shows the city as it is
    when the request starts."""
    assert "Phuket" in client.get("/en/").content.decode()
    City.objects.filter(pk=city.pk).update(name_en="Greater Phuket")
    city_current_forget()
    assert "Greater Phuket" in client.get("/en/").content.decode()
