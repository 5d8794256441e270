"""Participation summary tables, built in SQL by the refresh jobs (see aggregation.py).

Nothing here is written by the ORM on the request path: the tables are filled with
INSERT ... SELECT ... GROUP BY inside PostgreSQL and read by the dashboard selectors.

Dimensions shared by the tables
- ``district``: the participant's district of residence (NULL: lives outside the city or unknown).
- ``age_from``: a fine age group, named by its lower bound (see ``AgeGroup``), chosen so that
  both the city's five age bands (0-5, 6-14, 15-24, 25-59, 60+) and the SDG 4.3.1 ranges
  (15-24, 25-64, 60+) are sums of whole groups. Age is taken on the activity day for daily
  facts and on the last day of the period for distinct learners, so a person is in exactly one
  group per row set and learner counts add up across district x age x sex.
- ``sex``: the participant's recorded sex (female, male, other, prefer_not).
- ``provider``, ``category`` (the programme's first category by position, so that every
  enrolment is counted once; NULL when it has none), ``format`` (in_person, online, hybrid).
Foreign keys carry no database constraint: a summary row must never block a data fix, and a
full rebuild replaces everything. Nor do they get Django's single-column index: with no
constraint nothing looks rows up by the key alone, and every read goes through a composite
index that starts with the key (or the unique cell). Each index costs every row a refresh
writes (ActivityDay holds ~15M rows at Bangkok scale, LearnerPeriod ~10M).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def loose_key(to: str, **options) -> models.ForeignKey:
    """A foreign key of a summary or mark table: no database constraint, no index of its own, no
    reverse accessor (see the module docstring); `options` may ask for an index or NULLs."""
    return models.ForeignKey(
        to, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", **{"db_index": False, **options}
    )


class AgeGroup(models.IntegerChoices):
    """Fine age groups, by lower bound. Bands and SDG ranges are unions of these."""

    EARLY_CHILDHOOD = 0, _("0-5")
    SCHOOL_AGE = 6, _("6-14")
    YOUTH = 15, _("15-24")
    ADULTS = 25, _("25-59")
    OLDER_60 = 60, _("60-64")
    OLDER_65 = 65, _("65 and over")


# The city's age bands (DOMAIN.md) and the SDG 4.3.1 ranges as sets of AgeGroup values.
AGE_BANDS: dict[str, tuple[int, ...]] = {
    "0-5": (0,),
    "6-14": (6,),
    "15-24": (15,),
    "25-59": (25,),
    "60+": (60, 65),
}
SDG_AGE_RANGES: dict[str, tuple[int, ...]] = {
    "15-24": (15,),
    "25-64": (25, 60),
    "60+": (60, 65),
}
# Inclusive ages of each group, for population denominators (None: no upper bound).
AGE_GROUP_BOUNDS: dict[int, tuple[int, int | None]] = {
    0: (0, 5),
    6: (6, 14),
    15: (15, 24),
    25: (25, 59),
    60: (60, 64),
    65: (65, None),
}


class ActivityMeasures(models.Model):
    """The six activity measures shared by ActivityDay and its monthly rollups (see ActivityDay)."""

    enrolments = models.PositiveIntegerField(_("enrolments"), default=0)
    confirmed = models.PositiveIntegerField(_("confirmed places"), default=0)
    waitlist_unmet = models.PositiveIntegerField(_("waiting-list demand"), default=0)
    attendances = models.PositiveIntegerField(_("attendances"), default=0)
    learning_minutes = models.BigIntegerField(_("learning minutes"), default=0)
    completions = models.PositiveIntegerField(_("completions"), default=0)

    class Meta:
        abstract = True


class ActivityDay(ActivityMeasures):
    """Day-grain facts. One row per day x dimensions with any activity on that day.

    enrolments       enrolment requests made that day (any outcome)
    confirmed        places confirmed that day
    waitlist_unmet   requests made that day that went to the waiting list and never got a place
    attendances      'present' marks at non-cancelled sessions held that day
    learning_minutes minutes of those sessions (session length x people present)
    completions      enrolments completed, counted on the course's last day (rule or override)
    """

    city = loose_key("city.City")
    day = models.DateField(_("day"))
    district = loose_key("city.District", null=True)
    age_from = models.PositiveSmallIntegerField(_("age group"), choices=AgeGroup.choices)
    sex = models.CharField(_("sex"), max_length=16)
    provider = loose_key("programmes.Provider")
    category = loose_key("programmes.Category", null=True)
    format = models.CharField(_("format"), max_length=16)

    class Meta:
        verbose_name = _("activity per day")
        verbose_name_plural = _("activity per day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "city", "district", "age_from", "sex", "provider", "category", "format"],
                name="dashboards_activityday_cell",
                nulls_distinct=False,
            )
        ]
        indexes = [
            models.Index(fields=["city", "day"], name="dash_activityday_city_day"),
            # a provider manager's pages and any provider filter
            models.Index(fields=["provider", "day"], name="dash_activityday_provider"),
            # an area chosen: the provider table reads that area's days
            models.Index(fields=["district", "day"], name="dash_activityday_district"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.district_id} {self.age_from} {self.sex}"


class ActivityMonth(ActivityMeasures):
    """ActivityDay summed by calendar month without the provider: what the pages read for whole
    months filtered by area, age band or category (a twentieth of the rows of the days at
    city scale). Kept by the refresh jobs from the rows they write into ActivityDay (by
    difference for an incremental run), so it always equals ActivityDay grouped by month.
    Key columns are never NULL: ``district`` and ``category`` hold 0 where ActivityDay holds
    NULL (ids start at 1), so that every cell is found through the unique index."""

    city = loose_key("city.City")
    month = models.DateField(_("month"))
    district_id = models.BigIntegerField(_("area"))
    age_from = models.PositiveSmallIntegerField(_("age group"), choices=AgeGroup.choices)
    sex = models.CharField(_("sex"), max_length=16)
    category_id = models.BigIntegerField(_("category"))
    format = models.CharField(_("format"), max_length=16)

    class Meta:
        verbose_name = _("activity per month")
        verbose_name_plural = _("activity per month")
        constraints = [
            models.UniqueConstraint(
                fields=["city", "month", "district_id", "age_from", "sex", "category_id", "format"],
                name="dashboards_activitymonth_cell",
            )
        ]
        indexes = [
            models.Index(fields=["city", "district_id", "month"], name="dash_activitymonth_district"),
            models.Index(fields=["city", "category_id", "month"], name="dash_activitymonth_category"),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.district_id} {self.age_from} {self.sex}"


class ActivityTotal(ActivityMeasures):
    """The city's totals per calendar month, one dimension at a time: what the pages read for
    whole months without filters (a few thousand rows a year however large the city).

    ``dimension`` "all" (value ""), "district", "age", "sex", "provider", "category", "format"
    (value: the id, age group, sex or format as text; "" where ActivityDay holds NULL), and
    "week" (value: the ISO date of the Monday; the days of that week inside the month, so that
    weeks add up across months). Kept with ActivityMonth, from the same rows."""

    city = loose_key("city.City")
    month = models.DateField(_("month"))
    dimension = models.CharField(_("split by"), max_length=12)
    value = models.CharField(_("value"), max_length=32, blank=True, default="")

    class Meta:
        verbose_name = _("activity total per month")
        verbose_name_plural = _("activity totals per month")
        constraints = [
            models.UniqueConstraint(
                fields=["city", "month", "dimension", "value"], name="dashboards_activitytotal_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.dimension}={self.value}"


class LearnerCell(models.Model):
    """The cell of a distinct-learner count: a period, a dimension value, an area, an age group
    and a sex (LearnerPeriod and its differences, LearnerPeriodDelta)."""

    class Kind(models.TextChoices):
        MONTH = "month", pgettext_lazy("period", "Month")
        YEAR = "year", pgettext_lazy("period", "Calendar year")
        ROLLING_12 = "rolling12", pgettext_lazy("period", "12 months to the end of the month")

    class Dimension(models.TextChoices):
        ALL = "all", _("All learning")
        PROVIDER = "provider", _("Provider")
        CATEGORY = "category", _("Category")
        BLOCK = "block", _("Building block")
        FORMAT = "format", _("Format")

    city = loose_key("city.City")
    kind = models.CharField(_("period"), max_length=12, choices=Kind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    dimension = models.CharField(_("split by"), max_length=12, choices=Dimension.choices)
    value = models.CharField(_("value"), max_length=32, blank=True, default="")
    district = loose_key("city.District", null=True)
    age_from = models.PositiveSmallIntegerField(_("age group"), choices=AgeGroup.choices)
    sex = models.CharField(_("sex"), max_length=16)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.kind} {self.period_end} {self.dimension}={self.value}"


class LearnerPeriod(LearnerCell):
    """Distinct learners (people present at least once at a non-cancelled session) per period.

    ``dimension`` says which activity dimension the row is split by: "all" (no split; rows add
    up across district x age x sex), or "provider", "category", "block" (GNLC building block
    1-6 through the categories) and "format", where ``value`` holds the id, block number or
    format: a person who learnt with two providers counts once under each, so these rows do not
    add up across values.
    """

    learners = models.PositiveIntegerField(_("learners"))

    class Meta:
        verbose_name = _("learners per period")
        verbose_name_plural = _("learners per period")
        constraints = [
            models.UniqueConstraint(
                fields=["city", "kind", "period_end", "dimension", "value", "district", "age_from", "sex"],
                name="dashboards_learnerperiod_cell",
                nulls_distinct=False,
            )
        ]
        indexes = [
            # an area chosen: that area's rows of every dimension
            models.Index(
                fields=["city", "kind", "period_end", "district", "dimension"], name="dash_learnerperiod_district"
            ),
        ]


class LearnerPeriodDelta(LearnerCell):
    """Differences not yet added to LearnerPeriod: signed learner counts per LearnerPeriod cell,
    appended by the incremental refresh (a cell may have several rows). A page reads a cell as
    its LearnerPeriod row plus these (selectors: every reader sums). Adding 50,000 differences
    into LearnerPeriod through its unique index took ~1 s; appending them takes a tenth of that.
    The nightly job, and a run that finds more than aggregation.DELTAS_FOLDED_AT rows here, add
    them into LearnerPeriod and empty the table (aggregation.learner_deltas_fold); a rebuild, and
    a period recomputed whole, drop those of their periods."""

    learners = models.IntegerField(_("learners (difference)"))

    class Meta:
        verbose_name = _("learners per period, difference not yet added")
        verbose_name_plural = _("learners per period, differences not yet added")
        indexes = [
            # the pages' reads: a period's rows of one dimension
            models.Index(fields=["city", "kind", "period_end", "dimension"], name="dash_learnerdelta_period"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period_end} {self.dimension}={self.value} {self.learners:+d}"


class LearnerTotal(models.Model):
    """LearnerPeriod summed over area, age group and sex: the distinct learners of each period
    and dimension value (one row per provider, category, building block, format, and "all").
    What the pages read when no area or age band is chosen. Kept by the refresh jobs with
    LearnerPeriod (by difference for an incremental run)."""

    city = loose_key("city.City")
    kind = models.CharField(_("period"), max_length=12, choices=LearnerPeriod.Kind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    dimension = models.CharField(_("split by"), max_length=12, choices=LearnerPeriod.Dimension.choices)
    value = models.CharField(_("value"), max_length=32, blank=True, default="")
    learners = models.PositiveIntegerField(_("learners"))

    class Meta:
        verbose_name = _("learners per period, whole city")
        verbose_name_plural = _("learners per period, whole city")
        constraints = [
            models.UniqueConstraint(
                fields=["city", "kind", "period_end", "dimension", "value"], name="dashboards_learnertotal_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period_end} {self.dimension}={self.value}"


class LearnerMonth(models.Model):
    """Person-level staging of the distinct-learner counts, kept by the refresh jobs (never read
    by pages): one row per participant x city x dimension value x month in which the participant
    was present at least once at a non-cancelled session (months of every kind, future ones
    included), with a snapshot of the participant's district (NULL: outside the city or unknown),
    sex and birth date. All rows of a participant carry the same snapshot. LearnerPeriod is
    derived from these rows: whole for a rebuild, by difference for an incremental refresh."""

    pk = models.CompositePrimaryKey("participant", "city", "dimension", "value", "month")
    participant = loose_key("participants.Participant")
    city = loose_key("city.City")
    dimension = models.CharField(_("split by"), max_length=12, choices=LearnerPeriod.Dimension.choices)
    value = models.CharField(_("value"), max_length=32, blank=True, default="")
    month = models.DateField(_("month"))
    district = loose_key("city.District", null=True)
    sex = models.CharField(_("sex"), max_length=16)
    birth_date = models.DateField(_("birth date"))

    class Meta:
        verbose_name = _("learner per month")
        verbose_name_plural = _("learners per month")
        indexes = [models.Index(fields=["month"], name="dash_learnermonth_month")]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.month} {self.dimension}={self.value}"


class BuiltPeriod(models.Model):
    """A period whose LearnerPeriod rows are complete (equal to counts over LearnerMonth), so an
    incremental refresh may adjust them by difference. A period not listed here (the month's new
    rolling window before the nightly job, a new year) is computed whole the first time a refresh
    touches it."""

    pk = models.CompositePrimaryKey("kind", "period_end")
    kind = models.CharField(_("period"), max_length=12, choices=LearnerPeriod.Kind.choices)
    period_end = models.DateField(_("to"))

    class Meta:
        verbose_name = _("built period")
        verbose_name_plural = _("built periods")

    def __str__(self) -> str:
        return f"{self.kind} {self.period_end}"


class DirtyDay(models.Model):
    """A mark that a day's facts must be recomputed: written by database triggers on
    enrolments, attendance, sessions, courses, completion overrides and participants
    (set-based, statement level), claimed and deleted by the incremental refresh in the same
    transaction that rewrites the day. Append-only (one row per marking statement and day, never
    updated): no transaction ever waits on another's mark, so enrolments in different courses
    do not queue behind one "today" row."""

    id = models.BigAutoField(primary_key=True)
    day = models.DateField(_("day"), db_index=True)
    marked_at = models.DateTimeField(_("marked"))

    class Meta:
        verbose_name = _("day to refresh")
        verbose_name_plural = _("days to refresh")

    def __str__(self) -> str:
        return str(self.day)


class DirtyLearnerMonth(models.Model):
    """A mark that one participant's LearnerMonth rows of one month must be recomputed
    (``participant`` NULL: every participant's rows of that month). Written by the same triggers
    as DirtyDay (dashboards migration 0007): a change of attendance marks its participants'
    months, a change to a session, course, programme or person marks the months of the people
    who attended; claimed and deleted by the refresh with the days. So an incremental refresh
    recomputes LearnerMonth for the people who changed, not for everyone of a month.
    Append-only, like DirtyDay."""

    id = models.BigAutoField(primary_key=True)
    participant = loose_key("participants.Participant", null=True)
    month = models.DateField(_("month"))
    marked_at = models.DateTimeField(_("marked"))

    class Meta:
        verbose_name = _("learner month to refresh")
        verbose_name_plural = _("learner months to refresh")

    def __str__(self) -> str:
        return f"{self.participant_id or '*'} {self.month}"


class ActivityChange(models.Model):
    """A signed change to the facts of ActivityDay, written by the triggers on attendance and
    enrolments (dashboards migration 0008) and added by the incremental refresh to the rows it
    already holds, instead of recomputing whole days.

    - An attendance change names its ``session`` (``day`` and ``course`` empty): ``attendances``
      is the change in ``present`` marks of ``participant`` at that session (+1 a mark made
      present, -1 one deleted or changed to another status). The refresh reads the session's
      day, length and cancellation when it adds the change, as a recomputation of the day would.
    - An enrolment change names its ``day`` and ``course``: the change in enrolment requests
      made, places confirmed and waiting-list demand of ``participant`` on that day (the old
      row subtracted, the new row added).

    Completions are not changes: the triggers mark the course's last day dirty, and the refresh
    recomputes that day whole (and discards the changes of every day it recomputes). Append-only,
    like DirtyDay; claimed and deleted by the refresh in the transaction that applies them."""

    id = models.BigAutoField(primary_key=True)
    session = loose_key("programmes.Session", null=True)
    day = models.DateField(_("day"), null=True)
    course = loose_key("programmes.Course", null=True)
    participant = loose_key("participants.Participant")
    enrolments = models.IntegerField(_("enrolments"), default=0)
    confirmed = models.IntegerField(_("confirmed places"), default=0)
    waitlist_unmet = models.IntegerField(_("waiting-list demand"), default=0)
    attendances = models.IntegerField(_("attendances"), default=0)
    marked_at = models.DateTimeField(_("marked"))

    class Meta:
        verbose_name = _("activity change to add")
        verbose_name_plural = _("activity changes to add")

    def __str__(self) -> str:
        where = f"session {self.session_id}" if self.session_id else f"{self.day} course {self.course_id}"
        return f"{where} participant {self.participant_id}"


class DirtyCourse(models.Model):
    """A mark that a course's completions must be checked again: written by the triggers on
    attendance, enrolments and completion overrides (dashboards migration 0008), claimed by the
    incremental refresh, which compares the course's completions now with CountedCompletion and
    adds the difference to ActivityDay. Append-only, like DirtyDay."""

    id = models.BigAutoField(primary_key=True)
    course = loose_key("programmes.Course")
    marked_at = models.DateTimeField(_("marked"))

    class Meta:
        verbose_name = _("course to check for completions")
        verbose_name_plural = _("courses to check for completions")

    def __str__(self) -> str:
        return str(self.course_id)


class CountedCompletion(models.Model):
    """An enrolment that ActivityDay counts as completed, on its course's last day (``day``):
    what the refresh compares a course's completions with when the course is marked
    (DirtyCourse). Written only by the refresh jobs, in the transaction that writes ActivityDay;
    a rebuild writes it whole."""

    enrolment = models.OneToOneField(
        "participants.Enrolment",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="+",
    )
    course = loose_key("programmes.Course", db_index=True)
    participant = loose_key("participants.Participant")
    day = models.DateField(_("day"), db_index=True)

    class Meta:
        verbose_name = _("completion counted")
        verbose_name_plural = _("completions counted")

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.day}"


class RefreshRun(models.Model):
    """One run of a refresh job: what it did and how long it took. The newest successful run
    gives the dashboards' "data as of" (changes committed before ``started_at`` are in)."""

    class Kind(models.TextChoices):
        INCREMENTAL = "incremental", _("Incremental")
        ROLLING = "rolling", _("Nightly rolling windows")
        REBUILD = "rebuild", _("Full rebuild")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    days_refreshed = models.PositiveIntegerField(_("days refreshed"), default=0)
    periods_refreshed = models.PositiveIntegerField(_("periods refreshed"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("refresh run")
        verbose_name_plural = _("refresh runs")
        get_latest_by = "started_at"
        indexes = [models.Index(fields=["-started_at"], name="dash_refreshrun_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M}"
