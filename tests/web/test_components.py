"""templates/components/: pagination, empty state, card."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.utils import translation

from tests.web.conftest import parse

pytestmark = pytest.mark.django_db  # rendering with a request runs the context processors (the city)


def render_pagination(rf, query: str, page: int, **extra) -> str:
    request = rf.get("/en/programmes/?" + query)
    page_obj = Paginator(list(range(95)), 10).page(page)
    with translation.override("en"):
        return render_to_string("components/pagination.html", {"page_obj": page_obj, **extra}, request=request)


def test_pagination_keeps_the_query_string_and_changes_only_page(rf):
    html = render_pagination(rf, "q=ชีวิต&district=500101&district=500102&page=5", 5)
    page = parse(html)
    links = {a.get("rel") or a["href"]: a["href"] for a in page.find("a")}
    nxt = parse_qs(urlsplit(links["next"]).query)
    assert nxt == {"q": ["ชีวิต"], "district": ["500101", "500102"], "page": ["6"]}
    assert parse_qs(urlsplit(links["prev"]).query)["page"] == ["4"]
    assert "Page 5 of 10" in html
    assert page.find("li", aria_current="page")
    assert not any("hx-get" in a for a in page.find("a"))


def test_pagination_first_and_last_pages(rf):
    first = parse(render_pagination(rf, "", 1))
    assert not [a for a in first.find("a") if a.get("rel") == "prev"]
    assert [a["href"] for a in first.find("a") if a.get("rel") == "next"] == ["?page=2"]
    last = parse(render_pagination(rf, "", 10))
    assert not [a for a in last.find("a") if a.get("rel") == "next"]


def test_pagination_with_htmx_target_has_matching_hx_get(rf):
    page = parse(render_pagination(rf, "q=x", 2, hx_target="#results"))
    for a in page.find("a"):
        assert a["hx-get"] == a["href"]
        assert a["hx-target"] == "#results"


def test_pagination_hidden_for_a_single_page(rf):
    request = rf.get("/")
    page_obj = Paginator([1, 2], 10).page(1)
    assert render_to_string("components/pagination.html", {"page_obj": page_obj}, request=request).strip() == ""


def test_pagination_escapes_hostile_parameters(rf):
    html = render_pagination(rf, "q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E", 2)
    assert "<script>" not in html


def test_empty_state_with_and_without_action():
    html = render_to_string("components/empty_state.html", {"title": "Nothing <yet>", "text": "Soon."})
    assert "Nothing &lt;yet&gt;" in html
    assert "<a" not in html
    html = render_to_string(
        "components/empty_state.html",
        {"title": "T", "action_url": "/en/accounts/signup/", "action_label": "Sign up", "heading_level": 3},
    )
    page = parse(html)
    assert page.find("a", href="/en/accounts/signup/")
    assert page.find("h3")


@pytest.mark.parametrize("heading_level", [2, 3])
def test_card(heading_level):
    html = render_to_string(
        "components/card.html",
        {"title": "สวนครัว <b>", "url": "/x/", "meta": "TK Park", "text": "word " * 60, "heading_level": heading_level},
    )
    page = parse(html)
    assert page.find(f"h{heading_level}", **{"class": "card__title"})
    assert "สวนครัว &lt;b&gt;" in html
    assert html.count("word") == 40
