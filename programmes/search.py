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
3. misspelling, for Latin-script queries of 4+ characters that match nothing by 1 or 2
   (one EXISTS query decides): pg_trgm word similarity, `search_text %> q` (trigram GIN).
   Its threshold, pg_trgm.word_similarity_threshold, is set for each such search to
   fuzzy_threshold(q) (_exists_or_set_fuzzy_threshold; the connection default in settings is 0.35):
   "fotografy" scores 0.40 against "photography", "englsh" 0.57, but a
   short word must score higher, or "yoga" matches a third of the catalogue through "ga ".

The WHERE is a bare OR of these three, so PostgreSQL can answer it with a BitmapOr of the
GIN indexes; any extra condition inside the OR (a similarity recheck) made it scan the table.

Ranking: a quick rank for every match, ts_rank with weights title (A) 1.0 > summary,
provider, category (B) 0.4 > description (C) 0.2, plus a bonus when the title in the
reader's language contains the query; then, for the best RERANK_DEPTH by the quick rank
only (word_similarity costs ~50 µs a row, and a common word matches thousands), word
similarity against titles/summaries/names (which excludes the description) and against the
title. The rest follow in quick-rank order. So a title match ranks above a description-only
match, and a query that matches 4,550 programmes computes 100 similarities, not 9,100.
Use it under a paginator that fetches the page's ids first (selectors.CappedPaginator):
ranking then sorts bare programme rows, not rows with every select_related join."""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When, Window
from django.db.models.functions import Coalesce, Lower, NullIf, RowNumber

from programmes.services import normalise_text, segment

MAX_QUERY_LENGTH = 200
FUZZY_MIN_LENGTH = 4
# ts_rank weights in PostgreSQL's order {D, C, B, A}.
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]
SIMILARITY_FACTOR = 0.5
TITLE_BONUS = 0.3
RERANK_DEPTH = 100  # matches that get the full rank (pages 1-5)
BEYOND_RERANK = 100.0  # puts the others below them (ranks are at most ~3)

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

    # A plain OR of conditions that each have a GIN index, so PostgreSQL answers it with a
    # BitmapOr of index scans (an extra AND-ed recheck in the OR made it scan the table).
    match = Q(search_text__contains=query)
    quick_rank = Value(0.0, output_field=FloatField())

    words = segment(query)
    if words:
        tsquery = SearchQuery(" ".join(words), config="simple", search_type="plain")
        match |= Q(search_vector=tsquery)
        quick_rank = quick_rank + SearchRank(F("search_vector"), tsquery, weights=RANK_WEIGHTS)

    fuzzy = _LATIN.search(query) and not _THAI.search(query) and len(query) >= FUZZY_MIN_LENGTH
    if fuzzy and not _exists_or_set_fuzzy_threshold(queryset.filter(match), fuzzy_threshold(query)):
        # Nothing has the words: look for misspellings. `%>` finds the candidates through the
        # trigram index at the connection's pg_trgm.word_similarity_threshold, set here to
        # this query's threshold: short words must score higher, or "yoga" would match any
        # "ga " (at 0.35, 7,000 of 20,000 programmes, each rechecked at ~40 µs). Only as a
        # fallback: a common word's trigrams are in thousands of documents ("programing"
        # rechecks 9,600 at large scale, 380 ms), and with exact matches they only added
        # near-misses at the end of the list.
        match |= Q(search_text__trigram_word_similar=query)

    if (language or "th").startswith("en"):
        title = Coalesce(NullIf(Lower("title_en"), Value("")), Lower("title_th"))
    else:
        title = Lower("title_th")
    quick_rank = quick_rank + Case(
        When(Q(search_title_lower__contains=query), then=Value(TITLE_BONUS)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    quick_order = [F("search_quick_rank").desc(), F("next_start").asc(nulls_last=True), F("pk").asc()]
    # The word similarities cost ~50 µs a row: only the best RERANK_DEPTH by the quick rank
    # (ts_rank + title bonus) get them; the rest follow, in quick-rank order.
    rank = Case(
        When(
            Q(search_position__lte=RERANK_DEPTH),
            then=F("search_quick_rank")
            + SIMILARITY_FACTOR * TrigramWordSimilarity(Value(query), "search_text")
            + SIMILARITY_FACTOR * TrigramWordSimilarity(Value(query), "search_title_lower"),
        ),
        default=F("search_quick_rank") - Value(BEYOND_RERANK),
        output_field=FloatField(),
    )

    return (
        queryset.filter(match)
        .annotate(search_title_lower=title)
        .annotate(search_quick_rank=quick_rank)
        .annotate(search_position=Window(RowNumber(), order_by=quick_order))
        .annotate(rank=rank)
        .order_by("-rank", F("next_start").asc(nulls_last=True), "pk")
    )


def _exists_or_set_fuzzy_threshold(matches: QuerySet, threshold: float) -> bool:
    """Whether `matches` has a row; when it has none, also set pg_trgm.word_similarity_threshold
    (what `%>` and its index use) on this connection to `threshold` for the fuzzy search about
    to run (every fuzzy search sets its own). One statement for both."""
    sql, params = matches.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT found OR set_config('pg_trgm.word_similarity_threshold', threshold, false) IS NULL "
            f"FROM (SELECT EXISTS ({sql}) AS found, %s::text AS threshold) AS decision",
            [*params, str(threshold)],
        )
        return bool(cursor.fetchone()[0])


def fuzzy_threshold(query: str) -> float:
    """The word similarity a misspelt query needs: the shorter the word, the closer."""
    if len(query) <= 5:
        return 0.6
    if len(query) <= 7:
        return 0.45
    return 0.35
