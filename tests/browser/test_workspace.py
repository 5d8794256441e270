"""The provider workspace in Chromium, in English: an editor signs in, creates a programme,
schedules a course with a weekly pattern, publishes it and finds it in the public catalogue;
takes attendance on a tablet-sized screen (768x1024); enrols a walk-in older adult without
e-mail at the desk and prints the slip.

Screenshots of the register (tablet) and the slip (screen and print media) go to
LC_SCREENSHOTS when it names a directory."""

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from participants.models import Attendance, Enrolment, Participant
from participants.services import enrolment_create
from programmes.models import Course, Programme, ProviderMembership
from tests.factories import (
    CategoryFactory,
    CityFactory,
    DistrictFactory,
    ParticipantFactory,
    ProviderFactory,
    ProviderMembershipFactory,
    UserFactory,
    VenueFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-Workspace-pass-2569"
TITLE = "Smartphone skills for older adults"


@pytest.fixture
def world():
    from learningcity.city.selectors import city_current_forget
    from participants.selectors import privacy_notice_first_ensure

    privacy_notice_first_ensure()
    city = CityFactory(slug=settings.CITY_SLUG, name_th="เชียงใหม่", name_en="Chiang Mai")
    city_current_forget()
    district = DistrictFactory(city=city, code="500101", name_th="ศรีภูมิ", name_en="Si Phum")
    provider = ProviderFactory(city=city, slug="tk-park", name_th="อุทยานการเรียนรู้", name_en="TK Park")
    venue = VenueFactory(city=city, provider=provider, district=district, name_th="ห้องคอมพิวเตอร์", name_en="IT room")
    category = CategoryFactory(name_th="ดิจิทัล", name_en="Digital skills", building_blocks=[4])
    editor = UserFactory(email="editor@tkpark.example.org", password=PASSWORD)
    EmailAddress.objects.create(user=editor, email=editor.email, verified=True, primary=True)
    ProviderMembershipFactory(user=editor, provider=provider, role=ProviderMembership.Role.EDITOR)
    return {"city": city, "district": district, "provider": provider, "venue": venue, "category": category}


def _sign_in(page, base, email):
    page.goto(base + "/en/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("#main form button[type=submit]").click()
    page.wait_for_load_state()


def test_editor_publishes_takes_attendance_and_enrols_a_walk_in(live_server, browser, world, screenshot):
    base = live_server.url
    provider = world["provider"]
    today = timezone.localdate()
    starts = today + dt.timedelta(days=7 - today.weekday())  # next Monday (7 days at most)
    ends = starts + dt.timedelta(days=27)  # four weeks, Monday to Sunday

    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, base, "editor@tkpark.example.org")

    # --- creates a programme (a draft) -------------------------------------------------------
    page.goto(base + f"/en/staff/{provider.slug}/programmes/new/")
    page.fill("input[name=title_th]", "ทักษะสมาร์ตโฟนสำหรับผู้สูงอายุ")
    page.fill("input[name=title_en]", TITLE)
    page.fill("[name=summary_th]", "ใช้ไลน์ ถ่ายรูป และรู้ทันข่าวปลอม")
    page.fill("[name=summary_en]", "LINE, photos and spotting fake news")
    page.get_by_label(re.compile("Digital skills")).check()
    page.fill("input[name=age_min]", "60")
    # the live preview is the catalogue's own card (htmx, from the unsaved input)
    expect(page.locator("#programme-preview article.programme-card .card__title")).to_have_text(TITLE)
    expect(page.locator("#programme-preview article.programme-card")).to_contain_text("TK Park")
    page.locator("#main form.stack").get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(TITLE)
    programme = Programme.objects.get(title_en=TITLE)
    assert programme.status == Programme.Status.DRAFT
    assert programme.provider == provider

    # --- schedules a course -------------------------------------------------------------------
    page.get_by_role("link", name="Schedule a course").click()
    page.select_option("select[name=venue]", label="IT room")
    page.fill("input[name=starts_on]", starts.isoformat())
    page.fill("input[name=ends_on]", ends.isoformat())
    page.fill("input[name=capacity]", "12")
    page.locator("#main form").get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    course = Course.objects.get(programme=programme)
    assert page.url.endswith(f"/en/staff/{provider.slug}/courses/{course.pk}/")
    expect(page.locator("#main")).to_contain_text("No sessions yet.")

    # --- adds a weekly pattern (Monday and Thursday, 09:00-11:00), previews, saves -----------
    page.get_by_role("link", name="Add weekly sessions").click()
    page.get_by_label("Monday").check()
    page.get_by_label("Thursday").check()
    page.fill("input[name=start_time]", "09:00")
    page.fill("input[name=end_time]", "11:00")
    page.fill("input[name=date_from]", starts.isoformat())
    page.fill("input[name=date_to]", ends.isoformat())
    page.get_by_role("button", name="Preview the dates").click()
    expect(page.locator(".weekly-preview h2")).to_have_text("8 sessions will be added")
    page.get_by_role("button", name="Add these sessions").click()
    page.wait_for_load_state()
    expect(page.locator(".workspace-table tbody tr")).to_have_count(8)
    assert course.sessions.count() == 8

    # --- edits the course after creation (notes, how long an offer is held) -----------------
    page.get_by_role("link", name="Edit course").click()
    expect(page.get_by_role("link", name="Change capacity")).to_be_visible()
    page.fill("textarea[name=notes_en]", "Bring your phone and charger")
    page.fill("input[name=offer_hold_hours]", "24")
    page.locator("#main form").get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/en/staff/{provider.slug}/courses/{course.pk}/")
    course.refresh_from_db()
    assert course.notes_en == "Bring your phone and charger" and course.offer_hold_hours == 24

    # --- publishes the programme and finds it in the public catalogue ------------------------
    page.get_by_role("link", name="Back to the programme").click()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()
    expect(page.locator(".workspace-status .status")).to_have_text("Published")
    page.get_by_role("link", name="View in the catalogue").click()
    expect(page.locator("h1")).to_have_text(TITLE)
    page.goto(base + "/en/programmes/?q=Smartphone")
    expect(page.locator("#main")).to_contain_text(TITLE)

    # --- residents enrolled online; the editor takes attendance on a tablet ------------------
    born = today.replace(month=1, day=1) - dt.timedelta(days=72 * 365)  # older adults
    residents = [
        ParticipantFactory(given_name=name, family_name=family, district=world["district"], birth_date=born)
        for name, family in (("Somchai", "Jaidee"), ("Malee", "Sukjai"), ("Boonmee", "Rakdee"))
    ]
    for person in residents:
        enrolment_create(participant=person, course=course, actor=person.account)
    first = course.sessions.order_by("starts_at").first()
    tablet = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    tab = tablet.new_page()
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(tab, base, "editor@tkpark.example.org")
    tab.goto(base + f"/en/staff/{provider.slug}/courses/{course.pk}/")
    tab.locator(".workspace-table tbody tr").first.get_by_role("link", name="Attendance").click()
    assert tab.url.endswith(f"/en/staff/run/{provider.slug}/sessions/{first.pk}/register/")
    rows = tab.locator(".running-row")
    expect(rows).to_have_count(3)
    somchai = tab.locator(".running-row", has_text="Somchai Jaidee")
    malee = tab.locator(".running-row", has_text="Malee Sukjai")
    with tab.expect_response(re.compile(r"/register/$")):
        somchai.get_by_role("button", name="Present").tap()
    expect(tab.locator(".running-row.is-present", has_text="Somchai")).to_have_count(1)
    with tab.expect_response(re.compile(r"/register/$")):
        malee.get_by_role("button", name="Absent").tap()
    expect(tab.locator(".running-row.is-absent", has_text="Malee")).to_have_count(1)
    assert tab.url.endswith(f"/sessions/{first.pk}/register/")  # htmx: no page load
    # the tap targets are big enough for a finger and the row fits the tablet's width
    box = somchai.get_by_role("button", name="Present").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 200
    assert tab.evaluate("document.documentElement.scrollWidth") <= 768
    font = somchai.get_by_role("button", name="Present").evaluate("b => getComputedStyle(b).fontFamily")
    assert "Sarabun" in font  # the buttons use the site's Thai typeface, not the system's
    screenshot(tab, "workspace-register-tablet")
    marks = dict(Attendance.objects.filter(session=first).values_list("participant__given_name", "status"))
    assert marks == {"Somchai": "present", "Malee": "absent"}
    tablet.close()

    # --- a walk-in older adult without e-mail is registered and enrolled at the desk ---------
    page.goto(base + f"/en/staff/run/{provider.slug}/desk/")
    desk = page.locator("#main form[method=post]")
    desk.locator("input[name=given_name]").fill("Kanya")
    desk.locator("input[name=family_name]").fill("Srisuk")
    desk.locator("input[name=birth_date]").fill(born.isoformat())
    desk.locator("select[name=residence]").select_option(label="Si Phum")
    desk.locator("input[name=phone]").fill("053 111 222")
    desk.locator("select[name=course]").select_option(value=str(course.pk))
    desk.locator("input[name=consent]").check()
    desk.get_by_role("button", name="Register").click()
    page.wait_for_load_state()
    walk_in = Participant.objects.get(given_name="Kanya")
    assert walk_in.account is None or not walk_in.account.email
    enrolment = Enrolment.objects.get(participant=walk_in, course=course)
    assert enrolment.status == Enrolment.Status.CONFIRMED
    assert page.url.endswith(f"/en/staff/run/{provider.slug}/enrolments/{enrolment.pk}/slip/")
    expect(page.locator("#messages")).to_contain_text("The place is confirmed.")

    # --- the slip: who, what, when, where, whom to call; a print button --------------------
    slip = page.locator(".running-slip")
    expect(slip.locator("h1")).to_have_text("Enrolment slip")
    for text in ("Kanya Srisuk", TITLE, "Confirmed", "IT room", "TK Park"):
        expect(slip).to_contain_text(text)
    expect(slip.locator(".running-slip__sessions li")).to_have_count(8)
    print_button = page.get_by_role("button", name="Print the slip")
    expect(print_button).to_be_visible()  # shown by static/js/print.js
    assert page.evaluate("typeof window.print") == "function"
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    print_button.click()
    assert page.evaluate("window.__printed") == 1
    screenshot(page, "workspace-slip")
    page.emulate_media(media="print")
    expect(print_button).to_be_hidden()
    expect(page.locator(".workspace-nav")).to_be_hidden()
    expect(slip).to_be_visible()
    screenshot(page, "workspace-slip-print")
    assert errors == []
    context.close()
