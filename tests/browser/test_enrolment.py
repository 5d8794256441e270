"""Enrolment journeys in Chromium: a parent signs up, confirms the e-mail, adds a child,
enrols the child (htmx swaps the enrol block in place), sees the place in My learning and
cancels it; a second parent, second in line on a full course, is offered the freed place
and accepts it in one click.

The public programme page does not carry the enrol block yet (the lead wires the include);
these journeys use the course's own enrol page, /courses/<id>/enrol/, which includes the
same partial."""

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import (
    CityFactory,
    CourseFactory,
    DependantFactory,
    DistrictFactory,
    ParticipantFactory,
    ProgrammeFactory,
    ProviderFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-Learning-pass-2569"


@pytest.fixture
def world():
    from learningcity.city.selectors import city_current_forget
    from participants.selectors import privacy_notice_first_ensure

    privacy_notice_first_ensure()
    city = CityFactory(slug=settings.CITY_SLUG, name_th="เชียงใหม่", name_en="Chiang Mai")
    city_current_forget()
    district = DistrictFactory(city=city, code="500101", name_th="ศรีภูมิ", name_en="Si Phum")
    provider = ProviderFactory(city=city, name_th="ห้องสมุดประชาชน", name_en="Public Library")
    programme = ProgrammeFactory(
        provider=provider, age_min=5, age_max=12, title_th="โค้ดดิ้งสำหรับเด็ก", title_en="Coding for children"
    )
    now = timezone.now()
    course = CourseFactory(
        programme=programme,
        venue__city=city,
        capacity=1,
        confirmation_mode="offer",
        starts_on=timezone.localdate() + dt.timedelta(days=7),
        enrolment_opens_at=now - dt.timedelta(days=1),
        enrolment_closes_at=now + dt.timedelta(days=6),
        cancellation_deadline=now + dt.timedelta(days=5),
    )
    SessionFactory(course=course)
    return {"district": district, "course": course}


def _sign_in(page, base, email):
    page.goto(base + "/en/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("#main form button[type=submit]").click()
    page.wait_for_load_state()


def test_parent_enrols_a_child_then_a_second_parent_accepts_the_freed_place(live_server, browser, world, screenshot):
    base = live_server.url
    course = world["course"]
    seven = timezone.localdate().replace(day=1) - dt.timedelta(days=7 * 365)

    # --- Parent one signs up and confirms the e-mail address -------------------------------
    one = browser.new_context()
    page = one.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base + "/en/accounts/signup/")
    page.fill("input[name=email]", "parent.one@example.org")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("#main form button[type=submit]").click()
    page.wait_for_load_state()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()

    # --- adds a child (the guardian's consent is part of the form) --------------------------
    page.goto(base + "/en/me/dependants/add/")
    page.fill("input[name=given_name]", "Dao")
    page.fill("input[name=family_name]", "Jaidee")
    page.fill("input[name=birth_date]", seven.isoformat())
    page.select_option("select[name=residence]", label="Si Phum")
    save = page.locator("#main form").get_by_role("button", name="Save")
    save.click()  # without the consent: refused, nothing saved
    expect(page.locator(".field-error")).to_contain_text("you must consent for a person under 20")
    page.check("input[name=guardian_consent]")
    save.click()
    expect(page.locator("#messages")).to_contain_text("Dao Jaidee has been added.")

    # --- enrols the child: htmx swaps the block in place -------------------------------------
    page.goto(base + f"/en/courses/{course.pk}/enrol/")
    block = page.locator(f"#enrol-{course.pk}")
    block.locator("select[name=participant]").select_option(label="Dao Jaidee")
    with page.expect_response(re.compile(r"/enrol/$")):
        block.get_by_role("button", name="Enrol").click()
    expect(page.locator(f"#enrol-{course.pk}")).to_contain_text("Dao is enrolled.")
    assert page.url.endswith(f"/en/courses/{course.pk}/enrol/")  # no page load
    screenshot(page, "enrol-child-enrolled")

    # --- a second parent joins the waiting list ----------------------------------------------
    user = UserFactory(email="parent.two@example.org", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    ParticipantFactory(account=user, district=world["district"], given_name="Malee")
    DependantFactory(account=user, district=world["district"], given_name="Fah", family_name="Sukjai", birth_date=seven)
    two = browser.new_context()
    page_two = two.new_page()
    page_two.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page_two, base, user.email)
    page_two.goto(base + f"/en/courses/{course.pk}/enrol/")
    block_two = page_two.locator(f"#enrol-{course.pk}")
    block_two.locator("select[name=participant]").select_option(label="Fah Sukjai")
    block_two.get_by_role("button", name="Join the waiting list").click()
    expect(page_two.locator(f"#enrol-{course.pk}")).to_contain_text("Fah is number 1 on the waiting list.")

    # --- parent one sees the place in My learning and cancels it -----------------------------
    page.goto(base + "/en/me/learning/")
    expect(page.locator("h1")).to_have_text("My learning")
    expect(page.locator("body")).to_contain_text("Coding for children")
    expect(page.locator(".sessions")).to_contain_text("Dao")
    page.locator(f"#enrol-{course.pk}").get_by_role("button", name="Cancel place").click()
    expect(page.locator(f"#enrol-{course.pk}")).to_contain_text("The place has been cancelled.")
    screenshot(page, "enrol-cancelled")

    # --- parent two is offered the place and accepts it in one click ------------------------
    page_two.goto(base + "/en/me/learning/")
    expect(page_two.locator("body")).to_contain_text("A place is offered to Fah: accept by")
    page_two.locator(f"#enrol-{course.pk}").get_by_role("button", name="Accept the place").click()
    expect(page_two.locator(f"#enrol-{course.pk}")).to_contain_text("Offer accepted: the place is confirmed.")
    expect(page_two.locator(f"#enrol-{course.pk}")).to_contain_text("Fah is enrolled.")
    page_two.reload()
    expect(page_two.locator(".sessions")).to_contain_text("Fah")
    assert errors == []
    one.close()
    two.close()


def test_enrolment_works_without_javascript(live_server, browser, world):
    """The same forms post and redirect back with a message (POST-redirect-GET)."""
    base = live_server.url
    course = world["course"]
    user = UserFactory(email="nojs@example.org", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    seven = timezone.localdate().replace(day=1) - dt.timedelta(days=7 * 365)
    DependantFactory(account=user, district=world["district"], given_name="Ton", family_name="Dee", birth_date=seven)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, base, user.email)
    page.goto(base + f"/courses/{course.pk}/enrol/")  # in Thai
    page.locator("select[name=participant]").select_option(label="Ton Dee")
    page.locator(f"#enrol-{course.pk} button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/courses/{course.pk}/enrol/")
    expect(page.locator("#messages")).not_to_be_empty()
    expect(page.locator(f"#enrol-{course.pk}")).to_contain_text("Ton")
    context.close()
