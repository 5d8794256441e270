"""What the city offers: providers, venues, categories, programmes, courses, sessions.

Invariants live in the database (CheckConstraint/UniqueConstraint), so that no code path, the
admin and raw SQL included, can store an impossible row. Writes that need more than one row
(search documents, the denormalised schedule) go through programmes.services."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from learningcity.city.models import BilingualName, City, District


def _pick(th: str, en: str) -> str:
    """English when the active language is English and the English text exists, else Thai."""
    if (get_language() or "th").startswith("en") and en:
        return en
    return th


class Provider(BilingualName):
    """An organisation that offers learning. Belongs to one city (several cities may share a
    deployment later). Staff reach it through ProviderMembership."""

    class Kind(models.TextChoices):
        MUNICIPAL = "municipal", _("Municipal department")
        SCHOOL = "school", _("School")
        LIBRARY = "library", _("Library or learning centre")
        COMMUNITY_CENTRE = "community_centre", _("Community learning centre")
        UNIVERSITY = "university", _("University")
        NGO = "ngo", _("NGO or foundation")
        ELDERLY_SCHOOL = "elderly_school", _("Elderly school")
        PRIVATE = "private", _("Private provider")

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="providers", verbose_name=_("city"))
    slug = models.SlugField(_("slug"), max_length=80)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    description_th = models.TextField(_("description (Thai)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    website = models.URLField(_("website"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="providers/", blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["name_th"]
        constraints = [models.UniqueConstraint(fields=["city", "slug"], name="provider_unique_slug_per_city")]
        indexes = [models.Index(fields=["city", "kind"], name="provider_city_kind")]

    def __str__(self) -> str:
        return self.name

    @property
    def description(self) -> str:
        return _pick(self.description_th, self.description_en)


class ProviderMembership(models.Model):
    """A staff member of a provider. Editors manage programmes, courses and rosters;
    managers also manage the provider's profile and its staff."""

    class Role(models.TextChoices):
        EDITOR = "editor", _("Editor")
        MANAGER = "manager", _("Manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="provider_memberships",
        verbose_name=_("user"),
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("provider")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("provider membership")
        verbose_name_plural = _("provider memberships")
        constraints = [models.UniqueConstraint(fields=["user", "provider"], name="provider_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider} ({self.role})"


ACCESSIBILITY_VALUES = [
    "step_free",
    "accessible_toilet",
    "hearing_loop",
    "sign_language",
    "parking",
    "public_transport",
]


class Venue(BilingualName):
    """A place where learning happens. `provider` empty = a shared, city-managed venue.

    Accessibility is a defined set stored as a text array (GIN-indexed): the catalogue filter
    "has step-free access and a hearing loop" is `accessibility__contains=[...]`, one index
    probe, without a join table. Coordinates are decimals (6 places ~ 0.1 m) and either both
    present or both empty."""

    class Accessibility(models.TextChoices):
        STEP_FREE = "step_free", _("Step-free access")
        ACCESSIBLE_TOILET = "accessible_toilet", _("Accessible toilet")
        HEARING_LOOP = "hearing_loop", _("Hearing loop")
        SIGN_LANGUAGE = "sign_language", _("Sign language available")
        PARKING = "parking", _("Parking")
        PUBLIC_TRANSPORT = "public_transport", _("Near public transport")

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="venues", verbose_name=_("city"))
    provider = models.ForeignKey(
        Provider,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="venues",
        verbose_name=_("provider"),
        help_text=_("Leave empty for a shared venue managed by the city."),
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="venues", verbose_name=_("district")
    )
    address_th = models.CharField(_("address (Thai)"), max_length=300, blank=True)
    address_en = models.CharField(_("address (English)"), max_length=300, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    accessibility = ArrayField(
        models.CharField(max_length=24, choices=Accessibility.choices),
        verbose_name=_("accessibility features"),
        default=list,
        blank=True,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["name_th"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="venue_latitude_range",
                violation_error_message=_("Latitude must be between -90 and 90."),
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="venue_longitude_range",
                violation_error_message=_("Longitude must be between -180 and 180."),
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="venue_coordinates_both_or_neither",
                violation_error_message=_("Give both latitude and longitude, or neither."),
            ),
            models.CheckConstraint(
                condition=Q(accessibility__contained_by=ACCESSIBILITY_VALUES),
                name="venue_accessibility_known_values",
                violation_error_message=_("Unknown accessibility feature."),
            ),
        ]
        indexes = [
            GinIndex(fields=["accessibility"], name="venue_accessibility_gin"),
            models.Index(fields=["city", "district"], name="venue_city_district"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        return _pick(self.address_th, self.address_en)

    def get_accessibility_display(self) -> list[str]:
        labels = dict(self.Accessibility.choices)
        return [str(labels.get(value, value)) for value in self.accessibility]


BUILDING_BLOCKS = [1, 2, 3, 4, 5, 6]
SDG4_TARGETS = ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.a", "4.b", "4.c"]


class Category(BilingualName):
    """A subject area, tagged with one or more GNLC building blocks (1-6, DOMAIN.md) and
    optionally SDG 4 targets. Categories are one shared taxonomy, not per city: reports compare
    cities and GNLC progress reports count by building block."""

    class BuildingBlock(models.IntegerChoices):
        EDUCATION_SYSTEM = 1, _("Inclusive learning in the education system")
        FAMILIES_COMMUNITIES = 2, _("Revitalised learning in families and communities")
        WORKPLACE = 3, _("Effective learning for and in the workplace")
        TECHNOLOGIES = 4, _("Extended use of modern learning technologies")
        QUALITY = 5, _("Enhanced quality in learning")
        CULTURE = 6, _("A vibrant culture of learning throughout life")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    building_blocks = ArrayField(
        models.PositiveSmallIntegerField(choices=BuildingBlock.choices),
        verbose_name=_("GNLC building blocks"),
    )
    sdg_targets = ArrayField(models.CharField(max_length=4), verbose_name=_("SDG 4 targets"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name_th"]
        constraints = [
            models.CheckConstraint(
                condition=Q(building_blocks__contained_by=BUILDING_BLOCKS) & Q(building_blocks__len__gte=1),
                name="category_building_blocks_1_to_6",
                violation_error_message=_("Choose one or more GNLC building blocks from 1 to 6."),
            ),
            models.CheckConstraint(
                condition=Q(sdg_targets__contained_by=SDG4_TARGETS),
                name="category_sdg4_targets_known",
                violation_error_message=_("Unknown SDG 4 target."),
            ),
        ]
        indexes = [GinIndex(fields=["building_blocks"], name="category_building_blocks_gin")]

    def __str__(self) -> str:
        return self.name


class Programme(models.Model):
    """A catalogue entry. Thai is required and the fallback for every English field.

    Denormalised for the catalogue (kept by services.programme_refresh_schedule, never by
    signals): `next_course` (the scheduled course a card shows, with its places left from the
    course's own counters), `next_start` (when it next meets), and the upcoming sessions'
    starts and weekday/evening slots the session filters read. A card then costs no query of
    its own: select_related follows next_course -> venue -> district. A LATERAL subquery
    would give the same without denormalising, but it runs on every catalogue request, while
    the schedule changes rarely (course/session services refresh it, a nightly job moves it on
    as time passes).

    Search reads the programme's narrow `ProgrammeSearch` row (`search_document`), never this
    wide row. See programmes/search.py."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_REVIEW = "pending_review", _("Submitted for review")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")

    class Language(models.TextChoices):
        THAI = "th", _("Thai")
        ENGLISH = "en", _("English")
        BOTH = "both", _("Thai and English")
        OTHER = "other", _("Other")

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="programmes", verbose_name=_("provider")
    )
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title_th = models.CharField(_("title (Thai)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    summary_th = models.CharField(_("summary (Thai)"), max_length=300, blank=True)
    summary_en = models.CharField(_("summary (English)"), max_length=300, blank=True)
    description_th = models.TextField(_("description (Thai)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    categories = models.ManyToManyField(Category, related_name="programmes", blank=True, verbose_name=_("categories"))
    age_min = models.PositiveSmallIntegerField(_("minimum age"), default=0)
    age_max = models.PositiveSmallIntegerField(
        _("maximum age"), null=True, blank=True, help_text=_("Leave empty for no upper limit.")
    )
    language = models.CharField(
        _("language of instruction"), max_length=8, choices=Language.choices, default=Language.THAI
    )
    format = models.CharField(_("format"), max_length=16, choices=Format.choices, default=Format.IN_PERSON)
    fee = models.DecimalField(
        _("fee (baht)"), max_digits=9, decimal_places=2, default=0, help_text=_("0 means free of charge.")
    )
    fee_note_th = models.CharField(_("fee note (Thai)"), max_length=300, blank=True)
    fee_note_en = models.CharField(_("fee note (English)"), max_length=300, blank=True)
    prerequisites_th = models.TextField(_("prerequisites (Thai)"), blank=True)
    prerequisites_en = models.TextField(_("prerequisites (English)"), blank=True)
    image = models.ImageField(_("image"), upload_to="programmes/", blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # First-publication review (City.require_first_publication_review): when the provider's
    # staff submitted it, and the city administrator's reason when it was sent back.
    submitted_at = models.DateTimeField(_("submitted for review"), null=True, blank=True)
    review_note = models.TextField(_("reason sent back"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Denormalised schedule (services.programme_refresh_schedule).
    next_course = models.ForeignKey(
        "Course",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("next course"),
    )
    next_start = models.DateTimeField(_("next start"), null=True, blank=True, editable=False)
    # The catalogue's session filters (dates, weekdays, evenings, weekends) read these instead
    # of joining 100,000s of sessions: the start of every session still to come (at the last
    # refresh; not cancelled, of a scheduled course), in order, and its summary as slot codes
    # (ISO weekday 1-7 of each session, and 10 + the weekday for an evening session), under a
    # GIN index. A session that has begun since the last refresh is still listed, so a query
    # checks `>= now` on the starts itself; the slots only narrow the candidates first.
    upcoming_session_starts = ArrayField(
        models.DateTimeField(), blank=True, default=list, editable=False, verbose_name=_("upcoming sessions")
    )
    upcoming_slots = ArrayField(
        models.PositiveSmallIntegerField(),
        blank=True,
        default=list,
        editable=False,
        verbose_name=_("upcoming weekdays and evenings"),
    )

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["title_th"]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_min__lte=120),
                name="programme_age_min_range",
                violation_error_message=_("The minimum age must be between 0 and 120."),
            ),
            models.CheckConstraint(
                condition=Q(age_max__isnull=True) | (Q(age_max__lte=120) & Q(age_max__gte=F("age_min"))),
                name="programme_age_max_range",
                violation_error_message=_(
                    "The maximum age must be between the minimum age and 120, or empty for no upper limit."
                ),
            ),
            models.CheckConstraint(
                condition=Q(fee__gte=0),
                name="programme_fee_not_negative",
                violation_error_message=_("The fee cannot be negative."),
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="programme_published_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="pending_review") | Q(submitted_at__isnull=False),
                name="programme_pending_review_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(title_th=""),
                name="programme_title_th_required",
                violation_error_message=_("A Thai title is required."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_start"], name="programme_status_next_start"),
            models.Index(fields=["provider", "status"], name="programme_provider_status"),
            models.Index(fields=["status", "age_min", "age_max"], name="programme_status_ages"),
            GinIndex(fields=["upcoming_slots"], name="programme_upcoming_slots_gin"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _pick(self.title_th, self.title_en)

    @property
    def summary(self) -> str:
        return _pick(self.summary_th, self.summary_en)

    @property
    def description(self) -> str:
        """Sanitised HTML (services clean it with nh3 on every write)."""
        return _pick(self.description_th, self.description_en)

    @property
    def fee_note(self) -> str:
        return _pick(self.fee_note_th, self.fee_note_en)

    @property
    def prerequisites(self) -> str:
        return _pick(self.prerequisites_th, self.prerequisites_en)

    @property
    def is_free(self) -> bool:
        return self.fee == 0

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_pending_review(self) -> bool:
        return self.status == self.Status.PENDING_REVIEW


class ProgrammeSearch(models.Model):
    """A programme's search document: one narrow row per programme, all that a search reads.

    A search for a common word (สวน is in 23 % of a Bangkok-sized catalogue) visits thousands of
    rows; the programme's own row is ~2.3 KB with its long columns compressed, so reading it
    for each match cost more than the search (docs/benchmarks.md). This row holds:
    - what services.programme_search_refresh writes: `search_text`, the unsegmented, lower-cased
      titles, summaries, provider and category names (trigram GIN: substrings such as Thai
      sub-words, and misspellings), and `search_vector`, pythainlp-segmented words of titles (A),
      summaries and names (B) and descriptions and prerequisites (C) (GIN);
    - copies kept by database triggers (migration 0006, function programmes_search_sync) on
      every write of a programme or a provider, whatever writes it: `listed` (published by an
      active provider), `city`, `next_start` (the order among equals) and the lower-cased titles
      (the reader's-language title bonus).
    Its text columns are stored uncompressed (STORAGE EXTERNAL): inline while the row is short,
    so a match costs no decompression; a long vector moves out of line, read only for the few
    rows ranked in full."""

    programme = models.OneToOneField(
        Programme, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    listed = models.BooleanField(default=False, editable=False)
    city = models.ForeignKey(
        "city.City", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+", editable=False
    )
    next_start = models.DateTimeField(null=True, editable=False)
    title_th_lower = models.TextField(default="", editable=False)
    title_en_lower = models.TextField(default="", editable=False)  # the Thai title when there is no English one
    search_text = models.TextField(default="", editable=False)
    search_vector = SearchVectorField(default="", editable=False)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        indexes = [
            GinIndex(fields=["search_vector"], name="programmesearch_vector_gin"),
            GinIndex(OpClass(F("search_text"), name="gin_trgm_ops"), name="programmesearch_text_trgm"),
        ]

    def __str__(self) -> str:
        return str(self.programme_id)


class SearchWord(models.Model):
    """A Latin-script word of the search documents' titles, summaries and names (their A and B
    weighted words): the lexicon a misspelt query is corrected against (search.py). Scanning a
    few thousand short words for similar ones is cheap; scanning 20,000 documents' text was
    not (a common misspelt word rechecked ~9,600 documents, ~400 ms). Words are added as
    documents are written (services.search_documents_write) and the list is rebuilt nightly
    (services.search_words_rebuild), which drops the words no document has any more; a stale
    word only corrects a query to a word that finds nothing."""

    word = models.TextField(primary_key=True)

    class Meta:
        verbose_name = _("search word")
        verbose_name_plural = _("search words")
        indexes = [GinIndex(OpClass(F("word"), name="gin_trgm_ops"), name="searchword_word_trgm")]

    def __str__(self) -> str:
        return self.word


class Course(models.Model):
    """One scheduled run of a programme. Residents enrol in a course.

    `seats_taken` and `waitlist_count` are counters kept by the enrolment services (which lock
    this row); `places_left` is derived from them without a query. The CheckConstraint
    0 <= seats_taken <= capacity is the overbooking backstop."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")

    class ConfirmationMode(models.TextChoices):
        AUTOMATIC = "automatic", _("Automatic: the next person on the waiting list gets the place")
        OFFER = "offer", _("Offer: the next person is offered the place and must accept")

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="courses", verbose_name=_("programme")
    )
    venue = models.ForeignKey(
        Venue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="courses",
        verbose_name=_("venue"),
        help_text=_("Leave empty for an online course."),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    capacity = models.PositiveIntegerField(_("capacity"))
    seats_taken = models.PositiveIntegerField(_("seats taken"), default=0, editable=False)
    waitlist_count = models.PositiveIntegerField(_("waiting list"), default=0, editable=False)
    enrolment_opens_at = models.DateTimeField(_("enrolment opens"), null=True, blank=True)
    enrolment_closes_at = models.DateTimeField(_("enrolment closes"), null=True, blank=True)
    cancellation_deadline = models.DateTimeField(_("cancellation deadline"), null=True, blank=True)
    confirmation_mode = models.CharField(
        _("when a place frees up"), max_length=16, choices=ConfirmationMode.choices, default=ConfirmationMode.AUTOMATIC
    )
    offer_hold_hours = models.PositiveSmallIntegerField(_("offer held for (hours)"), default=48)
    completion_min_attendance_pct = models.PositiveSmallIntegerField(
        _("attendance needed for completion (%)"), default=80
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    online_url = models.URLField(_("online link"), blank=True)
    notes_th = models.TextField(_("notes (Thai)"), blank=True)
    notes_en = models.TextField(_("notes (English)"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="course_ends_after_start",
                violation_error_message=_("A course cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="course_capacity_positive",
                violation_error_message=_("The capacity must be at least 1."),
            ),
            models.CheckConstraint(
                condition=Q(seats_taken__gte=0) & Q(seats_taken__lte=F("capacity")),
                name="course_seats_taken_within_capacity",
                violation_error_message=_("The capacity cannot be lower than the places already taken."),
            ),
            models.CheckConstraint(condition=Q(waitlist_count__gte=0), name="course_waitlist_not_negative"),
            models.CheckConstraint(
                condition=Q(enrolment_opens_at__isnull=True)
                | Q(enrolment_closes_at__isnull=True)
                | Q(enrolment_closes_at__gt=F("enrolment_opens_at")),
                name="course_enrolment_window_valid",
                violation_error_message=_("Enrolment must close after it opens."),
            ),
            models.CheckConstraint(
                condition=Q(offer_hold_hours__gt=0),
                name="course_offer_hold_positive",
                violation_error_message=_("An offer must be held for at least one hour."),
            ),
            models.CheckConstraint(
                condition=Q(completion_min_attendance_pct__lte=100),
                name="course_completion_pct_range",
                violation_error_message=_("The attendance needed for completion must be between 0 and 100 %."),
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "status", "starts_on"], name="course_prog_status_start"),
            models.Index(fields=["status", "starts_on"], name="course_status_start"),
        ]

    def __str__(self) -> str:
        return f"{self.programme} ({self.starts_on:%Y-%m-%d})"

    @property
    def notes(self) -> str:
        return _pick(self.notes_th, self.notes_en)

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_full(self) -> bool:
        return self.seats_taken >= self.capacity

    @property
    def is_online(self) -> bool:
        return self.venue_id is None

    def enrolment_is_open(self, *, now) -> bool:
        """Scheduled, not yet ended, and within the enrolment window (places are checked
        separately). participants.services applies the same rule, with a reason for each
        refusal, under the course's row lock."""
        if self.status != self.Status.SCHEDULED or self.ends_on < timezone.localdate(now):
            return False
        if self.enrolment_opens_at and now < self.enrolment_opens_at:
            return False
        return not (self.enrolment_closes_at and now >= self.enrolment_closes_at)

    def enrolment_state_at(self, *, now) -> str:
        """ "open", "waitlist" (open but full), "not_yet" (the window opens later) or "closed"."""
        if self.enrolment_is_open(now=now):
            return "waitlist" if self.is_full else "open"
        if self.status == self.Status.SCHEDULED and self.enrolment_opens_at and now < self.enrolment_opens_at:
            return "not_yet"
        return "closed"


class Session(models.Model):
    """One meeting of a course. `venue` empty with an `online_url` = an online meeting;
    services.session_create fills the venue from the course when none is given."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("course"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    venue = models.ForeignKey(
        Venue, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions", verbose_name=_("venue")
    )
    online_url = models.URLField(_("online link"), blank=True)
    is_cancelled = models.BooleanField(_("cancelled"), default=False)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_start",
                violation_error_message=_("A session must end after it starts."),
            ),
            models.UniqueConstraint(
                fields=["course", "starts_at"],
                name="session_unique_start_per_course",
                violation_error_message=_("This course already has a session starting at that time."),
            ),
        ]
        indexes = [models.Index(fields=["starts_at"], name="session_starts_at")]
        # (course, starts_at) is served by the unique constraint's index.

    def __str__(self) -> str:
        return f"{self.course.programme} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def duration_hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class CourseChange(models.Model):
    """A change to a course's schedule that the people enrolled must be told about.

    Written by the programmes services in the same transaction as the change (an outbox):
    programmes may not import participants, so the participants app reads these rows
    (`participants.services.course_changes_notify`, a beat job every minute), tells everyone
    enrolled, and stamps `notified_at`. Nothing is lost if the worker is down, and a row is
    never reported twice."""

    class Kind(models.TextChoices):
        SESSION_MOVED = "session_moved", _("Session moved")
        SESSION_CANCELLED = "session_cancelled", _("Session cancelled")
        COURSE_CHANGED = "course_changed", _("Course dates or venue changed")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="changes", verbose_name=_("course"))
    session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("session")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    old_starts_at = models.DateTimeField(_("was at"), null=True, blank=True)
    new_starts_at = models.DateTimeField(_("now at"), null=True, blank=True)
    # course_changed: {"starts_on": [old, new], "ends_on": [old, new], "venue": [old, new]}
    # for the fields that changed; dates as ISO strings, a venue as {"th": ..., "en": ...}
    # (its names at the time, so the message is written in each reader's language) or None
    # for online.
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    notified_at = models.DateTimeField(_("people told"), null=True, blank=True)

    class Meta:
        verbose_name = _("course change")
        verbose_name_plural = _("course changes")
        indexes = [
            models.Index(
                fields=["created_at"], name="coursechange_pending", condition=models.Q(notified_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.course_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"
