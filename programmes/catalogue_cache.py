"""The catalogue's results, cached: the rendered list (and filter form) for one query, language and city.

A search that ranks thousands of programmes, its count and the 20 cards cost 10-150 ms of SQL
and ~15 ms of rendering; the same query asked again within a minute is read from the cache
(Redis) instead. Entries are keyed by a *generation* that moves whenever anything a card or a
match depends on changes, so nobody is shown a programme, a date or a number of places that
has changed since:
- saves and deletions of programmes, their categories, courses, sessions, providers, venues,
  categories and districts (signals, connected in apps.py);
- the writes that bypass signals: the schedule and search summaries (programmes.services),
  the places and waiting-list counters of a course (participants.services).
The generation moves at once (so the writing transaction itself reads its change) and again
when the transaction commits: a page computed between the two from the rows not yet committed
is stored under a generation nobody asks for after the commit (a course's places, written
under its row lock, move it at the commit only). What time alone changes (a session that has
begun, "from today") is at most `RESULTS_SECONDS` old; the hourly schedule refresh moves the
generation too.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.template.loader import get_template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

GENERATION_KEY = "catalogue:generation"
RESULTS_SECONDS = 60


logger = logging.getLogger(__name__)


def _advance() -> None:
    """Move the generation. A cache that cannot be reached never fails the write that called
    this (the entries it holds expire within RESULTS_SECONDS)."""
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # not in the cache (evicted or never set): start above any earlier value
            cache.add(GENERATION_KEY, time.time_ns(), None)
    except Exception:  # the cache's own connection errors (Redis down)
        logger.warning("catalogue cache: the generation could not be moved", exc_info=True)


def catalogue_changed(*, at_once: bool = True) -> None:
    """Something shown in the catalogue changed: results cached so far are no longer served.
    `at_once=False` waits for the commit alone (enough for every other connection): for writes
    made under a row lock that others queue for, such as a course's places during a rush."""
    if at_once:
        _advance()
    transaction.on_commit(_advance, robust=True)


def catalogue_changed_receiver(sender, **kwargs) -> None:
    """For post_save, post_delete and m2m_changed."""
    catalogue_changed()


def generation() -> int:
    """The current generation (started when the cache holds none)."""
    value = cache.get(GENERATION_KEY)
    if value is None:
        _advance()
        value = cache.get(GENERATION_KEY, 0)
    return value


class GenerationMemo:
    """Values kept in this process per (key, catalogue generation): lists read on every page
    that change only with what moves the generation (a city's providers, the filter form's
    districts and categories). A few are kept; the values are shared between requests, so
    callers read them and never change them."""

    def __init__(self, *, kept: int = 8) -> None:
        self.kept = kept
        self._values: dict[tuple, object] = {}

    def get(self, key: tuple, compute, *, at: int | None = None):
        """The value for `key` at generation `at` (read by the caller before any row it shows;
        else the current one), computed by `compute()` when missing."""
        full = (*key, generation() if at is None else at)
        value = self._values.get(full)
        if value is None:
            value = compute()
            if len(self._values) >= self.kept:
                self._values.clear()
            self._values[full] = value
        return value


def results_key(*, city_id: int, language: str, query: str, at: int | None = None) -> str:
    """The cache key of a query's rendered fragments ({"results": ..., "filters": ...}): the
    generation (`at`, or the current one), city, language and the query string as given (its
    order is kept in the fragments' links and the form's values)."""
    digest = hashlib.sha256(query.encode()).hexdigest()
    return f"catalogue:page:{generation() if at is None else at}:{city_id}:{language}:{digest}"


CARD_TEMPLATE = "programmes/_programme_card.html"


class CardStore:
    """Programme cards (CARD_TEMPLATE) rendered once per catalogue generation and language in
    this process. A card costs ~0.3 ms to render and a catalogue page shows 20; the same
    programmes come back on many pages (a search's first page, the filters' soonest ones), so
    they are rendered once and read after that, until the generation moves.

    `generation` must be the one read *before* the programmes' rows were (the catalogue view
    reads it for its results key): a card rendered from rows older than a change is then kept
    under a generation that the change has already left behind. Cards of an older generation
    than the one kept are rendered and not kept. At most `kept` cards (~1.7 KB each: 6,000 is
    ~10 MB a worker; the large benchmark's 3,000 requests show 8,344 different cards, 71 % of
    those rendered are repeats); past that, rendered and not kept (until the generation moves)."""

    def __init__(self, *, kept: int = 6000) -> None:
        self.kept = kept
        self.generation: int | None = None
        self._cards: dict[tuple[str, int], SafeString] = {}

    def render(self, programmes: Iterable, *, generation: int) -> list[SafeString]:
        """The cards of `programmes` (saved ones: rows of selectors.programme_list_published),
        in order, in the active language."""
        if self.generation is None or generation > self.generation:
            self.generation, self._cards = generation, {}
        keep = generation == self.generation
        cards = self._cards
        language = get_language() or ""
        template = get_template(CARD_TEMPLATE)
        rendered = []
        for programme in programmes:
            key = (language, programme.pk)
            card = cards.get(key) if keep else None
            if card is None:
                card = template.render({"programme": programme})
                if keep and len(cards) < self.kept:
                    cards[key] = card
            rendered.append(card)
        return rendered


programme_cards = CardStore()
