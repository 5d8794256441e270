"""Catalogue search in Thai and English: sub-words, misspellings, ranking, hostile input."""

import pytest

from programmes import services
from programmes.models import Programme
from programmes.search import normalise_query, programme_search
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(provider):
    cooking = CategoryFactory(name_th="อาหารและสุขภาพ", name_en="Food and health")

    def make(title_th, title_en="", description_th="", description_en="", categories=()):
        programme = services.programme_create(
            provider=provider,
            title_th=title_th,
            title_en=title_en,
            description_th=description_th,
            description_en=description_en,
            categories=categories,
        )
        return services.programme_publish(programme=programme)

    return {
        "garden": make(
            "การปลูกผักสวนครัวสำหรับครอบครัว",
            "Home vegetable gardening for families",
            "<p>เรียนรู้การเพาะเมล็ดและทำปุ๋ยหมัก</p>",
        ),
        "elderly": make(
            "สมาร์ตโฟนสำหรับผู้สูงอายุและผู้ดูแล",
            "Smartphones for older adults and carers",
            "<p>ใช้ไลน์ วิดีโอคอล และระวังข่าวปลอม</p>",
        ),
        "english": make("ภาษาอังกฤษเพื่อการท่องเที่ยว", "English for tourism"),
        "photo": make("การถ่ายภาพด้วยมือถือ", "Smartphone photography"),
        "cooking": make(
            "อาหารพื้นเมืองล้านนา",
            "Northern Thai cooking",
            "<p>แกงฮังเล น้ำพริกหนุ่ม</p>",
            categories=[cooking],
        ),
        # "ถ่ายภาพ" only in the description
        "museum": make(
            "เที่ยวพิพิธภัณฑ์กับลูก",
            "Museum visits with children",
            "<p>กิจกรรมถ่ายภาพและวาดรูปในพิพิธภัณฑ์</p>",
            "<p>Drawing and photography activities in the museum</p>",
        ),
    }


def search(q, language="th"):
    return list(programme_search(Programme.objects.all(), q, language))


def test_thai_subword_inside_a_compound_is_found(catalogue):
    # pythainlp keeps สวนครัว as one word; the trigram substring finds สวน inside it.
    assert catalogue["garden"] in search("สวน")
    assert catalogue["garden"] in search("ผักสวน")
    assert catalogue["english"] not in search("สวน")


def test_thai_word_inside_a_longer_title_is_found(catalogue):
    results = search("ผู้สูงอายุ")
    assert results[0] == catalogue["elderly"]
    assert catalogue["garden"] not in results


def test_thai_multiword_query_matches_all_words(catalogue):
    assert search("ปลูกผักครอบครัว") == [catalogue["garden"]]
    assert search("ปลูก ผัก") == [catalogue["garden"]]


def test_thai_word_in_description_only_is_found(catalogue):
    assert catalogue["elderly"] in search("ข่าวปลอม")
    assert catalogue["cooking"] in search("ฮังเล")


def test_category_and_provider_names_are_searched(catalogue):
    assert catalogue["cooking"] in search("สุขภาพ")
    assert len(search("public library")) == len(catalogue)


def test_english_query_finds_english_title(catalogue):
    assert search("tourism") == [catalogue["english"]]
    assert search("Vegetable Gardening") == [catalogue["garden"]]


@pytest.mark.parametrize("typo", ["fotografy", "phtography", "photgraphy"])
def test_misspelt_english_word_still_finds(catalogue, typo):
    assert catalogue["photo"] in search(typo, "en")


def test_title_match_ranks_above_description_match(catalogue):
    results = search("ถ่ายภาพ")
    assert results[:2] == [catalogue["photo"], catalogue["museum"]]
    assert results[0].rank > results[1].rank
    results = search("photography", "en")
    assert results[:2] == [catalogue["photo"], catalogue["museum"]]


def test_provider_rename_refreshes_search(catalogue, provider):
    assert search("ห้องสมุดกลาง") == []
    services.provider_update(provider=provider, name_th="ห้องสมุดกลาง")
    assert len(search("ห้องสมุดกลาง")) == len(catalogue)


def test_category_rename_refreshes_search(catalogue):
    category = catalogue["cooking"].categories.get()
    services.category_update(category=category, name_en="Lanna cuisine")
    assert search("cuisine") == [catalogue["cooking"]]


def test_programme_update_refreshes_search(catalogue):
    services.programme_update(programme=catalogue["english"], title_en="English for guides")
    assert search("guides") == [catalogue["english"]]
    assert search("tourism") == []


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "\t\n",
        "'; DROP TABLE programmes_programme; --",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "<b>ถ่ายภาพ</b>",
        "a & b | !c <-> d:*",
        "100% _off_",
        "\\",
        "😀",
        "🧑‍🌾 ปลูกผัก 🌱",
        "x" * 2000,
        "ผัก " * 700,
        "\x00null\x00byte",
        "\u200bสวน\u200b",
    ],
)
def test_hostile_queries_return_normally(catalogue, q):
    results = search(q)
    assert isinstance(results, list)
    if not q.strip():
        assert len(results) == len(catalogue)


def test_special_characters_are_not_wildcards(catalogue):
    assert search("%") == []
    assert search("_") == []


def test_zero_width_space_in_query_is_ignored(catalogue):
    assert catalogue["garden"] in search("\u200bสวน\u200b")


def test_query_is_normalised():
    assert normalise_query("  Hello\x00\u200b   World  ") == "hello world"
    assert len(normalise_query("ก" * 5000)) == 200
    assert normalise_query(None) == ""


def test_drafts_are_searchable_but_catalogue_selector_hides_them(catalogue, provider):
    from programmes.selectors import programme_filter, programme_list_published

    draft = services.programme_create(provider=provider, title_th="ร่างหลักสูตรสวนครัว")
    assert draft in search("สวน")
    assert draft not in list(programme_filter(programme_list_published(), q="สวน"))
