"""The synthetic-city generator: a whole city (districts, population, accounts, participants,
providers, venues, programmes, courses, sessions, enrolments, attendance) for benchmarks.

Design:
- rows are streamed (Python generators) into PostgreSQL with psycopg 3's COPY
  (`cursor.copy(...).write_row`), never through the ORM, in dependency order;
- ids are allocated here (above the table's current maximum), sequences are moved past them
  at the end (`setval`), then `VACUUM (ANALYZE)` (manage.py generate_city);
- deterministic for a seed: every random choice comes from `random.Random(seed)`, or, per
  course, from `random.Random` seeded with (seed, course index), so the per-course plan
  (sessions, enrolments, attendance) can be replayed in three passes without holding 20
  million attendance rows in memory; the reference "today" is fixed (REFERENCE_DAY), not the
  wall clock;
- every database invariant holds by construction: one active enrolment per participant and
  course (participants of a course are drawn without replacement), waiting-list positions
  1..n per course, seats_taken == confirmed + offered <= capacity, waitlist_count ==
  waitlisted, sessions weekly between the course's start and end dates;
- the search document uses programmes.services.segment/normalise_text (the same code as
  programme_search_refresh), cached per phrase.

The foreign-key triggers stay on for `tiny` and `small` (the tests prove the rows satisfy
them); from `medium` up the load runs with `session_replication_role = replica` (superuser
only), which skips the per-row FK checks, the main cost of COPY into referencing tables."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bench import wordlists as W

UTC = dt.UTC
BANGKOK = dt.timezone(dt.timedelta(hours=7))
REFERENCE_DAY = dt.date(2026, 11, 1)  # "today" for the generated history (three years back)
HISTORY_DAYS = 3 * 365
FUTURE_DAYS = 120
EMAIL_DOMAIN = "{scale}.synthetic.invalid"


@dataclass(frozen=True)
class Scale:
    participants: int
    districts: int
    providers: int
    venues: int
    programmes: int
    courses: int
    sessions: int
    enrolments: int
    attendance: int


SCALES: dict[str, Scale] = {
    # For the test suite (about a second).
    "tiny": Scale(1_000, 8, 10, 20, 40, 120, 600, 2_500, 4_000),
    "small": Scale(10_000, 20, 100, 250, 500, 2_000, 12_000, 30_000, 50_000),
    "medium": Scale(100_000, 50, 500, 1_500, 2_000, 10_000, 100_000, 500_000, 2_000_000),
    "large": Scale(1_000_000, 50, 2_000, 5_000, 20_000, 100_000, 1_000_000, 5_000_000, 20_000_000),
}

DEPENDANT_SHARE = 4  # one participant in four is a dependant
# Blank values for NOT NULL columns the generator does not list (see CityGenerator._unlisted_not_null).
BLANK_BY_TYPE = {"text": "", "character varying": "", "boolean": False, "jsonb": "{}", "integer": 0, "smallint": 0}


def spread(total: int, n: int, rng: random.Random, *, jitter: float = 0.6, minimum: int = 0) -> list[int]:
    """`n` non-negative integers summing exactly to `total`, each about total/n (+-jitter)."""
    if n <= 0:
        return []
    base = minimum * n
    rest = total - base
    weights = [rng.uniform(1 - jitter, 1 + jitter) for _ in range(n)]
    scale = rest / sum(weights)
    raw = [w * scale for w in weights]
    out = [int(x) for x in raw]
    short = rest - sum(out)
    order = sorted(range(n), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[:short]:
        out[i] += 1
    return [x + minimum for x in out]


def weighted_index(weights: list[float]) -> Callable[[random.Random], int]:
    """A sampler of indexes with the given (uneven) weights."""
    cum = list(itertools.accumulate(weights))
    idx = list(range(len(weights)))

    def pick(rng: random.Random) -> int:
        return rng.choices(idx, cum_weights=cum)[0]

    return pick


@functools.lru_cache(maxsize=100_000)
def _segment_cached(text: str) -> tuple[str, ...]:
    from programmes.services import segment

    return tuple(segment(text))


def search_fields(
    *,
    title_th: str,
    title_en: str,
    summary_th: str,
    summary_en: str,
    provider_names: list[str],
    category_names: list[str],
) -> tuple[str, str, str, str]:
    """The search document exactly as programmes.services._search_fields computes it (no
    description or prerequisites here: the generator leaves them empty)."""
    from programmes.services import normalise_text

    def tokens(*texts: str) -> str:
        return " ".join(tok for text in texts if text for tok in _segment_cached(text))

    plain = [title_th, title_en, summary_th, summary_en, *provider_names, *category_names]
    return (
        tokens(title_th, title_en),
        tokens(summary_th, summary_en, *provider_names, *category_names),
        "",
        "\n".join(normalise_text(text).lower() for text in plain if text),
    )


@dataclass
class CoursePlan:
    sessions: list[tuple[dt.datetime, dt.datetime]]
    # (participant index, status, waitlist position or None)
    enrolments: list[tuple[int, str, int | None]]
    # (enrolment offset within the course, session offset, present)
    attendance: list[tuple[int, int, bool]]


class CityGenerator:
    """Generate one synthetic city into the connected database. Use `run()`."""

    def __init__(self, *, scale: str, seed: int, raw_connection, log: Callable[[str], None] = print) -> None:
        self.scale_name = scale
        self.scale = SCALES[scale]
        self.seed = seed
        self.conn = raw_connection
        self.log = log
        self.rng = random.Random(seed)
        self.counts: dict[str, int] = {}
        self.timings: dict[str, float] = {}
        self.now = dt.datetime.combine(REFERENCE_DAY, dt.time(12), tzinfo=BANGKOK).astimezone(UTC)
        self.domain = EMAIL_DOMAIN.format(scale=scale)

    # --- plumbing --------------------------------------------------------------------
    def _base(self, table: str) -> int:
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            return cur.fetchone()[0]

    def _unlisted_not_null(self, table: str, columns: list[str]) -> list[tuple[str, object]]:
        """NOT NULL columns without a database default that `columns` leaves out (a field a
        later migration added with only a model default), each with its blank value."""
        found = self._execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
            [table],
        )
        return [(name, BLANK_BY_TYPE[kind]) for name, kind in found if name not in columns and kind in BLANK_BY_TYPE]

    def _copy(self, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
        started = time.monotonic()
        n = 0
        extra = self._unlisted_not_null(table, columns)
        if extra:
            columns = [*columns, *(name for name, _blank in extra)]
            blanks = tuple(blank for _name, blank in extra)
            rows = (row + blanks for row in rows)
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
        self.counts[table] = self.counts.get(table, 0) + n
        self.timings[table] = self.timings.get(table, 0.0) + time.monotonic() - started
        self.log(f"  {table:<36} {n:>12,} rows {time.monotonic() - started:8.1f} s")
        return n

    def _execute(self, sql: str, params=None):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None

    # --- the run ---------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        started = time.monotonic()
        s = self.scale
        if self.scale_name not in ("tiny", "small"):
            self._execute("SET LOCAL session_replication_role = replica")
        self._city_and_districts()
        self._population()
        self._users_and_participants()
        self._providers_and_venues()
        self._programmes()
        self._courses()
        self._sessions()
        self._enrolments()
        self._attendance()
        self._finish()
        self.timings["total"] = time.monotonic() - started
        self.log(f"Total {self.timings['total']:.1f} s for scale {self.scale_name} (seed {self.seed}); {s}")
        return self.counts

    # --- geography -------------------------------------------------------------------
    def _city_and_districts(self) -> None:
        rng = self.rng
        city_id = self._base("city_city") + 1
        self.city_id = city_id
        self._copy(
            "city_city",
            ["id", "name_th", "name_en", "slug", "kind", "province_code", "population_year"],
            [(city_id, f"เมืองจำลอง ({self.scale_name})", f"Synthetic city ({self.scale_name})",
              f"synthetic-{self.scale_name}", "special", "10", REFERENCE_DAY.year)],
        )  # fmt: skip
        base = self._base("city_district")
        chosen = W.BANGKOK_DISTRICTS[: self.scale.districts]
        self.district_ids = [base + 1 + i for i in range(len(chosen))]
        self.district_names = [(th, en) for _code, th, en in chosen]
        self._copy(
            "city_district",
            ["id", "name_th", "name_en", "code", "level", "parent_code", "city_id"],
            ((base + 1 + i, th, en, code, "district", "10", city_id) for i, (code, th, en) in enumerate(chosen)),
        )
        # Uneven: a few central districts hold most participants (Zipf-like weights, shuffled
        # so that the busiest are not simply the first codes).
        weights = [1 / (i + 1) ** 0.9 for i in range(len(chosen))]
        rng.shuffle(weights)
        self.district_weights = weights
        self.pick_district = weighted_index(weights)

    def _population(self) -> None:
        """Residents per district x sex x age band: even across districts (unlike the
        participants), so participation rates differ and the equity view has gaps."""
        rng = self.rng
        bands = [(0, 5, 0.07), (6, 14, 0.10), (15, 24, 0.12), (25, 59, 0.50), (60, None, 0.21)]
        residents = self.scale.participants * 6 // len(self.district_ids)
        base = self._base("city_population")

        def rows() -> Iterator[tuple]:
            pk = base
            for district_id in self.district_ids:
                size = int(residents * rng.uniform(0.7, 1.3))
                for sex, share in (("female", 0.52), ("male", 0.48)):
                    for age_from, age_to, band_share in bands:
                        pk += 1
                        count = max(1, int(size * share * band_share))
                        yield (pk, REFERENCE_DAY.year, sex, age_from, age_to, count, True, district_id)

        self._copy(
            "city_population", ["id", "year", "sex", "age_from", "age_to", "count", "is_demo", "district_id"], rows()
        )

    # --- people ----------------------------------------------------------------------
    def _birth_date(self, rng: random.Random, *, dependant: bool) -> dt.date:
        """Ages are uneven: adults 25-59 dominate account holders, dependants are children
        or older parents; the 15-24 band is thin."""
        if dependant:
            age = rng.randint(0, 14) if rng.random() < 0.75 else rng.randint(65, 92)
        else:
            r = rng.random()
            if r < 0.08:
                age = rng.randint(18, 24)
            elif r < 0.80:
                age = rng.randint(25, 59)
            else:
                age = rng.randint(60, 85)
        return REFERENCE_DAY - dt.timedelta(days=age * 365 + rng.randint(0, 364))

    def _users_and_participants(self) -> None:
        rng = self.rng
        n = self.scale.participants
        n_dependants = n // DEPENDANT_SHARE
        n_holders = n - n_dependants
        user_base = self._base("accounts_user")
        self.user_base = user_base
        self.n_holders = n_holders
        joined = self.now - dt.timedelta(days=HISTORY_DAYS)

        def users() -> Iterator[tuple]:
            for i in range(n_holders):
                yield (user_base + 1 + i, "!", False, f"u{i + 1}@{self.domain}", "", "th", False, True, joined)
            for i in range(self.scale.providers):  # one staff account per provider
                yield (user_base + n_holders + 1 + i, "!", False, f"staff{i + 1}@{self.domain}", "", "th", False, True,
                       joined)  # fmt: skip

        user_cols = ["id", "password", "is_superuser", "email", "display_name", "preferred_language", "is_staff",
                     "is_active", "date_joined"]  # fmt: skip
        self._copy("accounts_user", user_cols, users())
        self.staff_user_base = user_base + n_holders

        base = self._base("participants_participant")
        self.participant_base = base
        sexes = ["female", "male", "other", "prefer_not"]
        sex_cum = [0.55, 0.97, 0.98, 1.0]

        def participants() -> Iterator[tuple]:
            for i in range(n):
                dependant = i >= n_holders
                if dependant:
                    guardian = rng.randrange(n_holders)
                    account = user_base + 1 + guardian
                else:
                    account = user_base + 1 + i
                sex = rng.choices(sexes, cum_weights=sex_cum)[0]
                given = rng.choice(W.GIVEN_NAMES_MALE if sex == "male" else W.GIVEN_NAMES_FEMALE)
                outside = rng.random() < 0.03
                district = None if outside else self.district_ids[self.pick_district(rng)]
                yield (base + 1 + i, not dependant, given, rng.choice(W.FAMILY_NAMES),
                       self._birth_date(rng, dependant=dependant), False, sex, outside,
                       "en" if rng.random() < 0.05 else "th", "", "", False, joined, joined, account,
                       district)  # fmt: skip

        cols = ["id", "is_self", "given_name", "family_name", "birth_date", "birth_date_is_year_only", "sex",
                "lives_outside_city", "preferred_language", "phone", "access_needs", "created_by_staff",
                "created_at", "updated_at", "account_id", "district_id"]  # fmt: skip
        self._copy("participants_participant", cols, participants())

    # --- catalogue -------------------------------------------------------------------
    def _providers_and_venues(self) -> None:
        rng = self.rng
        s = self.scale
        base = self._base("programmes_provider")
        self.provider_base = base
        self.provider_names: list[tuple[str, str]] = []
        created = self.now - dt.timedelta(days=HISTORY_DAYS)

        def providers() -> Iterator[tuple]:
            for i in range(s.providers):
                kind, th, en = W.PROVIDER_PATTERNS[i % len(W.PROVIDER_PATTERNS)]
                d_th, d_en = self.district_names[self.pick_district(rng)]
                name_th, name_en = th.format(d=d_th, n=i + 1), en.format(d=d_en, n=i + 1)
                self.provider_names.append((name_th, name_en))
                yield (base + 1 + i, name_th, name_en, f"syn-{self.scale_name}-{i + 1}", kind, "", "", "", "", "",
                       "", "", True, created, created, self.city_id)  # fmt: skip

        cols = ["id", "name_th", "name_en", "slug", "kind", "description_th", "description_en", "contact_name",
                "website", "phone", "email", "logo", "is_active", "created_at", "updated_at", "city_id"]  # fmt: skip
        self._copy("programmes_provider", cols, providers())

        mbase = self._base("programmes_providermembership")
        self._copy(
            "programmes_providermembership",
            ["id", "role", "created_at", "provider_id", "user_id"],
            (
                (mbase + 1 + i, "manager", created, base + 1 + i, self.staff_user_base + 1 + i)
                for i in range(s.providers)
            ),
        )

        vbase = self._base("programmes_venue")
        self.venues_by_provider: dict[int, list[int]] = {}
        self.shared_venues: list[int] = []
        from programmes.models import ACCESSIBILITY_VALUES as features

        def venues() -> Iterator[tuple]:
            for i in range(s.venues):
                pk = vbase + 1 + i
                provider = base + 1 + (i % s.providers) if rng.random() < 0.8 else None
                if provider is None:
                    self.shared_venues.append(pk)
                else:
                    self.venues_by_provider.setdefault(provider, []).append(pk)
                d = self.pick_district(rng)
                d_th, d_en = self.district_names[d]
                th, en = W.VENUE_PATTERNS[i % len(W.VENUE_PATTERNS)]
                access = sorted(rng.sample(features, rng.randint(0, 3)))
                lat = round(13.65 + rng.random() * 0.3, 6)
                lon = round(100.35 + rng.random() * 0.45, 6)
                yield (pk, th.format(d=d_th, n=i + 1), en.format(d=d_en, n=i + 1), f"เขต{d_th} กรุงเทพมหานคร",
                       f"{d_en}, Bangkok", lat, lon, access, True, self.city_id, self.district_ids[d],
                       provider)  # fmt: skip

        cols = ["id", "name_th", "name_en", "address_th", "address_en", "latitude", "longitude", "accessibility",
                "is_active", "city_id", "district_id", "provider_id"]  # fmt: skip
        self._copy("programmes_venue", cols, venues())
        if not self.shared_venues:
            self.shared_venues.append(vbase + 1)

    def _categories(self) -> dict[str, tuple[int, str, str, int]]:
        """The shared taxonomy (programmes.demo.CATEGORIES), created where missing."""
        from programmes.demo import CATEGORIES

        existing = {slug: (pk, th, en, pos) for pk, slug, th, en, pos in
                    self._execute("SELECT id, slug, name_th, name_en, position FROM programmes_category")}  # fmt: skip
        missing = [(slug, spec) for slug, spec in CATEGORIES.items() if slug not in existing]
        if missing:
            base = self._base("programmes_category")
            rows = []
            for i, (slug, (th, en, blocks, targets)) in enumerate(missing):
                rows.append((base + 1 + i, th, en, slug, blocks, targets, list(CATEGORIES).index(slug)))
                existing[slug] = (base + 1 + i, th, en, list(CATEGORIES).index(slug))
            self._copy("programmes_category", ["id", "name_th", "name_en", "slug", "building_blocks",
                                               "sdg_targets", "position"], rows)  # fmt: skip
        return existing

    def _programmes(self) -> None:
        from programmes.services import search_documents_write

        rng = self.rng
        s = self.scale
        categories = self._categories()
        base = self._base("programmes_programme")
        self.programme_base = base
        self.programme_format: list[str] = []
        self.programme_provider: list[int] = []
        self.programme_categories: list[list[int]] = []
        # Providers are uneven too: a few big ones publish much of the catalogue.
        pick_provider = weighted_index([1 / (i + 1) ** 0.6 for i in range(s.providers)])
        published = self.now - dt.timedelta(days=HISTORY_DAYS + 30)
        slugs = list(categories)
        documents: list[tuple[int, str, str, str, str]] = []  # search documents, written after the rows

        def programmes() -> Iterator[tuple]:
            for i in range(s.programmes):
                topic_th, topic_en, cat, t_min, t_max = rng.choice(W.TOPICS)
                level_th, level_en = rng.choice(W.LEVELS)
                aud_th, aud_en, a_min, a_max = rng.choice(W.AUDIENCES)
                age_min = t_min if a_min is None else max(t_min, a_min)
                age_max = t_max if a_max is None else (a_max if t_max is None else min(t_max, a_max))
                if age_max is not None and age_max < age_min:
                    aud_th, aud_en, age_max = "", "", t_max
                    age_min = t_min
                title_th = " ".join(p for p in (topic_th, level_th, aud_th) if p)
                title_en = " ".join(p for p in (topic_en, level_en, aud_en) if p)
                summary_th, summary_en = rng.choice(W.SUMMARIES)
                provider_ix = pick_provider(rng)
                provider = base_provider = self.provider_base + 1 + provider_ix
                cat_slugs = [cat] if cat in categories else [rng.choice(slugs)]
                if rng.random() < 0.3:
                    extra = rng.choice(slugs)
                    if extra not in cat_slugs:
                        cat_slugs.append(extra)
                # The service reads them in Category's ordering (position, Thai name).
                cat_slugs.sort(key=lambda c: (categories[c][3], categories[c][1]))
                self.programme_categories.append([categories[c][0] for c in cat_slugs])
                fmt = "online" if level_en == "online" else rng.choices(["in_person", "hybrid"], [0.9, 0.1])[0]
                self.programme_format.append(fmt)
                self.programme_provider.append(base_provider)
                names = list(self.provider_names[provider_ix])
                cat_names = [n for c in cat_slugs for n in categories[c][1:3] if n]
                title_tok, meta_tok, body_tok, text = search_fields(
                    title_th=title_th, title_en=title_en, summary_th=summary_th, summary_en=summary_en,
                    provider_names=names, category_names=cat_names,
                )  # fmt: skip
                fee = 0 if rng.random() < 0.7 else rng.choice([100, 200, 300, 500, 900])
                documents.append((base + 1 + i, title_tok, meta_tok, body_tok, text))
                yield (base + 1 + i, f"syn-{self.scale_name}-{i + 1}", title_th, title_en, summary_th, summary_en,
                       "", "", age_min, age_max, "th" if rng.random() < 0.9 else "both", fmt, fee, "", "", "", "",
                       "", "published", published, published, published, provider, "{}", "{}")  # fmt: skip

        cols = ["id", "slug", "title_th", "title_en", "summary_th", "summary_en", "description_th",
                "description_en", "age_min", "age_max", "language", "format", "fee", "fee_note_th", "fee_note_en",
                "prerequisites_th", "prerequisites_en", "image", "status", "published_at", "created_at",
                "updated_at", "provider_id",
                # the schedule summary: filled by programmes_refresh_schedule in _finish
                "upcoming_session_starts", "upcoming_slots"]  # fmt: skip
        self._copy("programmes_programme", cols, programmes())
        started = time.monotonic()
        with self.conn.cursor() as cur:
            search_documents_write(cur, documents)
        self.counts["programmes_programmesearch"] = len(documents)
        self.timings["programmes_programmesearch"] = time.monotonic() - started
        self.log(f"  {'programmes_programmesearch':<36} {len(documents):>12,} rows {time.monotonic() - started:8.1f} s")
        mbase = self._base("programmes_programme_categories")

        def links() -> Iterator[tuple]:
            pk = mbase
            for i, cats in enumerate(self.programme_categories):
                for c in cats:
                    pk += 1
                    yield (pk, base + 1 + i, c)

        self._copy("programmes_programme_categories", ["id", "programme_id", "category_id"], links())

    def _courses(self) -> None:
        rng = self.rng
        s = self.scale
        base = self._base("programmes_course")
        self.course_base = base
        self.n_sessions = spread(s.sessions, s.courses, rng, minimum=1)
        self.n_enrolments = spread(s.enrolments, s.courses, rng)
        self.course_start: list[dt.date] = []
        self.course_hour: list[int] = []
        self.course_status: list[str] = []
        self.course_capacity: list[int] = []
        self.course_mode: list[str] = []
        self.course_venue: list[int | None] = []
        self.course_pct: list[int] = []
        first_day = REFERENCE_DAY - dt.timedelta(days=HISTORY_DAYS)
        for c in range(s.courses):
            start = first_day + dt.timedelta(days=rng.randrange(HISTORY_DAYS + FUTURE_DAYS))
            end = start + dt.timedelta(days=7 * (self.n_sessions[c] - 1))
            if rng.random() < 0.02:
                status = "cancelled"
            elif end < REFERENCE_DAY:
                status = "completed"
            else:
                status = "scheduled"
            self.course_start.append(start)
            self.course_hour.append(rng.choice([9, 10, 13, 16, 18]))
            self.course_status.append(status)
            self.course_capacity.append(rng.randint(10, 50))
            self.course_mode.append("offer" if rng.random() < 0.3 else "automatic")
            self.course_pct.append(rng.choice([60, 70, 80, 80, 80]))
        # Attendance quotas over the completed courses (the carry moves a course's unusable
        # share on to the next; pass 2 fixes the final numbers).
        completed = [c for c in range(s.courses) if self.course_status[c] == "completed"]
        quotas = spread(s.attendance, len(completed), rng)
        self.attendance_quota = [0] * s.courses
        for c, q in zip(completed, quotas, strict=True):
            self.attendance_quota[c] = q

        def courses() -> Iterator[tuple]:
            for c in range(s.courses):
                p = c % s.programmes if c < s.programmes else rng.randrange(s.programmes)
                fmt = self.programme_format[p]
                if fmt == "online":
                    venue = None
                else:
                    own = self.venues_by_provider.get(self.programme_provider[p])
                    venue = rng.choice(own) if own and rng.random() < 0.85 else rng.choice(self.shared_venues)
                self.course_venue.append(venue)
                start = self.course_start[c]
                end = start + dt.timedelta(days=7 * (self.n_sessions[c] - 1))
                opens = dt.datetime.combine(start - dt.timedelta(days=30), dt.time(8), tzinfo=BANGKOK)
                closes = dt.datetime.combine(start, dt.time(0), tzinfo=BANGKOK)
                url = f"https://meet.example.org/syn/{c + 1}" if venue is None else ""
                yield (base + 1 + c, start, end, self.course_capacity[c], 0, 0, opens, closes, self.course_mode[c],
                       48, self.course_pct[c], self.course_status[c], url, "", "", opens, opens, self.programme_base
                       + 1 + p, venue)  # fmt: skip

        cols = ["id", "starts_on", "ends_on", "capacity", "seats_taken", "waitlist_count", "enrolment_opens_at",
                "enrolment_closes_at", "confirmation_mode", "offer_hold_hours", "completion_min_attendance_pct",
                "status", "online_url", "notes_th", "notes_en", "created_at", "updated_at", "programme_id",
                "venue_id"]  # fmt: skip
        self._copy("programmes_course", cols, courses())

    # --- per-course plan (replayed in three passes) ------------------------------------
    def _plan(self, c: int, *, quota: int) -> CoursePlan:
        rng = random.Random(self.seed * 1_000_003 + c)
        start = self.course_start[c]
        hour = self.course_hour[c]
        sessions = []
        for k in range(self.n_sessions[c]):
            begins = dt.datetime.combine(start + dt.timedelta(days=7 * k), dt.time(hour), tzinfo=BANGKOK)
            sessions.append((begins, begins + dt.timedelta(hours=2)))
        n_e = min(self.n_enrolments[c], self.scale.participants)
        people = rng.sample(range(self.scale.participants), n_e)
        status = self.course_status[c]
        capacity = self.course_capacity[c]
        enrolments: list[tuple[int, str, int | None]] = []
        attendance: list[tuple[int, int, bool]] = []
        if status == "cancelled":
            return CoursePlan(sessions, [(p, "cancelled", None) for p in people], attendance)
        n_cancel = n_e // 12
        holders = people[n_cancel : n_cancel + capacity]
        waiting = people[n_cancel + capacity :]
        cancelled = [(p, "cancelled", None) for p in people[:n_cancel]]
        if status == "scheduled":
            enrolments = [(p, "confirmed", None) for p in holders]
            if waiting and self.course_mode[c] == "offer" and enrolments:
                enrolments[-1] = (enrolments[-1][0], "offered", None)
            enrolments += [(p, "waitlisted", i + 1) for i, p in enumerate(waiting)]
            return CoursePlan(sessions, cancelled + enrolments, attendance)
        # Completed course: attendance rows (present/absent) for the holders, up to the quota,
        # spread evenly; the status follows the attendance and the course's completion rule.
        n_s = len(sessions)
        quota = min(quota, len(holders) * n_s)
        per = (
            [quota // len(holders) + (1 if j < quota % len(holders) else 0) for j in range(len(holders))]
            if holders
            else []
        )
        offset = len(cancelled)
        for j, p in enumerate(holders):
            keen = rng.random()
            p_present = 0.95 if keen < 0.6 else (0.6 if keen < 0.9 else 0.0)
            present = 0
            for k in range(per[j]):
                here = rng.random() < p_present
                present += here
                attendance.append((offset + j, k, here))
            if present == 0:
                st = "no_show"
            elif present * 100 >= self.course_pct[c] * n_s:
                st = "completed"
            else:
                st = "confirmed"  # took part, did not complete; still holds its place
            enrolments.append((p, st, None))
        # People beyond capacity left the waiting list when the course started.
        enrolments += [(p, "cancelled", None) for p in waiting]
        return CoursePlan(sessions, cancelled + enrolments, attendance)

    def _eligible(self, c: int) -> int:
        if self.course_status[c] != "completed":
            return 0
        n_e = min(self.n_enrolments[c], self.scale.participants)
        holders = max(0, min(self.course_capacity[c], n_e - n_e // 12))
        return holders * self.n_sessions[c]

    def _sessions(self) -> None:
        s = self.scale
        base = self._base("programmes_session")
        self.session_base = base
        # Final attendance quotas with the carry (known without generating the plans).
        carry = 0
        for c in range(s.courses):
            want = self.attendance_quota[c] + carry if self.course_status[c] == "completed" else 0
            take = min(want, self._eligible(c))
            carry = want - take if self.course_status[c] == "completed" else carry
            self.attendance_quota[c] = take
        for c in range(s.courses):  # what the last courses could not take goes to any with room
            if carry <= 0:
                break
            extra = min(carry, self._eligible(c) - self.attendance_quota[c])
            self.attendance_quota[c] += extra
            carry -= extra
        self.session_offset = list(itertools.accumulate([0, *self.n_sessions]))

        def rows() -> Iterator[tuple]:
            for c in range(s.courses):
                venue = self.course_venue[c]
                url = f"https://meet.example.org/syn/{c + 1}" if venue is None else ""
                begin = self.session_offset[c]
                start = self.course_start[c]
                hour = self.course_hour[c]
                for k in range(self.n_sessions[c]):
                    begins = dt.datetime.combine(start + dt.timedelta(days=7 * k), dt.time(hour), tzinfo=BANGKOK)
                    yield (base + begin + k + 1, begins, begins + dt.timedelta(hours=2), url, False,
                           self.course_base + 1 + c, venue)  # fmt: skip

        self._copy("programmes_session", ["id", "starts_at", "ends_at", "online_url", "is_cancelled", "course_id",
                                          "venue_id"], rows())  # fmt: skip

    def _enrolments(self) -> None:
        s = self.scale
        base = self._base("participants_enrolment")
        self.enrolment_base = base
        self.enrolment_offset = [0]
        seats: list[tuple[int, int, int]] = []

        def rows() -> Iterator[tuple]:
            pk = base
            for c in range(s.courses):
                plan = self._plan(c, quota=self.attendance_quota[c])
                start = dt.datetime.combine(self.course_start[c], dt.time(9), tzinfo=BANGKOK)
                taken = waiting = 0
                for j, (p, status, position) in enumerate(plan.enrolments):
                    pk += 1
                    created = start - dt.timedelta(days=30, minutes=-(j * 7))
                    confirmed = created if status in ("confirmed", "completed", "no_show", "offered") else None
                    offered = created + dt.timedelta(days=2) if status == "offered" else None
                    expires = offered + dt.timedelta(hours=48) if offered else None
                    cancelled = created + dt.timedelta(days=1) if status == "cancelled" else None
                    if status == "cancelled":
                        reason = "course_cancelled" if self.course_status[c] == "cancelled" else "by_resident"
                    else:
                        reason = ""
                    taken += status in ("confirmed", "offered")
                    waiting += status == "waitlisted"
                    yield (pk, status, position, created, confirmed, offered, expires, cancelled, reason,
                           self.course_base + 1 + c, self.participant_base + 1 + p)  # fmt: skip
                self.enrolment_offset.append(pk - base)
                if taken or waiting:
                    seats.append((self.course_base + 1 + c, taken, waiting))

        cols = ["id", "status", "waitlist_position", "created_at", "confirmed_at", "offered_at", "offer_expires_at",
                "cancelled_at", "cancelled_reason", "course_id", "participant_id"]  # fmt: skip
        self._copy("participants_enrolment", cols, rows())
        # The counters, set-based from the staged numbers.
        started = time.monotonic()
        with self.conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE syn_seats (id bigint, taken int, waiting int) ON COMMIT DROP")
            with cur.copy("COPY syn_seats (id, taken, waiting) FROM STDIN") as copy:
                for row in seats:
                    copy.write_row(row)
            cur.execute(
                "UPDATE programmes_course c SET seats_taken = s.taken, waitlist_count = s.waiting "
                "FROM syn_seats s WHERE c.id = s.id"
            )
            cur.execute("DROP TABLE syn_seats")
        self.timings["course counters"] = time.monotonic() - started

    def _attendance(self) -> None:
        s = self.scale
        base = self._base("participants_attendance")

        def rows() -> Iterator[tuple]:
            pk = base
            for c in range(s.courses):
                if not self.attendance_quota[c]:
                    continue
                plan = self._plan(c, quota=self.attendance_quota[c])
                e_base = self.enrolment_base + self.enrolment_offset[c] + 1
                s_base = self.session_base + self.session_offset[c] + 1
                for e, k, here in plan.attendance:
                    pk += 1
                    yield (pk, "present" if here else "absent", plan.sessions[k][1], "", s_base + k, e_base + e,
                           self.participant_base + 1 + plan.enrolments[e][0])  # fmt: skip

        cols = ["id", "status", "marked_at", "note", "session_id", "enrolment_id", "participant_id"]
        self._copy("participants_attendance", cols, rows())

    # --- finish ----------------------------------------------------------------------
    def _finish(self) -> None:
        from programmes.services import programmes_refresh_schedule

        started = time.monotonic()
        tables = ["accounts_user", "city_city", "city_district", "city_population", "programmes_provider",
                  "programmes_providermembership", "programmes_venue", "programmes_category",
                  "programmes_programme", "programmes_programme_categories", "programmes_course",
                  "programmes_session", "participants_participant", "participants_enrolment",
                  "participants_attendance"]  # fmt: skip
        for table in tables:
            self._execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        self._execute("SET LOCAL session_replication_role = origin")
        self.timings["sequences"] = time.monotonic() - started
        started = time.monotonic()
        ids = range(self.programme_base + 1, self.programme_base + 1 + self.scale.programmes)
        programmes_refresh_schedule(programme_ids=ids, now=self.now)
        self.timings["programme schedule"] = time.monotonic() - started
        self.log(f"  {'programme schedule (next course)':<36} {'':>17} {self.timings['programme schedule']:8.1f} s")


def city_delete(*, raw_connection, scale: str) -> None:
    """Remove the synthetic city of this scale and everything generated with it (its accounts
    are recognised by their e-mail domain). Other cities and the shared categories stay."""
    domain = "%@" + EMAIL_DOMAIN.format(scale=scale)
    slug = f"synthetic-{scale}"
    steps = [
        "CREATE TEMP TABLE syn_users ON COMMIT DROP AS SELECT id FROM accounts_user WHERE email LIKE %(domain)s",
        "CREATE TEMP TABLE syn_people ON COMMIT DROP AS SELECT id FROM participants_participant "
        "WHERE account_id IN (SELECT id FROM syn_users)",
        "CREATE TEMP TABLE syn_programmes ON COMMIT DROP AS SELECT p.id FROM programmes_programme p "
        "JOIN programmes_provider v ON v.id = p.provider_id JOIN city_city c ON c.id = v.city_id "
        "WHERE c.slug = %(slug)s",
        "CREATE TEMP TABLE syn_courses ON COMMIT DROP AS SELECT id FROM programmes_course "
        "WHERE programme_id IN (SELECT id FROM syn_programmes)",
        "DELETE FROM participants_attendance WHERE participant_id IN (SELECT id FROM syn_people) "
        "OR session_id IN (SELECT id FROM programmes_session WHERE course_id IN (SELECT id FROM syn_courses))",
        "DELETE FROM participants_notification WHERE recipient_id IN (SELECT id FROM syn_users) "
        "OR participant_id IN (SELECT id FROM syn_people)",
        "DELETE FROM participants_consent WHERE participant_id IN (SELECT id FROM syn_people)",
        # Tables added later that point at enrolments (staff may have used the synthetic city).
        "DO $$ BEGIN IF to_regclass('participants_completionoverride') IS NOT NULL THEN "
        "DELETE FROM participants_completionoverride WHERE enrolment_id IN (SELECT id FROM participants_enrolment "
        "WHERE participant_id IN (SELECT id FROM syn_people)); END IF; END $$",
        "DELETE FROM participants_enrolment WHERE participant_id IN (SELECT id FROM syn_people) "
        "OR course_id IN (SELECT id FROM syn_courses)",
        "DELETE FROM participants_participant WHERE id IN (SELECT id FROM syn_people)",
        "UPDATE programmes_programme SET next_course_id = NULL WHERE id IN (SELECT id FROM syn_programmes)",
        "DELETE FROM programmes_session WHERE course_id IN (SELECT id FROM syn_courses)",
        "DELETE FROM programmes_course WHERE id IN (SELECT id FROM syn_courses)",
        "DELETE FROM programmes_programme_categories WHERE programme_id IN (SELECT id FROM syn_programmes)",
        "DELETE FROM programmes_programmesearch WHERE programme_id IN (SELECT id FROM syn_programmes)",
        "DELETE FROM programmes_programme WHERE id IN (SELECT id FROM syn_programmes)",
        "DELETE FROM programmes_venue WHERE city_id IN (SELECT id FROM city_city WHERE slug = %(slug)s)",
        "DELETE FROM programmes_providermembership WHERE user_id IN (SELECT id FROM syn_users)",
        "DELETE FROM programmes_provider WHERE city_id IN (SELECT id FROM city_city WHERE slug = %(slug)s)",
        # What the synthetic accounts did or own elsewhere (when staff or tests used them).
        "DELETE FROM account_emailaddress WHERE user_id IN (SELECT id FROM syn_users)",
        "DELETE FROM accounts_user_groups WHERE user_id IN (SELECT id FROM syn_users)",
        "DELETE FROM accounts_user_user_permissions WHERE user_id IN (SELECT id FROM syn_users)",
        "DELETE FROM participants_calendarfeedtoken WHERE user_id IN (SELECT id FROM syn_users)",
        "DELETE FROM django_admin_log WHERE user_id IN (SELECT id FROM syn_users)",
        "UPDATE audit_auditentry SET actor_id = NULL WHERE actor_id IN (SELECT id FROM syn_users)",
        "UPDATE participants_attendance SET marked_by_id = NULL WHERE marked_by_id IN (SELECT id FROM syn_users)",
        "UPDATE participants_consent SET given_by_id = NULL WHERE given_by_id IN (SELECT id FROM syn_users)",
        "UPDATE participants_enrolment SET enrolled_by_id = NULL WHERE enrolled_by_id IN (SELECT id FROM syn_users)",
        "UPDATE participants_participant SET registered_by_id = NULL "
        "WHERE registered_by_id IN (SELECT id FROM syn_users)",
        "DELETE FROM accounts_user WHERE id IN (SELECT id FROM syn_users)",
        "DELETE FROM city_population WHERE district_id IN (SELECT d.id FROM city_district d "
        "JOIN city_city c ON c.id = d.city_id WHERE c.slug = %(slug)s)",
        "DELETE FROM city_district WHERE city_id IN (SELECT id FROM city_city WHERE slug = %(slug)s)",
        "DELETE FROM city_city WHERE slug = %(slug)s",
        "DROP TABLE syn_users, syn_people, syn_programmes, syn_courses",
    ]
    with raw_connection.cursor() as cur:
        for sql in steps:
            cur.execute(sql, {"domain": domain, "slug": slug})


CHECKSUM_QUERIES = {
    # Ids are made relative to the city's first row, so the checksums survive a --replace.
    "participants": """
        SELECT md5(string_agg(concat_ws('|', p.id - m.p0, p.is_self, p.given_name, p.family_name, p.birth_date,
               p.sex, d.code, p.account_id - m.u0), ',' ORDER BY p.id))
        FROM participants_participant p JOIN accounts_user u ON u.id = p.account_id
        LEFT JOIN city_district d ON d.id = p.district_id,
        (SELECT MIN(p2.id) p0, MIN(u2.id) u0 FROM participants_participant p2
         JOIN accounts_user u2 ON u2.id = p2.account_id WHERE u2.email LIKE %(domain)s) m
        WHERE u.email LIKE %(domain)s""",
    "programmes": """
        SELECT md5(string_agg(concat_ws('|', p.slug, p.title_th, p.title_en, p.age_min, p.age_max, p.format, p.fee,
               d.search_vector, d.search_text), ',' ORDER BY p.slug))
        FROM programmes_programme p JOIN programmes_provider v ON v.id = p.provider_id
        JOIN programmes_programmesearch d ON d.programme_id = p.id
        JOIN city_city c ON c.id = v.city_id WHERE c.slug = %(slug)s""",
    "courses": """
        SELECT md5(string_agg(concat_ws('|', p.slug, c.starts_on, c.ends_on, c.capacity, c.seats_taken,
               c.waitlist_count, c.status, c.confirmation_mode), ',' ORDER BY c.id))
        FROM programmes_course c JOIN programmes_programme p ON p.id = c.programme_id
        JOIN programmes_provider v ON v.id = p.provider_id JOIN city_city ci ON ci.id = v.city_id
        WHERE ci.slug = %(slug)s""",
    "enrolments": """
        SELECT md5(string_agg(concat_ws('|', e.course_id - m.c0, e.participant_id - m.p0, e.status,
               e.waitlist_position, e.created_at), ',' ORDER BY e.id))
        FROM participants_enrolment e JOIN syn_courses sc ON sc.id = e.course_id, (
            SELECT MIN(id) c0, (SELECT MIN(p.id) FROM participants_participant p JOIN accounts_user u
                                ON u.id = p.account_id WHERE u.email LIKE %(domain)s) p0 FROM syn_courses) m""",
    "attendance": """
        SELECT md5(string_agg(concat_ws('|', a.session_id - m.s0, a.participant_id - m.p0, a.status, a.marked_at),
               ',' ORDER BY a.id))
        FROM participants_attendance a JOIN programmes_session s ON s.id = a.session_id
        JOIN syn_courses sc ON sc.id = s.course_id, (
            SELECT MIN(s2.id) s0, (SELECT MIN(p.id) FROM participants_participant p JOIN accounts_user u
                                   ON u.id = p.account_id WHERE u.email LIKE %(domain)s) p0
            FROM programmes_session s2 JOIN syn_courses c2 ON c2.id = s2.course_id) m""",
}


def city_checksums(*, raw_connection, scale: str) -> dict[str, str]:
    """md5 of the key tables' rows (ordered, ids relative to the city's first row)."""
    params = {"domain": "%@" + EMAIL_DOMAIN.format(scale=scale), "slug": f"synthetic-{scale}"}
    out = {}
    with raw_connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE syn_courses AS SELECT c.id FROM programmes_course c "
            "JOIN programmes_programme p ON p.id = c.programme_id JOIN programmes_provider v ON v.id = p.provider_id "
            "JOIN city_city ci ON ci.id = v.city_id WHERE ci.slug = %(slug)s",
            params,
        )
        for name, sql in CHECKSUM_QUERIES.items():
            cur.execute(sql, params)
            out[name] = cur.fetchone()[0]
        cur.execute("DROP TABLE syn_courses")
    return out


def digest(values: dict[str, str]) -> str:
    return hashlib.md5(
        "".join(f"{k}={v};" for k, v in sorted(values.items())).encode(), usedforsecurity=False
    ).hexdigest()
