"""A search whose words match nothing shows the programmes of similar words (the misspelling
lexicon) and says so, naming only words that the page's cards show."""

import re

import pytest

from programmes import services

pytestmark = pytest.mark.django_db
URL = "/programmes/"


def notice(response) -> str:
    """The text of the results' info notice, or ""."""
    html = response.content.decode()
    match = re.search(r'<li class="message">(.*?)</li>', html, re.S)
    return " ".join(match.group(1).split()) if match else ""


def test_a_misspelling_is_answered_with_the_word_found(client, catalogue):
    response = client.get("/en" + URL, {"q": "englsh"})
    assert "English for work" in response.content.decode()
    assert notice(response) == "No programme has “englsh”. Showing programmes with similar words: english."


def test_in_thai_the_notice_is_thai_and_names_no_word_the_thai_cards_do_not_show(client, catalogue):
    response = client.get(URL, {"q": "englsh"})
    assert "english-for-work" in response.content.decode()
    # The Thai card shows the Thai title: "english" is not on the page.
    assert notice(response) == "ไม่พบหลักสูตรที่มีคำว่า “englsh” จึงแสดงหลักสูตรที่มีคำใกล้เคียง"


def test_words_that_match_give_no_notice(client, catalogue):
    assert notice(client.get("/en" + URL, {"q": "english"})) == ""
    assert notice(client.get("/en" + URL, {"q": "zzzqqqxx"})) == ""  # nothing found: the empty state instead


def test_a_word_of_an_unpublished_programme_is_never_named(client, catalogue):
    provider = catalogue.providers["library"]
    services.programme_create(provider=provider, title_th="งานช่างภาพ", title_en="Photograph archive")  # a draft
    published = services.programme_create(provider=provider, title_th="ถ่ายภาพ", title_en="Photography walks")
    services.programme_publish(programme=published)
    response = client.get("/en" + URL, {"q": "photograpy"})
    text = notice(response)
    assert "Photography walks" in response.content.decode() and "Photograph archive" not in response.content.decode()
    assert text.startswith("No programme has “photograpy”. Showing programmes with similar words: ")
    assert "photography" in text and "photograph," not in text and not text.endswith("photograph.")


def test_the_query_in_the_notice_is_escaped_and_cut(client, catalogue):
    response = client.get("/en" + URL, {"q": "<b>englsh</b>"})
    html = response.content.decode()
    assert "&lt;b&gt;englsh&lt;/b&gt;" in html and "<b>englsh" not in html
    long = "englsh" + " for" * 30  # 126 characters, every word found
    text = notice(client.get("/en" + URL, {"q": long}))
    assert f"“{long[:60]}”" in text


@pytest.mark.parametrize("sort", ["soonest", "newest", "nearest"])
def test_a_corrected_search_in_another_order_says_so_too(client, catalogue, sort):
    response = client.get("/en" + URL, {"q": "englsh", "sort": sort})
    assert "English for work" in response.content.decode()
    assert notice(response) == "No programme has “englsh”. Showing programmes with similar words: english."


def test_another_order_finds_the_same_programmes_as_relevance(client, catalogue):
    def slugs(params):
        html = client.get("/en" + URL, params).content.decode()
        return set(re.findall(r'href="/en/programmes/([a-z0-9-]+)/"', html))

    for q in ("englsh", "english", "คอมพิวเตอร์", "zzzqqqxx"):
        assert slugs({"q": q, "sort": "newest"}) == slugs({"q": q})
