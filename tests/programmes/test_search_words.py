"""The misspelling lexicon (SearchWord): which words it keeps, how it follows the documents, and
that a misspelt query is corrected through it, in one statement, without scanning documents."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programmes import services
from programmes.models import Programme, SearchWord
from programmes.search import DocumentSearch, programme_search
from programmes.tasks import search_words_rebuild_all

pytestmark = pytest.mark.django_db


def _publish(provider, **fields):
    return services.programme_publish(programme=services.programme_create(provider=provider, **fields))


def _words() -> set[str]:
    return set(SearchWord.objects.values_list("word", flat=True))


def _search(q, language="en") -> list[Programme]:
    return list(programme_search(Programme.objects.all(), q, language))


@pytest.fixture
def coding(provider):
    return _publish(
        provider,
        title_th="เขียนโปรแกรมสำหรับเยาวชน",
        title_en="Programming for teenagers",
        summary_en="Python games 3D",
        description_en="<p>Bring a laptop and curiosity</p>",
    )


def test_titles_summaries_and_names_give_latin_words_only(coding):
    words = _words()
    assert {"programming", "teenagers", "python", "games", "public", "library"} <= words  # title, summary, provider
    assert "laptop" not in words and "curiosity" not in words  # the description is not in the lexicon
    assert "3d" not in words  # a word must start with a letter
    assert not any("\u0e00" <= ch <= "\u0e7f" for word in words for ch in word)  # no Thai


def test_misspelt_word_is_corrected_through_the_lexicon(coding, provider):
    other = _publish(provider, title_th="ทำอาหาร", title_en="Cooking at home")
    assert _search("programing") == [coding]
    assert _search("pythn teenagrs") == [coding]  # every word corrected, all must match
    assert _search("cookng") == [other]
    assert _search("programing cookng") == []  # no document has both
    assert _search("zzzzqqqq") == []


def test_a_description_only_word_is_found_exactly_but_not_corrected(coding):
    assert _search("laptop") == [coding]
    assert _search("laptpo") == []


def test_correction_is_one_statement_and_none_runs_when_the_words_match(coding, city):
    documents = coding.search_document.__class__.objects.filter(listed=True)
    with CaptureQueriesContext(connection) as queries:
        search = DocumentSearch(documents, "programing")
    assert len(queries) == 1 and "programmes_searchword" in queries[0]["sql"]
    assert search.page(offset=0, limit=20) == ([coding.pk], 1)
    with CaptureQueriesContext(connection) as queries:
        DocumentSearch(documents, "programming")
    assert len(queries) == 1  # the same decision statement; it reads the lexicon only when nothing matched


def test_new_words_are_added_as_documents_are_written_and_the_rebuild_drops_gone_ones(coding):
    assert "robotics" not in _words()
    services.programme_update(programme=coding, title_en="Robotics for teenagers")
    assert "robotics" in _words()
    assert _search("robotcs") == [coding]
    assert "programming" in _words()  # still there: words are only added as documents change
    assert _search("programing") == []  # corrected to a word that no document has any more: nothing

    assert search_words_rebuild_all.delay().get() == len(_words())
    assert "programming" not in _words() and "robotics" in _words()


@pytest.mark.parametrize(
    ("q", "finds_coding"),
    [
        ("'; DROP TABLE programmes_searchword; --", False),
        ("progr%ming", True),  # % and _ are plain characters of a misspelt word, not wildcards
        ("prog_aming", True),
        ("<b>programing</b>", True),  # the markup is punctuation to the segmenter
        ("programing " * 100, False),  # cut to 200 characters: its last word is "pr", in no document
        ("programing\x00\u200b", True),
    ],
)
def test_hostile_misspellings_are_plain_words(coding, provider, q, finds_coding):
    other = _publish(provider, title_th="ทำอาหาร", title_en="Cooking at home")
    results = _search(q)
    assert results == ([coding] if finds_coding else [])
    assert other not in results
    assert SearchWord.objects.filter(word="programming").exists()
