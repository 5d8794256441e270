"""Catalogue search that works for Thai.

PostgreSQL's parser cannot split Thai (no spaces between words), so the documents are
segmented in Python with pythainlp (services.programme_search_refresh) and the query is
segmented the same way. Three index-assisted ways to match, OR-ed (a BitmapOr of GIN scans):

1. words: the weighted `search_vector` (GIN) matches every word of the query
   (`plainto_tsquery('simple', ...)`: the words are passed as a parameter, never spliced
   into SQL; punctuation, quotes and operators in the input are plain text to it);
2. substring: the lower-cased `search_text` contains the query (LIKE '%q%' with `%`/`_`
   escaped; trigram GIN). This finds Thai sub-words the segmenter keeps inside a longer
   word, such as สวน in สวนครัว;
3. misspelling, for Latin-script queries of 4+ characters: pg_trgm word similarity,
   `search_text %> q` (trigram GIN), with the threshold set per connection in settings
   (pg_trgm.word_similarity_threshold = 0.35: "fotografy" scores 0.40 against
   "photography", "englsh" 0.57; the default 0.6 would miss both). Short queries must
   score higher (fuzzy_threshold), rechecked on the index's candidates.

Ranking: ts_rank with weights title (A) 1.0 > summary, provider, category (B) 0.4 >
description (C) 0.2, plus word similarity against titles/summaries/names (which excludes the
description), plus word similarity against the title in the reader's language, plus a bonus
when that title contains the query. So a title match ranks above a description-only match."""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Lower, NullIf

from programmes.services import normalise_text, segment

MAX_QUERY_LENGTH = 200
FUZZY_MIN_LENGTH = 4
# ts_rank weights in PostgreSQL's order {D, C, B, A}.
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]
SIMILARITY_FACTOR = 0.5
TITLE_BONUS = 0.3

_THAI = re.compile(r"[\u0e00-\u0e7f]")
_LATIN = re.compile(r"[a-z]")


def normalise_query(q: str | None) -> str:
    """Lower-case, NFC, control and format characters (NUL, zero-width space) removed,
    whitespace collapsed, at most 200 characters."""
    return normalise_text(q or "")[:MAX_QUERY_LENGTH].strip().lower()


def programme_search(queryset: QuerySet, q: str | None, language: str = "th") -> QuerySet:
    """`queryset` (of Programme) filtered to matches of `q`, annotated with `rank` and
    ordered best first (then soonest next start). An empty query filters nothing
    (rank 0, order unchanged)."""
    query = normalise_query(q)
    if not query:
        return queryset.annotate(rank=Value(0.0, output_field=FloatField()))

    match = Q(search_text__contains=query)
    rank = Value(0.0, output_field=FloatField())

    words = segment(query)
    if words:
        tsquery = SearchQuery(" ".join(words), config="simple", search_type="plain")
        match |= Q(search_vector=tsquery)
        rank = rank + SearchRank(F("search_vector"), tsquery, weights=RANK_WEIGHTS)

    if _LATIN.search(query) and not _THAI.search(query) and len(query) >= FUZZY_MIN_LENGTH:
        # `%>` finds the candidates through the trigram index (threshold 0.35, set per
        # connection); short words must score higher, or "yoga" would match any "ga ".
        match |= Q(search_text__trigram_word_similar=query) & Q(search_similarity__gte=fuzzy_threshold(query))

    if (language or "th").startswith("en"):
        title = Coalesce(NullIf(Lower("title_en"), Value("")), Lower("title_th"))
    else:
        title = Lower("title_th")
    rank = (
        rank
        + SIMILARITY_FACTOR * F("search_similarity")
        + SIMILARITY_FACTOR * TrigramWordSimilarity(Value(query), "search_title_lower")
        + Case(
            When(Q(search_title_lower__contains=query), then=Value(TITLE_BONUS)),
            default=Value(0.0),
            output_field=FloatField(),
        )
    )

    return (
        queryset.alias(search_similarity=TrigramWordSimilarity(Value(query), "search_text"))
        .filter(match)
        .annotate(search_title_lower=title)
        .annotate(rank=rank)
        .order_by("-rank", F("next_start").asc(nulls_last=True), "pk")
    )


def fuzzy_threshold(query: str) -> float:
    """The word similarity a misspelt query needs: the shorter the word, the closer."""
    if len(query) <= 5:
        return 0.6
    if len(query) <= 7:
        return 0.45
    return 0.35
