"""The catalogue page through the client: full page and htmx partial, every filter, search in
Thai and English, sorting, pagination, bounded queries, hostile input."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programmes import services
from programmes.catalogue_cache import catalogue_changed
from tests.catalogue.data import build_catalogue
from tests.factories import CourseFactory, ProgrammeFactory, SessionFactory, VenueFactory
from tests.web.conftest import parse

pytestmark = pytest.mark.django_db
URL = "/programmes/"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/programmes/"}
SLUG = re.compile(r'href="/(?:en/)?programmes/([a-z0-9-]+)/"')


def found(response) -> list[str]:
    """Slugs of the programme cards, in order."""
    html = response.content.decode()
    start = html.index('id="results"') if 'id="results"' in html else 0
    return SLUG.findall(html[start:])


def test_full_page_and_htmx_partial(client, catalogue):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert 'id="catalogue-filters"' in html
    assert 'aria-live="polite"' in html
    assert "Vary" in response and "HX-Request" in response["Vary"]
    assert set(found(response)) == {"yoga-older-adults", "coding-for-children", "english-for-work"}

    partial = client.get(URL, {"q": "yoga"}, **HTMX)
    assert partial.status_code == 200
    body = partial.content.decode()
    assert "<html" not in body and "<form" not in body
    assert 'id="results-title"' in body
    assert found(partial) == ["yoga-older-adults"]
    assert "HX-Request" in partial["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client, catalogue):
    response = client.get(URL, {"age": "8"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode()
    assert found(response) == ["coding-for-children"]


def test_the_form_is_wired_for_htmx_and_plain_get(client, catalogue):
    page = parse(client.get(URL))
    [form] = page.find("form", id="catalogue-filters")
    assert form["action"] == URL and form["method"] == "get"
    assert form["hx-get"] == form["action"]
    assert form["hx-target"] == "#results"
    assert form["hx-push-url"] == "true"
    assert "change" in form["hx-trigger"] and "delay:400ms" in form["hx-trigger"]
    # Labelled fields in fieldsets with legends; filters fold away on a phone.
    html = client.get(URL).content.decode()
    assert html.count("<fieldset") >= 4 and html.count("<legend") >= 4
    assert '<details class="filters"' in html
    for name in ("q", "age", "band", "district", "category", "block", "date_from", "date_to", "format", "language"):
        assert f'for="id_{name}"' in html, name


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"age": "7"}, {"coding-for-children"}),
        ({"age": "70"}, {"yoga-older-adults"}),
        ({"band": "60+"}, {"yoga-older-adults"}),
        ({"band": "6-14"}, {"coding-for-children"}),
        ({"band": "25-59"}, {"english-for-work"}),
        ({"category": "digital"}, {"coding-for-children"}),
        ({"block": "6"}, {"yoga-older-adults"}),
        ({"format": "online"}, {"english-for-work"}),
        ({"free": "1"}, {"yoga-older-adults"}),
        ({"language": "en"}, {"coding-for-children", "english-for-work"}),
        ({"language": "th"}, {"yoga-older-adults", "coding-for-children"}),
        ({"access": ["hearing_loop"]}, {"yoga-older-adults"}),
        ({"access": ["step_free", "hearing_loop"]}, {"yoga-older-adults"}),
        ({"places": "1"}, {"yoga-older-adults", "english-for-work"}),
        ({"weekend": "1"}, {"yoga-older-adults"}),
        ({"evening": "1"}, {"coding-for-children"}),
        ({"day": ["3"]}, {"english-for-work"}),
        ({"day": ["2", "3"]}, {"coding-for-children", "english-for-work"}),
        ({"age": "70", "free": "1", "weekend": "1"}, {"yoga-older-adults"}),
        ({"age": "70", "format": "online"}, set()),
        # A search with filters (the search reads the search documents, the filters the programmes)
        ({"q": "โยคะ", "weekend": "1"}, {"yoga-older-adults"}),
        ({"q": "โยคะ", "evening": "1"}, set()),
        ({"q": "coding", "day": ["2", "3"]}, {"coding-for-children"}),
        ({"q": "coding", "day": ["3"]}, set()),
        ({"q": "ภาษาอังกฤษ", "language": "en"}, {"english-for-work"}),
        ({"q": "โยคะ", "language": "en"}, set()),
        ({"q": "โยคะ", "places": "1", "access": ["hearing_loop"], "free": "1"}, {"yoga-older-adults"}),
        ({"q": "โยคะ", "band": "6-14"}, set()),
    ],
)
def test_each_filter_narrows(client, catalogue, params, expected):
    assert set(found(client.get(URL, params))) == expected
    # The htmx partial agrees with the page.
    assert set(found(client.get(URL, params, **HTMX))) == expected


def test_district_and_date_filters(client, catalogue):
    si_phum = catalogue.districts["si_phum"]
    assert found(client.get(URL, {"district": si_phum.pk})) == ["yoga-older-adults"]
    day = catalogue.tuesday.isoformat()
    assert found(client.get(URL, {"date_from": day, "date_to": day})) == ["coding-for-children"]
    assert found(client.get(URL, {"q": "coding", "date_from": day, "date_to": day})) == ["coding-for-children"]
    assert found(client.get(URL, {"q": "โยคะ", "date_from": day, "date_to": day})) == []
    assert found(client.get(URL, {"q": "โยคะ", "district": si_phum.pk})) == ["yoga-older-adults"]
    # Only districts where learning happens are offered.
    html = client.get(URL).content.decode()
    assert "ศรีภูมิ" in html and "ช้างคลาน" in html


@pytest.mark.parametrize(
    ("q", "language_prefix", "expected"),
    [
        ("โยคะ", "", ["yoga-older-adults"]),
        ("ผู้สูงอายุ", "", ["yoga-older-adults"]),
        ("ภาษาอังกฤษ", "", ["english-for-work"]),
        ("yoga", "/en", ["yoga-older-adults"]),
        ("coding", "/en", ["coding-for-children"]),
        ("Scratch", "", ["coding-for-children"]),
        ("englsh", "/en", ["english-for-work"]),  # a misspelling
    ],
)
def test_search_in_thai_and_english(client, catalogue, q, language_prefix, expected):
    response = client.get(language_prefix + URL, {"q": q})
    assert found(response) == expected
    assert f'value="{q}"' in response.content.decode()


def test_sorting(client, catalogue):
    soonest = found(client.get(URL))
    dates = {
        "yoga-older-adults": catalogue.saturday,
        "coding-for-children": catalogue.tuesday,
        "english-for-work": catalogue.wednesday,
    }
    assert soonest == sorted(dates, key=dates.get)
    assert found(client.get(URL, {"sort": "soonest"})) == soonest
    # newest published first
    assert found(client.get(URL, {"sort": "newest"})) == [
        "coding-for-children",
        "english-for-work",
        "yoga-older-adults",
    ]
    # nearest to a point beside the school, then the library; online last
    near_school = found(client.get(URL, {"sort": "nearest", "lat": "18.7701", "lng": "99.0001"}))
    assert near_school == ["coding-for-children", "yoga-older-adults", "english-for-work"]
    near_library = found(client.get(URL, {"sort": "nearest", "lat": "18.79", "lng": "98.99"}))
    assert near_library == ["yoga-older-adults", "coding-for-children", "english-for-work"]
    # without a location: the chosen district's courses first (here the filter keeps one)
    si_phum = catalogue.districts["si_phum"]
    assert found(client.get(URL, {"sort": "nearest", "district": si_phum.pk})) == ["yoga-older-adults"]
    # a search ranks the best match first
    assert found(client.get(URL, {"q": "โยคะ", "sort": "relevance"})) == ["yoga-older-adults"]


def _many(catalogue, n):
    venue = VenueFactory(city=catalogue.city, district=catalogue.districts["si_phum"])
    provider = catalogue.providers["library"]
    for i in range(n):
        programme = ProgrammeFactory(
            provider=provider,
            title_th=f"งานฝีมือ {i:03d}",
            title_en=f"Craft {i:03d}",
            categories=[catalogue.categories["health"]],
        )
        course = CourseFactory(programme=programme, venue=venue, capacity=10, seats_taken=i % 11)
        SessionFactory(course=course)
    services.programmes_refresh_schedule()
    services.programme_search_refresh()


def test_pagination_keeps_filters_and_works_with_htmx(client, catalogue):
    _many(catalogue, 25)
    first = client.get(URL, {"category": "health"})
    assert "26 " in first.content.decode()  # 25 crafts + yoga
    assert len(found(first)) == 20
    page = parse(first)
    [next_link] = [a for a in page.find("a") if a.get("rel") == "next"]
    query = parse_qs(urlsplit(next_link["href"]).query)
    assert query == {"category": ["health"], "page": ["2"]}
    assert next_link["hx-get"] == next_link["href"]
    assert next_link["hx-target"] == "#results"
    second = client.get(URL + next_link["href"], **HTMX)
    assert len(found(second)) == 6
    assert not set(found(second)) & set(found(first))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "งานฝีมือ", "places": "1", "age": "30"},
        {"q": "craft", "category": "health", "format": "in_person"},
        {"sort": "nearest", "lat": "18.8", "lng": "99"},
    ],
)
def test_query_count_does_not_grow_with_the_page(client, params):
    catalogue = build_catalogue()
    _many(catalogue, 10)
    client.get(URL)  # the city is cached from now on, for both measurements alike
    catalogue_changed()  # both measure the results computed, not read from the cache
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL, params).status_code == 200
    _many(catalogue, 50)
    catalogue_changed()
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL, params)
    assert len(found(response)) == 20
    assert len(large.captured_queries) == len(small.captured_queries), [q["sql"][:120] for q in large]
    assert len(large.captured_queries) <= 8


def test_query_count_is_bounded(client, catalogue, django_assert_max_num_queries):
    _many(catalogue, 40)
    with django_assert_max_num_queries(8):
        client.get(URL, {"category": "health", "page": "2"})
    with django_assert_max_num_queries(8):
        client.get(URL, {"q": "craft"}, **HTMX)


def test_cards_show_what_a_resident_needs(client, catalogue):
    html = client.get("/en" + URL).content.decode()
    assert "Yoga for older adults" in html and "Public Library" in html
    assert "Si Phum Public Library, Si Phum" in html
    assert "Ages 60 and over" in html and "Ages 7–12" in html
    assert "Free" in html and "500 baht" in html
    assert "15 places left" in html
    assert "Full: waiting list" in html
    assert "Online" in html
    # The next session's date in the right calendar: Gregorian in English, B.E. in Thai.
    saturday = catalogue.saturday
    assert f"{saturday.day} {saturday:%B} {saturday.year}" in html
    thai = client.get(URL).content.decode()
    assert str(saturday.year + 543) in thai


@pytest.mark.parametrize(
    "query",
    [
        "age=abc",
        "age=-5",
        "age=999999999999999999999999",
        "district=999999",
        "district=abc",
        "category=no-such-thing",
        "block=9",
        "band=7-9",
        "date_from=2026-13-45",
        "date_from=2026-03-01&date_to=2026-02-01",
        "page=-1",
        "page=99999",
        "page=abc",
        "page=" + "9" * 5000,
        "sort=sideways",
        "sort=nearest&lat=999&lng=abc",
        "q=" + "ก" * 2000,
        "q=%3Cscript%3Ealert(1)%3C/script%3E",
        "q=%27%3B+DROP+TABLE+programmes_programme%3B--",
        "q=%25%25%5C_",
        "q=%F0%9F%A7%98%E2%80%8D%E2%99%80%EF%B8%8F",
        "q=a%00b",
        "age=%00",
        "access=teleport",
        "day=8",
        "format=%00",
        "free=maybe",
        "language=klingon",
    ],
)
def test_bad_values_never_fail_the_page(client, catalogue, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code in (200, 400)
    partial = client.get(f"{URL}?{query}", **HTMX)
    assert partial.status_code in (200, 400)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("age=abc", "id_age", "Enter an age as a whole number"),
        ("age=300", "id_age", "Enter an age from 0 to 120."),
        ("district=999999", "id_district", "This choice is not available"),
        ("sort=sideways", "id_sort", "This choice is not available"),
        ("date_from=2026-03-01&date_to=2026-02-01", "id_date_to", "The end date is before the start date"),
        ("q=" + "a" * 2000, "id_q", "at most 200 characters"),
        ("q=a%00b", "id_q", "Null characters are not allowed."),
    ],
)
def test_bad_values_get_a_message_beside_the_field_and_are_ignored(client, catalogue, query, field, message):
    response = client.get(f"/en{URL}?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="{field}_error"' in html
    assert message in html
    assert 'aria-invalid="true"' in html
    # The search ran without the bad filter: everything is listed.
    assert len(found(response)) == 3
    # The htmx partial says it too (the fields are outside the swapped region).
    assert message in client.get(f"/en{URL}?{query}", **HTMX).content.decode()


def test_bad_pages_show_the_nearest_page_with_a_notice(client, catalogue):
    response = client.get("/en" + URL, {"page": "99999"})
    assert "There is no page “99999”; showing page 1." in response.content.decode()
    assert len(found(response)) == 3


def test_hostile_search_is_shown_escaped(client, catalogue):
    response = client.get(URL, {"q": '<script>alert("x")</script>'})
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert found(response) == []


def test_empty_state_suggests_removing_the_narrowest_filter(client, catalogue):
    # age 70 alone finds yoga; online alone finds english; together nothing. Removing either
    # finds one; "free" narrows further. The suggestion must lead to results.
    response = client.get("/en" + URL, {"age": "70", "format": "online", "language": "en"})
    html = response.content.decode()
    assert found(response) == []
    assert "No programmes match" in html
    match = re.search(r'<a class="btn btn-secondary" href="(/en/programmes/\?[^"]*)">Remove', html)
    assert match, html
    suggested = client.get(match.group(1).replace("&amp;", "&"))
    assert found(suggested)
    # Every filter in force has its own "remove" link.
    page = parse(response)
    chips = [a["href"] for a in page.find("a") if "chip" in a.get("class", "").split()]
    assert len(chips) == 4  # three filters + "clear all"
    assert "/en/programmes/" in chips


def test_empty_state_with_no_filters_is_honest(client, db):
    response = client.get("/en" + URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "0 programmes found" in html
    assert "Providers in the city are adding their courses" in html


def test_filters_for_old_and_young_residents_by_age(client, catalogue):
    """ "For my 7-year-old" and "for my grandmother" (typed ages), in English too."""
    assert found(client.get("/en" + URL, {"age": "7"})) == ["coding-for-children"]
    assert found(client.get("/en" + URL, {"age": "82"})) == ["yoga-older-adults"]
