"""Programme detail (with its calendar file, JSON-LD and OpenGraph tags), venue, map,
provider and home pages, through the client."""

import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from icalendar import Calendar

from tests.catalogue.data import at
from tests.factories import CourseFactory, ProgrammeFactory, SessionFactory
from tests.web.conftest import parse

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def detail(client, slug, prefix=""):
    return client.get(f"{prefix}/programmes/{slug}/")


def json_ld(response) -> dict:
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(block)


# --- Programme detail ---------------------------------------------------------------------


def test_published_programme_has_a_page(client, catalogue):
    response = detail(client, "yoga-older-adults", "/en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html and "Yoga for older adults" in html
    assert "Breathing and balance." in html  # the (sanitised) description
    assert 'href="/en/providers/public-library/"' in html
    assert "Ages 60 and over" in html and "Free" in html
    # Every session with date, time and place; a map link with the venue's coordinates.
    course = catalogue.courses["yoga"]
    assert html.count("<tr") == 1 + 2  # header + two sessions
    assert "09:00–10:30" in html
    assert "https://www.openstreetmap.org/?mlat=18.790000&amp;mlon=98.990000" in html
    assert "15 places left of 20" in html
    assert "Step-free access" in html and "Hearing loop" in html
    # Enrol: sign in first, then back to this page.
    assert 'href="/en/accounts/login/?next=%2Fen%2Fprogrammes%2Fyoga-older-adults%2F"' in html
    assert f'href="/en/programmes/yoga-older-adults/courses/{course.pk}/calendar.ics"' in html
    # Share links: plain links, no third-party script.
    assert "https://social-plugins.line.me/lineit/share?url=http%3A%2F%2Ftestserver%2Fen%2Fprogrammes%2Fyoga" in html
    assert "https://www.facebook.com/sharer/sharer.php?u=http%3A%2F%2Ftestserver" in html
    scripts = [tag["src"] for tag in parse(response).find("script") if tag.get("src")]
    assert all(src.startswith("/static/") for src in scripts)


def test_full_course_offers_the_waiting_list(client, catalogue):
    html = detail(client, "coding-for-children", "/en").content.decode()
    assert "Full: you can join the waiting list" in html
    assert "3 people waiting" in html
    assert "Join the waiting list" in html


def test_detail_in_thai_shows_buddhist_era_dates(client, catalogue):
    html = detail(client, "yoga-older-adults").content.decode()
    assert str(catalogue.saturday.year + 543) in html
    assert "โยคะสำหรับผู้สูงอายุ" in html


def test_signed_in_resident_gets_the_enrol_form_on_the_detail_page(client, catalogue, django_user_model):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    html = detail(client, "yoga-older-adults", "/en").content.decode()
    assert "Who will take part?" in html
    assert "/enrol/" in html


@pytest.mark.parametrize("slug", ["draft-programme", "archived-programme", "no-such-programme"])
def test_unpublished_or_unknown_programmes_are_404(client, catalogue, slug):
    assert detail(client, slug).status_code == 404
    assert client.get(f"/programmes/{slug}/courses/1/calendar.ics").status_code == 404


def test_detail_page_query_count_is_bounded(client, catalogue, django_assert_max_num_queries):
    programme = catalogue.programmes["yoga"]
    for week in range(2, 8):
        course = CourseFactory(programme=programme, venue=catalogue.venues["library"])
        for hour in (9, 13, 17):
            SessionFactory(course=course, starts_at=at(course.starts_on + dt.timedelta(days=week), hour))
    client.get("/")  # the city is cached
    with django_assert_max_num_queries(6):
        response = detail(client, programme.slug)
    assert response.content.decode().count("<tr") >= 6 * 4


def test_json_ld_is_a_course_with_instances(client, catalogue):
    data = json_ld(detail(client, "yoga-older-adults", "/en"))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Course"
    assert data["name"] == "Yoga for older adults"
    assert data["provider"]["name"] == "Public Library"
    [instance] = data["hasCourseInstance"]
    assert instance["@type"] == "CourseInstance"
    assert instance["startDate"] == catalogue.saturday.isoformat()
    assert instance["courseMode"] == "onsite"
    assert instance["location"]["name"] == "Si Phum Public Library"
    assert instance["location"]["geo"]["latitude"] == 18.79
    assert instance["offers"]["price"] == "0.00" and instance["offers"]["priceCurrency"] == "THB"
    online = json_ld(detail(client, "english-for-work", "/en"))["hasCourseInstance"][0]
    assert online["courseMode"] == "online"
    assert online["location"]["@type"] == "VirtualLocation"


def test_json_ld_cannot_break_out_of_its_script(client, catalogue):
    programme = catalogue.programmes["yoga"]
    programme.title_en = "</script><script>alert(1)</script>"
    programme.save(update_fields=["title_en"])
    response = detail(client, programme.slug, "/en")
    html = response.content.decode()
    assert "</script><script>alert(1)" not in html
    assert json_ld(response)["name"] == "</script><script>alert(1)</script>"


def test_open_graph_tags(client, catalogue):
    page = parse(detail(client, "yoga-older-adults", "/en"))
    assert page.meta("og:title") == "Yoga for older adults"
    assert page.meta("og:description") == "Gentle stretching every Saturday morning"
    assert page.meta("og:url") == "http://testserver/en/programmes/yoga-older-adults/"
    assert page.meta("og:image").endswith("/static/img/share.png")
    # With an image, the programme's own.
    programme = catalogue.programmes["coding"]
    programme.image = SimpleUploadedFile("scratch.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    programme.save(update_fields=["image"])
    page = parse(detail(client, programme.slug, "/en"))
    assert re.match(r"^http://testserver/media/programmes/scratch.*\.png$", page.meta("og:image"))
    assert json_ld(detail(client, programme.slug, "/en"))["image"] == page.meta("og:image")


def test_programme_without_upcoming_courses_says_so(client, catalogue):
    ProgrammeFactory(provider=catalogue.providers["library"], slug="no-dates")
    html = detail(client, "no-dates", "/en").content.decode()
    assert "No upcoming courses" in html


# --- Calendar file ------------------------------------------------------------------------


def test_ics_has_one_event_per_session_with_correct_times(client, catalogue):
    course = catalogue.courses["yoga"]
    url = f"/programmes/yoga-older-adults/courses/{course.pk}/calendar.ics"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"] and ".ics" in response["Content-Disposition"]
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    sessions = list(course.sessions.order_by("starts_at"))
    assert len(events) == len(sessions) == 2
    for event, session in zip(events, sessions, strict=True):
        assert event.decoded("dtstart") == session.starts_at
        assert event.decoded("dtend") == session.ends_at
        assert event.decoded("dtstart").astimezone(timezone.get_current_timezone()).hour == 9
        assert str(event["summary"]) == "โยคะสำหรับผู้สูงอายุ"
        assert "ห้องสมุดประชาชนศรีภูมิ" in str(event["location"])
        assert str(event["url"]).endswith("/programmes/yoga-older-adults/")
        assert "ยืดเหยียด" in str(event["description"])
    # UIDs: one per session, the same on every download.
    uids = [str(e["uid"]) for e in events]
    assert len(set(uids)) == 2
    again = [str(e["uid"]) for e in Calendar.from_ical(client.get(url).content).walk("VEVENT")]
    assert again == uids


def test_ics_in_english_and_online(client, catalogue):
    course = catalogue.courses["english"]
    response = client.get(f"/en/programmes/english-for-work/courses/{course.pk}/calendar.ics")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == "English for work"
    assert str(event["location"]) == "https://meet.example.org/english"


def test_ics_of_another_programmes_course_is_404(client, catalogue):
    course = catalogue.courses["coding"]
    assert client.get(f"/programmes/yoga-older-adults/courses/{course.pk}/calendar.ics").status_code == 404
    draft = catalogue.courses["draft"]
    assert client.get(f"/programmes/draft-programme/courses/{draft.pk}/calendar.ics").status_code == 404


# --- Venues, the map, providers -----------------------------------------------------------


def test_venue_page(client, catalogue):
    venue = catalogue.venues["library"]
    response = client.get(f"/en/venues/{venue.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Si Phum Public Library</h1>" in html
    assert "Ratchadamnoen Road" in html and "Si Phum" in html
    assert "Step-free access" in html and "Hearing loop" in html
    assert "https://www.openstreetmap.org/?mlat=18.790000&amp;mlon=98.990000#map=17/18.790000/98.990000" in html
    assert 'href="/en/programmes/yoga-older-adults/"' in html
    assert "coding-for-children" not in html
    assert client.get("/venues/999999/").status_code == 404


def test_map_page_lists_venues_with_upcoming_courses(client, catalogue, settings):
    response = client.get("/en/venues/")
    assert response.status_code == 200
    html = response.content.decode()
    page = parse(response)
    [map_element] = page.find("div", id="venue-map")
    assert map_element["data-tile-url"] == settings.MAP_TILE_URL
    assert "OpenStreetMap" in map_element["data-attribution"]
    assert "hidden" in map_element  # drawn by JavaScript; the list is the no-JS view
    markers = json.loads(re.search(r'<script id="venue-markers" type="application/json">(.*?)</script>', html).group(1))
    assert {m["name"] for m in markers} == {"Si Phum Public Library", "Chang Khlan Municipal School"}
    assert all(m["url"].startswith("/en/venues/") for m in markers)
    # The text list: both venues (the draft's course does not count twice), with counts.
    assert "2 places with upcoming courses" in html
    assert html.count('class="venue-list__item"') == 2
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/js/venue-map.js" in html
    # The tile server is allowed as an image source, nothing else from outside.
    assert "https://tile.openstreetmap.org" in response["Content-Security-Policy"]


def test_provider_page(client, catalogue):
    response = client.get("/en/providers/public-library/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Public Library</h1>" in html
    assert "The city&#x27;s library." in html or "The city's library." in html
    assert "3 programmes" in html
    assert "draft-programme" not in html and "archived-programme" not in html
    assert client.get("/providers/no-such-provider/").status_code == 404


# --- Home ---------------------------------------------------------------------------------


def test_home_sections_link_to_the_catalogue_with_their_filters(client, catalogue):
    response = client.get("/en/")
    html = response.content.decode()
    assert 'action="/en/programmes/"' in html and 'name="q"' in html
    assert "Browse by subject" in html and 'href="/en/programmes/?category=health"' in html
    assert "For older adults" in html and 'href="/en/programmes/?band=60%2B"' in html
    assert "For children" in html and 'href="/en/programmes/?band=6-14"' in html
    # Each section's cards are what its "See all" link finds.
    older = html.split('id="section-older-adults"')[1].split("</section>")[0]
    assert "yoga-older-adults" in older and "coding-for-children" not in older
    children = html.split('id="section-children"')[1].split("</section>")[0]
    assert "coding-for-children" in children and "yoga-older-adults" not in children
    see_all = re.search(r'href="(/en/programmes/\?band=6-14)"', html).group(1)
    assert "coding-for-children" in client.get(see_all).content.decode()
    # Starting this week: only what meets in the next seven days.
    today = timezone.localdate()
    week = html.split('id="section-this-week"')[1].split("</section>")[0] if "section-this-week" in html else ""
    for key, day in (("yoga", catalogue.saturday), ("coding", catalogue.tuesday), ("english", catalogue.wednesday)):
        slug = catalogue.programmes[key].slug
        assert (slug in week) == (day <= today + dt.timedelta(days=6)), key


def test_home_free_this_weekend(client, catalogue):
    html = client.get("/en/").content.decode()
    today = timezone.localdate()
    sunday = today + dt.timedelta(days=6 - today.weekday())
    if catalogue.saturday <= sunday:
        section = html.split('id="section-free-weekend"')[1].split("</section>")[0]
        assert "yoga-older-adults" in section
        assert "free=1" in section and "weekend=1" in section
    else:
        assert "section-free-weekend" not in html


def test_home_keeps_the_honest_empty_state(client, db):
    from django.conf import settings

    from tests.factories import CityFactory

    CityFactory(slug=settings.CITY_SLUG)
    html = client.get("/en/").content.decode()
    assert "The catalogue of learning opportunities is being prepared" in html
    assert "section-older-adults" not in html


def test_home_query_count_is_bounded(client, catalogue, django_assert_max_num_queries):
    client.get("/")
    with django_assert_max_num_queries(12):
        client.get("/")
