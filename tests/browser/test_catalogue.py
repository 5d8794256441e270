"""A resident finds a course on a phone, with and without JavaScript; the htmx filters, the
history, the map and accessibility (axe) of the catalogue pages."""

import base64
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import translation
from icalendar import Calendar
from playwright.sync_api import expect

from tests.catalogue.data import build_catalogue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
# A 1x1 transparent PNG stands in for the map tiles (no network in tests).
TILE = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


@pytest.fixture
def catalogue():
    return build_catalogue()


def _serve_tiles(page):
    page.route("https://tile.openstreetmap.org/**", lambda route: route.fulfill(body=TILE, content_type="image/png"))


def _query(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


def th(text: str) -> str:
    """The Thai label a resident reads on the Thai pages."""
    with translation.override("th"):
        return translation.gettext(text)


def _card_titles(page):
    return page.locator("#results .card__title a")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_resident_on_a_phone_finds_a_course_and_saves_its_dates(
    live_server, browser, catalogue, javascript, screenshot, tmp_path
):
    context = browser.new_context(**PHONE, java_script_enabled=javascript, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # Search in Thai from the home page.
        page.goto(live_server.url + "/")
        page.get_by_label(th("What would you like to learn?")).fill("โยคะ")
        page.get_by_label(th("What would you like to learn?")).press("Enter")
        page.wait_for_url(re.compile(r"/programmes/\?q="))
        expect(_card_titles(page)).to_have_text(["โยคะสำหรับผู้สูงอายุ"])
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        # Widen the search, then narrow by age ("for my grandmother") and district.
        search = page.locator("#id_q")
        search.fill("")
        if javascript:
            search.press("Backspace")  # a keyup: htmx searches as the resident types
        else:
            search.press("Enter")
        expect(_card_titles(page)).to_have_count(3)
        page.locator("#filters > summary").click()
        expect(page.locator("#id_age")).to_be_visible()
        page.locator("#id_age").fill("70")
        page.locator("#id_district").select_option(label="ศรีภูมิ")
        if not javascript:
            page.get_by_role("button", name=th("Show results")).click()
        expect(_card_titles(page)).to_have_text(["โยคะสำหรับผู้สูงอายุ"])
        expect(page.locator("#results-title")).to_contain_text("1")
        query = _query(page.url)
        assert query["age"] == ["70"]
        assert query["district"] == [str(catalogue.districts["si_phum"].pk)]
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, f"catalogue-th-phone-{'js' if javascript else 'nojs'}")

        # Open the programme and download its calendar file.
        _card_titles(page).first.click()
        page.wait_for_url(re.compile(r"/programmes/yoga-older-adults/$"))
        expect(page.locator("h1")).to_have_text("โยคะสำหรับผู้สูงอายุ")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, f"detail-th-phone-{'js' if javascript else 'nojs'}")
        with page.expect_download() as download_info:
            page.locator("a[href$='calendar.ics']").first.click()
        download = download_info.value
        assert download.suggested_filename.endswith(".ics")
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        events = list(Calendar.from_ical(Path(saved).read_bytes()).walk("VEVENT"))
        assert len(events) == catalogue.courses["yoga"].sessions.count() == 2

        # Switch the page to English.
        page.locator("a[hreflang=en]").click()
        page.wait_for_url(re.compile(r"/en/programmes/yoga-older-adults/$"))
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("h1")).to_have_text("Yoga for older adults")
        expect(page.get_by_role("link", name="Enrol")).to_have_attribute(
            "href", "/en/accounts/login/?next=%2Fen%2Fprogrammes%2Fyoga-older-adults%2F"
        )
        screenshot(page, f"detail-en-phone-{'js' if javascript else 'nojs'}")
        assert not errors, errors
    finally:
        context.close()


def test_htmx_filters_update_results_in_place_and_the_history_follows(live_server, page, catalogue):
    page.goto(live_server.url + "/en/programmes/")
    expect(_card_titles(page)).to_have_count(3)
    page.evaluate("window.__stillTheSamePage = true")
    # On a wide screen the filters start unfolded (static/js/catalogue.js).
    assert page.locator("#filters").evaluate("details => details.open") is True

    with page.expect_request(lambda r: r.headers.get("hx-request") == "true"):
        page.locator("#id_age").fill("8")
        page.locator("#id_age").dispatch_event("change")
    expect(_card_titles(page)).to_have_text(["Coding for children"])
    expect(page).to_have_url(re.compile(r"age=8"))
    assert _query(page.url) == {"age": ["8"]}  # empty fields are left out of the URL

    page.locator("#id_places").check()
    expect(_card_titles(page)).to_have_count(0)
    expect(page.locator(".empty-state")).to_contain_text("No programmes match")
    expect(page).to_have_url(re.compile(r"places=on"))
    assert page.evaluate("window.__stillTheSamePage") is True  # no full navigation

    # The suggestion in the empty state leads to results.
    expect(page.locator(".empty-state a")).to_contain_text("Remove")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/en/programmes/\?age=8$"))
    expect(_card_titles(page)).to_have_text(["Coding for children"])
    expect(page.locator("#id_age")).to_have_value("8")
    expect(page.locator("#id_places")).not_to_be_checked()

    page.go_back()
    expect(page).to_have_url(re.compile(r"/en/programmes/$"))
    expect(_card_titles(page)).to_have_count(3)
    expect(page.locator("#id_age")).to_have_value("")

    page.go_forward()
    expect(page).to_have_url(re.compile(r"age=8"))
    expect(_card_titles(page)).to_have_text(["Coding for children"])

    # Switching language keeps the filters htmx put in the address.
    page.locator("a[hreflang=th]").click()
    page.wait_for_url(re.compile(r"/programmes/\?age=8$"))
    expect(page.locator("html")).to_have_attribute("lang", "th")
    expect(_card_titles(page)).to_have_text(["เขียนโปรแกรมสำหรับเด็ก"])
    expect(page.locator("#id_age")).to_have_value("8")


def test_search_as_you_type_and_pagination_links_use_htmx(live_server, page, catalogue):
    page.goto(live_server.url + "/en/programmes/")
    page.evaluate("window.__stillTheSamePage = true")
    page.locator("#id_q").press_sequentially("english", delay=20)
    expect(_card_titles(page)).to_have_text(["English for work"])
    page.wait_for_url(re.compile(r"q=english"))
    assert page.evaluate("window.__stillTheSamePage") is True


def test_nearest_uses_the_shared_location(live_server, browser, catalogue):
    context = browser.new_context(geolocation={"latitude": 18.7701, "longitude": 99.0001}, permissions=["geolocation"])
    page = context.new_page()
    try:
        page.goto(live_server.url + "/en/programmes/")
        page.locator("#id_sort").select_option("nearest")
        page.wait_for_url(re.compile(r"lat=18\.77"))
        expect(_card_titles(page)).to_have_text(["Coding for children", "Yoga for older adults", "English for work"])
    finally:
        context.close()


def test_map_shows_markers_and_the_list(live_server, page, catalogue, screenshot):
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _serve_tiles(page)
    page.goto(live_server.url + "/en/venues/")
    expect(page.locator("#venue-map")).to_be_visible()
    expect(page.locator("#venue-map")).to_have_attribute("data-ready", "true")
    expect(page.locator("#venue-map .leaflet-marker-icon")).to_have_count(2)
    expect(page.locator(".venue-list__item")).to_have_count(2)
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    page.locator("#venue-map .leaflet-marker-icon").first.click()
    expect(page.locator(".leaflet-popup-content a")).to_be_visible()
    screenshot(page, "map-en-desktop")
    assert not errors, errors


def test_map_without_javascript_is_a_list(live_server, browser, catalogue):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/venues/")
        expect(page.locator("#venue-map")).to_be_hidden()
        expect(page.locator(".venue-list__item")).to_have_count(2)
    finally:
        context.close()


def test_detail_page_has_no_console_or_csp_errors(live_server, page, catalogue):
    """The JSON-LD block is data, not script: no CSP report for it."""
    errors = []
    page.on("console", lambda message: message.type in ("error", "warning") and errors.append(message.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url + "/programmes/yoga-older-adults/")
    page.wait_for_load_state("networkidle")
    assert page.locator("script[type='application/ld+json']").count() == 1
    assert not errors, errors


@pytest.mark.parametrize(
    "path",
    [
        "/programmes/",
        "/en/programmes/?age=abc&free=1",
        "/en/programmes/?age=70&format=online",
        "/programmes/yoga-older-adults/",
        "/en/programmes/coding-for-children/",
        "/venues/",
        "/en/providers/public-library/",
        "/en/",
    ],
)
def test_no_serious_accessibility_violations(live_server, page, catalogue, path):
    _serve_tiles(page)
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()


def test_venue_page_on_a_phone(live_server, browser, catalogue):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _serve_tiles(page)
    try:
        page.goto(live_server.url + f"/en/venues/{catalogue.venues['library'].pk}/")
        expect(page.locator("h1")).to_have_text("Si Phum Public Library")
        expect(page.locator("#venue-map .leaflet-marker-icon")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_touch_targets_on_the_filters_are_at_least_44px(live_server, browser, catalogue):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/programmes/")
        page.locator("#filters > summary").click()
        for selector in ("#filters > summary", "label.check", "#id_age", "#id_district", "button[type=submit]"):
            for box in [el.bounding_box() for el in page.locator(selector).all()]:
                if box:
                    assert box["height"] >= 44, selector
    finally:
        context.close()
