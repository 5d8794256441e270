"""The catalogue's rendered results are cached per query, and any change shown on a card or in
a match makes the next request compute them again (programmes/catalogue_cache.py)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from participants import services as participant_services
from programmes import services
from programmes.catalogue_cache import GENERATION_KEY, CardStore, catalogue_changed, generation, results_key
from programmes.models import Programme
from tests.factories import ParticipantFactory, ProviderMembershipFactory, SessionFactory, VenueFactory

URL = "/en/programmes/"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/en/programmes/"}


def results(response) -> str:
    """The text of the results region: of the page from the results on (footer left out), or
    the whole of an htmx response."""
    html = response.content.decode()
    if 'id="results"' in html:
        html = html[html.index(">", html.index('id="results"')) + 1 :]
        html = html[: html.index("<footer")] if "<footer" in html else html
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_same_query_again_reads_the_cache(client, catalogue):
    client.get(URL)  # the city is cached from now on
    with CaptureQueriesContext(connection) as first:
        one = client.get(URL, {"q": "yoga", "page": "1"})
    with CaptureQueriesContext(connection) as again:
        two = client.get(URL, {"q": "yoga", "page": "1"})
    assert results(one) == results(two)
    assert "Yoga for older adults" in results(two)
    # A cached page reads nothing: the filter form's choices (areas, categories) are kept in the
    # process per generation too.
    assert len(again.captured_queries) == 0 < len(first.captured_queries)
    # The htmx request for the same query gets the same fragment, alone.
    partial = client.get(URL, {"q": "yoga", "page": "1"}, **HTMX)
    assert results(partial) == results(two)
    assert "<html" not in partial.content.decode()


def test_language_and_query_are_part_of_the_key(client, catalogue):
    english = results(client.get(URL))
    thai = results(client.get("/programmes/"))
    assert "Yoga for older adults" in english and "Yoga for older adults" not in thai
    assert "โยคะสำหรับผู้สูงอายุ" in thai
    assert "Coding for children" not in results(client.get(URL, {"q": "yoga"}))


def test_a_card_is_rendered_once_a_generation_for_every_page_that_shows_it(client, catalogue):
    """Another query computes its results but takes a programme's card from the process's
    store (programme_cards) while the generation stands; a change moves it and the card is
    rendered again. The title is changed behind the services' back (no generation move) to
    show which card is served."""
    yoga = catalogue.programmes["yoga"]
    assert "Yoga for older adults" in results(client.get(URL))
    Programme.objects.filter(pk=yoga.pk).update(title_en="Chair yoga")
    other_query = results(client.get(URL, {"sort": "newest"}))  # not cached: read from the rows
    assert "Yoga for older adults" in other_query and "Chair yoga" not in other_query
    catalogue_changed()
    assert "Chair yoga" in results(client.get(URL, {"sort": "newest"}))


def test_the_card_store_keeps_only_the_newest_generation(catalogue):
    """Cards rendered for an older generation (a request that read it before a change) are not
    kept; a newer one replaces every card; at most `kept` cards."""
    programmes = list(
        Programme.objects.filter(pk__in=[p.pk for p in catalogue.programmes.values()]).select_related(
            "provider", "next_course__venue__district"
        )
    )
    store = CardStore(kept=2)
    now = generation()
    with translation.override("en"):
        first = store.render(programmes, generation=now)
        assert len(first) == len(programmes) and len(store._cards) == 2
        assert first[0] is store.render(programmes[:1], generation=now)[0]  # read, not rendered
        store.render(programmes, generation=now - 1)
        assert store.generation == now and len(store._cards) == 2
        renamed = programmes[0]
        renamed.title_en = "Renamed"
        assert "Renamed" not in store.render([renamed], generation=now)[0]
        assert "Renamed" in store.render([renamed], generation=now + 1)[0]
        assert store.generation == now + 1 and len(store._cards) == 1
    with translation.override("th"):
        assert renamed.title_th in store.render([renamed], generation=now + 1)[0]


@pytest.mark.parametrize("change", ["enrol", "capacity", "title", "unpublish", "session", "venue", "provider"])
def test_a_change_shown_in_the_catalogue_is_shown_at_once(
    client, catalogue, change, django_capture_on_commit_callbacks
):
    english = catalogue.courses["english"]
    resident = ParticipantFactory()
    staff = ProviderMembershipFactory(provider=catalogue.providers["library"]).user
    before = results(client.get(URL))
    assert "30 places left" in before and "Yoga for older adults" in before

    if change == "enrol":  # the places move when the enrolment commits
        with django_capture_on_commit_callbacks(execute=True):
            participant_services.enrolment_create(participant=resident, course=english, actor=resident.account)
        expected, gone = "29 places left", "30 places left"
    elif change == "capacity":
        participant_services.course_capacity_change(course=english, capacity=40, actor=staff)
        expected, gone = "40 places left", "30 places left"
    elif change == "title":
        services.programme_update(programme=catalogue.programmes["yoga"], title_en="Chair yoga for older adults")
        expected, gone = "Chair yoga for older adults", None
    elif change == "unpublish":
        services.programme_archive(programme=catalogue.programmes["yoga"])
        expected, gone = "English for work", "Yoga for older adults"
    elif change == "session":  # an earlier session of the English course: its card's date moves
        first = english.sessions.order_by("starts_at").first()
        earlier = first.starts_at - (first.starts_at - catalogue.courses["yoga"].sessions.first().starts_at) / 2
        SessionFactory(
            course=english, venue=None, starts_at=earlier, ends_at=earlier + (first.ends_at - first.starts_at)
        )
        services.programme_refresh_schedule(programme_id=english.programme_id)
        expected, gone = f"{earlier.astimezone().day} ", None
        assert results(client.get(URL)) != before
        return
    elif change == "venue":
        venue = catalogue.venues["library"]
        venue.name_en = "Si Phum Learning Centre"
        venue.save()
        expected, gone = "Si Phum Learning Centre", "Si Phum Public Library"
    else:
        provider = catalogue.providers["library"]
        provider.name_en = "City Library Network"
        provider.save()
        expected, gone = "City Library Network", None

    after = results(client.get(URL))
    assert expected in after
    if gone:
        assert gone not in after


def test_a_place_on_the_waiting_list_keeps_the_cached_catalogue(client, catalogue, django_capture_on_commit_callbacks):
    """Nothing the cached results show changes when someone joins the waiting list of a full
    course: the entry stays (a rush of 2,000 on 30 places moves the generation 30 times)."""
    english = catalogue.courses["english"]
    english.capacity = 1
    english.save()
    first, second = ParticipantFactory(), ParticipantFactory()
    with django_capture_on_commit_callbacks(execute=True):
        participant_services.enrolment_create(participant=first, course=english, actor=first.account)
    before = results(client.get(URL))
    assert "Full: waiting list" in before
    generation = cache.get(GENERATION_KEY)

    with django_capture_on_commit_callbacks(execute=True):
        waiting = participant_services.enrolment_create(participant=second, course=english, actor=second.account)

    assert waiting.status == "waitlisted"
    assert cache.get(GENERATION_KEY) == generation
    with CaptureQueriesContext(connection) as ctx:
        assert results(client.get(URL)) == before
    assert not [q for q in ctx.captured_queries if "programmes_programme" in q["sql"]]  # from the cache


def test_the_generation_moves_now_and_again_at_commit(django_capture_on_commit_callbacks, db):
    catalogue_changed()
    start = cache.get(GENERATION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_changed()
        assert cache.get(GENERATION_KEY) == start + 1  # at once: this transaction's own reads
    assert cache.get(GENERATION_KEY) == start + 2  # and after the commit


def test_a_lost_generation_starts_above_every_earlier_one(db):
    catalogue_changed()
    old = results_key(city_id=1, language="th", query="q=x")
    cache.delete(GENERATION_KEY)
    new = results_key(city_id=1, language="th", query="q=x")
    assert new != old
    assert int(new.split(":")[2]) > int(old.split(":")[2])


@pytest.mark.parametrize(
    "query",
    [
        {"q": "x" * 20_000},
        {"q": "<script>alert(1)</script>", "page": "2'; DROP TABLE x;--"},
        {"q": "โยคะ\u200b", "district": "9" * 40, "category": "\x00"},
    ],
)
def test_hostile_queries_are_cached_under_a_bounded_key(client, catalogue, query):
    first = client.get(URL, query)
    again = client.get(URL, query)
    assert first.status_code == again.status_code == 200
    assert results(first) == results(again)
    assert "<script>alert(1)</script>" not in again.content.decode()
    key = results_key(city_id=catalogue.city.pk, language="en", query="q=" + "x" * 20_000)
    assert len(key) < 250


def test_unpublished_programme_is_never_served_from_an_older_entry(client, catalogue):
    """A programme published after a query was cached appears on the next request."""
    draft = catalogue.programmes["draft"]
    assert "draft-programme" not in client.get(URL).content.decode()
    services.programme_publish(programme=draft)
    draft.refresh_from_db()
    assert draft.status == Programme.Status.PUBLISHED
    assert "draft-programme" in client.get(URL).content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_cache_never_fails_a_write(settings, catalogue):
    """Redis down (a real connection refused, not a stand-in): saving and enrolling still work."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {"BACKEND": "learningcity.redis_cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    with pytest.raises(Exception):  # noqa: B017 (redis-py's ConnectionError)
        caches["default"].get("anything")
    services.programme_update(programme=catalogue.programmes["yoga"], title_en="Yoga, still saved")
    resident = ParticipantFactory()
    enrolment = participant_services.enrolment_create(
        participant=resident, course=catalogue.courses["english"], actor=resident.account
    )
    assert enrolment.pk
    assert Programme.objects.get(pk=catalogue.programmes["yoga"].pk).title_en == "Yoga, still saved"


def test_the_filter_choices_follow_new_categories_and_areas(client, catalogue):
    assert "ดาราศาสตร์" not in client.get(URL).content.decode()
    services.category_create(name_th="ดาราศาสตร์", building_blocks=[1])
    html = client.get(URL).content.decode()
    assert "ดาราศาสตร์" in html
    # A district gets a venue (and so becomes a choice): the next page offers it.
    district = catalogue.city.districts.create(name_th="หนองป่าครั่ง", code="509999")
    assert "หนองป่าครั่ง" not in client.get(URL).content.decode()
    VenueFactory(city=catalogue.city, district=district)
    assert f'<option value="{district.pk}">หนองป่าครั่ง</option>' in client.get(URL).content.decode()


def _rendered(response) -> set[str]:
    return {template.name for template in response.templates if template.name}


def _form(response) -> str:
    html = response.content.decode()
    start = html.index('<form id="catalogue-filters"')
    return html[start : html.index("</form>", start)]


def test_the_filter_form_is_cached_with_the_results(client, catalogue):
    client.get(URL)
    query = {"q": "yoga", "age": "abc", "format": "online"}
    first = client.get(URL, query)
    assert "programmes/_filter_field.html" in _rendered(first)
    again = client.get(URL, query)
    assert "programmes/_filter_field.html" not in _rendered(again)  # the form came from the cache
    for response in (first, again):
        html = _form(response)
        assert 'name="q" value="yoga"' in html  # the form keeps the query's values...
        assert '<option value="online" selected>' in html
        assert "Enter an age as a whole number" in html  # ...and its errors
        assert "Enter an age as a whole number" in results(response)  # (also above the results)
    assert _form(first) == _form(again) and results(first) == results(again)


def test_an_htmx_request_caches_the_results_and_the_page_adds_the_form(client, catalogue):
    client.get(URL)
    partial = client.get(URL, {"q": "english"}, **HTMX)
    assert "programmes/_filter_field.html" not in _rendered(partial) and "<form" not in partial.content.decode()
    page = client.get(URL, {"q": "english"})
    assert "programmes/_filter_field.html" in _rendered(page)  # results from the cache, the form rendered now
    assert "programmes/_programme_card.html" not in _rendered(page)
    assert 'name="q" value="english"' in _form(page)
    again = client.get(URL, {"q": "english"})
    assert not {"programmes/_filter_field.html", "programmes/_programme_card.html"} & _rendered(again)
    assert _form(again) == _form(page) and results(again) == results(page) == results(partial)
