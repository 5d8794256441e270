"""The city dashboards in Chromium, in English: a city administrator opens the dashboard,
filters to older adults (60+) in one area, sees the table and the chart change (htmx swaps the
results), downloads the CSV, then opens the equity view and the GNLC report.

The data are raw enrolments and attendance (tests/factories.py) turned into the summary
tables by learningcity.dashboards.services.aggregates_rebuild: the journey runs on the real
aggregation."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from learningcity.accounts.roles import city_admin_group
from learningcity.city.models import Population
from learningcity.city.selectors import city_current_forget
from learningcity.dashboards.services import aggregates_rebuild
from participants.models import Attendance, Enrolment
from tests.factories import (
    CategoryFactory,
    CityFactory,
    CourseFactory,
    DistrictFactory,
    ParticipantFactory,
    ProgrammeFactory,
    ProviderFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-Dashboard-pass-2569"


def _born(age: int) -> dt.date:
    today = timezone.localdate()
    return dt.date(today.year - age - 1, 1, 1)


@pytest.fixture
def world():
    from allauth.account.models import EmailAddress

    from participants.selectors import privacy_notice_first_ensure

    privacy_notice_first_ensure()
    city = CityFactory(slug=settings.CITY_SLUG, name_th="เชียงใหม่", name_en="Chiang Mai", population_year=2025)
    city_current_forget()
    si_phum = DistrictFactory(city=city, code="500101", name_th="ศรีภูมิ", name_en="Si Phum")
    phra_sing = DistrictFactory(city=city, code="500102", name_th="พระสิงห์", name_en="Phra Sing")
    for district in (si_phum, phra_sing):
        for sex in ("female", "male"):
            Population.objects.bulk_create(
                Population(district=district, year=2025, sex=sex, age_from=a, age_to=b, count=n)
                for a, b, n in ((0, 14, 300), (15, 59, 900), (60, None, 200))
            )
    provider = ProviderFactory(city=city, slug="elderly-school", name_th="โรงเรียนผู้สูงอายุ", name_en="Elderly school")
    category = CategoryFactory(name_th="ดิจิทัล", name_en="Digital skills", building_blocks=[4])
    programme = ProgrammeFactory(provider=provider, categories=[category])
    today = timezone.localdate()
    course = CourseFactory(
        programme=programme,
        venue__city=city,
        starts_on=today - dt.timedelta(days=20),
        ends_on=today - dt.timedelta(days=10),
        capacity=40,
    )
    session = SessionFactory(course=course, starts_at=timezone.now() - dt.timedelta(days=15))
    # Si Phum: 6 older women and 8 adults; Phra Sing: 9 adults.
    people = [(si_phum, 70, "female")] * 6 + [(si_phum, 30, "male")] * 8 + [(phra_sing, 35, "female")] * 9
    for district, age, sex in people:
        participant = ParticipantFactory(district=district, birth_date=_born(age), sex=sex)
        enrolment = Enrolment.objects.create(
            participant=participant,
            course=course,
            status="confirmed",
            created_at=timezone.now() - dt.timedelta(days=25),
            confirmed_at=timezone.now() - dt.timedelta(days=25),
        )
        Attendance.objects.create(
            session=session, participant=participant, enrolment=enrolment, status="present", marked_at=timezone.now()
        )
    aggregates_rebuild()
    admin = UserFactory(email="admin@city.example.org", password=PASSWORD)
    EmailAddress.objects.create(user=admin, email=admin.email, verified=True, primary=True)
    admin.groups.add(city_admin_group())
    return {"city": city, "si_phum": si_phum}


def _sign_in(page, base, email):
    page.goto(base + "/en/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("#main form button[type=submit]").click()
    page.wait_for_load_state()


def test_city_admin_filters_downloads_and_opens_equity_and_gnlc(live_server, browser, world, screenshot):
    base = live_server.url
    context = browser.new_context(accept_downloads=True, viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    _sign_in(page, base, "admin@city.example.org")

    page.goto(base + "/en/dashboards/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Learning dashboard")
    expect(page.locator("#figure-learners")).to_have_text("23")
    band_table = page.locator("#data-band")
    expect(band_table.locator("tbody tr").nth(4).locator("td").first).to_have_text("6")
    expect(page.locator("#data-district caption")).to_be_visible()
    chart_desc = page.locator("#chart-time-desc")
    expect(chart_desc).to_have_count(1)
    adults_cell = page.locator("#data-band tbody tr").nth(3).locator("td").first
    expect(adults_cell).to_have_text("17")
    screenshot(page, "dashboard-overview")

    # Older adults in Si Phum: htmx swaps the results without a page load.
    page.select_option("#id_district", str(world["si_phum"].pk))
    page.select_option("#id_band", "60+")
    expect(page).to_have_url(re.compile(r"band=60"))
    expect(page.locator("#figure-learners")).to_have_text("6")
    expect(page.locator("#data-district tbody tr")).to_have_count(1)
    expect(page.locator("#data-district tbody tr th")).to_have_text("Si Phum")
    expect(page.locator("#data-band tbody tr")).to_have_count(1)
    expect(page.locator("#h-band ~ .dash-pair svg title")).to_contain_text("By age band")
    expect(page.locator("#h-band ~ .dash-pair svg text").first).to_have_text("Older adults (60+)")
    screenshot(page, "dashboard-older-adults")

    with page.expect_download() as download_info:
        page.locator("#table-district .dash-downloads a").first.click()
    download = download_info.value
    text = open(download.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    assert "Si Phum" in text and "Phra Sing" not in text

    page.get_by_role("link", name="Equity").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Equity")
    expect(page.locator("#data-equity")).to_be_visible()
    expect(page.locator("#table-equity")).to_contain_text("Population year: 2025")
    page.get_by_role("link", name="GNLC report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("GNLC progress report")
    expect(page.locator("#data-gnlc tbody tr").nth(3).locator("td").nth(2)).to_have_text("23")
    screenshot(page, "dashboard-gnlc")
    assert not errors, errors
    context.close()
