"""The narrow search document (ProgrammeSearch): kept in step with programmes and providers by
the database, whoever writes; the catalogue's two-step ranked pages agree with the one-statement
programme_search."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.utils import timezone

from programmes import search as search_module
from programmes import services
from programmes.models import Programme, ProgrammeSearch, Provider
from programmes.search import DocumentSearch, programme_search
from programmes.selectors import RankedPaginator, catalogue_paginator, programme_list_published
from tests.factories import CityFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def _publish(provider, title_th, title_en="", summary_th=""):
    programme = services.programme_create(
        provider=provider, title_th=title_th, title_en=title_en, summary_th=summary_th
    )
    return services.programme_publish(programme=programme)


def _document(programme) -> ProgrammeSearch:
    return ProgrammeSearch.objects.get(programme=programme)


def _listed(city, q="สวน") -> list[int]:
    paginator = catalogue_paginator(city=city, per_page=20, q=q, language="th")
    return [p.pk for p in paginator.get_page(1).object_list]


def test_a_document_follows_status_titles_and_schedule(provider, city):
    programme = services.programme_create(provider=provider, title_th="สวนผักคนเมือง", title_en="Urban Gardens")
    document = _document(programme)
    assert not document.listed and document.city_id == city.pk
    assert (document.title_th_lower, document.title_en_lower) == ("สวนผักคนเมือง", "urban gardens")
    assert _listed(city) == []

    services.programme_publish(programme=programme)
    assert _document(programme).listed
    assert _listed(city) == [programme.pk]

    services.programme_update(programme=programme, title_en="")
    assert _document(programme).title_en_lower == "สวนผักคนเมือง"  # English readers see the Thai title

    starts = timezone.now() + dt.timedelta(days=3)
    Programme.objects.filter(pk=programme.pk).update(next_start=starts)  # a bulk write: no signals
    assert _document(programme).next_start == starts

    services.programme_archive(programme=programme)
    assert not _document(programme).listed
    assert _listed(city) == []


def test_a_provider_switched_off_takes_its_programmes_out_of_search(provider, city):
    garden = _publish(provider, "สวนครัว")
    other = _publish(ProviderFactory(city=city), "สวนสมุนไพร")
    Provider.objects.filter(pk=provider.pk).update(is_active=False)
    assert not _document(garden).listed and _document(other).listed
    assert _listed(city) == [other.pk]
    Provider.objects.filter(pk=provider.pk).update(is_active=True)
    assert _document(garden).listed
    assert set(_listed(city)) == {garden.pk, other.pk}


def test_a_provider_moved_to_another_city_moves_its_documents(provider, city):
    garden = _publish(provider, "สวนครัว")
    elsewhere = CityFactory(slug="phuket")
    Provider.objects.filter(pk=provider.pk).update(city=elsewhere)
    assert _document(garden).city_id == elsewhere.pk
    assert _listed(city) == [] and _listed(elsewhere) == [garden.pk]


def test_the_listing_is_one_database_function_for_every_writer(provider, city):
    """A row written with the triggers off (a bulk load) gets its document from the same function
    the generator and programme_search_refresh use."""
    garden = _publish(provider, "สวนครัว", "Kitchen garden")
    ProgrammeSearch.objects.filter(programme=garden).delete()
    services.programme_search_refresh(programme_ids=[garden.pk])
    document = _document(garden)
    assert document.listed and document.city_id == city.pk and "kitchen garden" in document.search_text
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text FROM programmes_programmesearch WHERE programme_id = %s", [garden.pk]
        )
        vector = cursor.fetchone()[0]
    assert re.search(r"'kitchen':\d+A\b", vector), vector  # a title word, weighted A
    # Stored uncompressed: a match costs no decompression.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'programmes_programmesearch'::regclass"
            " AND attstorage = 'e' ORDER BY attname"
        )
        assert [row[0] for row in cursor.fetchall()] == [
            "search_text",
            "search_vector",
            "title_en_lower",
            "title_th_lower",
        ]


def test_deleting_a_programme_deletes_its_document(provider):
    garden = _publish(provider, "สวนครัว")
    garden.courses.all().delete()
    garden.delete()
    assert not ProgrammeSearch.objects.filter(pk=garden.pk).exists()


@pytest.fixture
def gardens(provider):
    """30 programmes that match สวน: titles, summaries only, in Thai and English; their English
    titles match "garden" more or less closely (so the full rank reorders the quick one)."""
    made = []
    now = timezone.now()
    english = ["Garden", "Gardening", "Garden garden garden", "Community gardens", "Gardeners' club"]
    for i in range(30):
        if i % 3 == 0:
            programme = _publish(provider, f"สวนครัว {i:02d}", f"{english[(i // 3) % 5]} {i:02d}")
        elif i % 3 == 1:
            programme = _publish(provider, f"งานฝีมือ {i:02d}", f"Craft {i:02d}", summary_th="ทำในสวน")
        else:
            programme = _publish(provider, f"ปลูกสวนผัก สวนป่า {i:02d}", "")
        Programme.objects.filter(pk=programme.pk).update(next_start=now + dt.timedelta(days=(i * 7) % 11))
        made.append(programme)
    return made


@pytest.mark.parametrize("depth", [3, 7, 100])
@pytest.mark.parametrize(("q", "language"), [("สวน", "th"), ("garden", "en"), ("craft", "th"), ("gardn", "en")])
def test_ranked_pages_agree_with_programme_search(gardens, monkeypatch, depth, q, language):
    monkeypatch.setattr(search_module, "RERANK_DEPTH", depth)
    expected = [p.pk for p in programme_search(programme_list_published(), q, language)]
    assert expected, q
    search = DocumentSearch(ProgrammeSearch.objects.filter(listed=True), q, language)
    pages = []
    matches = set()
    for offset in range(0, len(expected) + 8, 4):
        ids, count = search.page(offset=offset, limit=4)
        pages += ids
        if ids:
            matches.add(count)
    assert pages == expected
    assert matches == {len(expected)}


def test_ranked_paginator_counts_from_the_page_and_caps(gardens, city, django_assert_num_queries):
    rows = programme_list_published(city=city)
    documents = ProgrammeSearch.objects.filter(listed=True, city=city)
    paginator = RankedPaginator(DocumentSearch(documents, "สวน"), rows, 4)
    # The page's ids with the count, their full rank and the cards' rows.
    with django_assert_num_queries(3):
        page = paginator.get_page(2)
    assert paginator.count == 30 and not paginator.capped and paginator.num_pages == 8
    assert len(page.object_list) == 4 and page.number == 2
    # Past the end: the count alone, then the last page.
    paginator = RankedPaginator(DocumentSearch(documents, "สวน"), rows, 4)
    assert paginator.get_page(99).number == 8
    assert len(paginator.get_page(8).object_list) == 2
    # Nothing found: no page fetched past the first.
    paginator = RankedPaginator(DocumentSearch(documents, "ไม่มีคำนี้"), rows, 4)
    assert paginator.get_page(1).object_list == [] and paginator.count == 0
    # Capped like CappedPaginator: "more than 10".
    paginator = RankedPaginator(DocumentSearch(documents, "สวน"), rows, 4, cap=10)
    page = paginator.get_page(1)
    assert paginator.capped and paginator.count == 10 and paginator.num_pages == 3
    assert paginator.get_page(3).number == 3 and len(paginator.get_page(3).object_list) == 2


def test_an_unlisted_or_other_city_programme_is_never_on_a_page(gardens, provider, city):
    services.programme_archive(programme=gardens[0])
    elsewhere = _publish(ProviderFactory(city=CityFactory(slug="yala")), "สวนยาง")
    paginator = catalogue_paginator(city=city, per_page=50, q="สวน", language="th")
    shown = {p.pk for p in paginator.get_page(1).object_list}
    assert len(shown) == paginator.count == 29
    assert gardens[0].pk not in shown and elsewhere.pk not in shown
