"""A person on the home page: Thai and English, a phone, a screen reader's view (axe)."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import CityFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

THAI_MONTHS = [
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
]


@pytest.fixture
def city():
    return CityFactory(
        slug=settings.CITY_SLUG, name_th="เทศบาลนครเชียงใหม่", name_en="Chiang Mai City", gnlc_member_since=2019
    )


def test_switch_language_keeps_the_page_and_the_calendar(live_server, page, city, screenshot):
    today = timezone.localdate()
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "th")
    expect(page.locator("h1")).to_have_text("เทศบาลนครเชียงใหม่")
    date = page.locator(".hero__date time")
    thai_date = date.inner_text()
    assert str(today.year + 543) in thai_date
    assert any(month in thai_date for month in THAI_MONTHS)
    assert str(today.year) not in thai_date
    # The footer's GNLC year is in B.E. too.
    expect(page.locator(".site-footer")).to_contain_text("2562")
    # Sarabun is the face in use (self-hosted, loaded under the CSP).
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px Sarabun', 'ก')")
    screenshot(page, "home-th-desktop")

    page.locator("a[hreflang=en]").click()
    page.wait_for_url(re.compile(r"/en/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Chiang Mai City")
    english_date = page.locator(".hero__date time").inner_text()
    assert str(today.year) in english_date
    assert str(today.year + 543) not in english_date
    expect(page.locator("a[hreflang=en]")).to_have_attribute("aria-current", "true")
    expect(page.locator(".site-footer")).to_contain_text("since 2019")

    page.locator("a[hreflang=th]").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "th")
    assert str(today.year + 543) in page.locator(".hero__date time").inner_text()


def test_skip_link_is_reached_first_and_moves_focus_to_main(live_server, page, city):
    page.goto(live_server.url + "/en/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


@pytest.mark.parametrize("path", ["/", "/en/"])
def test_phone_header_does_not_overflow(live_server, browser, city, path, screenshot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        header = page.locator(".site-header").bounding_box()
        assert header["x"] >= 0
        assert header["x"] + header["width"] <= 390
        for selector in (".brand", ".lang-switch", ".site-nav"):
            box = page.locator(selector).bounding_box()
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 390, selector
        screenshot(page, "home-" + ("en" if path == "/en/" else "th") + "-phone")
    finally:
        context.close()


def test_narrowest_phone_with_a_long_city_name(live_server, browser):
    CityFactory(slug=settings.CITY_SLUG, name_th="องค์การบริหารส่วนตำบลเมืองแห่งการเรียนรู้ตลอดชีวิตตัวอย่างยาวมาก")
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/en/", "/accounts/login/", "/en/accounts/login/", "/en/no-such-page/"])
def test_no_serious_accessibility_violations(live_server, page, city, path):
    page.goto(live_server.url + path)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()


def test_no_console_errors_or_csp_violations(live_server, page, city):
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.htmx") == "object"
    assert not errors
