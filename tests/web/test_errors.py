"""Error pages in both languages, and a 500 page that renders with the database down."""

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import translation

from learningcity.web import views
from learningcity.web.context_processors import city_or_none, language_url
from tests.factories import CityFactory
from tests.web.conftest import parse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "lang", "title"),
    [
        ("/no-such-page/", "th", "ไม่พบหน้าที่คุณต้องการ"),
        ("/en/no-such-page/", "en", "Page not found"),
        ("/en/ไม่มี/🎓/", "en", "Page not found"),
        ("/en/%3Cscript%3Ealert(1)%3C/script%3E/", "en", "Page not found"),
    ],
)
def test_404_is_translated_with_a_link_home(client, url, lang, title):
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    page = parse(response)
    assert page.find("html")[0]["lang"] == lang
    assert f"<h1>{title}</h1>" in html
    assert page.find("a", href="/" if lang == "th" else "/en/")
    assert "<script>alert(1)" not in html


def test_404_language_switch_swaps_the_prefix(client):
    page = parse(client.get("/en/no-such-page/?a=1"))
    assert page.find("a", hreflang="th")[0]["href"] == "/no-such-page/?a=1"
    page = parse(client.get("/no-such-page/"))
    assert page.find("a", hreflang="en")[0]["href"] == "/en/no-such-page/"


def test_language_url_for_pages_that_exist_and_do_not():
    assert language_url("/", "en") == "/en/"
    assert language_url("/en/", "th") == "/"
    assert language_url("/en/accounts/login/?next=/x/", "th") == "/accounts/login/?next=/x/"
    assert language_url("/en", "th") == "/"
    assert language_url("/missing", "en") == "/en/missing"
    assert language_url("/english-teachers/", "th") == "/english-teachers/"


@pytest.mark.parametrize(
    ("view", "status", "title_en", "title_th"),
    [
        (views.bad_request, 400, "Bad request", "คำขอไม่ถูกต้อง"),
        (views.permission_denied, 403, "Access denied", "ไม่มีสิทธิ์เข้าถึง"),
        (views.page_not_found, 404, "Page not found", "ไม่พบหน้าที่คุณต้องการ"),
    ],
)
def test_error_views_render_in_both_languages(rf, view, status, title_en, title_th):
    from django.contrib.auth.models import AnonymousUser

    for lang, title in (("en", title_en), ("th", title_th)):
        request = rf.get("/x/")
        request.user = AnonymousUser()
        with translation.override(lang):
            response = view(request, exception=Exception("no"))
        assert response.status_code == status
        assert f"<h1>{title}</h1>" in response.content.decode()


def test_city_is_none_when_the_database_is_unreachable(unreachable_database):
    assert city_or_none() is None
    assert unreachable_database.attempts >= 1  # it really tried, and the refusal was caught


def test_home_renders_when_the_database_is_unreachable(client, unreachable_database):
    response = client.get("/en/")
    assert response.status_code == 200
    assert "This portal is being set up" in response.content.decode()


def test_city_comes_from_the_database_when_it_is_reachable():
    city = CityFactory(slug=settings.CITY_SLUG)
    assert city_or_none() == city


@pytest.mark.parametrize(
    ("lang", "title", "home"), [("th", "เกิดข้อผิดพลาด", "/"), ("en", "Something went wrong", "/en/")]
)
def test_500_renders_when_the_database_is_unreachable(rf, unreachable_database, lang, title, home):
    request = rf.get("/en/broken/?q=1" if lang == "en" else "/broken/?q=1")
    with translation.override(lang):
        response = views.server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    page = parse(html)
    assert page.find("html")[0]["lang"] == lang
    assert f"<h1>{title}</h1>" in html
    assert page.find("a", href=home)
    assert page.find("a", hreflang="th")[0]["href"] == "/broken/?q=1"
    assert page.find("a", hreflang="en")[0]["href"] == "/en/broken/?q=1"
    # Nothing even tried the database (with a pool, a dead server costs a timeout per try).
    assert unreachable_database.attempts == 0


@override_settings(ROOT_URLCONF="tests.web.urls_crash")
@pytest.mark.parametrize(("url", "title"), [("/crash/", "เกิดข้อผิดพลาด"), ("/en/crash/", "Something went wrong")])
def test_500_through_the_whole_stack(url, title):
    client = Client(raise_request_exception=False)
    response = client.get(url)
    assert response.status_code == 500
    assert f"<h1>{title}</h1>" in response.content.decode()
    assert "Content-Security-Policy" in response.headers
