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
3. misspelling, for Latin-script queries that match nothing by 1 or 2 (one statement decides
   and corrects): each word of 4+ characters is looked up in the lexicon of the documents'
   words (models.SearchWord, a few thousand short rows with a trigram index) for words at
   least fuzzy_threshold(word) similar by pg_trgm word similarity ("fotografy" scores 0.40
   against "photography", "englsh" 0.57, but a short word must score higher, or "yoga" would
   match "ga"); the documents whose vector has every word or one of its spellings match. The
   documents' own text is never scanned for similarity: a common misspelt word has trigrams in
   half the catalogue ("programing" rechecked ~9,600 documents, ~400 ms; through the lexicon,
   a few ms).

The WHERE is a bare OR of these three, so PostgreSQL can answer it with a BitmapOr of the
GIN indexes; any extra condition inside the OR (a similarity recheck) made it scan the table.

Everything a search reads is in the programme's narrow ProgrammeSearch row (its
`search_document`): DocumentSearch searches those rows alone (the catalogue, which takes its
listing and city from them too), `programme_search` the same through a join from any
programme queryset.

Ranking: a quick rank for every match that reads no vector: a bonus when the title in the
reader's language contains the query, a smaller one when the titles, summaries or names do
(a match only in the description has neither); ties go to the soonest next start. Then, for
the best RERANK_DEPTH by the quick rank only (a common word matches thousands; ts_rank and
word similarity read the vector and text of each), ts_rank with weights title (A) 1.0 >
summary, provider, category (B) 0.4 > description (C) 0.2, plus word similarity against
titles/summaries/names and against the title. The rest follow in quick-rank order. So a
title match ranks above a description-only match, and a query that matches 4,550 programmes
computes 100 full ranks, not 4,550.
Use it under a paginator that fetches the page's ids first (selectors.CappedPaginator,
selectors.RankedPaginator): ranking then sorts narrow rows, not rows with every join."""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection
from django.db.models import Case, F, FloatField, OuterRef, Q, QuerySet, Subquery, Value, When, Window
from django.db.models.functions import RowNumber

from programmes.models import ProgrammeSearch
from programmes.services import normalise_text, segment

MAX_QUERY_LENGTH = 200
FUZZY_MIN_LENGTH = 4
MAX_CORRECTIONS = 5  # spellings tried for one misspelt word
# ts_rank weights in PostgreSQL's order {D, C, B, A}.
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]
SIMILARITY_FACTOR = 0.5
TITLE_BONUS = 0.3  # the title in the reader's language contains the query
TEXT_BONUS = 0.2  # titles, summaries, provider or category names contain it
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
    ordered best first (then soonest next start), reading each programme's search document
    through a join; one statement. An empty query filters nothing (rank 0, order unchanged).
    The catalogue's pages use DocumentSearch instead (the same matches and order)."""
    query = normalise_query(q)
    if not query:
        return queryset.annotate(rank=Value(0.0, output_field=FloatField()))
    terms = _Terms(queryset, query, language, document="search_document__")
    # The full rank through a subquery on each of the best RERANK_DEPTH's own document, so the
    # sorts under the window carry narrow rows, not the text and vector.
    full_rank = (
        ProgrammeSearch.objects.filter(pk=OuterRef("pk")).annotate(search_depth=terms.depth).values("search_depth")
    )
    rank = Case(
        When(Q(search_position__lte=RERANK_DEPTH), then=F("search_quick_rank") + Subquery(full_rank)),
        default=F("search_quick_rank") - Value(BEYOND_RERANK),
        output_field=FloatField(),
    )
    return (
        queryset.filter(terms.match)
        .annotate(search_quick_rank=terms.quick_rank)
        .annotate(search_position=Window(RowNumber(), order_by=QUICK_ORDER))
        .annotate(rank=rank)
        .order_by("-rank", F("next_start").asc(nulls_last=True), "pk")
    )


class DocumentSearch:
    """A search over ProgrammeSearch rows alone (the catalogue): `matches`, the documents that
    match (for a count), and `page()`, a slice of their programme ids in programme_search's
    order with the number of matches. `q` must not normalise to "" (normalise_query)."""

    def __init__(self, documents: QuerySet, q: str, language: str = "th") -> None:
        self.query = normalise_query(q)
        self.terms = _Terms(documents, self.query, language, document="")
        self.matches = documents.filter(self.terms.match)

    @property
    def spellings(self) -> list[str]:
        """The lexicon's words that the matches were found through (the query's own words
        matched nothing), or []."""
        return self.terms.spellings

    def page(self, *, offset: int, limit: int) -> tuple[list[int], int | None]:
        """Ids [offset:offset + limit] in rank order, and the number of matches (None when the
        slice is empty past the first page: unknown). Within the best RERANK_DEPTH, two
        statements: those ids by quick rank with the count (`count(*) OVER ()`: ranking visits
        every match anyway) and their full rank (its terms, ~50 µs a row, read 100 rows); past
        them, one statement."""
        if offset >= RERANK_DEPTH:
            rows = self._quick_ranked(offset=offset, limit=limit)
            return [row[0] for row in rows], (rows[0][3] if rows else None)
        rows = self._quick_ranked(offset=0, limit=max(RERANK_DEPTH, offset + limit))
        if not rows:
            return [], 0
        head = rows[:RERANK_DEPTH]
        depth = dict(
            ProgrammeSearch.objects.filter(pk__in=[row[0] for row in head])
            .annotate(search_depth=self.terms.depth)
            .values_list("pk", "search_depth")
        )
        head.sort(key=lambda row: (-(row[1] + depth[row[0]]), row[2] is None, row[2], row[0]))
        ordered = head + rows[RERANK_DEPTH:]
        return [row[0] for row in ordered[offset : offset + limit]], rows[0][3]

    def _quick_ranked(self, *, offset: int, limit: int) -> list[tuple]:
        """(id, quick rank, next start, number of matches) of the matches [offset:offset +
        limit] in QUICK_ORDER. The matches and their quick rank are a subquery and the count
        is taken over its narrow rows: with the window on the matches themselves, PostgreSQL
        kept each match's text (read by the rank) in the window's buffer, which went to temp
        files for a common word (4,550 matches: 15 % of that statement's time)."""
        sql, params = (
            self.matches.annotate(search_quick_rank=self.terms.quick_rank)
            .order_by()
            .values_list("pk", "search_quick_rank", "next_start")
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT m.pk, m.rank::float8, m.next_start, count(*) OVER ()"
                f" FROM ({sql} OFFSET 0) AS m(pk, rank, next_start)"
                " ORDER BY m.rank DESC, m.next_start ASC NULLS LAST, m.pk ASC LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            return cursor.fetchall()


QUICK_ORDER = [F("search_quick_rank").desc(), F("next_start").asc(nulls_last=True), F("pk").asc()]


class _Terms:
    """What a search of `query` matches and how it ranks, on a queryset whose search
    document's fields are reached by the prefix `document` ("" on ProgrammeSearch itself):
    - `match`: a Q, a plain OR of conditions that each have a GIN index, so PostgreSQL answers
      it with a BitmapOr of index scans (an extra AND-ed recheck in the OR made it scan the
      table); deciding on the misspelling fallback runs one statement;
    - `quick_rank`: the title and text bonuses (reads no vector);
    - `depth`: what the best RERANK_DEPTH add to it, an expression on ProgrammeSearch: ts_rank
      and the word similarities against the text and the title."""

    def __init__(self, queryset: QuerySet, query: str, language: str, *, document: str) -> None:
        text = f"{document}search_text"
        match = Q(**{f"{text}__contains": query})
        words = segment(query)
        tsquery = SearchQuery(" ".join(words), config="simple", search_type="plain") if words else None
        if tsquery is not None:
            match |= Q(**{f"{document}search_vector": tsquery})

        self.spellings: list[str] = []  # the lexicon's words tried for misspelt ones
        if _LATIN.search(query) and not _THAI.search(query) and words:
            corrected, self.spellings = _corrections(queryset.filter(match), words)
            if corrected is not None:
                # Nothing has the words: the documents that have, for every word of the query,
                # the word or one of its corrections (words of the lexicon, models.SearchWord).
                match |= Q(**{f"{document}search_vector": corrected})
        self.match = match

        title = "title_en_lower" if (language or "th").startswith("en") else "title_th_lower"
        self.quick_rank = _bonus(Q(**{f"{document}{title}__contains": query}), TITLE_BONUS) + _bonus(
            Q(**{f"{text}__contains": query}), TEXT_BONUS
        )
        depth = SIMILARITY_FACTOR * TrigramWordSimilarity(Value(query), "search_text") + SIMILARITY_FACTOR * (
            TrigramWordSimilarity(Value(query), title)
        )
        if tsquery is not None:
            depth = depth + SearchRank(F("search_vector"), tsquery, weights=RANK_WEIGHTS)
        self.depth = depth


def _bonus(condition: Q, value: float) -> Case:
    return Case(When(condition, then=Value(value)), default=Value(0.0), output_field=FloatField())


def _corrections(matches: QuerySet, words: list[str]) -> tuple[SearchQuery | None, list[str]]:
    """When `matches` is empty, the query's words with their likely spellings: for each word of
    FUZZY_MIN_LENGTH+ characters, up to MAX_CORRECTIONS words of the lexicon at least
    fuzzy_threshold(word) similar to it (pg_trgm word similarity: "fotografy" is 0.40 from
    "photography"); a tsquery that every word (or one of its spellings) must match. None when
    `matches` has rows or no word has a correction. One statement: the lexicon is read only
    when nothing matched (through its trigram index: `%>` at the connection's
    pg_trgm.word_similarity_threshold, the lowest of the thresholds). Also returns the
    spellings found (none when `matches` has rows)."""
    fuzzy = [(index, word) for index, word in enumerate(words) if len(word) >= FUZZY_MIN_LENGTH and _LATIN.search(word)]
    if not fuzzy:
        return None, []
    sql, params = matches.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        # The matches as a materialised CTE: planned to be read whole (the GIN indexes), not as
        # an EXISTS that expects an early row (a scan of every document, ~30 ms, when a
        # filter leaves none of the word's matches).
        cursor.execute(
            f"WITH m AS MATERIALIZED ({sql})"
            " SELECT q.position, s.word"
            " FROM unnest(%s::int[], %s::text[], %s::float8[]) AS q(position, word, threshold)"
            " CROSS JOIN LATERAL (SELECT l.word FROM programmes_searchword AS l"
            " WHERE l.word %%> q.word AND word_similarity(q.word, l.word) >= q.threshold"
            " ORDER BY word_similarity(q.word, l.word) DESC, l.word LIMIT %s) AS s"
            " WHERE NOT EXISTS (SELECT 1 FROM m)",
            [
                *params,
                [index for index, _ in fuzzy],
                [word for _, word in fuzzy],
                [fuzzy_threshold(word) for _, word in fuzzy],
                MAX_CORRECTIONS,
            ],
        )
        spellings: dict[int, list[str]] = {}
        for position, word in cursor.fetchall():
            spellings.setdefault(position, []).append(word)
    if not spellings:
        return None, []
    corrected = None
    for index, word in enumerate(words):
        either = None
        for spelling in [word, *spellings.get(index, [])]:
            one = SearchQuery(spelling, config="simple", search_type="plain")
            either = one if either is None else either | one
        corrected = either if corrected is None else corrected & either
    return corrected, [spelling for position in sorted(spellings) for spelling in spellings[position]]


def fuzzy_threshold(query: str) -> float:
    """The word similarity a misspelt word needs: the shorter the word, the closer."""
    if len(query) <= 5:
        return 0.6
    if len(query) <= 7:
        return 0.45
    return 0.35
