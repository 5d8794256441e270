"""The site-wide layout (templates/base.html) through the home page, in Thai and English."""

import re
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.template.loader import render_to_string
from django.utils import timezone, translation

from tests.factories import CityFactory, UserFactory
from tests.web.conftest import parse

pytestmark = pytest.mark.django_db

FOCUSABLE = {"a", "button", "input", "select", "textarea", "summary"}


@pytest.mark.parametrize(("url", "lang"), [("/", "th"), ("/en/", "en")])
def test_home_renders_with_html_lang_of_the_page(client, url, lang):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == lang
    page = parse(response)
    assert page.find("html")[0]["lang"] == lang


def test_language_switch_links_point_to_the_same_page_in_each_language(client):
    page = parse(client.get("/en/"))
    thai = page.find("a", hreflang="th")[0]
    english = page.find("a", hreflang="en")[0]
    assert thai["href"] == "/"
    assert thai["lang"] == "th"
    assert english["href"] == "/en/"
    assert english["lang"] == "en"
    assert english.get("aria-current") == "true"
    assert "aria-current" not in thai


def test_language_switch_keeps_the_query_string(client):
    query = "q=" + quote("การเรียนรู้ตลอดชีวิต 🎓") + "&page=2"
    page = parse(client.get("/?" + query))
    assert page.find("a", hreflang="en")[0]["href"] == "/en/?" + query
    assert page.find("a", hreflang="th")[0]["href"] == "/?" + query
    assert page.find("a", hreflang="th")[0].get("aria-current") == "true"
    # The alternates in <head> are absolute and carry it too.
    alternates = {a["hreflang"]: a["href"] for a in page.find("link", rel="alternate")}
    assert alternates["en"] == settings.SITE_URL + "/en/?" + query
    assert alternates["x-default"] == settings.SITE_URL + "/?" + query


@pytest.mark.parametrize(
    "query",
    [
        '"><script>alert(1)</script>',
        "x' OR 1=1; DROP TABLE city_city; --",
        "q=" + "ก" * 5000,
        "%ff%fe%00",
        "",
    ],
)
def test_hostile_query_strings_are_escaped_not_errors(client, query):
    response = client.get("/en/?" + query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    page = parse(response)
    assert not page.script_text


def test_skip_link_is_the_first_focusable_element_and_targets_main(client):
    page = parse(client.get("/"))
    focusable = [(tag, attrs) for tag, attrs in page.tags if tag in FOCUSABLE and (tag != "a" or "href" in attrs)]
    tag, attrs = focusable[0]
    assert tag == "a"
    assert attrs["href"] == "#main"
    assert "skip-link" in attrs["class"]
    assert page.find("main", id="main")


@pytest.mark.parametrize(("url", "locale", "alternate"), [("/", "th_TH", "en_US"), ("/en/", "en_US", "th_TH")])
def test_opengraph_and_twitter_tags_are_present_with_absolute_urls(client, url, locale, alternate):
    page = parse(client.get(url))
    assert page.meta("og:url") == settings.SITE_URL + url
    assert page.meta("og:image") == settings.SITE_URL + "/static/img/share.png"
    assert page.meta("og:image:width") == "1200"
    assert page.meta("og:image:height") == "630"
    assert page.meta("og:title")
    assert page.meta("og:description")
    assert page.meta("og:locale") == locale
    assert page.meta("og:locale:alternate") == alternate
    assert page.meta("twitter:card") == "summary_large_image"
    assert page.meta("description")
    assert page.find("meta", name="viewport")
    assert page.find("link", rel="canonical")[0]["href"] == settings.SITE_URL + url
    for key in ("og:url", "og:image"):
        assert re.match(r"^https?://", page.meta(key))


def test_share_image_and_icons_are_served(client):
    for path in ("img/share.png", "img/favicon.svg", "img/favicon-32.png", "img/apple-touch-icon.png", "css/site.css"):
        response = client.get("/static/" + path)
        assert response.status_code == 200, path
        b"".join(response.streaming_content)


@pytest.mark.parametrize("url", ["/", "/en/", "/no-such-page/", "/en/no-such-page/", "/accounts/login/"])
def test_csp_header_and_no_inline_script_or_style(client, url):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    page = parse(response)
    for tag, attrs in page.tags:
        assert "style" not in attrs, f"style= attribute on <{tag}>"
        assert not any(name.startswith("hx-on") for name in attrs), f"hx-on on <{tag}> needs eval"
        assert not any(name.startswith("on") for name in attrs), f"inline handler on <{tag}>"
    scripts = page.find("script")
    assert scripts, "htmx is loaded"
    assert all(s.get("src", "").startswith("/static/") for s in scripts)
    assert not page.script_text
    assert not page.find("style")
    assert page.meta("htmx-config") == '{"includeIndicatorStyles": false}'


def test_body_carries_the_csrf_token_for_htmx(client):
    page = parse(client.get("/"))
    body = page.find("body")[0]
    assert re.fullmatch(r'\{"X-CSRFToken": "[A-Za-z0-9]{32,}"\}', body["hx-headers"])


def test_header_shows_the_city_name_in_each_language(client):
    CityFactory(slug=settings.CITY_SLUG, name_th="เทศบาลนครเชียงใหม่", name_en="Chiang Mai City")
    thai = client.get("/").content.decode()
    english = client.get("/en/").content.decode()
    assert '<span class="brand__name">เทศบาลนครเชียงใหม่</span>' in thai
    assert '<h1 id="home-title">เทศบาลนครเชียงใหม่</h1>' in thai
    assert '<span class="brand__name">Chiang Mai City</span>' in english
    assert "<title>Chiang Mai City · Learning City</title>" in english


def test_city_name_is_escaped(client):
    CityFactory(slug=settings.CITY_SLUG, name_th='<img src=x onerror="alert(1)">', name_en="")
    html = client.get("/en/").content.decode()
    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x" in html  # English falls back to the Thai name


def test_home_without_a_city_says_so_honestly(client):
    page = client.get("/en/").content.decode()
    assert "This portal is being set up" in page
    CityFactory(slug=settings.CITY_SLUG)
    page = client.get("/en/").content.decode()
    assert "The catalogue of learning opportunities is being prepared" in page
    assert "This portal is being set up" not in page


def test_home_shows_today_in_the_language_calendar(client):
    today = timezone.localdate()
    thai = client.get("/").content.decode()
    english = client.get("/en/").content.decode()
    assert f'<time datetime="{today:%Y-%m-%d}">' in thai
    assert f"{today.year + 543}</time>" in thai
    assert f"{today.year}</time>" in english


def test_anonymous_header_offers_sign_in_and_sign_up(client):
    page = parse(client.get("/en/"))
    hrefs = {a.get("href") for a in page.find("a")}
    assert "/en/accounts/login/" in hrefs
    assert "/en/accounts/signup/" in hrefs
    assert not page.find("form", action="/en/accounts/logout/")


def test_signed_in_header_shows_email_account_link_and_logout_form(client):
    user = UserFactory(email="somchai@example.org")
    client.force_login(user)
    response = client.get("/en/")
    page = parse(response)
    assert "somchai@example.org" in response.content.decode()
    assert page.find("a", href="/en/accounts/password/change/")
    logout = page.find("form", action="/en/accounts/logout/")
    assert logout and logout[0]["method"] == "post"
    assert page.find("input", name="csrfmiddlewaretoken")
    assert "/en/accounts/login/" not in {a.get("href") for a in page.find("a")}


def test_messages_render_in_an_aria_live_region(rf):
    request = rf.get("/en/")
    request.session = SessionStore()
    request.user = AnonymousUser()
    request._messages = FallbackStorage(request)
    request._messages.add(message_levels.SUCCESS, "Saved <b>safely</b>")
    request._messages.add(message_levels.ERROR, "ผิดพลาด")
    with translation.override("en"):
        html = render_to_string("web/home.html", {"today": timezone.localdate()}, request=request)
    page = parse(html)
    region = page.find("ul", id="messages")[0]
    assert region["role"] == "status"
    assert region["aria-live"] == "polite"
    assert '<li class="message message--success">Saved &lt;b&gt;safely&lt;/b&gt;</li>' in html
    assert '<li class="message message--error">ผิดพลาด</li>' in html


def test_home_query_count_is_bounded(client, django_assert_max_num_queries):
    CityFactory(slug=settings.CITY_SLUG)
    with django_assert_max_num_queries(2):
        client.get("/")
    # The city is cached afterwards: the page needs no query at all for it.
    with django_assert_max_num_queries(0):
        client.get("/en/")


def test_signed_in_home_query_count_is_bounded(client, django_assert_max_num_queries):
    CityFactory(slug=settings.CITY_SLUG)
    client.force_login(UserFactory())
    # session, user, city (then cached), and one for the staff-workspace link in the menu
    with django_assert_max_num_queries(5):
        client.get("/")


def test_account_menu_links_to_the_workspace_only_for_staff_and_city_admins(client):
    from learningcity.accounts.roles import city_admin_group
    from tests.factories import ProviderMembershipFactory

    CityFactory(slug=settings.CITY_SLUG)
    resident, editor, city_admin = UserFactory(), UserFactory(), UserFactory()
    ProviderMembershipFactory(user=editor)
    city_admin.groups.add(city_admin_group())
    for user, expected in ((resident, False), (editor, True), (city_admin, True)):
        client.force_login(user)
        assert ('href="/en/staff/"' in client.get("/en/").content.decode()) is expected, user


def test_home_accepts_only_get(client):
    assert client.post("/").status_code == 405
