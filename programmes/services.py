"""Writes to the catalogue: one keyword-only function per action.

Every service runs in a transaction, validates with the model's own rules (`full_clean`, whose
constraint messages are translated) and raises ProgrammeError with user-facing messages. The
derived data the catalogue reads cheaply is kept here, never in signals or save():
- the search document (programme_search_refresh), after any change to a programme's text,
  its provider's name or a category's name;
- the schedule summary `next_course`/`next_start` and the upcoming sessions' starts and
  weekday/evening slots (programme_refresh_schedule), after any change to a course or
  session, and hourly as time moves on (programmes_refresh_schedule)."""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal

import nh3
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from learningcity.city.models import City, District
from programmes.catalogue_cache import catalogue_changed
from programmes.models import (
    Category,
    Course,
    CourseChange,
    Programme,
    Provider,
    ProviderMembership,
    Session,
    Venue,
)


class ProgrammeError(ValidationError):
    """A catalogue rule was broken. Carries translated, user-facing messages (a dict by field
    where the error belongs to one field), so a form can show it as its own error."""


# --- Rich text --------------------------------------------------------------------------

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(value: str) -> str:
    """Rich text reduced to a small, safe subset (nh3/ammonia): paragraphs, line breaks,
    emphasis, lists and http(s)/mailto links with rel="noopener noreferrer nofollow".
    Scripts, styles and on* attributes are dropped together with their content."""
    if not value:
        return ""
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def html_to_text(value: str) -> str:
    """Plain text of (sanitised) HTML, for the search document."""
    if not value:
        return ""
    text = nh3.clean(value.replace("<", " <"), tags=set())
    return html.unescape(text)


# --- Search document --------------------------------------------------------------------

_WORD_CHAR = re.compile(r"\w")


def normalise_text(value: str) -> str:
    """NFC, control/format characters (zero-width spaces, NUL, ...) to spaces, whitespace
    collapsed. Used for stored documents and for queries alike, so both sides agree."""
    value = unicodedata.normalize("NFC", value or "")
    value = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in value)
    return " ".join(value.split())


def segment(value: str) -> list[str]:
    """Lower-cased words of a text, Thai segmented by pythainlp (newmm dictionary engine).
    Punctuation-only tokens are dropped: the tsvector parser would discard them anyway."""
    from pythainlp.tokenize import word_tokenize  # ~0.7 s dictionary load on first use

    value = normalise_text(value).lower()
    if not value:
        return []
    return [tok for tok in word_tokenize(value, keep_whitespace=False) if _WORD_CHAR.search(tok)]


def _tokens(*texts: str) -> str:
    return " ".join(tok for text in texts if text for tok in segment(text))


def _search_fields(programme: Programme) -> tuple[int, str, str, str, str]:
    """A programme's search document as written by search_documents_write: (id, title words,
    summary/provider/category words, description/prerequisite words, plain text)."""
    provider = programme.provider
    categories = list(programme.categories.all())
    category_names = [name for c in categories for name in (c.name_th, c.name_en) if name]
    provider_names = [name for name in (provider.name_th, provider.name_en) if name]
    plain = [
        programme.title_th,
        programme.title_en,
        programme.summary_th,
        programme.summary_en,
        *provider_names,
        *category_names,
    ]
    return (
        programme.pk,
        _tokens(programme.title_th, programme.title_en),
        _tokens(programme.summary_th, programme.summary_en, *provider_names, *category_names),
        _tokens(
            html_to_text(programme.description_th),
            html_to_text(programme.description_en),
            programme.prerequisites_th,
            programme.prerequisites_en,
        ),
        "\n".join(normalise_text(text).lower() for text in plain if text),
    )


def search_documents_write(cursor, documents: Sequence[tuple[int, str, str, str, str]]) -> None:
    """Write search documents (programme id, title words, summary/name words, body words, plain
    text) into ProgrammeSearch, weighting the words A/B/C, in one statement on `cursor` (Django's
    or a raw psycopg one: the generator uses this too). The listing columns come from the
    programmes themselves (programmes_search_sync, migration 0006), so a programme whose
    document row is missing (a bulk load with triggers off) gets one."""
    if not documents:
        return
    ids, titles, metas, bodies, texts = (list(column) for column in zip(*documents, strict=True))
    cursor.execute("SELECT programmes_search_sync(%s::bigint[])", [ids])
    cursor.execute(
        "UPDATE programmes_programmesearch AS d SET search_text = doc.text, search_vector ="
        " setweight(to_tsvector('simple', doc.title), 'A') || setweight(to_tsvector('simple', doc.meta), 'B')"
        " || setweight(to_tsvector('simple', doc.body), 'C')"
        " FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) AS doc(id, title, meta, body, text)"
        " WHERE d.programme_id = doc.id",
        [ids, titles, metas, bodies, texts],
    )
    cursor.execute(
        f"INSERT INTO programmes_searchword (word) {SEARCH_WORDS_SQL} AND d.programme_id = ANY(%s::bigint[])"
        " ON CONFLICT DO NOTHING",
        [ids],
    )


# The misspelling lexicon (models.SearchWord): the Latin-script words weighted A (titles) or B
# (summaries, provider and category names) in the search documents, the text that a
# misspelling was matched against before the lexicon. Distinct, so the caller can INSERT it.
SEARCH_WORDS_SQL = (
    "SELECT DISTINCT w.lexeme FROM programmes_programmesearch AS d, unnest(d.search_vector) AS w"
    " WHERE w.weights && ARRAY['A', 'B'] AND w.lexeme ~ '^[a-z][a-z0-9]*$'"
)


def search_words_rebuild() -> int:
    """Replace the misspelling lexicon with the words of today's search documents (a nightly
    beat job: documents only add words as they are written, this drops the ones gone).
    Returns the number of words. ~0.2 s over 20,000 programmes."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE programmes_searchword IN EXCLUSIVE MODE")  # readers go on
        cursor.execute(
            f"WITH found AS ({SEARCH_WORDS_SQL}), gone AS (DELETE FROM programmes_searchword AS s"
            " WHERE NOT EXISTS (SELECT FROM found WHERE found.lexeme = s.word))"
            " INSERT INTO programmes_searchword (word) SELECT lexeme FROM found ON CONFLICT DO NOTHING"
        )
        cursor.execute("SELECT count(*) FROM programmes_searchword")
        return cursor.fetchone()[0]


def programme_search_refresh(*, programme_ids: Iterable[int] | None = None, batch_size: int = 500) -> int:
    """Recompute the search document of the given programmes (all when None). Four queries
    a batch (programmes+providers, categories, the document rows made sure of, one UPDATE);
    pythainlp segments about 5,000 short texts a second after its first load. Returns the
    number of programmes written."""
    queryset = Programme.objects.select_related("provider").prefetch_related("categories").order_by("pk")
    if programme_ids is not None:
        ids = sorted(set(programme_ids))
        if not ids:
            return 0
        queryset = queryset.filter(pk__in=ids)
    written = 0
    last_pk = 0
    while True:
        batch = list(queryset.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return written
        documents = [_search_fields(programme) for programme in batch]
        with transaction.atomic(), connection.cursor() as cursor:
            search_documents_write(cursor, documents)
            catalogue_changed()
        written += len(batch)
        last_pk = batch[-1].pk


# --- Schedule summary -------------------------------------------------------------------


EVENING_FROM_HOUR = 17  # a session starting at 17:00 local time or later is "in the evening"
EVENING_SLOT = 10  # slot code of an evening session: EVENING_SLOT + its ISO weekday


def session_slots(starts: Iterable[dt.datetime]) -> list[int]:
    """The slot codes of sessions starting at `starts` (see Programme.upcoming_slots): each
    local ISO weekday, and EVENING_SLOT + the weekday for a session from EVENING_FROM_HOUR."""
    tz = timezone.get_current_timezone()
    slots = set()
    for moment in starts:
        local = moment.astimezone(tz)
        slots.add(local.isoweekday())
        if local.hour >= EVENING_FROM_HOUR:
            slots.add(EVENING_SLOT + local.isoweekday())
    return sorted(slots)


SCHEDULE_FIELDS = ["next_course", "next_start", "upcoming_session_starts", "upcoming_slots"]


def programmes_refresh_schedule(*, programme_ids: Iterable[int] | None = None, now: dt.datetime | None = None) -> int:
    """Set the schedule summary of the given programmes (all when None): `next_course`,
    `next_start`, `upcoming_session_starts` and `upcoming_slots`.

    The next course is the scheduled, not yet ended course that meets soonest: its earliest
    session still to come (cancelled sessions ignored), or, for a course without sessions, its
    start date (today when it has already begun). `next_start` is that moment. Programmes
    without one get NULLs. The upcoming starts are those of every session from `now` on that
    is not cancelled and belongs to a scheduled course (what the catalogue's session filters
    consider), in order, without duplicates; the slots summarise them (session_slots).
    Three queries to read, one bulk UPDATE for the rows that changed. Safe to run any number
    of times (the hourly job runs it for all, which also drops sessions that have begun)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    tz = timezone.get_current_timezone()
    courses = Course.objects.filter(status=Course.Status.SCHEDULED, ends_on__gte=today)
    sessions = Session.objects.filter(course__status=Course.Status.SCHEDULED, is_cancelled=False, starts_at__gte=now)
    programmes = Programme.objects.all()
    if programme_ids is not None:
        ids = set(programme_ids)
        if not ids:
            return 0
        courses = courses.filter(programme_id__in=ids)
        sessions = sessions.filter(course__programme_id__in=ids)
        programmes = programmes.filter(pk__in=ids)
    upcoming: dict[int, list[dt.datetime]] = dict(
        sessions.order_by()
        .values("course__programme_id")
        .annotate(starts=ArrayAgg("starts_at", distinct=True, order_by="starts_at"))
        .values_list("course__programme_id", "starts")
    )
    rows = courses.annotate(
        next_session=Min("sessions__starts_at", filter=Q(sessions__is_cancelled=False, sessions__starts_at__gte=now)),
        any_session=Min("sessions__starts_at"),
    ).values_list("pk", "programme_id", "starts_on", "next_session", "any_session")

    best: dict[int, tuple[dt.datetime, int]] = {}
    for course_id, programme_id, starts_on, next_session, any_session in rows:
        if next_session is not None:
            moment = next_session
        elif any_session is None:  # no sessions planned yet: the start date stands in
            moment = dt.datetime.combine(max(starts_on, today), dt.time.min, tzinfo=tz)
        else:  # every session is over or cancelled
            continue
        key = (moment, course_id)
        if programme_id not in best or key < best[programme_id]:
            best[programme_id] = key

    changed = []
    for programme in programmes.only("pk", *SCHEDULE_FIELDS):
        moment, course_id = best.get(programme.pk, (None, None))
        starts = upcoming.get(programme.pk, [])
        slots = session_slots(starts)
        current = (programme.next_course_id, programme.next_start, programme.upcoming_session_starts)
        if current != (course_id, moment, starts) or programme.upcoming_slots != slots:
            programme.next_course_id = course_id
            programme.next_start = moment
            programme.upcoming_session_starts = starts
            programme.upcoming_slots = slots
            changed.append(programme)
    if changed:
        with transaction.atomic():
            Programme.objects.bulk_update(changed, SCHEDULE_FIELDS, batch_size=1000)
            catalogue_changed()
    return len(changed)


def programme_refresh_schedule(*, programme_id: int, now: dt.datetime | None = None) -> None:
    """The schedule summary of one programme; course and session services call it."""
    programmes_refresh_schedule(programme_ids=[programme_id], now=now)


# --- Helpers ----------------------------------------------------------------------------


def _full_clean(instance, *, exclude: Sequence[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        raise ProgrammeError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc


def _unique_slug(model, base: str, *, fallback: str, scope: dict | None = None, max_length: int = 80) -> str:
    base = slugify(base)[: max_length - 6].strip("-") or fallback
    taken = set(model.objects.filter(slug__startswith=base, **(scope or {})).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _clean_text(value: str | None) -> str:
    return (value or "").strip()


# --- Providers, memberships, venues, categories -----------------------------------------


@transaction.atomic
def provider_create(
    *,
    city: City,
    name_th: str,
    kind: str,
    name_en: str = "",
    slug: str = "",
    description_th: str = "",
    description_en: str = "",
    contact_name: str = "",
    website: str = "",
    phone: str = "",
    email: str = "",
) -> Provider:
    provider = Provider(
        city=city,
        name_th=_clean_text(name_th),
        name_en=_clean_text(name_en),
        kind=kind,
        description_th=sanitize_html(description_th),
        description_en=sanitize_html(description_en),
        contact_name=_clean_text(contact_name),
        website=_clean_text(website),
        phone=_clean_text(phone),
        email=_clean_text(email),
    )
    provider.slug = slug or _unique_slug(
        Provider, name_en or name_th, fallback="provider", scope={"city": city}, max_length=80
    )
    _full_clean(provider)
    provider.save()
    return provider


PROVIDER_UPDATABLE = {
    "name_th",
    "name_en",
    "slug",
    "kind",
    "description_th",
    "description_en",
    "contact_name",
    "website",
    "phone",
    "email",
    "is_active",
}


@transaction.atomic
def provider_update(*, provider: Provider, **fields) -> Provider:
    """Change a provider's profile. A new name re-indexes its programmes for search."""
    unknown = set(fields) - PROVIDER_UPDATABLE
    if unknown:
        raise TypeError(f"provider_update() got unexpected fields: {sorted(unknown)}")
    renamed = any(k in fields and fields[k] != getattr(provider, k) for k in ("name_th", "name_en"))
    for key, value in fields.items():
        if key.startswith("description_"):
            value = sanitize_html(value)
        elif isinstance(value, str):
            value = value.strip()
        setattr(provider, key, value)
    _full_clean(provider)
    provider.save()
    if renamed:
        programme_search_refresh(programme_ids=provider.programmes.values_list("pk", flat=True))
    return provider


@transaction.atomic
def provider_membership_set(*, provider: Provider, user, role: str) -> ProviderMembership:
    """Give `user` the role at `provider` (creating or changing the membership)."""
    if role not in ProviderMembership.Role.values:
        raise ProgrammeError({"role": [_("Choose editor or manager.")]})
    membership, _created = ProviderMembership.objects.update_or_create(
        user=user, provider=provider, defaults={"role": role}
    )
    return membership


@transaction.atomic
def venue_create(
    *,
    city: City,
    name_th: str,
    name_en: str = "",
    provider: Provider | None = None,
    district: District | None = None,
    address_th: str = "",
    address_en: str = "",
    latitude: Decimal | float | None = None,
    longitude: Decimal | float | None = None,
    accessibility: Iterable[str] = (),
) -> Venue:
    if provider is not None and provider.city_id != city.pk:
        raise ProgrammeError({"provider": [_("The provider belongs to another city.")]})
    if district is not None and district.city_id != city.pk:
        raise ProgrammeError({"district": [_("The district belongs to another city.")]})
    venue = Venue(
        city=city,
        provider=provider,
        district=district,
        name_th=_clean_text(name_th),
        name_en=_clean_text(name_en),
        address_th=_clean_text(address_th),
        address_en=_clean_text(address_en),
        latitude=None if latitude is None else Decimal(str(latitude)).quantize(Decimal("0.000001")),
        longitude=None if longitude is None else Decimal(str(longitude)).quantize(Decimal("0.000001")),
        accessibility=sorted(set(accessibility)),
    )
    _full_clean(venue)
    venue.save()
    return venue


@transaction.atomic
def category_create(
    *,
    name_th: str,
    building_blocks: Iterable[int],
    name_en: str = "",
    slug: str = "",
    sdg_targets: Iterable[str] = (),
    position: int = 0,
) -> Category:
    category = Category(
        name_th=_clean_text(name_th),
        name_en=_clean_text(name_en),
        building_blocks=sorted(set(building_blocks)),
        sdg_targets=sorted(set(sdg_targets)),
        position=position,
    )
    category.slug = slug or _unique_slug(Category, name_en or name_th, fallback="category")
    _full_clean(category)
    category.save()
    return category


@transaction.atomic
def category_update(*, category: Category, **fields) -> Category:
    """Change a category. A new name re-indexes its programmes for search."""
    allowed = {"name_th", "name_en", "building_blocks", "sdg_targets", "position"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"category_update() got unexpected fields: {sorted(unknown)}")
    renamed = any(k in fields and fields[k] != getattr(category, k) for k in ("name_th", "name_en"))
    for key, value in fields.items():
        setattr(category, key, value.strip() if isinstance(value, str) else value)
    _full_clean(category)
    category.save()
    if renamed:
        programme_search_refresh(programme_ids=category.programmes.values_list("pk", flat=True))
    return category


# --- Programmes -------------------------------------------------------------------------

PROGRAMME_TEXT_FIELDS = {
    "title_th",
    "title_en",
    "summary_th",
    "summary_en",
    "fee_note_th",
    "fee_note_en",
    "prerequisites_th",
    "prerequisites_en",
}
PROGRAMME_RICH_FIELDS = {"description_th", "description_en"}
PROGRAMME_UPDATABLE = (
    PROGRAMME_TEXT_FIELDS | PROGRAMME_RICH_FIELDS | {"age_min", "age_max", "language", "format", "fee"}
)


def _apply_programme_fields(programme: Programme, fields: dict) -> None:
    for key, value in fields.items():
        if key in PROGRAMME_RICH_FIELDS:
            value = sanitize_html(value or "")
        elif key in PROGRAMME_TEXT_FIELDS:
            value = _clean_text(value)
        setattr(programme, key, value)


@transaction.atomic
def programme_create(
    *,
    provider: Provider,
    title_th: str,
    categories: Iterable[Category] = (),
    slug: str = "",
    **fields,
) -> Programme:
    """A new programme, in draft. Other fields: see PROGRAMME_UPDATABLE."""
    unknown = set(fields) - PROGRAMME_UPDATABLE
    if unknown:
        raise TypeError(f"programme_create() got unexpected fields: {sorted(unknown)}")
    programme = Programme(provider=provider, status=Programme.Status.DRAFT)
    _apply_programme_fields(programme, {"title_th": title_th, **fields})
    programme.slug = slug or _unique_slug(Programme, programme.title_en or "", fallback="programme", max_length=100)
    _full_clean(programme)
    programme.save()
    programme.categories.set(list(categories))
    programme_search_refresh(programme_ids=[programme.pk])
    return programme


@transaction.atomic
def programme_update(*, programme: Programme, categories: Iterable[Category] | None = None, **fields) -> Programme:
    """Change a programme's content; the search document follows."""
    unknown = set(fields) - PROGRAMME_UPDATABLE
    if unknown:
        raise TypeError(f"programme_update() got unexpected fields: {sorted(unknown)}")
    _apply_programme_fields(programme, fields)
    _full_clean(programme)
    programme.save()
    if categories is not None:
        programme.categories.set(list(categories))
    programme_search_refresh(programme_ids=[programme.pk])
    return programme


@transaction.atomic
def programme_publish(*, programme: Programme, now: dt.datetime | None = None) -> Programme:
    """Draft or archived -> published; the first publication date is kept on re-publishing.
    Publishing a published programme changes nothing."""
    if programme.status == Programme.Status.PUBLISHED:
        return programme
    if not programme.title_th.strip():
        raise ProgrammeError({"title_th": [_("A Thai title is required before publishing.")]})
    programme.status = Programme.Status.PUBLISHED
    programme.published_at = programme.published_at or now or timezone.now()
    programme.save(update_fields=["status", "published_at", "updated_at"])
    return programme


@transaction.atomic
def programme_archive(*, programme: Programme) -> Programme:
    """Take a programme out of the catalogue; its courses and history stay."""
    programme.status = Programme.Status.ARCHIVED
    programme.save(update_fields=["status", "updated_at"])
    return programme


# --- First-publication review -----------------------------------------------------------
# A city may require a city administrator to approve each provider's first publication
# (City.require_first_publication_review). "Approved" means the provider has had a
# programme published before (published_at is kept on archiving), so a provider whose
# programmes were published before the setting was switched on is not held back.


REVIEW_NOTE_MAX = 1000


def provider_needs_review(*, provider: Provider) -> bool:
    """True when the provider's next publication must go to a city administrator first."""
    if not City.objects.filter(pk=provider.city_id, require_first_publication_review=True).exists():
        return False
    return not Programme.objects.filter(provider_id=provider.pk, published_at__isnull=False).exists()


def _lock_programme(programme: Programme) -> Programme:
    return Programme.objects.select_for_update().get(pk=programme.pk)


def _sync_programme(programme: Programme, locked: Programme) -> None:
    for field in ("status", "published_at", "submitted_at", "review_note", "updated_at"):
        setattr(programme, field, getattr(locked, field))


@transaction.atomic
def programme_submit_for_review(*, programme: Programme, now: dt.datetime | None = None) -> Programme:
    """Draft or archived -> submitted for review (the programme stays out of the catalogue
    until a city administrator approves it). Submitting twice changes nothing."""
    locked = _lock_programme(programme)
    if locked.status == Programme.Status.PENDING_REVIEW:
        _sync_programme(programme, locked)
        return programme
    if locked.status == Programme.Status.PUBLISHED:
        raise ProgrammeError(_("This programme is already published."))
    if not locked.title_th.strip():
        raise ProgrammeError({"title_th": [_("A Thai title is required before publishing.")]})
    locked.status = Programme.Status.PENDING_REVIEW
    locked.submitted_at = now or timezone.now()
    locked.review_note = ""
    locked.save(update_fields=["status", "submitted_at", "review_note", "updated_at"])
    _sync_programme(programme, locked)
    return programme


@transaction.atomic
def programme_review_approve(*, programme: Programme, now: dt.datetime | None = None) -> Programme:
    """A city administrator approves a submitted programme: it is published at once."""
    locked = _lock_programme(programme)
    if locked.status != Programme.Status.PENDING_REVIEW:
        raise ProgrammeError(_("This programme is not waiting for review."))
    locked.status = Programme.Status.PUBLISHED
    locked.published_at = locked.published_at or now or timezone.now()
    locked.review_note = ""
    locked.save(update_fields=["status", "published_at", "review_note", "updated_at"])
    _sync_programme(programme, locked)
    return programme


@transaction.atomic
def programme_review_return(*, programme: Programme, reason: str) -> Programme:
    """A city administrator sends a submitted programme back to draft, with the reason the
    provider's staff will read."""
    reason = normalise_text(reason)[:REVIEW_NOTE_MAX] if reason else ""
    if not reason:
        raise ProgrammeError({"reason": [_("Tell the provider what to change.")]})
    locked = _lock_programme(programme)
    if locked.status != Programme.Status.PENDING_REVIEW:
        raise ProgrammeError(_("This programme is not waiting for review."))
    locked.status = Programme.Status.DRAFT
    locked.review_note = reason
    locked.save(update_fields=["status", "review_note", "updated_at"])
    _sync_programme(programme, locked)
    return programme


# --- Courses and sessions ---------------------------------------------------------------


@transaction.atomic
def course_create(
    *,
    programme: Programme,
    starts_on: dt.date,
    ends_on: dt.date,
    capacity: int,
    venue: Venue | None = None,
    enrolment_opens_at: dt.datetime | None = None,
    enrolment_closes_at: dt.datetime | None = None,
    cancellation_deadline: dt.datetime | None = None,
    confirmation_mode: str = Course.ConfirmationMode.AUTOMATIC,
    offer_hold_hours: int = 48,
    completion_min_attendance_pct: int = 80,
    online_url: str = "",
    notes_th: str = "",
    notes_en: str = "",
    now: dt.datetime | None = None,
) -> Course:
    if venue is not None and venue.city_id != programme.provider.city_id:
        raise ProgrammeError({"venue": [_("The venue belongs to another city.")]})
    if venue is None and not online_url and programme.format != Programme.Format.ONLINE:
        raise ProgrammeError({"venue": [_("Choose a venue, or give an online link for an online course.")]})
    course = Course(
        programme=programme,
        venue=venue,
        starts_on=starts_on,
        ends_on=ends_on,
        capacity=capacity,
        enrolment_opens_at=enrolment_opens_at,
        enrolment_closes_at=enrolment_closes_at,
        cancellation_deadline=cancellation_deadline,
        confirmation_mode=confirmation_mode,
        offer_hold_hours=offer_hold_hours,
        completion_min_attendance_pct=completion_min_attendance_pct,
        online_url=_clean_text(online_url),
        notes_th=_clean_text(notes_th),
        notes_en=_clean_text(notes_en),
    )
    _full_clean(course, exclude=["programme"])
    course.save()
    programme_refresh_schedule(programme_id=programme.pk, now=now)
    return course


COURSE_UPDATABLE = {
    "starts_on",
    "ends_on",
    "venue",
    "enrolment_opens_at",
    "enrolment_closes_at",
    "cancellation_deadline",
    "confirmation_mode",
    "offer_hold_hours",
    "completion_min_attendance_pct",
    "online_url",
    "notes_th",
    "notes_en",
}


def _venue_names(venue: Venue | None) -> dict | None:
    return None if venue is None else {"th": venue.name_th, "en": venue.name_en}


@transaction.atomic
def course_update(*, course: Course, now: dt.datetime | None = None, **fields) -> Course:
    """Change a scheduled course after creation (capacity has its own service in
    participants, which offers freed places). Rules: the venue is the provider's own or a
    shared one of the same city (or none for an online course with a link); sessions still
    to come must fall within the new dates; enrolment opens before it closes and before the
    course ends; the cancellation deadline is not after the course ends. When the dates or
    the venue change, the sessions still to come at the old venue move with it and a
    CourseChange (course_changed) tells everyone enrolled once. The course row is saved with
    `update_fields`, never touching the counters the enrolment services move."""
    unknown = set(fields) - COURSE_UPDATABLE
    if unknown:
        raise TypeError(f"course_update() got unexpected fields: {sorted(unknown)}")
    now = now or timezone.now()
    course = Course.objects.select_for_update(of=("self",)).select_related("programme", "venue").get(pk=course.pk)
    programme = course.programme
    if course.status != Course.Status.SCHEDULED:
        raise ProgrammeError(_("Only a scheduled course can be changed."))
    errors: dict[str, list[str]] = {}
    venue = fields.get("venue", course.venue)
    if venue is not None and (
        venue.city_id != Provider.objects.filter(pk=programme.provider_id).values_list("city_id", flat=True).get()
        or venue.provider_id not in (None, programme.provider_id)
    ):
        errors["venue"] = [_("Choose one of your venues or a shared venue of the city.")]
    online_url = _clean_text(fields.get("online_url", course.online_url))
    if venue is None and not online_url and programme.format != Programme.Format.ONLINE:
        errors["venue"] = [_("Choose a venue, or give an online link for an online course.")]
    starts_on = fields.get("starts_on", course.starts_on)
    ends_on = fields.get("ends_on", course.ends_on)
    opens = fields.get("enrolment_opens_at", course.enrolment_opens_at)
    deadline = fields.get("cancellation_deadline", course.cancellation_deadline)
    tz = timezone.get_default_timezone()
    course_end = dt.datetime.combine(ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    if opens and opens >= course_end:
        errors.setdefault("enrolment_opens_at", []).append(_("Enrolment must open before the course ends."))
    if deadline and deadline >= course_end:
        errors.setdefault("cancellation_deadline", []).append(
            _("The cancellation deadline cannot be after the course ends.")
        )
    if starts_on <= ends_on:
        outside = (
            course.sessions.filter(is_cancelled=False, starts_at__gte=now)
            .exclude(
                starts_at__gte=dt.datetime.combine(starts_on, dt.time.min, tzinfo=tz),
                starts_at__lt=course_end,
            )
            .exists()
        )
        if outside:
            errors.setdefault("starts_on", []).append(
                _("Some sessions still to come fall outside these dates: move or cancel them first.")
            )
    if errors:
        raise ProgrammeError(errors)

    before = {"starts_on": course.starts_on, "ends_on": course.ends_on, "venue": course.venue}
    for key, value in fields.items():
        if key in ("online_url", "notes_th", "notes_en"):
            value = _clean_text(value)
        setattr(course, key, value)
    _full_clean(course, exclude=["programme"])
    course.save(update_fields=[*sorted(fields), "updated_at"])

    details = {}
    for key in ("starts_on", "ends_on"):
        if before[key] != getattr(course, key):
            details[key] = [before[key].isoformat(), getattr(course, key).isoformat()]
    if before["venue"] != course.venue:
        details["venue"] = [_venue_names(before["venue"]), _venue_names(course.venue)]
        old_venue_id = before["venue"].pk if before["venue"] else None
        moving = course.sessions.filter(is_cancelled=False, starts_at__gte=now, venue_id=old_venue_id)
        if course.venue is None:
            moving.update(venue=None, online_url=course.online_url)
        else:
            moving.update(venue=course.venue, online_url="")
    if details:
        # The outbox row for participants: everyone enrolled is told once (see CourseChange).
        CourseChange.objects.create(
            course_id=course.pk, kind=CourseChange.Kind.COURSE_CHANGED, details=details, created_at=now
        )
    programme_refresh_schedule(programme_id=programme.pk, now=now)
    return course


@transaction.atomic
def course_cancel(*, course: Course, now: dt.datetime | None = None) -> Course:
    """Mark a course cancelled (participants' enrolments are handled by the participants
    app, which calls this) and move the programme's schedule summary on."""
    course.status = Course.Status.CANCELLED
    course.save(update_fields=["status", "updated_at"])
    programme_refresh_schedule(programme_id=course.programme_id, now=now)
    return course


@transaction.atomic
def course_complete(*, course: Course, now: dt.datetime | None = None) -> Course:
    course.status = Course.Status.COMPLETED
    course.save(update_fields=["status", "updated_at"])
    programme_refresh_schedule(programme_id=course.programme_id, now=now)
    return course


@transaction.atomic
def session_create(
    *,
    course: Course,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    venue: Venue | None = None,
    online_url: str = "",
    now: dt.datetime | None = None,
) -> Session:
    """A meeting of a course, at the course's venue (or online link) unless told otherwise.
    Sessions must fall within the course's dates (local time)."""
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("session_create() needs aware datetimes")
    session = Session(
        course=course,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue if venue is not None else course.venue,
        online_url=_clean_text(online_url) or (course.online_url if venue is None else ""),
    )
    day = timezone.localdate(starts_at)
    if not course.starts_on <= day <= course.ends_on:
        raise ProgrammeError({"starts_at": [_("The session must take place within the course's dates.")]})
    _full_clean(session)
    session.save()
    programme_refresh_schedule(programme_id=course.programme_id, now=now)
    return session


@transaction.atomic
def session_cancel(*, session: Session, now: dt.datetime | None = None) -> Session:
    was_cancelled = session.is_cancelled
    session.is_cancelled = True
    session.save(update_fields=["is_cancelled"])
    if not was_cancelled:
        CourseChange.objects.create(
            course_id=session.course_id,
            session=session,
            kind=CourseChange.Kind.SESSION_CANCELLED,
            old_starts_at=session.starts_at,
            created_at=now or timezone.now(),
        )
    programme_refresh_schedule(programme_id=session.course.programme_id, now=now)
    return session


# --- Provider workspace (staff) ---------------------------------------------------------
# Appended for the provider workspace (programmes/staff). Actor-aware, audited wrappers live
# in programmes/staff/services.py; these are the domain rules themselves.


def weekly_dates(
    *, weekdays: Iterable[int], date_from: dt.date, date_to: dt.date, skip: Iterable[dt.date] = ()
) -> list[dt.date]:
    """The dates from `date_from` to `date_to` (both included) that fall on one of
    `weekdays` (ISO: Monday 1 ... Sunday 7), without the dates in `skip`."""
    days = set(weekdays)
    skipped = set(skip)
    out = []
    day = date_from
    while day <= date_to:
        if day.isoweekday() in days and day not in skipped:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def local_interval(day: dt.date, start: dt.time, end: dt.time) -> tuple[dt.datetime, dt.datetime]:
    """Aware start and end of a meeting on `day` from local (Asia/Bangkok) wall-clock times."""
    tz = timezone.get_default_timezone()
    return dt.datetime.combine(day, start, tzinfo=tz), dt.datetime.combine(day, end, tzinfo=tz)


@transaction.atomic
def sessions_generate_weekly(
    *,
    course: Course,
    weekdays: Iterable[int],
    start_time: dt.time,
    end_time: dt.time,
    date_from: dt.date,
    date_to: dt.date,
    skip: Iterable[dt.date] = (),
    now: dt.datetime | None = None,
) -> list[Session]:
    """Sessions on the given weekdays between two dates (local times), skipping `skip`.
    All or nothing: one invalid session (outside the course, a duplicate start) saves none."""
    if end_time <= start_time:
        raise ProgrammeError({"end_time": [_("A session must end after it starts.")]})
    if date_to < date_from:
        raise ProgrammeError({"date_to": [_("The last date must not be before the first.")]})
    days = weekly_dates(weekdays=weekdays, date_from=date_from, date_to=date_to, skip=skip)
    if not days:
        raise ProgrammeError({"weekdays": [_("No date matches this pattern.")]})
    if days[0] < course.starts_on or days[-1] > course.ends_on:
        raise ProgrammeError({"date_from": [_("The session must take place within the course's dates.")]})
    existing = set(course.sessions.values_list("starts_at", flat=True))
    sessions = []
    for day in days:
        starts_at, ends_at = local_interval(day, start_time, end_time)
        if starts_at in existing:
            raise ProgrammeError({"date_from": [_("This course already has a session starting at that time.")]})
        sessions.append(
            Session(
                course=course, starts_at=starts_at, ends_at=ends_at, venue=course.venue, online_url=course.online_url
            )
        )
    Session.objects.bulk_create(sessions)
    programme_refresh_schedule(programme_id=course.programme_id, now=now)
    return sessions


@transaction.atomic
def session_update(
    *,
    session: Session,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    venue: Venue | None = None,
    now: dt.datetime | None = None,
) -> Session:
    """Move a session (new times, optionally another venue) within its course's dates."""
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("session_update() needs aware datetimes")
    course = session.course
    day = timezone.localdate(starts_at)
    if not course.starts_on <= day <= course.ends_on:
        raise ProgrammeError({"starts_at": [_("The session must take place within the course's dates.")]})
    before = (session.starts_at, session.ends_at, session.venue_id)
    session.starts_at = starts_at
    session.ends_at = ends_at
    session.venue = venue if venue is not None else session.venue
    _full_clean(session)
    with transaction.atomic():
        session.save(update_fields=["starts_at", "ends_at", "venue"])
        if before != (session.starts_at, session.ends_at, session.venue_id) and not session.is_cancelled:
            # The outbox row for participants: everyone enrolled is told (see CourseChange).
            CourseChange.objects.create(
                course_id=course.pk,
                session=session,
                kind=CourseChange.Kind.SESSION_MOVED,
                old_starts_at=before[0],
                new_starts_at=session.starts_at,
                created_at=now or timezone.now(),
            )
    programme_refresh_schedule(programme_id=course.programme_id, now=now)
    return session


COURSE_COPIED_FIELDS = [
    "venue_id",
    "capacity",
    "confirmation_mode",
    "offer_hold_hours",
    "completion_min_attendance_pct",
    "online_url",
    "notes_th",
    "notes_en",
]


@transaction.atomic
def course_duplicate(*, course: Course, weeks: int, now: dt.datetime | None = None) -> Course:
    """The next run of a course: its settings, dates, windows and (not cancelled) sessions
    shifted by `weeks` weeks; places taken and the waiting list start at 0."""
    if not 1 <= weeks <= 260:
        raise ProgrammeError({"weeks": [_("Choose between 1 and 260 weeks.")]})
    shift = dt.timedelta(weeks=weeks)
    copy = Course(
        programme_id=course.programme_id,
        starts_on=course.starts_on + shift,
        ends_on=course.ends_on + shift,
        **{field: getattr(course, field) for field in COURSE_COPIED_FIELDS},
    )
    for field in ("enrolment_opens_at", "enrolment_closes_at", "cancellation_deadline"):
        value = getattr(course, field)
        setattr(copy, field, value + shift if value else None)
    _full_clean(copy, exclude=["programme", "venue"])
    copy.save()
    Session.objects.bulk_create(
        Session(
            course=copy,
            starts_at=s.starts_at + shift,
            ends_at=s.ends_at + shift,
            venue_id=s.venue_id,
            online_url=s.online_url,
        )
        for s in course.sessions.filter(is_cancelled=False).order_by("starts_at")
    )
    programme_refresh_schedule(programme_id=course.programme_id, now=now)
    return copy


@transaction.atomic
def programme_set_draft(*, programme: Programme) -> Programme:
    """Archived (or published) -> draft, to rework and reuse it."""
    programme.status = Programme.Status.DRAFT
    programme.save(update_fields=["status", "updated_at"])
    return programme


@transaction.atomic
def programme_image_set(*, programme: Programme, image) -> Programme:
    """Replace the programme's image with an already validated upload (or clear it with None)."""
    if image is None:
        programme.image = ""
    else:
        programme.image.save(image.name, image, save=False)
    programme.save(update_fields=["image", "updated_at"])
    return programme


VENUE_UPDATABLE = {
    "name_th",
    "name_en",
    "district",
    "address_th",
    "address_en",
    "latitude",
    "longitude",
    "accessibility",
    "is_active",
}


@transaction.atomic
def venue_update(*, venue: Venue, **fields) -> Venue:
    unknown = set(fields) - VENUE_UPDATABLE
    if unknown:
        raise TypeError(f"venue_update() got unexpected fields: {sorted(unknown)}")
    district = fields.get("district")
    if district is not None and district.city_id != venue.city_id:
        raise ProgrammeError({"district": [_("The district belongs to another city.")]})
    for key, value in fields.items():
        if key in ("latitude", "longitude") and value is not None:
            value = Decimal(str(value)).quantize(Decimal("0.000001"))
        elif key == "accessibility":
            value = sorted(set(value))
        elif isinstance(value, str):
            value = value.strip()
        setattr(venue, key, value)
    _full_clean(venue)
    venue.save()
    return venue


def _other_managers(membership: ProviderMembership) -> bool:
    return (
        ProviderMembership.objects.filter(provider_id=membership.provider_id, role=ProviderMembership.Role.MANAGER)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def provider_membership_change_role(*, membership: ProviderMembership, role: str) -> ProviderMembership:
    """Change a staff member's role; the provider's last manager stays a manager."""
    if role not in ProviderMembership.Role.values:
        raise ProgrammeError({"role": [_("Choose editor or manager.")]})
    # Lock the provider's memberships so two managers cannot demote each other at once.
    list(ProviderMembership.objects.select_for_update().filter(provider_id=membership.provider_id))
    if (
        membership.role == ProviderMembership.Role.MANAGER
        and role != ProviderMembership.Role.MANAGER
        and not _other_managers(membership)
    ):
        raise ProgrammeError({"role": [_("A provider needs at least one manager.")]})
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def provider_membership_remove(*, membership: ProviderMembership) -> None:
    """Remove a staff member; the provider's last manager cannot be removed."""
    list(ProviderMembership.objects.select_for_update().filter(provider_id=membership.provider_id))
    if membership.role == ProviderMembership.Role.MANAGER and not _other_managers(membership):
        raise ProgrammeError({"role": [_("A provider needs at least one manager.")]})
    membership.delete()
